// A record that fails validation goes to sync.rejects with its payload and reason; the rest of the page
// loads. The simulator only serves well-formed records, so a small loopback server plays the API here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.loader.js";
import { createLogger } from "../../src/log/pino.logger.js";
import { readBody, type RunningServer, startHttpServer } from "../../src/simulators/common/loopback.server.js";
import { runSync } from "../../src/sync/run-sync.engine.js";
import { resetStream } from "../../src/warehouse/streams.repository.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const at = (s: string) => Date.parse(s);
// Where each record lives on the server's time line (a record without a readable Timestamp still has one there).
const served: Array<{ at: number; record: unknown }> = [
  {
    at: at("2026-06-01T10:00:01Z"),
    record: {
      Timestamp: "2026-06-01T10:00:01Z",
      EventType: "MoneyIn",
      CampaignID: 1,
      Attributes: { Payed: 10, Currency: "RUB" },
    },
  },
  { at: at("2026-06-01T10:00:02Z"), record: { EventType: "MoneyIn", CampaignID: 1 } },
  {
    at: at("2026-06-01T10:00:02Z"),
    record: { Timestamp: "2026-06-01T10:00:02Z", EventType: "LowCTR", CampaignID: 1, BannerID: 2, PhraseID: 3 },
  },
  {
    at: at("2026-06-01T10:00:03Z"),
    record: { Timestamp: "2026-06-01T10:00:03Z", EventType: "MoneyOut", CampaignID: "abc" },
  },
  {
    at: at("2026-06-01T10:00:04Z"),
    record: {
      Timestamp: "2026-06-01T10:00:04Z",
      EventType: "BannerModerated",
      BannerID: 9,
      Attributes: { IsEditedByModerator: "Perhaps" },
    },
  },
  {
    at: at("2026-06-01T10:00:05Z"),
    record: {
      Timestamp: "2026-06-01T10:00:05Z",
      EventType: "WarnPlace",
      BannerID: 9,
      Attributes: { OldPlace: "1" },
      NewField: [1, 2],
    },
  },
  // Money in another currency than the one requested: it would not add up with the rest.
  {
    at: at("2026-06-01T10:00:06Z"),
    record: {
      Timestamp: "2026-06-01T10:00:06Z",
      EventType: "MoneyIn",
      CampaignID: 1,
      Attributes: { Payed: 5, Currency: "EUR" },
    },
  },
];

let server: RunningServer;
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  server = await startHttpServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as {
      param: { TimestampFrom: string; TimestampTo?: string; Limit?: number; Offset?: number };
    };
    const from = Date.parse(body.param.TimestampFrom);
    const to = body.param.TimestampTo ? Date.parse(body.param.TimestampTo) : Number.POSITIVE_INFINITY;
    const matching = served.filter((s) => s.at >= from && s.at <= to).map((s) => s.record);
    const offset = body.param.Limit === undefined ? 0 : (body.param.Offset ?? 0);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        data: matching.slice(offset, body.param.Limit === undefined ? undefined : offset + body.param.Limit),
      }),
    );
  });
});
afterAll(async () => {
  await server.close();
  await database.drop();
});

describe("records that fail validation", () => {
  it("are kept in sync.rejects with the reason, and the rest of the page loads", async () => {
    const config = parseConfig(
      {
        sources: {
          yandex_direct: {
            accounts: [
              {
                name: "own",
                token: "${T}",
                endpoint: `${server.url}/live/v4/json/`,
                currency: "RUB",
                startTime: "2026-06-01T09:00:00Z",
                settleLag: "1s",
                // The scripted server speaks Live 4 only: the owner's login is named, not asked of Clients.get.
                ownerLogin: "own-login",
              },
            ],
          },
        },
      },
      { T: "secret" },
    );
    const summary = await runSync({
      warehouse: database.warehouse,
      config,
      log: createLogger({ level: "silent" }),
      signal: new AbortController().signal,
      command: "test",
      now: () => new Date("2026-06-01T12:00:00Z"),
    });
    expect(summary.status).toBe("succeeded");
    expect(summary.streams[0]).toMatchObject({ inserted: 3, rejects: 4 });
    const rows = await database.warehouse.db
      .selectFrom("yandex_direct.events")
      .select(["event_type", "raw", "login", "currency"])
      .orderBy("event_time")
      .execute();
    // Every row carries the currency requested, money or not.
    expect(rows.map((r) => r.currency)).toEqual(["RUB", "RUB", "RUB"]);
    expect(rows.map((r) => r.event_type)).toEqual(["MoneyIn", "LowCTR", "WarnPlace"]);
    expect(rows[2]?.raw).toMatchObject({ NewField: [1, 2] });
    expect(rows[0]?.login).toBe("own-login");
    const rejects = await database.warehouse.db
      .selectFrom("sync.rejects")
      .select(["reason", "payload"])
      .orderBy("reason")
      .execute();
    // A record whose time cannot be read is stored with the window's end, the others as their page arrives.
    expect(rejects).toEqual([
      { reason: 'Attributes.Currency: expected RUB (the currency requested), got "EUR"', payload: served[6]?.record },
      { reason: 'Attributes.IsEditedByModerator: expected Yes or No, got "Perhaps"', payload: served[4]?.record },
      { reason: 'CampaignID: expected an integer id, got "abc"', payload: served[3]?.record },
      {
        reason: "Timestamp: expected an ISO 8601 timestamp, got undefined",
        payload: { EventType: "MoneyIn", CampaignID: 1 },
      },
    ]);
    const counters = await database.warehouse.db
      .selectFrom("sync.stream_runs")
      .select(["events_fetched", "events_inserted", "rejects"])
      .executeTakeFirstOrThrow();
    expect(counters).toEqual({ events_fetched: 7, events_inserted: 3, rejects: 4 });

    // Read again from the start twice (as a reset or a crash replay would): each reject is still stored once.
    for (let again = 0; again < 2; again++) {
      const stream = await database.warehouse.db
        .selectFrom("sync.streams")
        .select("stream_id")
        .executeTakeFirstOrThrow();
      await resetStream(database.warehouse.db, stream.stream_id, null);
      const rerun = await runSync({
        warehouse: database.warehouse,
        config,
        log: createLogger({ level: "silent" }),
        signal: new AbortController().signal,
        command: "test",
        now: () => new Date("2026-06-01T12:00:00Z"),
      });
      expect(rerun.streams[0]).toMatchObject({ status: "succeeded", inserted: 0, duplicates: 3, rejects: 4 });
    }
    expect(
      await database.warehouse.db.selectFrom("sync.rejects").select(["reason"]).orderBy("reject_id").execute(),
    ).toHaveLength(4);
  });
});

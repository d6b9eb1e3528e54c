// The Altcraft simulator speaks the documented protocol: the seed page's JSON and XML examples, tokens, formats, paths.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AltcraftSimulator } from "../../../src/simulators/altcraft/index.js";
import { call, DOC_TOKEN, type Envelope, type Row, small, TOKEN, xml } from "./helpers.js";

// The request examples of the seed page (campaigns/log_v2), byte for byte.
const DOC_JSON = `{
"token": "abcdefghijklmnqrstuvwxyz",
"id": 1,
"limit": 2
}`;
const DOC_XML = `<xml>
<token>abcdefghijklmnqrstuvwxyz</token>
<id>1</id>
<limit>2</limit>
</xml>`;

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let sim: AltcraftSimulator;
beforeAll(async () => {
  sim = await small({ tokens: [TOKEN, DOC_TOKEN] });
});
afterAll(() => sim.close());

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${sim.apiUrl}${path}`, { method: "POST", body, headers });

describe("seed page examples", () => {
  test("the JSON request example answers the documented envelope", async () => {
    const res = await post("campaigns/log_v2", DOC_JSON, { "content-type": "application/json" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const body = (await res.json()) as Envelope<Row[]>;
    expect(Object.keys(body)).toEqual(["data", "error", "error_text", "total_count"]);
    expect(body).toMatchObject({ error: 0, error_text: "Successful operation" });
    expect(body.data).toHaveLength(2);
    expect(body.data).toEqual(sim.log(1).slice(0, 2));
    for (const row of body.data) {
      expect(Object.keys(row)).toEqual(["level", "message", "time", "state", "value"]);
      expect(row.time).toMatch(TIME);
    }
    expect(body.total_count).toBe(sim.log(1).length);
  });

  test("the XML request example answers an <xml> document with one <data> per row", async () => {
    const res = await post("campaigns/log_v2", DOC_XML, { "content-type": "application/xml" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/xml/);
    const doc = xml.parse(await res.text()) as {
      xml: { data: Row[]; error: string; error_text: string; total_count: string };
    };
    expect(doc.xml.data).toHaveLength(2);
    expect(doc.xml.data[0]).toEqual(sim.log(1)[0]);
    expect(doc.xml).toMatchObject({
      error: "0",
      error_text: "Successful operation",
      total_count: String(sim.log(1).length),
    });
  });

  test("an XML body is detected without an XML Content-Type", async () => {
    const res = await post("campaigns/log_v2", DOC_XML);
    expect(xml.parse(await res.text())).toMatchObject({ xml: { error: "0" } });
  });
});

describe("requests", () => {
  test("the token is accepted in the body, as a Bearer header and in the query string", async () => {
    const inBody = await call(sim, "campaigns/get_status", { token: TOKEN, id: 1 });
    const inHeader = await call(
      sim,
      "campaigns/get_status",
      { id: 1 },
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    const inQuery = await call(sim, "campaigns/get_status", { id: 1 }, { query: `?token=${TOKEN}` });
    for (const r of [inBody, inHeader, inQuery]) expect(r.body.error).toBe(0);
  });

  test("format comes from the body or the query string", async () => {
    const viaBody = await post("campaigns/get_status", JSON.stringify({ token: TOKEN, id: 1, format: "xml" }));
    expect(await viaBody.text()).toMatch(/^<\?xml[^>]*>\s*<xml><data>/);
    const viaQuery = await post("campaigns/get_status?format=xml", JSON.stringify({ token: TOKEN, id: 1 }));
    expect(viaQuery.headers.get("content-type")).toMatch(/xml/);
    const jsonFromXml = await post(
      "campaigns/get_status",
      `<xml><token>${TOKEN}</token><id>1</id><format>json</format></xml>`,
    );
    expect(((await jsonFromXml.json()) as Envelope).error).toBe(0);
  });

  test("a trailing slash on the method path is tolerated", async () => {
    const r = await call(sim, "campaigns/list/", { token: TOKEN });
    expect(r.body.error).toBe(0);
  });

  test("an unknown method answers 404", async () => {
    const r = await call(sim, "campaigns/nope", { token: TOKEN });
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ data: null, error: 404 });
  });
});

describe("XML responses", () => {
  test("string values are plain by default and quoted like the doc example when switched on", async () => {
    const plain = await (
      await post("campaigns/log_v2?format=xml", JSON.stringify({ token: TOKEN, id: 1, limit: 1 }))
    ).text();
    expect(plain).toContain("<level>INFO</level><message>Begin campaign</message><state>start</state>");
    sim.setOptions({ xmlQuotedStrings: true });
    try {
      const quoted = await (
        await post("campaigns/log_v2?format=xml", JSON.stringify({ token: TOKEN, id: 1, limit: 1 }))
      ).text();
      expect(quoted).toContain('<level>"INFO"</level><message>"Begin campaign"</message><state>"start"</state>');
      expect(quoted).toContain('<value>""</value>');
      expect(quoted).toContain("<error_text>Successful operation</error_text>");
    } finally {
      sim.setOptions({ xmlQuotedStrings: false });
    }
  });
});

describe("campaigns/list and campaigns/get_status", () => {
  interface Item {
    id: number;
    name: string;
    type: string;
    is_active: boolean;
    subid: string;
    for_confirm: boolean;
    ui_tags: string[];
    groups: Array<{ id: number; name: string }>;
  }

  test("keyset paging by from_id / next_from_id lists every campaign once", async () => {
    const seen: number[] = [];
    let fromId: number | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await call<Item[]>(sim, "campaigns/list", {
        token: TOKEN,
        limit: 1,
        ...(fromId ? { from_id: fromId } : {}),
      });
      expect(r.body.total_count).toBe(3);
      if (r.body.data.length === 0) break;
      const item = r.body.data[0] as Item;
      expect(Object.keys(item)).toEqual([
        "id",
        "name",
        "type",
        "is_active",
        "subid",
        "for_confirm",
        "ui_tags",
        "groups",
      ]);
      expect(r.body.next_from_id).toBe(item.id + 1);
      seen.push(item.id);
      fromId = r.body.next_from_id;
    }
    expect(seen).toEqual(sim.campaigns().map((c) => c.id));
    expect(seen[0]).toBe(1);
  });

  test("type and is_active filter the list", async () => {
    const all = sim.campaigns();
    const type = (all[0] as { type: string }).type;
    const byType = await call<Item[]>(sim, "campaigns/list", { token: TOKEN, type });
    expect(byType.body.data.map((c) => c.id)).toEqual(all.filter((c) => c.type === type).map((c) => c.id));
    sim.setCampaignState(1, "inactive");
    const active = await call<Item[]>(sim, "campaigns/list", { token: TOKEN, is_active: true });
    const inactive = await call<Item[]>(sim, "campaigns/list", { token: TOKEN, is_active: "false" });
    expect(inactive.body.data.map((c) => c.id)).toEqual([1]);
    expect(active.body.data.map((c) => c.id)).toEqual(all.slice(1).map((c) => c.id));
    sim.setCampaignState(1, "active");
  });

  test("get_status answers is_active, is_completed and status", async () => {
    const r = await call(sim, "campaigns/get_status", { token: TOKEN, id: 1 });
    expect(r.body).toEqual({
      data: { is_active: true, is_completed: false, status: "Active" },
      error: 0,
      error_text: "Successful operation",
    });
  });
});

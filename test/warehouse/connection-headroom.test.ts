// The connections the warehouse would still take: its free slots (max_connections less the reserved ones and those
// open) and the role's CONNECTION LIMIT, the fewer of the two; a pool that could open more is a shortfall to say.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConnectionHeadroom,
  connectionsLeft,
  headroomShortfall,
  readConnectionHeadroom,
} from "../../src/warehouse/connection.headroom.js";
import { openWarehouse } from "../../src/warehouse/warehouse.database.js";
import { asAdmin, connectClient, createTestDatabase, dropRoles, type TestDatabase } from "../support/test-database.js";

const ROLE = `eventlog_headroom_${randomBytes(4).toString("hex")}`;
const PASSWORD = randomBytes(12).toString("hex");
let database: TestDatabase;

/** The test database's URL as `ROLE`. */
function asRole(): string {
  const url = new URL(database.url);
  url.username = ROLE;
  url.password = PASSWORD;
  return url.toString();
}

beforeAll(async () => {
  database = await createTestDatabase();
  await asAdmin((c) => c.query(`create role ${ROLE} login password '${PASSWORD}' connection limit 4`));
});
afterAll(async () => {
  await database.drop();
  await dropRoles(ROLE);
});

const server: ConnectionHeadroom = {
  maxConnections: 100,
  reserved: 3,
  open: 40,
  roleLimit: null,
  roleOpen: 0,
  superuser: false,
};

describe("connections left", () => {
  it("are the server's slots less the reserved ones and those open", () => {
    // Kills: the reserved slots counted as this role's; the connections open not counted.
    expect(connectionsLeft(server)).toBe(57);
    expect(connectionsLeft({ ...server, open: 97 })).toBe(0);
    expect(connectionsLeft({ ...server, open: 99 })).toBe(0);
  });

  it("are at most what the role's connection limit leaves, unless the role is a superuser", () => {
    // Kills: the role's CONNECTION LIMIT ignored; a superuser held to it or kept out of the reserved slots.
    expect(connectionsLeft({ ...server, roleLimit: 10, roleOpen: 4 })).toBe(6);
    expect(connectionsLeft({ ...server, roleLimit: 10, roleOpen: 4, superuser: true })).toBe(60);
  });

  it("are a shortfall only when the pool could open more than they are, naming the limits", () => {
    expect(headroomShortfall(server, 11, 1)).toBeUndefined();
    expect(headroomShortfall({ ...server, open: 95 }, 11, 1)).toEqual({
      more: 10,
      left: 2,
      limit: "max_connections 100, 3 reserved, 95 open",
    });
    expect(headroomShortfall({ ...server, roleLimit: 4, roleOpen: 1 }, 11, 1)).toEqual({
      more: 10,
      left: 3,
      limit: "max_connections 100, 3 reserved, 40 open; the role's connection limit 4, 1 open",
    });
  });
});

describe("the warehouse's connection limits", () => {
  it("are read from the server: its settings, the connections open, the role's limit and its own open", async () => {
    const warehouse = openWarehouse(asRole(), { maxConnections: 3 });
    const other = await connectClient(asRole());
    try {
      const h = await readConnectionHeadroom(warehouse.pool);
      const settings = await asAdmin(async (c) => {
        const { rows } = await c.query<{ max: string }>("select current_setting('max_connections') as max");
        return Number(rows[0]?.max);
      });
      expect(h).toMatchObject({ maxConnections: settings, roleLimit: 4, roleOpen: 2, superuser: false });
      expect(h.open).toBeGreaterThanOrEqual(2);
      expect(h.reserved).toBeGreaterThanOrEqual(0);
      expect(connectionsLeft(h)).toBe(2);
      expect(headroomShortfall(h, 3, 1)).toBeUndefined();
      expect(headroomShortfall(h, 11, 1)?.left).toBe(2);
    } finally {
      await other.end();
      await warehouse.close();
    }
  });

  it("say no limit for a role without one", async () => {
    const h = await readConnectionHeadroom(database.warehouse.pool);
    expect(h.roleLimit).toBeNull();
  });
});

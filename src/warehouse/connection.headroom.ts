/**
 * The connections the warehouse would still take (Glossary: connection headroom), so a copy says as it starts when
 * its pool could run past them. PostgreSQL refuses a connection past `max_connections` less the slots it keeps for
 * superusers (`superuser_reserved_connections`, and `reserved_connections` from PostgreSQL 16), and past the role's
 * CONNECTION LIMIT: "sorry, too many clients already", "too many connections for role". A copy opens its
 * connections as its streams start, so a statement that needs one then fails, mid-run. Every copy of `sync` counts
 * up to 2 × `sync.parallelStreams` + 3 connections (`daemon` one more), other clients besides.
 */
import type pg from "pg";

export interface ConnectionHeadroom {
  maxConnections: number;
  /** The slots kept for superusers and reserved roles: not this role's unless it is a superuser. */
  reserved: number;
  /** Client connections open on the server now, this copy's own included. */
  open: number;
  /** The role's CONNECTION LIMIT; null: none. A superuser is not held to it. */
  roleLimit: number | null;
  /** The role's connections open now. */
  roleOpen: number;
  superuser: boolean;
}

const HEADROOM = `
  select current_setting('max_connections')::int as "maxConnections",
    current_setting('superuser_reserved_connections')::int
      + coalesce(nullif(current_setting('reserved_connections', true), '')::int, 0) as reserved,
    (select count(*)::int from pg_stat_activity where backend_type = 'client backend') as open,
    nullif(r.rolconnlimit, -1) as "roleLimit",
    (select count(*)::int from pg_stat_activity where backend_type = 'client backend' and usename = current_user)
      as "roleOpen",
    r.rolsuper as superuser
  from pg_roles r where r.rolname = current_user`;

export async function readConnectionHeadroom(pool: pg.Pool): Promise<ConnectionHeadroom> {
  const { rows } = await pool.query<ConnectionHeadroom>(HEADROOM);
  const row = rows[0];
  if (!row) throw new Error("the warehouse did not say its connection limits (no pg_roles row for current_user)");
  return row;
}

/** The reserved slots closed to this role: none to a superuser. */
const reservedFor = (h: ConnectionHeadroom): number => (h.superuser ? 0 : h.reserved);

/** The connection limit this role is held to: none for a superuser. */
const roleLimitOf = (h: ConnectionHeadroom): number | null => (h.superuser ? null : h.roleLimit);

/** Connections the server would still open for this role: the fewer of its free slots and the role's limit. */
export function connectionsLeft(h: ConnectionHeadroom): number {
  const server = h.maxConnections - reservedFor(h) - h.open;
  const limit = roleLimitOf(h);
  const role = limit === null ? Number.POSITIVE_INFINITY : limit - h.roleOpen;
  return Math.max(0, Math.min(server, role));
}

/**
 * What to say when a pool of `poolMax` connections, `poolOpen` of them open, could open more than the warehouse
 * would take: undefined when it fits.
 */
export function headroomShortfall(
  h: ConnectionHeadroom,
  poolMax: number,
  poolOpen: number,
): { more: number; left: number; limit: string } | undefined {
  const more = poolMax - poolOpen;
  const left = connectionsLeft(h);
  if (more <= left) return undefined;
  const server = `max_connections ${h.maxConnections}, ${reservedFor(h)} reserved, ${h.open} open`;
  const limit = roleLimitOf(h);
  const role = limit === null ? "" : `; the role's connection limit ${limit}, ${h.roleOpen} open`;
  return { more, left, limit: server + role };
}

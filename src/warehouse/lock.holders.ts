/**
 * Who holds an advisory lock: the sessions pg_locks shows holding it, with their role and application from
 * pg_stat_activity. A holder is an eventlog-sync process when it runs as this session's role and names itself
 * eventlog-sync (warehouse.database.ts sets application_name on every connection of the job); anything else — a BI
 * tool, a psql session, another role that names itself eventlog-sync — is a stranger, and the sync says so.
 */
import type { LockKey } from "./lock.keys.js";
import { APPLICATION_NAME } from "./warehouse.database.js";

export interface LockHolder {
  pid: number;
  role: string;
  application: string;
  /** An eventlog-sync process of the same role: a sibling copy, not a stranger. */
  sibling: boolean;
}

/** Anything that runs a query: a pool or a client. */
export interface Queryable {
  query<R extends object>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * The sessions other than this one holding any of the locks whose key pairs are `$1` and `$2`, with `$3` and `$4`
 * the application names of this job.
 */
const HOLDERS = `select l.pid, coalesce(a.usename, '?') as role, coalesce(a.application_name, '') as application,
       coalesce(a.usename = current_user and (a.application_name = $3 or a.application_name like $4), false) as sibling
  from pg_locks l
  left join pg_stat_activity a on a.pid = l.pid
 where l.locktype = 'advisory' and l.granted and l.objsubid = 2
   and l.database = (select oid from pg_database where datname = current_database())
   and l.pid <> pg_backend_pid()
   and (l.classid, l.objid) in (select k1::oid, k2::oid from unnest($1::int[], $2::int[]) as k(k1, k2))
 order by l.pid`;

/** This job's application names, `$3` and `$4` of HOLDERS. */
const SIBLING_NAMES: readonly string[] = [APPLICATION_NAME, `${APPLICATION_NAME} (%`];

/** The sessions other than this one holding any of the locks `keys`, one row per session and lock. */
export async function lockHolders(db: Queryable, keys: readonly LockKey[]): Promise<LockHolder[]> {
  if (keys.length === 0) return [];
  const result = await db.query<LockHolder>(HOLDERS, [keys.map((k) => k[0]), keys.map((k) => k[1]), ...SIBLING_NAMES]);
  return result.rows.map(holderOf);
}

/** A row of HOLDERS as a holder: its four fields, the pid a number. */
function holderOf(row: LockHolder): LockHolder {
  return { pid: Number(row.pid), role: row.role, application: row.application, sibling: row.sibling };
}

/** `role bi_reader, application "Metabase", pid 4242`. */
export function describeHolder(holder: LockHolder): string {
  return `role ${holder.role}, application ${JSON.stringify(holder.application)}, pid ${holder.pid}`;
}

/**
 * The migration lock, waited for in the open. Kysely's Postgres adapter takes it with one blocking
 * `pg_advisory_lock` under a lock_timeout of an hour: a lock held by someone else (a stuck process, another
 * role that took the same id) hangs every command with no log line, and a shutdown signal is honoured only
 * when the lock frees. This adapter takes the same lock (same id, so it excludes and is excluded by every
 * eventlog-sync version) with `pg_try_advisory_lock`, polling: between tries it checks the signal, names
 * the holder in a warning, and gives up after `waitMs`.
 *
 * Migrations run on one connection borrowed from the pool (see migrationDatabase), so the migrator's
 * statements, its transaction and the lock all live on the session that holds the lock.
 */
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from "kysely";
import { setTimeout as sleep } from "node:timers/promises";

/** The id kysely's PostgresAdapter locks (kysely 0.28): the same lock, whoever takes it. */
export const MIGRATION_LOCK_ID = 3853314791062309107n;

/** A session that holds the migration lock, as pg_stat_activity shows it. */
export interface LockHolder {
  pid: number;
  role: string | null;
  applicationName: string | null;
  clientAddress: string | null;
  state: string | null;
}

export interface MigrationLockWait {
  /** Longest wait for the lock, ms. */
  waitMs: number;
  /** Aborted on shutdown: the wait ends at once with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Told when the lock is held elsewhere (at the first miss, then every `reportEveryMs`). */
  onWait?: ((holder: LockHolder | undefined, waitedMs: number) => void) | undefined;
  /** Default 10,000. */
  reportEveryMs?: number;
  /** Pause between two tries, ms. Default 200. */
  pollMs?: number;
}

export class MigrationLockTimeoutError extends Error {
  override readonly name = "MigrationLockTimeoutError";
  readonly holder: LockHolder | undefined;
  constructor(waitMs: number, holder: LockHolder | undefined) {
    super(`the migration lock was not free within ${waitMs} ms: ${describeHolder(holder)}`);
    this.holder = holder;
  }
}

/** `held by pid 123 (role bi, application psql, from 10.0.0.5, idle)`. */
export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return "held by a session that has since let it go";
  const parts = [
    `role ${holder.role ?? "?"}`,
    `application ${holder.applicationName || "(none)"}`,
    ...(holder.clientAddress ? [`from ${holder.clientAddress}`] : []),
    ...(holder.state ? [holder.state] : []),
  ];
  return `held by pid ${holder.pid} (${parts.join(", ")})`;
}

// A bigint advisory key shows in pg_locks as its high 32 bits (classid) and low 32 bits (objid), objsubid 1.
const CLASS_ID = Number(MIGRATION_LOCK_ID >> 32n);
const OBJ_ID = Number(MIGRATION_LOCK_ID & 0xffffffffn);

/** Who holds the migration lock now, if anyone else does. */
export async function migrationLockHolder<DB>(db: Kysely<DB>): Promise<LockHolder | undefined> {
  const { rows } = await sql<LockHolder>`
    select a.pid, a.usename as role, a.application_name as "applicationName",
           host(a.client_addr) as "clientAddress", a.state
    from pg_locks l left join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.granted and l.classid = ${CLASS_ID}::oid and l.objid = ${OBJ_ID}::oid
      and l.objsubid = 1 and l.pid <> pg_backend_pid()
      and l.database = (select oid from pg_database where datname = current_database())
    limit 1`.execute(db);
  return rows[0];
}

class WaitingMigrationAdapter extends PostgresAdapter {
  readonly #wait: MigrationLockWait;
  constructor(wait: MigrationLockWait) {
    super();
    this.#wait = wait;
  }

  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    const { waitMs, signal } = this.#wait;
    const started = performance.now();
    let reported = -Infinity;
    for (;;) {
      signal?.throwIfAborted();
      const { rows } = await sql<{
        locked: boolean;
      }>`select pg_try_advisory_lock(${sql.lit(MIGRATION_LOCK_ID)}) as locked`.execute(db);
      if (rows[0]?.locked) return;
      const waited = performance.now() - started;
      if (waited >= waitMs) throw new MigrationLockTimeoutError(waitMs, await migrationLockHolder(db));
      if (waited - reported >= (this.#wait.reportEveryMs ?? 10_000)) {
        reported = waited;
        this.#wait.onWait?.(await migrationLockHolder(db), Math.round(waited));
      }
      try {
        await sleep(Math.min(this.#wait.pollMs ?? 200, Math.max(1, waitMs - waited)), undefined, { signal });
      } catch {
        signal?.throwIfAborted();
      }
    }
  }
}

/**
 * A driver over one connection already taken from the pool. With `nested`, the migrator's transaction is a
 * savepoint inside a transaction the caller opened (so a down migration can be tried and rolled back).
 */
class BorrowedConnectionDriver implements Driver {
  nested = false;
  readonly #connection: DatabaseConnection;
  constructor(connection: DatabaseConnection) {
    this.#connection = connection;
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection;
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(this.nested ? "savepoint eventlog_sync_migration" : "begin"));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(
      CompiledQuery.raw(this.nested ? "release savepoint eventlog_sync_migration" : "commit"),
    );
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(
      CompiledQuery.raw(this.nested ? "rollback to savepoint eventlog_sync_migration" : "rollback"),
    );
  }
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

export interface MigrationDatabase {
  db: Kysely<unknown>;
  /** Whether the migrator's transactions are savepoints of a transaction the caller holds open. */
  setNested(nested: boolean): void;
}

/** A Kysely for the migrator on `connection`, taking the migration lock as MigrationLockWait says. */
export function migrationDatabase(connection: DatabaseConnection, wait: MigrationLockWait): MigrationDatabase {
  const driver = new BorrowedConnectionDriver(connection);
  const db = new Kysely<unknown>({
    dialect: {
      createAdapter: () => new WaitingMigrationAdapter(wait),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  return { db, setNested: (nested) => (driver.nested = nested) };
}

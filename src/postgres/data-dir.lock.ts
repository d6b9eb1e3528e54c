import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { EmbeddedPostgresError } from "../errors.js";

export interface DirLock {
  release(): Promise<void>;
}

/**
 * An exclusive lock on a data directory, held as a file that names the holding process. A lock left by
 * a process that no longer runs is taken over; a live holder gets the caller a clear refusal.
 */
export async function acquireDirLock(lockPath: string, dataDir: string): Promise<DirLock> {
  await mkdir(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await unlink(lockPath).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number((await readFile(lockPath, "utf8").catch(() => "")).trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new EmbeddedPostgresError(
          `the embedded PostgreSQL data directory ${dataDir} is in use by another eventlog-sync process (pid ${holder}); ` +
            `wait for it to finish, or set DATABASE_URL to use another PostgreSQL (if no such process runs, delete ${lockPath})`,
          dataDir,
        );
      }
      await unlink(lockPath).catch(() => undefined);
    }
  }
  throw new EmbeddedPostgresError(`could not lock ${dataDir}: ${lockPath} keeps reappearing`, dataDir);
}

/** True when a process with this pid exists (it may belong to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * `eventlog-sync reset` and `eventlog-sync config check`: the operator's maintenance commands (options and help:
 * cli.program.ts).
 */
import { InvalidArgumentError } from "commander";
import { loadConfig } from "../config/config.loader.js";
import { tryLockStream } from "../warehouse/stream.lock.js";
import { parseTimestamp } from "../time/time.timestamp.js";
import { findStreams, getStream, resetStream } from "../warehouse/streams.repository.js";
import { commandWarehouse } from "./warehouse.settings.js";
import type { CommandContext } from "./command.context.js";
import { withWarehouse } from "./warehouse.session.js";

function time(value: string): Date {
  const at = /[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? parseTimestamp(value) : undefined;
  if (!at)
    throw new InvalidArgumentError(
      `Expected \`--to\` to be an ISO 8601 time with a zone (2026-01-01T00:00:00Z), got \`${value}\``,
    );
  return at;
}

/**
 * Whether `reset` may move a cursor to `to` (null: back to the configured start time). A cursor moved
 * forward skips every event in between, silently and for good, so that takes `--force`; a cursor in the
 * future stops the stream until that time comes, so it is refused even with `--force`. A stream without a
 * cursor starts at its configured start time, which reset does not know: setting one takes `--force`.
 * Returns why not, or undefined when the move is allowed.
 */
export function resetRefusal(current: Date | null, to: Date | null, now: Date, force: boolean): string | undefined {
  if (to === null) return undefined;
  if (to.getTime() > now.getTime())
    return `--to ${to.toISOString()} is in the future: the stream would read nothing until then`;
  if (force) return undefined;
  if (current === null)
    return `the stream has no cursor yet (its next sync starts at the configured start time); setting one to ${to.toISOString()} may skip events: add --force if that is meant`;
  if (to.getTime() > current.getTime()) {
    return `--to ${to.toISOString()} is after the cursor ${current.toISOString()}: moving forward skips every event in between; add --force if that is meant`;
  }
  return undefined;
}

export async function runReset(
  stream: string,
  options: { to?: string; force?: boolean; config?: string },
  context: CommandContext,
): Promise<void> {
  const to = options.to === undefined ? null : time(options.to);
  const future = resetRefusal(null, to, new Date(), true);
  if (future) throw new Error(`cursor not moved: ${future}`);
  await withWarehouse(commandWarehouse(context, options.config), async ({ warehouse }) => {
    const parts = stream.split("/");
    const found = await findStreams(
      warehouse.db,
      parts.length === 3 ? { source: parts[0], account: parts[1], streamKey: parts[2] } : { streamKey: stream },
    );
    if (found.length === 0) throw new Error(`no stream ${stream}: \`eventlog-sync status\` lists the streams`);
    if (found.length > 1) {
      throw new Error(
        `${stream} names ${found.length} streams (${found.map((s) => `${s.source}/${s.account}/${s.stream_key}`).join(", ")}): write source/account/stream`,
      );
    }
    const target = found[0] as (typeof found)[number];
    const name = `${target.source}/${target.account}/${target.stream_key}`;
    const early = resetRefusal(target.cursor, to, new Date(), options.force === true);
    if (early) throw new Error(`${name}: cursor not moved: ${early}`);
    const attempt = await tryLockStream(warehouse.pool, target.stream_id);
    if (!("lock" in attempt))
      throw new Error(
        `${target.source}/${target.account}/${target.stream_key} is being synced right now; try again when that run ends`,
      );
    let from: Date | null;
    try {
      // Read again under the lock: a run that ended meanwhile may have moved the cursor.
      const current = (await getStream(warehouse.db, target.stream_id))?.cursor ?? null;
      const refusal = resetRefusal(current, to, new Date(), options.force === true);
      if (refusal) throw new Error(`${name}: cursor not moved: ${refusal}`);
      from = current;
      await resetStream(warehouse.db, target.stream_id, to);
    } finally {
      await attempt.lock.release();
    }
    console.log(
      `${target.source}/${target.account}/${target.stream_key}: cursor moved from ${from?.toISOString() ?? "(start)"} to ${to?.toISOString() ?? "(the configured start time)"}; the next sync re-reads from there`,
    );
  });
}

/** `config check` of the file at `file`: throws the ConfigError listing every problem. */
export function runConfigCheck(file: string): void {
  const config = loadConfig(file);
  console.log(`${file}: valid`);
  for (const a of config.sources.altcraft?.accounts ?? []) {
    console.log(`  altcraft/${a.name}: ${a.url} (${a.format}, token in ${a.tokenIn}), campaigns discovered each run`);
  }
  for (const a of config.sources.yandex_direct?.accounts ?? []) {
    const streams =
      a.logins === "all"
        ? "every client of the agency, discovered each run"
        : a.logins?.length
          ? a.logins.join(", ")
          : "(the token owner)";
    console.log(`  yandex_direct/${a.name}: ${a.endpoint}, ${a.currency}, streams: ${streams}`);
  }
  console.log(
    `  daemon: "${config.daemon.schedule}" (${config.daemon.timezone}), metrics on ${config.daemon.host}:${config.daemon.port}`,
  );
}

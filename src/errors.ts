/**
 * The error classes of eventlog-sync. Each carries the context an operator needs in readonly fields and
 * in its message; causes are kept with `{ cause }`. Whether an error is worth retrying is decided in one
 * place (`http/retry-policy.ts`), never where it is thrown.
 */

/** Turns anything thrown into an Error, so callers can rely on `.message` and `.stack`. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown));
}

/** A configuration problem: every wrong field is listed in `problems` (path: what is wrong). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

/** The embedded Postgres could not be started, or its data directory is held by another process. */
export class EmbeddedPostgresError extends Error {
  override readonly name = "EmbeddedPostgresError";
  constructor(
    message: string,
    readonly dataDir: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Input handed to the loader that does not fit the warehouse (wrong type, missing field). */
export class LoaderInputError extends Error {
  override readonly name = "LoaderInputError";
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * The process's heap kept near what the sync holds. By default V8 lets the old generation grow to several
 * times what was alive after its last full collection before it collects it again, and a sync promotes most
 * rows there (they wait for their batch to be stored), so the peak RSS of a run followed how many events it
 * read, not what it holds. A growth of at most 50 % past the live heap keeps the peak near what is held, for a
 * few more full collections (cheap: the sync holds tens of MiB). `bench:yandex --memory-only` measures both.
 *
 * An operator's own `--heap-growing-percent` (node's arguments or NODE_OPTIONS) is left as it is.
 */
import { setFlagsFromString } from "node:v8";

/** How far past the live heap the old generation grows before a full collection, percent. */
export const HEAP_GROWING_PERCENT = 50;

/** Sets V8's heap growth for this process, unless node was given one. */
export function boundHeapGrowth(
  given: { execArgv: readonly string[]; nodeOptions: string | undefined } = {
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS,
  },
): boolean {
  const own = [...given.execArgv, given.nodeOptions ?? ""].some((arg) => /heap[-_]growing[-_]percent/.test(arg));
  if (own) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}

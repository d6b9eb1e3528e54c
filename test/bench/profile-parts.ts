/**
 * The parts of a Yandex.Direct sync a CPU profile's time is told into, so a per-event cost can be set against
 * the part that pays it: each sample goes to the part of the nearest frame on its stack that names one (a
 * native frame such as a socket write or a UTF-8 decode goes to the part that called it), the garbage
 * collector to its own, the rest to `other`.
 */

/** A part of the sync, and the source files (paths relative to the repository) whose frames belong to it. */
interface Part {
  name: string;
  /** What the part does, for the bench's table. */
  does: string;
  files: RegExp;
}

/** Checked in order: the first whose files match a frame's path takes it. */
export const SYNC_PARTS: readonly Part[] = [
  {
    name: "loader",
    does: "COPY text encoded and written, the batch's statements (what the loader alone does too)",
    files: /^(src\/warehouse\/|pg\/|pg-copy-streams\/|pg-protocol\/|pg-pool\/|kysely\/)/,
  },
  {
    name: "requests",
    does: "requests sent and answers received, decoded and parsed (JSON.parse)",
    files: /^(src\/http\/|undici\/|src\/sources\/yandex-direct\/yandex-direct\.client\.ts|p-queue\/|p-retry\/)/,
  },
  {
    name: "identity",
    does: "canonical JSON, its hash and the event key",
    files: /^src\/sync\/(canonical-json\.writer|text-bytes\.buffer|event\.identity)\.ts/,
  },
  {
    name: "mapping",
    does: "records mapped into rows, timestamps read",
    files: /^(src\/sources\/yandex-direct\/events\.mapper\.ts|src\/time\/)/,
  },
  {
    name: "evidence",
    does: "windows, pages, hand-over, occurrences: the reads' evidence and bookkeeping",
    files: /^src\/(sources\/|sync\/)/,
  },
];

/** The part of a frame's `file:line` (as sync-profile.ts writes it), or undefined when no part names it. */
export function partOf(where: string): string | undefined {
  if (!where) return undefined;
  for (const part of SYNC_PARTS) if (part.files.test(where)) return part.name;
  return undefined;
}

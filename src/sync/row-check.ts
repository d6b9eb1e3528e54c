/**
 * Compile-time checks that what a mapper gives is what its table's row takes:
 * `Assert<SameColumns<Mapped, RowColumns>>` compiles only when both have the same keys and every mapped
 * value fits its column.
 */
export type SameColumns<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? [A] extends [B]
    ? true
    : false
  : false;

export type Assert<T extends true> = T;

/** Items of `a` not matched one for one by items of `b` (multiset difference), the first `max` of them. */
export function multisetDifference(a: readonly string[], b: readonly string[], max = 5): string[] {
  const counts = new Map<string, number>();
  for (const x of b) counts.set(x, (counts.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = counts.get(x) ?? 0;
    if (n > 0) counts.set(x, n - 1);
    else if (out.push(x) >= max) break;
  }
  return out;
}

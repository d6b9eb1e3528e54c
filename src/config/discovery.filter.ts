/**
 * Which discovered Yandex.Direct logins an account syncs: `discovery.include` and `discovery.exclude` hold
 * logins or globs (`*` any run of characters, `?` one character), compared case-insensitively as Yandex
 * compares logins. A login is taken when it matches an include pattern (or there are none) and no exclude
 * pattern.
 */

/** A login or a glob as a whole-string, case-insensitive regular expression. */
function patternRegExp(pattern: string): RegExp {
  const body = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "i");
}

/** Whether `login` is one the account syncs. */
export type LoginFilter = (login: string) => boolean;

export function loginFilter(patterns: {
  include?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
}): LoginFilter {
  const include = (patterns.include ?? []).map(patternRegExp);
  const exclude = (patterns.exclude ?? []).map(patternRegExp);
  return (login) => (include.length === 0 || include.some((r) => r.test(login))) && !exclude.some((r) => r.test(login));
}

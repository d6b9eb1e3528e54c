/**
 * An Altcraft campaign list item read from XML, in the shape of its JSON twin. XML carries no types and cannot
 * tell a list of one from a single value or an empty list from an absent one, so the documented fields are
 * given their JSON types: `id` and each group's `id` are numbers, the flags are booleans, `ui_tags` and
 * `groups` are always lists. Fields the documentation does not type stay as sent. Stored rows (`ui_tags`,
 * `groups`, `raw`) are then the same whichever format the account reads, and a query need not know it.
 */

const FLAGS = ["is_active", "is_completed", "for_confirm"] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `"12"` → 12; anything else as it came. */
function number(value: unknown): unknown {
  return typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
}

/** `"true"` / `"false"` → a boolean; anything else as it came. */
function flag(value: unknown): unknown {
  return value === "true" ? true : value === "false" ? false : value;
}

/** A repeated XML element as a list: absent or empty is `[]`, one element is a list of one. */
function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null || value === "" ? [] : [value];
}

/** One `campaigns/list` item read from XML, typed as the same item read from JSON. */
export function campaignFromXml(item: unknown): unknown {
  if (!isRecord(item)) return item;
  const typed: Record<string, unknown> = { ...item, id: number(item.id) };
  for (const name of FLAGS) if (name in item) typed[name] = flag(item[name]);
  typed.ui_tags = list(item.ui_tags);
  typed.groups = list(item.groups).map((group) => (isRecord(group) ? { ...group, id: number(group.id) } : group));
  return typed;
}

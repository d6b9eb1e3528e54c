/**
 * The Altcraft Platform API v1.1 contract for campaigns: the envelope `{data, error, error_text,
 * total_count, next_from_id}` in JSON or XML, campaign list items and statuses. Log rows are checked one
 * by one by the mapper so one bad row goes to the rejects instead of failing the page.
 */
import { createRequire } from "node:module";
import type * as Fxp from "fast-xml-parser";
import { z } from "zod";

export type Format = "json" | "xml";

const count = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);

export const envelopeSchema = z.looseObject({
  data: z.unknown().optional(),
  error: count.optional(),
  error_text: z.string().optional(),
  total_count: count.optional(),
  next_from_id: count.optional(),
});
export type Envelope = z.infer<typeof envelopeSchema>;

const flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);

export const campaignSchema = z.looseObject({
  id: count,
  name: z.string().optional(),
  type: z.string().optional(),
  is_active: flag.optional(),
  ui_tags: z.unknown().optional(),
  groups: z.unknown().optional(),
});
export type CampaignItem = z.infer<typeof campaignSchema>;

export const statusSchema = z.looseObject({
  is_active: flag.optional(),
  is_completed: flag.optional(),
  status: z.string().optional(),
});
export type CampaignStatus = z.infer<typeof statusSchema>;

/** The XML reader, loaded on first use: only accounts with `format: xml` pay for loading it. */
let xml: { parser: Fxp.XMLParser; validator: typeof Fxp.XMLValidator } | undefined;
function xmlReader(): NonNullable<typeof xml> {
  if (!xml) {
    const fxp = createRequire(import.meta.url)("fast-xml-parser") as typeof Fxp;
    const parser = new fxp.XMLParser({
      ignoreAttributes: true,
      ignoreDeclaration: true,
      parseTagValue: false,
      trimValues: true,
      isArray: (name, path) => path === "xml.data" && name === "data",
    });
    xml = { parser, validator: fxp.XMLValidator };
  }
  return xml;
}

/** `"INFO"` → `INFO`: the documented XML examples quote string values. */
function unquote(value: unknown): unknown {
  if (typeof value === "string")
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  if (Array.isArray(value)) return value.map(unquote);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unquote(v)]));
  return value;
}

/**
 * Reads an XML response into the JSON envelope's shape: `<data>` elements become the `data` array; an item
 * with no children is an empty string, as the XML carries no types.
 */
export function parseXmlEnvelope(text: string): unknown {
  const { parser, validator } = xmlReader();
  if (validator.validate(text) !== true) throw new SyntaxError("not well-formed XML");
  const doc = parser.parse(text) as { xml?: unknown };
  if (!doc.xml || typeof doc.xml !== "object") throw new SyntaxError("no <xml> root element");
  const root = unquote(doc.xml) as Record<string, unknown>;
  return { ...root, data: root.data ?? [] };
}

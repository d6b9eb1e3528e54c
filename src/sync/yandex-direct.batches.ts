/**
 * What a Yandex.Direct job makes of each window the reader hands it (docs/architecture.md, Glossary: row, event
 * key, batch, snapshot): every snapshot's rows and rejects, and the window as one batch. Pure: the job wires them.
 */
import { DESCRIPTION_FIELDS, mapEventRow, type YandexDirectEventRow } from "../sources/yandex-direct/events.mapper.js";
import type { EventsWindow, Snapshot } from "../sources/yandex-direct/events.stream.js";
import type { Redactor } from "../http/secrets.redactor.js";
import type { YandexDirectEventRowInput } from "../warehouse/copy.columns.js";
import type { RejectedRecord } from "../warehouse/batch.loader.js";
import { eventKeyOfText, OccurrenceCounter, writeCanonical } from "./event.identity.js";
import { type Assert, rejectedRecord, type SameColumns } from "./row.rejection.js";
import type { StreamBatch } from "./run-stream.engine.js";

/** Compile-time check: the mapper's row is exactly the table's row, each column of a type the row takes. */
export type MapperCoversYandexDirectRow = Assert<SameColumns<YandexDirectEventRow, YandexDirectEventRowInput>>;

/**
 * How a stream's records are written (RecordTexts): `identity` is the record's canonical JSON without its
 * locale-dependent descriptions, with the stream's key prefix, as its event key hashes it; `json` is its canonical
 * JSON text with every key.
 */
export function recordTexts(keyPrefix: string): (item: unknown, into: { identity: string; json: string }) => void {
  return (item, into) => writeCanonical(item, DESCRIPTION_FIELDS, into, keyPrefix);
}

/** A snapshot of `items` (their times given, NaN: unread) with their texts written as the reader writes them. */
export function snapshotOf(items: unknown[], times: number[], keyPrefix: string): Snapshot {
  const write = recordTexts(keyPrefix);
  const into = { identity: "", json: "" };
  const texts: string[] = [];
  const raws: string[] = [];
  for (const item of items) {
    write(item, into);
    texts.push(into.identity);
    raws.push(into.json);
  }
  return { items, times, texts, raws };
}

/**
 * One snapshot's rows and rejects. Occurrences are numbered over every item of the snapshot (rejects
 * included) on its identity text (recordTexts, written as the response arrived); the event key is computed from
 * that text. Each item is mapped straight into its row, whose identity columns are filled here; `raw` is the
 * record's canonical JSON text with every key.
 */
export function windowRows(
  window: Snapshot,
  stream: { account: string; login: string; zone: string; currency: string; redact: Redactor },
): { events: YandexDirectEventRowInput[]; rejects: RejectedRecord[] } {
  const events: YandexDirectEventRowInput[] = [];
  const rejects: RejectedRecord[] = [];
  const occurrences = new OccurrenceCounter();
  const { items, times, texts, raws } = window;
  for (let i = 0; i < items.length; i++) {
    const record = items[i];
    const identity = texts[i] as string;
    const occurrence = occurrences.next(identity);
    const row = mapEventRow(record, stream.zone, stream.currency, times[i], stream);
    if (typeof row === "string") {
      rejects.push(rejectedRecord(row, record, stream.redact));
      continue;
    }
    row.event_key = eventKeyOfText(identity, occurrence);
    row.occurrence = occurrence;
    row.raw = raws[i] as string;
    events.push(row);
  }
  return { events, rejects };
}

/** How a stream's rows are made: its event keys' prefix, account, stored login, zone and currency. */
type RowSettings = Parameters<typeof windowRows>[1];

/**
 * One window as a batch: the rows and rejects of all its snapshots, the cursor and state that hold once it is
 * stored (with the currency its events were read in), its gaps and the source time it covers.
 */
export function windowBatch(window: EventsWindow, stream: RowSettings): StreamBatch<YandexDirectEventRowInput> {
  const events: YandexDirectEventRowInput[] = [];
  const rejects: RejectedRecord[] = [];
  for (const snapshot of window.snapshots) {
    const rows = windowRows(snapshot, stream);
    for (const row of rows.events) events.push(row);
    for (const reject of rows.rejects) rejects.push(reject);
  }
  return {
    events,
    rejects,
    cursor: window.cursor,
    state: { ...window.state, currency: stream.currency },
    fetched: window.fetched,
    gaps: window.gaps,
    covered: { from: window.from, to: window.to },
  };
}

/**
 * What a Yandex.Direct job makes of each window the reader hands it (docs/architecture.md, Glossary: row, event
 * key, batch, snapshot): every snapshot's rows and rejects, and the window as one batch. Pure: the job wires them.
 */
import { DESCRIPTION_FIELDS, mapEventRow, type YandexDirectEventRow } from "../sources/yandex-direct/events.mapper.js";
import type { EarlyWindowRecords, EventsWindow, Snapshot } from "../sources/yandex-direct/events.stream.js";
import type { RecordRead, RecordReading } from "../sources/yandex-direct/events.evidence.js";
import type { Redactor } from "../http/secrets.redactor.js";
import type { YandexDirectEventRowInput } from "../warehouse/copy.columns.js";
import type { RejectedRecord } from "../warehouse/batch.loader.js";
import { type EventKeyText, keyRecord, OccurrenceCounter } from "./event.identity.js";
import { type Assert, rejectedRecord, type SameColumns } from "./row.rejection.js";
import type { StreamBatch } from "./run-stream.engine.js";

/** Compile-time check: the mapper's row is exactly the table's row, each column of a type the row takes. */
export type MapperCoversYandexDirectRow = Assert<SameColumns<YandexDirectEventRow, YandexDirectEventRowInput>>;

/** How a stream's rows are made: its event keys' prefix, account, stored login, zone and currency, and its redactor. */
export interface RowSettings {
  keyPrefix: string;
  account: string;
  login: string;
  zone: string;
  currency: string;
  redact: Redactor;
}

/** A record that cannot be stored: why, and the record as sent (for sync.rejects). */
export class RejectedItem {
  readonly reason: string;
  readonly item: unknown;

  constructor(reason: string, item: unknown) {
    this.reason = reason;
    this.item = item;
  }
}

/** A Yandex.Direct record as the reader keeps it, mapped: its row, keyed for occurrence 0, or why it is rejected. */
export type MappedRecord = YandexDirectEventRowInput | RejectedItem;

/**
 * What a stream keeps of each record as its response arrives (RecordReading): the record is mapped straight into
 * its row and not kept. Its text is its event key for occurrence 0 — the hash of its identity text (its canonical
 * JSON without the locale-dependent descriptions, with the stream's key prefix) — so two records are the same event
 * exactly when their texts are equal, and the identity text itself is not kept; `raw` is its canonical JSON text
 * with every key.
 */
export function recordReading(stream: RowSettings): RecordReading<MappedRecord> {
  const keyed: EventKeyText = { json: "", key: "" };
  return (item, at, into) => {
    keyRecord(item, DESCRIPTION_FIELDS, stream.keyPrefix, 0, keyed);
    into.text = keyed.key;
    const row = mapEventRow(item, stream.zone, stream.currency, at, stream);
    if (typeof row === "string") {
      into.kept = new RejectedItem(row, item);
      return;
    }
    row.event_key = keyed.key;
    row.raw = keyed.json;
    into.kept = row;
  };
}

/** A snapshot of `items` (their times given, NaN: unread) kept as the reader keeps them (recordReading). */
export function snapshotOf(
  items: readonly unknown[],
  times: readonly number[],
  stream: RowSettings,
): Snapshot<MappedRecord> {
  const read = recordReading(stream);
  const into: RecordRead<MappedRecord> = { text: "", kept: new RejectedItem("", null) };
  const snapshot: Snapshot<MappedRecord> = { items: [], times: [...times], texts: [] };
  for (let i = 0; i < items.length; i++) {
    read(items[i], times[i] as number, into);
    snapshot.items.push(into.kept);
    snapshot.texts.push(into.text);
  }
  return snapshot;
}

/** The event key of a record whose identical records came before it: written again from `raw`. */
function laterOccurrenceKey(raw: string, occurrence: number, keyPrefix: string): string {
  const keyed: EventKeyText = { json: "", key: "" };
  keyRecord(JSON.parse(raw), DESCRIPTION_FIELDS, keyPrefix, occurrence, keyed);
  return keyed.key;
}

/**
 * One snapshot's rows and rejects. Occurrences are numbered over every record of the snapshot (rejects included)
 * on its text, its key for occurrence 0 (recordReading): a record with identical ones before it is keyed for its
 * occurrence. A placeholder (a record handed on early, stored already) is numbered and left out.
 */
export function windowRows(
  window: Snapshot<MappedRecord | undefined>,
  stream: RowSettings,
): { events: YandexDirectEventRowInput[]; rejects: RejectedRecord[] } {
  const events: YandexDirectEventRowInput[] = [];
  const rejects: RejectedRecord[] = [];
  const occurrences = new OccurrenceCounter();
  const { items, texts } = window;
  for (let i = 0; i < items.length; i++) {
    const kept = items[i];
    const key = texts[i] as string;
    const occurrence = occurrences.next(key);
    if (kept === undefined) continue;
    if (kept instanceof RejectedItem) {
      rejects.push(rejectedRecord(kept.reason, kept.item, stream.redact));
      continue;
    }
    kept.event_key = occurrence === 0 ? key : laterOccurrenceKey(kept.raw, occurrence, stream.keyPrefix);
    kept.occurrence = occurrence;
    events.push(kept);
  }
  return { events, rejects };
}

/**
 * What the reader hands on as a batch. A window: the rows and rejects of all its snapshots, the cursor and state
 * that hold once it is stored (with the currency its events were read in), its gaps and the source time it covers.
 * Early records: their rows and rejects alone, the cursor and the state left where they are.
 */
export function windowBatch(
  window: EventsWindow<MappedRecord> | EarlyWindowRecords<MappedRecord>,
  stream: RowSettings,
): StreamBatch<YandexDirectEventRowInput> {
  if (window.kind === "early") {
    const early = windowRows(window.snapshot, stream);
    return { ...early, fetched: early.events.length + early.rejects.length };
  }
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
    fetched: events.length + rejects.length,
    gaps: window.gaps,
    covered: { from: window.from, to: window.to },
  };
}

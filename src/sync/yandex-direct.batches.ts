/**
 * What a Yandex.Direct job makes of each window the reader hands it (docs/architecture.md, Glossary: row, event
 * key, batch, snapshot): every snapshot's rows and rejects, and the window as one batch. Pure: the job wires them.
 */
import { DESCRIPTION_FIELDS, mapEvent, type YandexDirectEvent } from "../sources/yandex-direct/events.mapper.js";
import type { EventsWindow, Snapshot } from "../sources/yandex-direct/events.stream.js";
import type { Redactor } from "../http/secrets.redactor.js";
import type { YandexDirectEventRowInput } from "../warehouse/copy.columns.js";
import type { RejectedRecord } from "../warehouse/batch.loader.js";
import { type CanonicalText, eventKey, OccurrenceCounter, writeCanonical } from "./event.identity.js";
import { type Assert, rejectedRecord, type SameColumns } from "./row.rejection.js";
import type { StreamBatch } from "./run-stream.engine.js";

/** Columns of a row that come from the stream and the event's identity, not from the mapper. */
type IdentityColumns = "event_key" | "account" | "login" | "occurrence" | "raw";

/** Compile-time check: the mapper gives exactly the table's other columns, each of a type the row takes. */
export type MapperCoversYandexDirectRow = Assert<
  SameColumns<YandexDirectEvent, Omit<YandexDirectEventRowInput, IdentityColumns>>
>;

/**
 * The one place a Yandex.Direct event row is made: every column named, one fixed shape for all rows.
 * `raw` is the record's canonical JSON text with every key.
 */
function eventRow(
  e: YandexDirectEvent,
  key: string,
  account: string,
  login: string,
  occurrence: number,
  raw: string,
): YandexDirectEventRowInput {
  return {
    event_key: key,
    account,
    login,
    event_time: e.event_time,
    event_type: e.event_type,
    event_name: e.event_name,
    campaign_id: e.campaign_id,
    banner_id: e.banner_id,
    phrase_id: e.phrase_id,
    account_id: e.account_id,
    text_description: e.text_description,
    moderation_result: e.moderation_result,
    is_edited_by_moderator: e.is_edited_by_moderator,
    min_price: e.min_price,
    rest: e.rest,
    payed: e.payed,
    currency: e.currency,
    finish_date: e.finish_date,
    old_place: e.old_place,
    stop_time: e.stop_time,
    occurrence,
    raw,
  };
}

/**
 * One snapshot's rows and rejects. Occurrences are numbered over every item of the snapshot (rejects
 * included) on the item without its locale-dependent descriptions; the event key is computed from that text.
 */
export function windowRows(
  window: Snapshot,
  stream: { keyPrefix: string; account: string; login: string; zone: string; currency: string; redact: Redactor },
): { events: YandexDirectEventRowInput[]; rejects: RejectedRecord[] } {
  const events: YandexDirectEventRowInput[] = [];
  const rejects: RejectedRecord[] = [];
  const occurrences = new OccurrenceCounter();
  const text: CanonicalText = { identity: "", json: "" };
  const { items, times } = window;
  for (let i = 0; i < items.length; i++) {
    const record = items[i];
    writeCanonical(record, DESCRIPTION_FIELDS, text);
    const occurrence = occurrences.next(text.identity);
    const mapped = mapEvent(record, stream.zone, stream.currency, times[i]);
    if (!mapped.ok) {
      rejects.push(rejectedRecord(mapped.reason, record, stream.redact));
      continue;
    }
    events.push(
      eventRow(
        mapped.event,
        eventKey(stream.keyPrefix, text.identity, occurrence),
        stream.account,
        stream.login,
        occurrence,
        text.json,
      ),
    );
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

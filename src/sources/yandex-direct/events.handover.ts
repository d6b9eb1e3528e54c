/**
 * A Yandex.Direct window's records handed on while the window is still read (docs/architecture.md, Glossary:
 * early records), so a stream holds about a page of records, not a whole window, and they are stored early —
 * the cursor and the state move only with the window's end.
 *
 * Which records may go early: those of a page, inside the window, whose text no earlier page of the read held,
 * numbered within their page. A response is one consistent snapshot, so that numbering never exceeds the
 * events the server holds (nothing is ever stored twice). Where the read later finds a second unsettled (a
 * record seen again), the second is read again alone and its early records are left out of that read
 * (`leaveOut`), numbered still: each event is handed on once. Where no later page holds a record again, the
 * window's snapshot numbers each record exactly as its page did, so the early records are the snapshot's
 * own. A record whose time cannot be read waits for the window's end.
 *
 * A page's early records are handed on once the next page of the read brings records too: those of the last
 * page go with the window's end, so a window of one page (most windows of an incremental run) is stored in one
 * transaction, as before early records.
 */
import type { ResponsePage } from "./events.evidence.js";
import type { Snapshot } from "./events.window.js";

/** The choice of a window's early records: what its pages held, and what went early. */
export class EarlyRecords<T> {
  /** The last page's early records, handed on once another page follows, else with the window's end. */
  private held: Snapshot<T> | undefined;
  /** Texts of the read's pages so far. */
  private readonly seen = new Set<string>();

  private readonly from: number;
  private readonly to: number;

  /** The window `[from, to)`, ms. */
  constructor(from: number, to: number) {
    this.from = from;
    this.to = to;
  }

  /** The read's next page: the page before's early records go to `queue`, this one's are held. */
  async page(page: ResponsePage<T | undefined>, queue: EarlyRecordsQueue<T>): Promise<void> {
    if (this.held) await queue.put(this.held);
    this.held = this.take(page);
  }

  /** The early records held back (the last page's), as snapshots of the window's end; none are held after. */
  heldBack(): Snapshot<T>[] {
    const held = this.held;
    this.held = undefined;
    return held && held.items.length > 0 ? [held] : [];
  }

  /**
   * The records of the read's next page that may go early, as one snapshot; in the page, each is left as a
   * placeholder (undefined), numbered still.
   */
  private take(page: ResponsePage<T | undefined>): Snapshot<T> {
    const early: Snapshot<T> = { items: [], times: [], texts: [] };
    const { items, texts, times } = page;
    for (let i = 0; i < items.length; i++) {
      const text = texts[i] as string;
      const at = times[i] as number;
      if (Number.isNaN(at) || at < this.from || at >= this.to || this.seen.has(text)) continue;
      early.items.push(items[i] as T);
      early.times.push(at);
      early.texts.push(text);
      items[i] = undefined;
    }
    for (const text of texts) this.seen.add(text);
    return early;
  }

  /**
   * A snapshot read after the read's `pages` (a second read again alone): the occurrences handed on early — the
   * placeholders of `pages` — left as placeholders in it, numbered still.
   */
  leaveOut(snapshot: Snapshot<T | undefined>, pages: readonly ResponsePage<T | undefined>[]): void {
    const handed = new Map<string, number>();
    const texts = new Set(snapshot.texts);
    for (const page of pages)
      for (let i = 0; i < page.items.length; i++) {
        const text = page.texts[i] as string;
        if (page.items[i] === undefined && texts.has(text)) handed.set(text, (handed.get(text) ?? 0) + 1);
      }
    if (handed.size === 0) return;
    const left = new Map<string, number>();
    for (let i = 0; i < snapshot.items.length; i++) {
      const text = snapshot.texts[i] as string;
      const n = left.get(text) ?? 0;
      if (n >= (handed.get(text) ?? 0)) continue;
      left.set(text, n + 1);
      snapshot.items[i] = undefined;
    }
  }
}

/**
 * The early records of one window on their way to the stream's reader: the window's read puts them, the stream
 * takes them (every snapshot queued, as one). Once the window's turn has come (`paced`), the read waits after each
 * put until the stream has taken what was put and asks for more: a stream then holds the records being stored and
 * those read ahead, as the engine reads batches. A window read ahead puts without waiting, and what it put is
 * taken (`takeReady`) whenever the window whose turn it is has nothing ready (events.pipeline.ts, `earlyRecords`).
 */
export class EarlyRecordsQueue<T> {
  private queued: Snapshot<T>[] = [];
  private ended = false;
  /** The stream waits in `take` for records. */
  private asking = false;
  private wakeTaker: (() => void) | undefined;
  private wakeReader: (() => void) | undefined;
  /** The window's turn has come: its read waits for the stream to ask. */
  paced = false;

  /** Queues a snapshot; once paced, resolves when the stream took it and asks for more (or the queue is closed). */
  async put(snapshot: Snapshot<T>): Promise<void> {
    if (snapshot.items.length > 0) {
      this.queued.push(snapshot);
      this.wake();
    }
    while (this.paced && !this.ended && !(this.asking && this.queued.length === 0))
      await new Promise<void>((r) => (this.wakeReader = r));
  }

  /** Makes room for good: no more records to come, or the stream stopped taking them. */
  close(): void {
    this.ended = true;
    this.wake();
  }

  /** Every snapshot queued, as one; undefined once the queue is closed and empty. */
  async take(): Promise<Snapshot<T> | undefined> {
    this.ask();
    while (this.queued.length === 0 && !this.ended) await new Promise<void>((r) => (this.wakeTaker = r));
    return this.takeQueued();
  }

  /**
   * Without waiting: every snapshot queued, as one; else `"asked"` (the stream asks for more, so a paced read
   * goes on) while records may still come, or undefined once the queue is closed and empty.
   */
  poll(): Snapshot<T> | "asked" | undefined {
    if (this.queued.length > 0 || this.ended) return this.takeQueued();
    this.ask();
    return "asked";
  }

  /** Without waiting or asking: every snapshot queued, as one, if any (a window read ahead, not yet its turn). */
  takeReady(): Snapshot<T> | undefined {
    return this.queued.length > 0 ? this.takeQueued() : undefined;
  }

  private ask(): void {
    this.asking = true;
    this.wake();
  }

  private takeQueued(): Snapshot<T> | undefined {
    this.asking = false;
    const queued = this.queued;
    if (queued.length === 0) return undefined;
    this.queued = [];
    return queued.length === 1 ? queued[0] : joined(queued);
  }

  private wake(): void {
    const taker = this.wakeTaker;
    const reader = this.wakeReader;
    this.wakeTaker = this.wakeReader = undefined;
    taker?.();
    reader?.();
  }
}

/** Snapshots of early records as one: their texts never repeat across pages, so the numbering is unchanged. */
function joined<T>(snapshots: readonly Snapshot<T>[]): Snapshot<T> {
  const one: Snapshot<T> = { items: [], times: [], texts: [] };
  for (const s of snapshots) {
    for (const item of s.items) one.items.push(item);
    for (const time of s.times) one.times.push(time);
    for (const text of s.texts) one.texts.push(text);
  }
  return one;
}

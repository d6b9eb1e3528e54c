/**
 * Compact storage of one campaign's log: parallel typed arrays (18 bytes a row) kept sorted by time, ties in
 * insertion order. Strings (messages, values) are interned once per simulator; JSON is built only when a
 * response or the ground truth needs it.
 */

export const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"] as const;
export type LogLevel = (typeof LEVELS)[number];
export const STATES = ["", "start", "end"] as const;
export type LogState = (typeof STATES)[number];

/** One campaigns/log_v2 entry, as the API renders it (time in RFC 3339 UTC with milliseconds). */
export interface LogRow {
  level: LogLevel;
  message: string;
  time: string;
  state: LogState;
  value: string;
}

/** A row to store; `time` in ms since the epoch. */
export interface RowInput {
  time: number;
  level: LogLevel;
  message: string;
  state?: LogState;
  value?: string;
}

/** Interns strings so a million rows share a few thousand message and value strings. */
export class StringTable {
  private readonly ids = new Map<string, number>();
  private readonly strings: string[] = [];

  id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(text);
      this.ids.set(text, id);
    }
    return id;
  }

  text(id: number): string {
    return this.strings[id] ?? "";
  }
}

/** Renders ms since the epoch as `2024-04-02T17:57:01.504Z`, or without the `Z` when `naive`. */
export function formatTime(ms: number, naive = false): string {
  const iso = new Date(ms).toISOString();
  return naive ? iso.slice(0, -1) : iso;
}

export class CampaignLog {
  private times = new Float64Array(0);
  private levels = new Uint8Array(0);
  private states = new Uint8Array(0);
  private messages = new Uint32Array(0);
  private values = new Uint32Array(0);
  private size = 0;

  private readonly strings: StringTable;

  constructor(strings: StringTable) {
    this.strings = strings;
  }

  get length(): number {
    return this.size;
  }

  /** Time of the newest stored row, or -Infinity for an empty log. */
  lastTime(): number {
    return this.size === 0 ? Number.NEGATIVE_INFINITY : (this.times[this.size - 1] as number);
  }

  timeAt(index: number): number {
    return this.times[index] as number;
  }

  /** First index whose time is ≥ `time`. */
  lowerBound(time: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.times[mid] as number) < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose time is > `time`. */
  upperBound(time: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.times[mid] as number) <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Stores a row after every row with a time ≤ its time (appending is the fast path). */
  add(row: RowInput): void {
    this.addMany(row, 1);
  }

  /** Stores `count` identical copies of a row, contiguous, after every row with a time ≤ its time. */
  addMany(row: RowInput, count: number): void {
    if (count <= 0) return;
    this.reserve(this.size + count);
    const at = row.time >= this.lastTime() ? this.size : this.upperBound(row.time);
    if (at < this.size) {
      for (const column of this.columns()) column.copyWithin(at + count, at, this.size);
    }
    const end = at + count;
    this.times.fill(row.time, at, end);
    this.levels.fill(LEVELS.indexOf(row.level), at, end);
    this.states.fill(STATES.indexOf(row.state ?? ""), at, end);
    this.messages.fill(this.strings.id(row.message), at, end);
    this.values.fill(this.strings.id(row.value ?? ""), at, end);
    this.size += count;
  }

  /** Removes the rows with index in [from, to). */
  removeRange(from: number, to: number): void {
    if (to <= from) return;
    for (const column of this.columns()) column.copyWithin(from, to, this.size);
    this.size -= to - from;
  }

  /** Renders the row at `index` as the API does. */
  row(index: number, naive = false): LogRow {
    return {
      level: LEVELS[this.levels[index] as number] ?? "INFO",
      message: this.strings.text(this.messages[index] as number),
      time: formatTime(this.times[index] as number, naive),
      state: STATES[this.states[index] as number] ?? "",
      value: this.strings.text(this.values[index] as number),
    };
  }

  /** Bytes held by the typed arrays (capacity, not just length). */
  bytes(): number {
    return this.columns().reduce((sum, column) => sum + column.byteLength, 0);
  }

  private columns(): Array<Float64Array | Uint8Array | Uint32Array> {
    return [this.times, this.levels, this.states, this.messages, this.values];
  }

  private reserve(needed: number): void {
    const capacity = this.times.length;
    if (needed <= capacity) return;
    const next = Math.max(needed, capacity < 1024 ? 1024 : Math.ceil(capacity * 1.5));
    const grow = <T extends Float64Array | Uint8Array | Uint32Array>(old: T, make: (n: number) => T): T => {
      const fresh = make(next);
      fresh.set(old.subarray(0, this.size));
      return fresh;
    };
    this.times = grow(this.times, (n) => new Float64Array(n));
    this.levels = grow(this.levels, (n) => new Uint8Array(n));
    this.states = grow(this.states, (n) => new Uint8Array(n));
    this.messages = grow(this.messages, (n) => new Uint32Array(n));
    this.values = grow(this.values, (n) => new Uint32Array(n));
  }
}

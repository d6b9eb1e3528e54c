/**
 * The capacity of a server: the most records it has delivered in one response, as evidence that a
 * smaller response is the whole answer. Neither API documents a largest page, and either may clamp a
 * page size silently, so "fewer than I asked for" proves nothing; "fewer than the server has recently
 * delivered in one response" does.
 *
 * The rule for "this is all there is", shared by both sources (each reader adds its own follow-up):
 * - an empty response is all there is;
 * - a response smaller than the capacity is all there is, while the capacity is fresh: proven within
 *   `memoryMs`;
 * - anything else needs a follow-up request that proves nothing more is there (the reader's job).
 *
 * A capacity older than its memory is re-proven before it is relied on again, by repeating the request
 * that proved it: a log only grows, so a server that still can delivers at least as many records again.
 * When it delivers fewer, the server's cap was lowered: the capacity drops to what it delivered, and the
 * caller learns it (`lowered`), so that it can re-read what it settled on the old capacity.
 */

/** Records a server would not give (more at one instant than one response holds): the read stepped past them. */
export interface UnreadRecords {
  at: Date;
  /** End of the range the records lie in, when it is more than one instant. */
  until?: Date;
  /** How many; null when the server does not say. */
  unread: number | null;
  reason: string;
}

/** A remembered capacity, kept in the stream's paging state between runs. */
export interface Capacity<Probe> {
  /** Most records the server delivered in one response. */
  records: number;
  /** When that was last proven, ms since the epoch. */
  provedAt: number;
  /** A response of exactly this size was shown to be cut short: the server's cap is exactly this. */
  exact: boolean;
  /** The request that delivered them; repeated to re-prove the capacity. */
  probe: Probe;
}

export class CapacityMemory<Probe> {
  private current: Capacity<Probe> | undefined;
  /** Set when the capacity went down since the last `takeLowered()`. */
  private loweredSince = false;
  private readonly memoryMs: number;
  private readonly clock: () => number;

  constructor(initial: Capacity<Probe> | null | undefined, memoryMs: number, clock: () => number) {
    this.memoryMs = memoryMs;
    this.clock = clock;
    this.current = initial && Number.isInteger(initial.records) && initial.records > 0 ? { ...initial } : undefined;
  }

  /** The capacity as it stands, for the paging state. */
  snapshot(): Capacity<Probe> | null {
    return this.current ? { ...this.current } : null;
  }

  get records(): number | undefined {
    return this.current?.records;
  }

  /** The server's cap, when a response was shown to be cut short at it. */
  get cap(): number | undefined {
    return this.current?.exact ? this.current.records : undefined;
  }

  isFresh(): boolean {
    return this.current !== undefined && this.clock() - this.current.provedAt <= this.memoryMs;
  }

  /** The request to repeat before relying on the capacity for a response of `n` records, if one is needed. */
  probeFor(n: number): Probe | undefined {
    const c = this.current;
    if (!c || n === 0 || n >= c.records || this.isFresh()) return undefined;
    return c.probe;
  }

  /** Records the answer to the probe: false when the server now delivers fewer (its cap was lowered). */
  reproved(delivered: number): boolean {
    const c = this.current;
    if (!c) return true;
    if (delivered >= c.records) {
      c.provedAt = this.clock();
      return true;
    }
    this.lower(delivered, c.probe, false);
    return false;
  }

  /** True when a response of `n` records is all there is by this evidence alone. */
  settles(n: number): boolean {
    return n === 0 || (this.isFresh() && n < (this.current?.records ?? 0));
  }

  /** True when a response of `n` records is at the server's known cap, so it is presumably cut short. */
  atExactCap(n: number): boolean {
    return this.isFresh() && this.current?.exact === true && n >= this.current.records;
  }

  /**
   * The server delivered `n` records in one response to `probe`. Returns true when this proves a capacity
   * at least as large as the one remembered (what was settled on it holds, as far as anyone can tell).
   */
  delivered(n: number, probe: Probe): boolean {
    if (n <= 0) return false;
    const c = this.current;
    if (!c || n > c.records) {
      this.current = { records: n, provedAt: this.clock(), exact: false, probe };
      return true;
    }
    if (n === c.records) {
      c.provedAt = this.clock();
      return true;
    }
    // Smaller than a capacity past its memory (the caller did not re-prove it): only `n` is proven now.
    if (!this.isFresh()) this.current = { records: n, provedAt: this.clock(), exact: false, probe };
    return false;
  }

  /** A follow-up showed that a response of `n` records to `probe` was cut short: the cap is exactly `n`. */
  cutShortAt(n: number, probe: Probe): void {
    const c = this.current;
    if (c && n < c.records) {
      this.lower(n, probe, true);
      return;
    }
    this.current = { records: n, provedAt: this.clock(), exact: true, probe };
  }

  /** True once after the capacity went down: what was settled on the old capacity must be read again. */
  takeLowered(): boolean {
    const lowered = this.loweredSince;
    this.loweredSince = false;
    return lowered;
  }

  private lower(records: number, probe: Probe, exact: boolean): void {
    this.loweredSince = true;
    this.current = records > 0 ? { records, provedAt: this.clock(), exact, probe } : undefined;
  }
}

/** Audits of one account in one run (economy), shared by its streams. */
export interface AuditPolicy {
  /** Share of trusted reads audited besides the first of the run. */
  share: number;
  /** Reads that could have been trusted so far in this run. */
  seen: number;
  /** A contradiction was found: the account reads strictly for the rest of the run. */
  strict: boolean;
  /**
   * The largest response any stream of the account got in this run: a follow-up as large may have been cut
   * at the server's cap, so it proves nothing (a reason to doubt, never to settle).
   */
  largest: number;
}

export function createAuditPolicy(share: number): AuditPolicy {
  return { share, seen: 0, strict: false, largest: 0 };
}

/** Whether the next read that could be trusted is audited: the first of the run, then every 1/share-th. */
export function auditsNext(audit: AuditPolicy): boolean {
  const n = audit.seen++;
  if (n === 0) return true;
  if (audit.share <= 0) return false;
  return n % Math.max(1, Math.round(1 / audit.share)) === 0;
}

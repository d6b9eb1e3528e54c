/**
 * The capacity of a server: the most records it has delivered in one response, within `memoryMs`. It is a
 * shortcut, never a proof: in `economy` (the account's choice) a response smaller than a fresh capacity ends
 * a read without a follow-up, recorded as unverified and audited (`AuditPolicy`); in `strict`, Altcraft uses
 * it only as a reason to doubt a follow-up as large, never to settle one. Neither API documents a largest
 * page, and either may cut a response short at any size it chooses.
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
  /** When it last delivered that many, ms since the epoch. */
  provedAt: number;
  /** The request that delivered them. */
  probe: Probe;
}

export class CapacityMemory<Probe> {
  private current: Capacity<Probe> | undefined;
  private readonly memoryMs: number;
  private readonly clock: () => number;

  constructor(initial: Capacity<Probe> | null | undefined, memoryMs: number, clock: () => number) {
    this.memoryMs = memoryMs;
    this.clock = clock;
    this.current =
      initial && Number.isInteger(initial.records) && initial.records > 0
        ? { records: initial.records, provedAt: initial.provedAt, probe: initial.probe }
        : undefined;
  }

  /** The capacity as it stands, for the paging state. */
  snapshot(): Capacity<Probe> | null {
    return this.current ? { ...this.current } : null;
  }

  get records(): number | undefined {
    return this.current?.records;
  }

  /** Delivered within the memory. */
  isFresh(): boolean {
    return this.current !== undefined && this.clock() - this.current.provedAt <= this.memoryMs;
  }

  /** The server delivered `n` records in one response to `probe`: a larger capacity, or the same one again. */
  delivered(n: number, probe: Probe): void {
    if (n <= 0) return;
    const c = this.current;
    if (!c || n > c.records || !this.isFresh()) this.current = { records: n, provedAt: this.clock(), probe };
    else if (n === c.records) c.provedAt = this.clock();
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

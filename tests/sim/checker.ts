/**
 * Safety checkers for the simulator. They keep the one committed history every node must agree
 * with and raise `SafetyViolation` on the first breach of: election safety, log matching,
 * leader completeness, state machine safety, monotonic commit, durability of acknowledged
 * proposals and linearizable reads.
 *
 * @module
 */

import type { Entry } from "../../lib/raft/types.ts";

/** A broken Raft guarantee (the simulator reports the seed). */
export class SafetyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafetyViolation";
  }
}

export function check(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new SafetyViolation(message());
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What a log looks like to the checkers. */
export interface LogReader {
  firstIndex(): number;
  lastIndex(): number;
  termAt(index: number): number | undefined;
}

/** The committed history (as applied anywhere) and the per-term leaders. */
export class History {
  /** `entries[i]` is the entry at index i + 1, as first applied by any node. */
  readonly entries: Entry[] = [];
  readonly #leaders = new Map<number, string>();
  /** Highest index acknowledged to a client so far. */
  ackedIndex = 0;

  /** Election safety: at most one leader per term. */
  noteLeader(term: number, id: string): boolean {
    const known = this.#leaders.get(term);
    check(
      known === undefined || known === id,
      () => `two leaders in term ${term}: ${known}, ${id}`,
    );
    this.#leaders.set(term, id);
    return known === undefined;
  }

  /** State machine safety: every node applies the same entry at each index. */
  noteApplied(node: string, entry: Entry): void {
    const known = this.entries[entry.index - 1];
    if (known === undefined) {
      check(
        entry.index === this.entries.length + 1,
        () => `${node} applied ${entry.index} beyond history end ${this.entries.length}`,
      );
      this.entries.push(entry);
      return;
    }
    check(
      known.term === entry.term && known.type === entry.type && sameBytes(known.data, entry.data),
      () =>
        `${node} applied a different entry at ${entry.index} (term ${entry.term} vs ${known.term})`,
    );
  }

  /** A snapshot installed at (index, term) must agree with history where history reaches. */
  noteSnapshot(node: string, index: number, term: number): void {
    const known = this.entries[index - 1];
    check(
      known === undefined || known.term === term || index === 0,
      () =>
        `${node} installed a snapshot at ${index} with term ${term}, history has ${known?.term}`,
    );
    check(index <= this.entries.length, () => `${node} snapshot at ${index} beyond history`);
  }

  /** Durability: an acknowledged proposal stays at its index with its term and data. */
  noteAcked(index: number, term: number, data: Uint8Array): void {
    const known = this.entries[index - 1];
    check(
      known !== undefined && known.term === term && sameBytes(known.data, data),
      () => `acknowledged proposal at ${index} is not in history`,
    );
    this.ackedIndex = Math.max(this.ackedIndex, index);
  }

  /** Leader completeness: a new leader holds every committed entry. */
  checkLeaderLog(id: string, log: LogReader): void {
    const first = log.firstIndex();
    for (let index = this.entries.length; index >= first && index >= 1; index--) {
      const term = log.termAt(index);
      const known = this.entries[index - 1];
      check(
        term === known?.term,
        () => `leader ${id} lacks committed entry ${index} (has term ${term}, want ${known?.term})`,
      );
    }
    check(log.lastIndex() >= this.entries.length, () => `leader ${id} log shorter than history`);
  }

  /** Linearizable read: the value read at applied index `at` reflects every acked write. */
  checkRead(
    node: string,
    key: string,
    value: string | undefined,
    at: number,
    ackedAtInvoke: number,
  ): void {
    check(
      at >= ackedAtInvoke,
      () => `stale read on ${node}: served at ${at}, a write was acknowledged at ${ackedAtInvoke}`,
    );
    const expected = this.valueAt(key, at);
    check(value === expected, () => `read of ${key} on ${node} at ${at}: ${value} != ${expected}`);
  }

  /** The value of `key` after applying history up to `index` (newest write wins). */
  valueAt(key: string, index: number): string | undefined {
    const prefix = new TextEncoder().encode(`${key}=`);
    for (let i = Math.min(index, this.entries.length); i >= 1; i--) {
      const entry = this.entries[i - 1];
      if (entry === undefined || entry.type !== 0 || entry.data.length < prefix.length) continue;
      if (sameBytes(entry.data.subarray(0, prefix.length), prefix)) {
        return new TextDecoder().decode(entry.data.subarray(prefix.length));
      }
    }
    return undefined;
  }
}

/** Log matching: if two logs hold an entry with the same index and term, they agree before it. */
export function checkLogMatching(a: string, logA: LogReader, b: string, logB: LogReader): void {
  const low = Math.max(logA.firstIndex(), logB.firstIndex());
  let index = Math.min(logA.lastIndex(), logB.lastIndex());
  while (index >= low && logA.termAt(index) !== logB.termAt(index)) index--;
  for (; index >= low; index--) {
    const termA = logA.termAt(index);
    check(
      termA === logB.termAt(index),
      () => `log matching broken between ${a} and ${b} at ${index}`,
    );
  }
}

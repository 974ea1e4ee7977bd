/**
 * The membership history a node needs: the latest membership in its log (in force as soon as
 * appended), every later-than-committed change (a conflicting suffix may undo them), and the
 * last committed one (the fallback, and what a node dropped by an uncommitted change obeys).
 *
 * @module
 */

import { assert } from "../_assert.ts";
import { decodeMembership } from "./membership.ts";
import { type Entry, ENTRY_MEMBERSHIP, type Membership, type MembershipRecord } from "./types.ts";

/** Membership records, ascending by index; the first is at or below the commit index. */
export class MembershipLog {
  #records: MembershipRecord[];

  /** @param records The snapshot's membership first, then the log's membership entries. */
  constructor(records: MembershipRecord[]) {
    assert(records.length > 0, "a membership history starts with the snapshot's");
    this.#records = records;
  }

  /** The membership in force: the latest in the log, committed or not. */
  latest(): Membership {
    return this.#last().membership;
  }

  /** Index of the entry (or snapshot) that set the latest membership. */
  latestIndex(): number {
    return this.#last().index;
  }

  /** The newest membership at or below `commit`. */
  committed(commit: number): Membership | undefined {
    return this.#records.findLast((record) => record.index <= commit)?.membership;
  }

  /** Records the membership entries among `entries`; true if the latest changed. */
  append(entries: readonly Entry[]): boolean {
    let changed = false;
    for (const entry of entries) {
      if (entry.type !== ENTRY_MEMBERSHIP) continue;
      assert(entry.index > this.latestIndex(), "membership entries arrive in index order");
      this.#records.push({ index: entry.index, membership: decodeMembership(entry.data) });
      changed = true;
    }
    return changed;
  }

  /** Forgets the changes at or after `index` (a conflicting suffix); true if any went. */
  truncateFrom(index: number): boolean {
    const before = this.#records.length;
    this.#records = this.#records.filter((record) => record.index < index);
    assert(this.#records.length > 0, "dropped a committed membership");
    return this.#records.length !== before;
  }

  /** Keeps only what a conflict could still fall back to, given the new commit index. */
  commitTo(commit: number): void {
    let keepFrom = 0;
    for (let i = 0; i < this.#records.length; i++) {
      if ((this.#records[i]?.index ?? 0) <= commit) keepFrom = i;
    }
    if (keepFrom > 0) this.#records = this.#records.slice(keepFrom);
  }

  /** Starts over from a snapshot's membership. */
  reset(record: MembershipRecord): void {
    this.#records = [record];
  }

  #last(): MembershipRecord {
    const last = this.#records[this.#records.length - 1];
    assert(last !== undefined, "membership history is never empty");
    return last;
  }
}

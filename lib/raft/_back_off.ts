/**
 * Fast log back-off (Raft paper §5.3, "the follower can include the term of the conflicting
 * entry and the first index it stores for that term"): one rejected append skips a whole
 * conflicting term instead of one entry.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import type { LogView } from "./log_view.ts";

/**
 * Follower side: why the append after `index` does not fit. A short log reports its end
 * (hintTerm 0); else the term at `index` and the first index of that term above `commit`.
 */
export function conflictHint(
  log: LogView,
  index: number,
  commit: number,
): { hintIndex: number; hintTerm: number } {
  const last = log.lastIndex();
  if (index > last) return { hintIndex: last + 1, hintTerm: 0 };
  const term = log.term(index);
  if (term === undefined) return { hintIndex: commit + 1, hintTerm: 0 };
  let first = index;
  const floor = Math.max(commit + 1, log.firstIndex());
  while (first > floor && log.term(first - 1) === term) first--;
  assert(first <= index && first > commit, "conflict hint out of range");
  return { hintIndex: first, hintTerm: term };
}

/**
 * Leader side: where to resume after a rejection of the append after `rejected`. If the leader
 * has entries of the follower's conflicting term, resume after its last one; else skip the
 * follower's whole term. Never scans below `match`.
 */
export function nextAfterRejection(
  log: LogView,
  rejected: number,
  hint: { hintIndex: number; hintTerm: number },
  match: number,
): number {
  if (hint.hintTerm === 0) return hint.hintIndex;
  let index = Math.min(rejected, log.lastIndex());
  const floor = Math.max(match, log.firstIndex() - 1);
  assert(floor >= 0, "negative scan floor");
  while (index > floor) {
    const term = log.term(index);
    if (term === undefined || term < hint.hintTerm) break;
    if (term === hint.hintTerm) return index + 1;
    index--;
  }
  return hint.hintIndex;
}

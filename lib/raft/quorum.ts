/**
 * Majority arithmetic over a set of voters.
 *
 * @module
 */

import { assert } from "../_assert.ts";

/**
 * The highest index that a majority of `voters` has reached, given each voter's match index.
 *
 * @example
 * ```ts
 * import { quorumIndex } from "./quorum.ts";
 * const match = new Map([["a", 5], ["b", 3], ["c", 9]]);
 * quorumIndex(["a", "b", "c"], (id) => match.get(id) ?? 0); // 5
 * ```
 */
export function quorumIndex(voters: readonly string[], indexOf: (id: string) => number): number {
  assert(voters.length > 0, "no voters");
  const indices = voters.map(indexOf).sort((a, b) => b - a);
  const result = indices[Math.floor(voters.length / 2)];
  assert(result !== undefined && result >= 0, "quorum index out of range");
  return result;
}

/**
 * Outcome of a vote: "won" once a majority of `voters` said yes, "lost" once a majority
 * cannot be reached any more, else "pending". Votes from non-voters do not count.
 *
 * @example
 * ```ts
 * import { voteResult } from "./quorum.ts";
 * voteResult(["a", "b", "c"], new Map([["a", true], ["b", true]])); // "won"
 * ```
 */
export function voteResult(
  voters: readonly string[],
  votes: ReadonlyMap<string, boolean>,
): "won" | "lost" | "pending" {
  assert(voters.length > 0, "no voters");
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const majority = Math.floor(voters.length / 2) + 1;
  if (granted >= majority) return "won";
  if (voters.length - rejected < majority) return "lost";
  return "pending";
}

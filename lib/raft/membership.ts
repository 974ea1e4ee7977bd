/**
 * Membership changes, one server at a time.
 *
 * Why single-server changes rather than joint consensus: any two majorities of configurations
 * that differ by one voter overlap, so no intermediate joint state is needed, and the log
 * entry carries the whole new membership (not a delta), which keeps recovery trivial. The known
 * flaw of the single-server scheme (Ongaro, raft-dev 2015: two changes proposed in different
 * terms can both "commit" on disjoint majorities) is closed by the rule the node enforces: a
 * leader proposes a change only after it has committed an entry of its own term (its no-op),
 * and only when no earlier change is still uncommitted. A node uses the latest membership in
 * its log as soon as the entry is appended, committed or not.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import type { Membership } from "./types.ts";

/**
 * A requested change: add a voter (or promote a learner), add a learner (or demote a voter),
 * or remove a member.
 *
 * @example
 * ```ts
 * import type { MembershipChange } from "./membership.ts";
 * const change: MembershipChange = { kind: "addLearner", id: "127.0.0.1:7482" };
 * ```
 */
export interface MembershipChange {
  /** What to do. */
  kind: "addVoter" | "addLearner" | "remove";
  /** The node id concerned. */
  id: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a membership as the payload of a membership entry (UTF-8 JSON, sorted ids).
 *
 * @example
 * ```ts
 * import { decodeMembership, encodeMembership } from "./membership.ts";
 * const data = encodeMembership({ voters: ["b", "a"], learners: [] });
 * decodeMembership(data).voters; // ["a", "b"]
 * ```
 */
export function encodeMembership(membership: Membership): Uint8Array {
  assert(
    !membership.voters.some((id) => membership.learners.includes(id)),
    "a node is voter or learner, not both",
  );
  const voters = [...membership.voters].sort();
  const learners = [...membership.learners].sort();
  const bytes = encoder.encode(JSON.stringify({ voters, learners }));
  assert(bytes.length > 0, "an encoded membership is never empty");
  return bytes;
}

/**
 * Decodes a membership entry's payload; throws `TypeError` if it is not one.
 *
 * @example
 * ```ts
 * import { decodeMembership } from "./membership.ts";
 * decodeMembership(new TextEncoder().encode('{"voters":["a"],"learners":[]}'));
 * ```
 */
export function decodeMembership(data: Uint8Array): Membership {
  const value: unknown = JSON.parse(decoder.decode(data));
  if (typeof value !== "object" || value === null) throw new TypeError("Bad membership entry");
  const { voters, learners } = value as Record<string, unknown>;
  if (!isStringArray(voters) || !isStringArray(learners)) {
    throw new TypeError("Bad membership entry");
  }
  return { voters, learners };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/**
 * The membership after `change`, or `undefined` if the change would alter nothing or leave no
 * voter. At most one voter is added or removed, which is what makes the scheme safe.
 *
 * @example
 * ```ts
 * import { applyMembershipChange } from "./membership.ts";
 * applyMembershipChange({ voters: ["a"], learners: ["b"] }, { kind: "addVoter", id: "b" });
 * // { voters: ["a", "b"], learners: [] }
 * ```
 */
export function applyMembershipChange(
  membership: Membership,
  change: MembershipChange,
): Membership | undefined {
  assert(change.id.length > 0, "membership change needs an id");
  const voters = membership.voters.filter((id) => id !== change.id);
  const learners = membership.learners.filter((id) => id !== change.id);
  if (change.kind === "addVoter") voters.push(change.id);
  if (change.kind === "addLearner") learners.push(change.id);
  if (voters.length === 0) return undefined;
  const next = { voters: voters.sort(), learners: learners.sort() };
  assert(
    !next.voters.includes(change.id) || change.kind === "addVoter",
    "only addVoter adds a voter",
  );
  if (sameMembership(next, membership)) return undefined;
  const voterDelta = Math.abs(next.voters.length - membership.voters.length);
  assert(voterDelta <= 1, "a change adds or removes at most one voter");
  return next;
}

/**
 * True when `id` is a voter or a learner of `membership`.
 *
 * @example
 * ```ts
 * import { isMember } from "./membership.ts";
 * isMember({ voters: ["a"], learners: ["b"] }, "b"); // true
 * ```
 */
export function isMember(membership: Membership, id: string): boolean {
  return membership.voters.includes(id) || membership.learners.includes(id);
}

/**
 * True when both memberships have the same voters and learners (order ignored).
 *
 * @example
 * ```ts
 * import { sameMembership } from "./membership.ts";
 * sameMembership({ voters: ["a", "b"], learners: [] }, { voters: ["b", "a"], learners: [] }); // true
 * ```
 */
export function sameMembership(a: Membership, b: Membership): boolean {
  assert(Array.isArray(a.voters) && Array.isArray(b.voters), "memberships list their voters");
  return sameSet(a.voters, b.voters) && sameSet(a.learners, b.learners);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}

/**
 * The data shapes shared by the Raft core, the on-disk log and the server: entries, hard state,
 * snapshot metadata and membership. They are plain objects so the log can store them as is.
 *
 * @module
 */

/** An ordinary command from the application. */
export const ENTRY_NORMAL = 0;
/** The empty entry a new leader appends first in its term (it commits the earlier terms). */
export const ENTRY_NO_OP = 1;
/** A membership change; `data` is {@linkcode encodeMembership} of the whole new membership. */
export const ENTRY_MEMBERSHIP = 2;

/**
 * One log entry. `type` is {@linkcode ENTRY_NORMAL}, {@linkcode ENTRY_NO_OP} or
 * {@linkcode ENTRY_MEMBERSHIP}.
 *
 * @example
 * ```ts
 * import type { Entry } from "./types.ts";
 * const entry: Entry = { index: 1, term: 1, type: 0, data: new Uint8Array([1]) };
 * ```
 */
export interface Entry {
  /** Position in the log, from 1. */
  index: number;
  /** Term of the leader that created the entry. */
  term: number;
  /** 0 normal, 1 no-op, 2 membership change. */
  type: number;
  /** The payload. */
  data: Uint8Array;
}

/**
 * What a node must persist before it votes or acknowledges: current term, the vote cast in it
 * (`""` for none) and the commit index (a hint: losing it is safe).
 *
 * @example
 * ```ts
 * import type { HardState } from "./types.ts";
 * const state: HardState = { term: 3, vote: "127.0.0.1:7481", commit: 10 };
 * ```
 */
export interface HardState {
  /** Current term. */
  term: number;
  /** The candidate voted for in `term`, or `""`. */
  vote: string;
  /** Highest index known committed. */
  commit: number;
}

/**
 * The members of a cluster: voters count toward quorums; learners only receive the log.
 *
 * @example
 * ```ts
 * import type { Membership } from "./types.ts";
 * const membership: Membership = { voters: ["a", "b", "c"], learners: ["d"] };
 * ```
 */
export interface Membership {
  /** Voting members. */
  voters: string[];
  /** Non-voting members that replicate the log. */
  learners: string[];
}

/**
 * Metadata of a snapshot: the last index and term it covers and the membership at that index.
 *
 * @example
 * ```ts
 * import type { SnapshotMeta } from "./types.ts";
 * const meta: SnapshotMeta = { index: 0, term: 0, membership: { voters: ["a"], learners: [] } };
 * ```
 */
export interface SnapshotMeta {
  /** Last log index the snapshot includes. */
  index: number;
  /** Term of that entry. */
  term: number;
  /** Membership in force at `index`. */
  membership: Membership;
}

/**
 * A membership entry found in the log, with its index.
 *
 * @example
 * ```ts
 * import type { MembershipRecord } from "./types.ts";
 * const record: MembershipRecord = { index: 7, membership: { voters: ["a"], learners: [] } };
 * ```
 */
export interface MembershipRecord {
  /** Index of the entry (or of the snapshot) that set the membership. */
  index: number;
  /** The membership it set. */
  membership: Membership;
}

/**
 * One piece of a snapshot in transit. Chunks arrive in order from offset 0; the chunk with
 * `done` is the last, after which the receiver installs the snapshot.
 *
 * @example
 * ```ts
 * import type { SnapshotChunk } from "./types.ts";
 * const chunk: SnapshotChunk = {
 *   meta: { index: 9, term: 2, membership: { voters: ["a"], learners: [] } },
 *   offset: 0,
 *   data: new Uint8Array(3),
 *   done: true,
 * };
 * ```
 */
export interface SnapshotChunk {
  /** Which snapshot. */
  meta: SnapshotMeta;
  /** Byte offset of `data` in the snapshot. */
  offset: number;
  /** The bytes. */
  data: Uint8Array;
  /** True for the final chunk. */
  done: boolean;
}

/**
 * Bytes an entry counts for in byte caps: payload plus a fixed header allowance.
 *
 * @example
 * ```ts
 * import { entryBytes } from "./types.ts";
 * entryBytes({ index: 1, term: 1, type: 0, data: new Uint8Array(100) }); // 124
 * ```
 */
export function entryBytes(entry: Entry): number {
  return entry.data.length + 24;
}

/**
 * The output of the Raft core: what to persist, send and apply, handed out by
 * `RaftNode.ready()` and acknowledged by `RaftNode.advance()`.
 *
 * @module
 */

import type { Message } from "./messages.ts";
import type { Entry, HardState, SnapshotChunk } from "./types.ts";

/**
 * The node's role.
 *
 * @example
 * ```ts
 * import type { Role } from "./ready.ts";
 * const role: Role = "leader";
 * ```
 */
export type Role = "follower" | "preCandidate" | "candidate" | "leader";

/**
 * Volatile state worth showing (RAFTSTATE / RAFTLEADER): role, known leader ("" none), term.
 *
 * @example
 * ```ts
 * import type { SoftState } from "./ready.ts";
 * const state: SoftState = { role: "follower", leader: "b", term: 4 };
 * ```
 */
export interface SoftState {
  /** Current role. */
  role: Role;
  /** Current leader's id, or "". */
  leader: string;
  /** Current term. */
  term: number;
}

/**
 * A confirmed read: serve it once the state machine has applied `index`.
 *
 * @example
 * ```ts
 * import type { ReadState } from "./ready.ts";
 * const read: ReadState = { context: "req-17", index: 42 };
 * ```
 */
export interface ReadState {
  /** The id given to `readIndex()`. */
  context: string;
  /** Apply at least up to here, then read. */
  index: number;
}

/**
 * One batch of work. Process it in this order, then call `advance()`:
 * 1. send `messages` (they do not depend on this batch's writes);
 * 2. write `snapshot` chunks; the chunk with `done` completes a snapshot: install it (restore
 *    the machine from it and reset the log so that it is empty after `meta.index`);
 * 3. if `entries` is not empty: truncate the log after `entries[0].index - 1` (a conflicting
 *    suffix may be overwritten), then append `entries`;
 * 4. write `hardState` if defined; fsync if `mustSync`;
 * 5. send `messagesAfterPersist` (votes and acknowledgements: never before the writes);
 * 6. apply `committedEntries` in order, then serve `readStates` once applied ≥ their index;
 * 7. show `softState` if defined.
 *
 * @example
 * ```ts ignore
 * if (node.hasReady()) {
 *   const ready = node.ready();
 *   // ... persist, send, apply as above ...
 *   node.advance();
 * }
 * ```
 */
export interface Ready {
  /** Role, leader or term changed: the new values. */
  softState: SoftState | undefined;
  /**
   * Term, vote or commit changed: persist this. Its `commit` never covers entries handed out
   * in this same Ready (only ones made durable before), so the log and the hard state may be
   * written in either order without a torn write leaving the commit over stale entries.
   */
  hardState: HardState | undefined;
  /** Entries to append (after truncating from `entries[0].index`). */
  entries: Entry[];
  /** True when the writes must be fsynced before `messagesAfterPersist` are sent. */
  mustSync: boolean;
  /** Incoming snapshot chunks to write, in order; install on the one with `done`. */
  snapshot: SnapshotChunk[];
  /** Messages to send now. */
  messages: Message[];
  /** Messages to send only after the writes above are durable. */
  messagesAfterPersist: Message[];
  /** Committed entries to apply, in order. */
  committedEntries: Entry[];
  /** Confirmed reads. */
  readStates: ReadState[];
}

/**
 * Messages between Raft nodes. One flat shape (as in etcd-raft) keeps encoding simple for the
 * transport; fields a type does not use hold their zero values.
 *
 * @module
 */

import type { Entry, SnapshotChunk } from "./types.ts";

/**
 * Every message type the core sends and accepts.
 *
 * @example
 * ```ts
 * import type { MessageType } from "./messages.ts";
 * const type: MessageType = "heartbeat";
 * ```
 */
export type MessageType =
  | "append"
  | "appendResponse"
  | "heartbeat"
  | "heartbeatResponse"
  | "preVote"
  | "preVoteResponse"
  | "vote"
  | "voteResponse"
  | "snapshot"
  | "snapshotResponse"
  | "timeoutNow"
  | "readIndex"
  | "readIndexResponse";

/**
 * A Raft message. Field use by type:
 * - append: `index`/`logTerm` of the entry before `entries`, `commit`.
 * - appendResponse: `index` = last matching index, or on `reject` the rejected `index` with
 *   the follower's hint: `hintTerm` (term of its conflicting entry, 0 if its log is short) and
 *   `hintIndex` (its first index of that term, or its last index + 1).
 * - heartbeat / heartbeatResponse: `commit`, `context` (a ReadIndex round), `tick` (the
 *   leader's tick when it sent, echoed back for lease accounting).
 * - preVote / vote: `index`/`logTerm` = the candidate's last entry; `context` "transfer" when
 *   a leadership transfer asked for the election (voters then ignore their leader lease).
 * - snapshot: `snapshot` chunk; snapshotResponse: `index` = next byte offset expected.
 * - readIndex / readIndexResponse: `context`, and `index` = the read index in the response.
 *
 * @example
 * ```ts
 * import { createMessage } from "./messages.ts";
 * const message = createMessage("heartbeat", "a", "b", 3, { commit: 7 });
 * ```
 */
export interface Message {
  /** What it is. */
  type: MessageType;
  /** Sender id. */
  from: string;
  /** Recipient id. */
  to: string;
  /** Sender's term (for a pre-vote request: the term it would campaign in). */
  term: number;
  /** Log index (meaning depends on the type). */
  index: number;
  /** Term of the entry at `index`. */
  logTerm: number;
  /** Entries to append. */
  entries: Entry[];
  /** Leader's commit index. */
  commit: number;
  /** True when a request was refused. */
  reject: boolean;
  /** Back-off hint on a rejected append: first index of the conflicting term. */
  hintIndex: number;
  /** Back-off hint on a rejected append: the conflicting term, 0 if the log is short. */
  hintTerm: number;
  /** Opaque context (ReadIndex id, or "transfer" on an election). */
  context: string;
  /** Leader's tick when a heartbeat was sent, echoed in the response. */
  tick: number;
  /** A snapshot chunk (type "snapshot" only). */
  snapshot?: SnapshotChunk;
}

/** Fields to set on a new message; the rest take zero values. */
export type MessageFields = Partial<Omit<Message, "type" | "from" | "to" | "term">>;

const NO_ENTRIES: Entry[] = [];

/**
 * Builds a message with zero values for every field not given.
 *
 * @example
 * ```ts
 * import { createMessage } from "./messages.ts";
 * const vote = createMessage("vote", "a", "b", 2, { index: 5, logTerm: 1 });
 * console.log(vote.commit); // 0
 * ```
 */
export function createMessage(
  type: MessageType,
  from: string,
  to: string,
  term: number,
  fields: MessageFields = {},
): Message {
  const message: Message = {
    type,
    from,
    to,
    term,
    index: fields.index ?? 0,
    logTerm: fields.logTerm ?? 0,
    entries: fields.entries ?? NO_ENTRIES,
    commit: fields.commit ?? 0,
    reject: fields.reject ?? false,
    hintIndex: fields.hintIndex ?? 0,
    hintTerm: fields.hintTerm ?? 0,
    context: fields.context ?? "",
    tick: fields.tick ?? 0,
  };
  if (fields.snapshot !== undefined) message.snapshot = fields.snapshot;
  return message;
}

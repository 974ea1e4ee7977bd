/**
 * The Raft core: a deterministic, synchronous state machine in the style of etcd-raft. Inputs
 * are `tick()`, `step(message)`, `propose(data)`, `readIndex(context)`,
 * `proposeMembership(change)` and `transferLeadership(to)`; output is `ready()`, acknowledged
 * by `advance()`. No clock, no I/O, no global randomness.
 *
 * Implements Figure 2 of the Raft paper plus pre-vote, check-quorum, the leader's no-op,
 * fast conflict back-off, pipelined replication with a bounded window, single-server
 * membership changes, learners, leadership transfer, chunked snapshots, ReadIndex and lease
 * reads.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import { conflictHint, nextAfterRejection } from "./_back_off.ts";
import { type RaftConfig, resolveConfig, type ResolvedConfig } from "./config.ts";
import { LogView } from "./log_view.ts";
import { MembershipLog } from "./_membership_log.ts";
import {
  applyMembershipChange,
  encodeMembership,
  type MembershipChange,
  sameMembership,
} from "./membership.ts";
import { createMessage, type Message, type MessageFields, type MessageType } from "./messages.ts";
import { Progress } from "./progress.ts";
import { quorumIndex, voteResult } from "./quorum.ts";
import { ReadOnly } from "./read_only.ts";
import type { ReadState, Ready, Role, SoftState } from "./ready.ts";
import {
  type Entry,
  ENTRY_MEMBERSHIP,
  ENTRY_NO_OP,
  ENTRY_NORMAL,
  entryBytes,
  type HardState,
  type Membership,
  type SnapshotChunk,
  type SnapshotMeta,
} from "./types.ts";

/**
 * Result of a proposal: the index (and term) of the first entry appended, or why not.
 * An entry is committed when the application sees an entry with this index *and term* among
 * committed entries; a different term at that index means the proposal was lost.
 *
 * @example
 * ```ts
 * import type { ProposeResult } from "./node.ts";
 * const result: ProposeResult = { ok: false, reason: "notLeader", leader: "b" };
 * ```
 */
export type ProposeResult =
  | { ok: true; index: number; term: number }
  | {
    ok: false;
    reason:
      | "notLeader"
      | "transferring"
      | "busy"
      | "notReady"
      | "membershipPending"
      | "noChange"
      | "notCaughtUp";
    leader: string;
  };

/**
 * Result of `readIndex()` or `transferLeadership()`: accepted (the read state arrives in a later
 * Ready), or refused with the known leader.
 *
 * @example
 * ```ts
 * import type { RequestResult } from "./node.ts";
 * const result: RequestResult = { ok: true };
 * ```
 */
export type RequestResult = { ok: true } | {
  ok: false;
  reason: "notLeader" | "busy" | "notVoter";
  leader: string;
};

/**
 * A snapshot of a node's state for RAFTSTATS / RAFT INFO; `progress` is filled on a leader.
 *
 * @example
 * ```ts ignore
 * const status: RaftStatus = node.status();
 * console.log(status.role, status.commit, status.progress["b"]?.match);
 * ```
 */
export interface RaftStatus {
  /** This node's id. */
  id: string;
  /** Role, leader and term. */
  soft: SoftState;
  /** Term, vote and commit. */
  hard: HardState;
  /** Highest index handed out for applying. */
  applied: number;
  /** First index still in the log. */
  firstIndex: number;
  /** Last index in the log. */
  lastIndex: number;
  /** Membership in force. */
  membership: Membership;
  /** On a leader: each member's replication state. */
  progress: Record<string, { match: number; next: number; state: string }>;
}

/** Context marking an election that a leadership transfer asked for. */
const TRANSFER_CONTEXT = "transfer";

/** Message types a current leader sends; receiving one teaches a follower who leads. */
const LEADER_TYPES: ReadonlySet<MessageType> = new Set(["append", "heartbeat", "snapshot"]);

/**
 * A Raft node. Single-threaded and synchronous; every call returns quickly.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "./memory_storage.ts";
 * import { RaftNode } from "./node.ts";
 * import { Random } from "./random.ts";
 *
 * const storage = new MemoryStorage({ voters: ["a"], learners: [] });
 * const node = new RaftNode({ id: "a", storage, random: new Random(1) });
 * while (node.softState().role !== "leader") {
 *   node.tick();
 *   if (node.hasReady()) {
 *     const ready = node.ready();
 *     storage.append(ready.entries);
 *     if (ready.hardState) storage.setHardState(ready.hardState);
 *     node.advance();
 *   }
 * }
 * node.propose(new TextEncoder().encode("SET a 1"));
 * ```
 */
export class RaftNode {
  readonly #config: ResolvedConfig;
  readonly #id: string;
  readonly #log: LogView;
  #term = 0;
  #vote = "";
  #commit = 0;
  /** Highest index handed out (or restored) for applying. */
  #applied = 0;
  #role: Role = "follower";
  #leader = "";
  #ticks = 0;
  /** What `#quorumAckedTick()` last computed; undefined when it must be computed again. */
  #leaseAcked: number | undefined;
  #electionElapsed = 0;
  #heartbeatElapsed = 0;
  #electionTimeout = 0;
  readonly #votes = new Map<string, boolean>();
  readonly #progress = new Map<string, Progress>();
  #membership: Membership;
  /** Membership records above the latest one at or below commit, plus that one. */
  readonly #memberships: MembershipLog;
  readonly #readOnly: ReadOnly;
  /** Reads that arrived before this leader committed an entry of its term. */
  #earlyReads: { context: string; from: string }[] = [];
  #transferee = "";
  /** Set once this leader sent TimeoutNow: no more lease reads in this term. */
  #leaseForfeited = false;
  /** Index of this leader's no-op: reads and membership changes wait until it commits. */
  #termStartIndex = 0;
  #uncommittedBytes = 0;
  /** Appended batches not yet committed (last index, bytes), for the uncommitted budget. */
  #uncommitted: { index: number; bytes: number }[] = [];
  #incoming: { meta: SnapshotMeta; offset: number } | undefined;
  #messages: Message[] = [];
  #messagesAfterPersist: Message[] = [];
  #readStates: ReadState[] = [];
  #chunks: SnapshotChunk[] = [];
  #persisted: HardState;
  #shownSoftState: SoftState;
  /** Between ready() and advance(): what was handed out. */
  #handed: { applied: number; snapshot: SnapshotMeta | undefined } | undefined;
  /** Storage could not serve committed entries: wait for the next tick before retrying. */
  #applyBlocked = false;

  /**
   * Starts a node from what its storage holds, as a follower.
   *
   * @param config See {@linkcode RaftConfig}; throws `RangeError` on invalid values.
   */
  constructor(config: RaftConfig) {
    this.#config = resolveConfig(config);
    this.#id = this.#config.id;
    const storage = this.#config.storage;
    this.#log = new LogView(storage);
    const { hardState, memberships } = storage.initialState();
    const snapshot = storage.snapshot();
    const records = [{ index: snapshot.index, membership: snapshot.membership }, ...memberships];
    if (records.length === 1 && snapshot.membership.voters.length === 0) {
      records[0] = { index: 0, membership: { voters: [...this.#config.voters], learners: [] } };
    }
    this.#memberships = new MembershipLog(records);
    this.#membership = this.#memberships.latest();
    this.#term = hardState.term;
    this.#vote = hardState.vote;
    // A commit index persisted without its entries (torn write) is only a hint: clamp it.
    this.#commit = Math.max(snapshot.index, Math.min(hardState.commit, this.#log.lastIndex()));
    this.#applied = this.#config.applied ?? snapshot.index;
    assert(this.#applied >= snapshot.index && this.#applied <= this.#log.lastIndex(), "applied");
    this.#commit = Math.max(this.#commit, this.#applied);
    this.#readOnly = new ReadOnly(this.#config.maxPendingReads);
    this.#persisted = { term: this.#term, vote: this.#vote, commit: this.#commit };
    this.#becomeFollower(this.#term, "");
    this.#shownSoftState = this.softState();
  }

  // ---------------------------------------------------------------- queries

  /** This node's id. */
  get id(): string {
    return this.#id;
  }

  /** Current role, leader and term. */
  softState(): SoftState {
    return { role: this.#role, leader: this.#leader, term: this.#term };
  }

  /** Current term, vote and commit index (not necessarily persisted yet). */
  hardState(): HardState {
    return { term: this.#term, vote: this.#vote, commit: this.#commit };
  }

  /** The membership in force (the latest in the log, committed or not). */
  membership(): Membership {
    return { voters: [...this.#membership.voters], learners: [...this.#membership.learners] };
  }

  /** First index still in the log (entries below are in the snapshot). */
  firstIndex(): number {
    return this.#log.firstIndex();
  }

  /** Last index of the log (including entries not yet persisted). */
  lastIndex(): number {
    return this.#log.lastIndex();
  }

  /** Term of the entry at `index`, undefined if compacted or absent. */
  termAt(index: number): number | undefined {
    return this.#log.term(index);
  }

  /** Everything worth showing about the node, as plain data. */
  status(): RaftStatus {
    const progress: RaftStatus["progress"] = {};
    for (const [id, p] of this.#progress) {
      progress[id] = { match: p.match, next: p.next, state: p.state };
    }
    return {
      id: this.#id,
      soft: this.softState(),
      hard: this.hardState(),
      applied: this.#applied,
      firstIndex: this.#log.firstIndex(),
      lastIndex: this.#log.lastIndex(),
      membership: this.membership(),
      progress,
    };
  }

  /** On a leader: each member's match index (for promoting learners that caught up). */
  matchIndex(id: string): number | undefined {
    return this.#progress.get(id)?.match;
  }

  /**
   * The read index a leader may serve a read at right now without a round trip, or undefined.
   * Defined only when this node leads, has committed an entry of its own term (so its commit
   * index covers every earlier leader's writes), and either is the sole voter or, with
   * `readOnly: "lease"`, holds its lease (no other leader can exist yet). The caller serves the
   * read once it has applied up to the returned index. This is `readIndex()` without the Ready
   * round, for the hot path of lease reads.
   */
  leaseReadIndex(): number | undefined {
    if (this.#role !== "leader" || !this.#committedInTerm()) return undefined;
    const voters = this.#membership.voters;
    const sole = voters.length === 1 && voters[0] === this.#id;
    if (!sole && !(this.#config.readOnly === "lease" && this.#leaseValid())) return undefined;
    return this.#commit;
  }

  // ---------------------------------------------------------------- inputs

  /** Advances logical time by one tick. */
  tick(): void {
    this.#ticks++;
    this.#leaseAcked = undefined;
    assert(Number.isSafeInteger(this.#ticks), "tick counter overflowed");
    this.#applyBlocked = false;
    if (this.#role === "leader") this.#tickLeader();
    else this.#tickElection();
    this.#checkInvariants();
  }

  /**
   * Proposes one command; see {@linkcode RaftNode.proposeBatch}.
   */
  propose(data: Uint8Array): ProposeResult {
    assert(data instanceof Uint8Array, "a proposal is bytes");
    return this.proposeBatch([data]);
  }

  /**
   * Proposes several commands as one append (one message per follower, one log write).
   * Returns the first entry's index; the others follow consecutively.
   */
  proposeBatch(commands: readonly Uint8Array[]): ProposeResult {
    assert(commands.length > 0, "empty proposal batch");
    const refused = this.#refuseProposal();
    if (refused !== undefined) return refused;
    let bytes = 0;
    for (const data of commands) bytes += data.length + 24;
    if (
      this.#uncommittedBytes > 0 &&
      this.#uncommittedBytes + bytes > this.#config.maxUncommittedBytes
    ) {
      return { ok: false, reason: "busy", leader: this.#id };
    }
    const first = this.#log.lastIndex() + 1;
    const entries = commands.map((data, i) => ({
      index: first + i,
      term: this.#term,
      type: ENTRY_NORMAL,
      data,
    }));
    this.#appendAsLeader(entries);
    this.#broadcastAppend();
    this.#checkInvariants();
    return { ok: true, index: first, term: this.#term };
  }

  /**
   * Proposes a membership change (one server at a time; see membership.ts for why that is
   * safe). Refused until this leader has committed an entry of its own term and while an
   * earlier change is uncommitted; promoting a learner needs it caught up to the commit index.
   */
  proposeMembership(change: MembershipChange): ProposeResult {
    const refused = this.#refuseProposal();
    if (refused !== undefined) return refused;
    if (!this.#committedInTerm()) return { ok: false, reason: "notReady", leader: this.#id };
    if (this.#memberships.latestIndex() > this.#commit) {
      return { ok: false, reason: "membershipPending", leader: this.#id };
    }
    const next = applyMembershipChange(this.#membership, change);
    if (next === undefined) return { ok: false, reason: "noChange", leader: this.#id };
    const progress = this.#progress.get(change.id);
    const promoting = change.kind === "addVoter" && this.#membership.learners.includes(change.id);
    if (promoting && (progress === undefined || progress.match < this.#commit)) {
      return { ok: false, reason: "notCaughtUp", leader: this.#id };
    }
    const index = this.#log.lastIndex() + 1;
    const entry = { index, term: this.#term, type: ENTRY_MEMBERSHIP, data: encodeMembership(next) };
    this.#appendAsLeader([entry]);
    this.#broadcastAppend();
    return { ok: true, index, term: this.#term };
  }

  /**
   * Asks for a linearizable read. `context` must be unique among pending reads; the answer is a
   * {@linkcode ReadState} in a later Ready (serve it once applied ≥ its index). A follower
   * forwards the request to its leader. With `readOnly: "lease"` a leader holding its lease
   * answers at once.
   */
  readIndex(context: string): RequestResult {
    assert(context !== "", "read context must not be empty");
    if (this.#role === "leader") return this.#leaderRead(context, this.#id);
    if (this.#leader === "") return { ok: false, reason: "notLeader", leader: "" };
    this.#send(this.#leader, "readIndex", { context });
    return { ok: true };
  }

  /**
   * Hands leadership to voter `to`: brings it up to date, then tells it to campaign at once
   * (TimeoutNow). Proposals are refused meanwhile; the attempt lapses after an election timeout.
   */
  transferLeadership(to: string): RequestResult {
    if (this.#role !== "leader") return { ok: false, reason: "notLeader", leader: this.#leader };
    if (!this.#membership.voters.includes(to)) {
      return { ok: false, reason: "notVoter", leader: this.#id };
    }
    if (to === this.#id || this.#transferee === to) return { ok: true };
    this.#transferee = to;
    this.#electionElapsed = 0;
    const progress = this.#progress.get(to);
    assert(progress !== undefined, "voter without progress");
    if (progress.match === this.#log.lastIndex()) this.#sendTimeoutNow(to);
    else this.#sendAppend(to, true);
    return { ok: true };
  }

  /** Feeds a message received from a peer. Messages from stale terms are answered or dropped. */
  step(message: Message): void {
    // A misrouted message (say, for a node that used this address before) is dropped.
    if (message.to !== this.#id || message.from === this.#id) return;
    assert(message.term >= 0 && message.index >= 0, "message with negative term or index");
    if (this.#stepTerm(message)) this.#dispatch(message);
    this.#checkInvariants();
  }

  #dispatch(message: Message): void {
    switch (message.type) {
      case "preVote":
      case "vote":
        return this.#handleVoteRequest(message);
      case "preVoteResponse":
      case "voteResponse":
        return this.#handleVoteResponse(message);
      case "append":
      case "heartbeat":
      case "snapshot":
        return this.#handleFromLeader(message);
      case "timeoutNow":
        if (this.#promotable()) this.#campaign("vote", TRANSFER_CONTEXT);
        return;
      case "readIndex":
        if (this.#role === "leader") this.#leaderRead(message.context, message.from);
        return;
      case "readIndexResponse":
        this.#readStates.push({ context: message.context, index: message.index });
        return;
      default:
        return this.#handleLeaderResponse(message);
    }
  }

  // ---------------------------------------------------------------- output

  /** True when `ready()` has something to hand out. Cheap: the server loop polls it. */
  hasReady(): boolean {
    if (this.#handed !== undefined) return false;
    return this.#messages.length > 0 || this.#messagesAfterPersist.length > 0 ||
      this.#log.hasUnstable() || this.#chunks.length > 0 || this.#readStates.length > 0 ||
      this.#hardStateChanged() || this.#softStateChanged() ||
      (this.#commit > this.#applied && !this.#applyBlocked);
  }

  /** Hands out the next batch of work; call `advance()` once it is done. */
  ready(): Ready {
    assert(this.#handed === undefined, "ready() called twice without advance()");
    const hardState = this.#hardStateChanged()
      ? { term: this.#term, vote: this.#vote, commit: this.#durableCommit() }
      : undefined;
    const softState = this.#softStateChanged() ? this.softState() : undefined;
    const entries = this.#log.takeUnstable();
    const chunks = this.#chunks;
    const last = chunks[chunks.length - 1];
    const mustSync = entries.length > 0 || chunks.length > 0 ||
      (hardState !== undefined &&
        (hardState.term !== this.#persisted.term || hardState.vote !== this.#persisted.vote));
    const committedEntries = this.#takeCommitted();
    const ready: Ready = {
      softState,
      hardState,
      entries,
      mustSync,
      snapshot: chunks,
      messages: this.#messages,
      messagesAfterPersist: this.#messagesAfterPersist,
      committedEntries,
      readStates: this.#readStates,
    };
    if (hardState !== undefined) this.#persisted = hardState;
    if (softState !== undefined) this.#shownSoftState = softState;
    this.#messages = [];
    this.#messagesAfterPersist = [];
    this.#readStates = [];
    this.#chunks = [];
    const applied = committedEntries[committedEntries.length - 1]?.index ?? this.#applied;
    this.#handed = { applied, snapshot: last?.done === true ? last.meta : undefined };
    return ready;
  }

  /** Acknowledges the last Ready: its writes are durable and its entries applied. */
  advance(): void {
    const handed = this.#handed;
    assert(handed !== undefined, "advance() without ready()");
    this.#handed = undefined;
    this.#log.stableTo(handed.snapshot);
    this.#applied = Math.max(this.#applied, handed.applied);
    assert(this.#applied <= this.#commit, "applied beyond commit");
    if (this.#role !== "leader") return;
    // The leader counts itself toward commit only for what it has persisted.
    const self = this.#progress.get(this.#id);
    if (self !== undefined && self.maybeUpdate(this.#log.stableIndex()) && this.#maybeCommit()) {
      this.#broadcastAppend();
    }
    this.#checkInvariants();
  }

  /** Invariants that hold between any two calls; checked after every input. */
  #checkInvariants(): void {
    assert(this.#applied <= this.#commit, `applied ${this.#applied} > commit ${this.#commit}`);
    assert(this.#commit <= this.#log.lastIndex(), `commit ${this.#commit} beyond the log`);
    assert(this.#commit >= this.#log.firstIndex() - 1, "commit below the snapshot");
    assert(this.#term >= this.#persisted.term, "term went below the persisted term");
    assert(
      (this.#role === "leader") === (this.#leader === this.#id),
      "leader id disagrees with role",
    );
    if (this.#role === "leader") {
      assert(
        this.#vote === this.#id && this.#termStartIndex > 0,
        "leader without its vote or no-op",
      );
      assert(this.#log.lastTerm() === this.#term, "a leader's last entry is of its term");
    }
  }

  // ---------------------------------------------------------------- terms and roles

  /** Applies the term rules; false if the message must be dropped. */
  #stepTerm(m: Message): boolean {
    assert(Number.isSafeInteger(m.term) && m.term >= 0, "message term is a natural number");
    assert(m.from !== this.#id, "a node does not message itself");
    if (m.term > this.#term) {
      const isVote = m.type === "vote" || m.type === "preVote";
      if (isVote && m.context !== TRANSFER_CONTEXT && this.#inLease()) return false;
      if (m.type === "preVote" || (m.type === "preVoteResponse" && !m.reject)) return true;
      this.#becomeFollower(m.term, LEADER_TYPES.has(m.type) ? m.from : "");
      return true;
    }
    if (m.term < this.#term) {
      if (m.type === "append" || m.type === "heartbeat") {
        // Tell the stale leader about the newer term so that it steps down (with pre-vote,
        // nothing else would).
        this.#send(m.from, "appendResponse", {});
      } else if (m.type === "preVote") {
        this.#send(m.from, "preVoteResponse", { reject: true });
      }
      return false;
    }
    return true;
  }

  /**
   * True while this node must ignore vote requests: it heard from a leader less than an
   * election timeout ago, or it started less than an election timeout ago (it may have
   * acknowledged a leader just before a restart). This is what makes lease reads safe.
   */
  #inLease(): boolean {
    if (!this.#config.checkQuorum) return false;
    if (this.#role === "leader") return true;
    if (this.#leader !== "") return this.#electionElapsed < this.#config.electionTicks;
    return this.#ticks < this.#config.electionTicks;
  }

  #becomeFollower(term: number, leader: string): void {
    assert(term >= this.#term, "term went backwards");
    if (term > this.#term) {
      this.#term = term;
      this.#vote = "";
    }
    this.#reset();
    this.#role = "follower";
    this.#leader = leader;
    assert(this.#term === term, "a follower takes on the newer term");
  }

  #reset(): void {
    this.#electionElapsed = 0;
    this.#heartbeatElapsed = 0;
    this.#electionTimeout = this.#config.random.range(
      this.#config.electionTicks,
      2 * this.#config.electionTicks,
    );
    this.#votes.clear();
    this.#progress.clear();
    this.#leaseAcked = undefined;
    this.#readOnly.reset();
    this.#earlyReads = [];
    this.#transferee = "";
    this.#leaseForfeited = false;
    this.#uncommittedBytes = 0;
    this.#uncommitted = [];
    this.#termStartIndex = 0;
    assert(this.#progress.size === 0 && this.#votes.size === 0, "reset clears progress and votes");
    assert(
      this.#electionTimeout >= this.#config.electionTicks &&
        this.#electionTimeout < 2 * this.#config.electionTicks,
      "election timeout drawn from [electionTicks, 2 × electionTicks)",
    );
  }

  /**
   * May this node campaign? A voter of its latest membership may; so may a voter of the last
   * committed membership while a later change that drops it is still uncommitted (thesis
   * §4.2.2: it may be needed until the change commits — e.g. a leader that proposed its own
   * removal, lost contact and stepped down would otherwise leave nobody able to win).
   */
  #promotable(): boolean {
    if (this.#membership.voters.includes(this.#id)) return true;
    if (this.#memberships.latestIndex() <= this.#commit) return false;
    const committed = this.#memberships.committed(this.#commit);
    return committed !== undefined && committed.voters.includes(this.#id);
  }

  #tickElection(): void {
    assert(this.#role !== "leader", "a leader runs no election timer");
    this.#electionElapsed++;
    if (!this.#promotable()) return;
    if (this.#electionElapsed < this.#electionTimeout && !this.#mayCampaignAtOnce()) return;
    this.#electionElapsed = 0;
    this.#campaign(this.#config.preVote ? "preVote" : "vote", "");
  }

  /**
   * The only voter needs nobody's vote, so it need not wait a randomized timeout to avoid split
   * votes: it campaigns as soon as no leader's lease can hold, that is once it is out of the
   * lease window itself (a leader it heard from, or may have heard from before a restart, might
   * still serve lease reads: the simulator found a stale read when a follower left alone by an
   * uncommitted removal of the leader campaigned at once), or at once if it never took a term.
   * A one-node cluster then serves within a tick of its first start.
   */
  #mayCampaignAtOnce(): boolean {
    const voters = this.#membership.voters;
    if (voters.length !== 1 || voters[0] !== this.#id) return false;
    const neverPromised = this.#term === 0 && this.#log.lastIndex() === 0;
    return neverPromised || !this.#inLease();
  }

  #tickLeader(): void {
    assert(this.#role === "leader", "only a leader sends heartbeats");
    this.#heartbeatElapsed++;
    this.#electionElapsed++;
    if (this.#electionElapsed >= this.#config.electionTicks) {
      this.#electionElapsed = 0;
      this.#transferee = "";
      if (this.#config.checkQuorum && !this.#quorumActive()) {
        this.#becomeFollower(this.#term, "");
        return;
      }
    }
    if (this.#heartbeatElapsed >= this.#config.heartbeatTicks) {
      this.#heartbeatElapsed = 0;
      this.#broadcastHeartbeat(this.#readOnly.last());
    }
  }

  /** Check-quorum: did a majority of voters answer during the last election timeout? */
  #quorumActive(): boolean {
    assert(this.#role === "leader", "only a leader checks its quorum");
    const votes = new Map<string, boolean>();
    for (const [id, progress] of this.#progress) {
      votes.set(id, id === this.#id || progress.recentActive);
      progress.recentActive = false;
    }
    return voteResult(this.#membership.voters, votes) === "won";
  }

  #campaign(kind: "preVote" | "vote", context: string): void {
    assert(this.#promotable(), "only voters campaign");
    let term = this.#term + 1;
    if (kind === "preVote") {
      this.#reset();
      this.#role = "preCandidate";
      this.#leader = "";
    } else {
      this.#becomeFollower(term, "");
      this.#role = "candidate";
      this.#vote = this.#id;
      term = this.#term;
    }
    this.#votes.set(this.#id, true);
    if (voteResult(this.#membership.voters, this.#votes) === "won") {
      if (kind === "preVote") return this.#campaign("vote", context);
      return this.#becomeLeader();
    }
    const type = kind === "preVote" ? "preVote" : "vote";
    const fields = { index: this.#log.lastIndex(), logTerm: this.#log.lastTerm(), context };
    for (const id of this.#membership.voters) {
      if (id === this.#id) continue;
      // A vote request must follow the persisted self-vote; a pre-vote changes nothing.
      const message = createMessage(type, this.#id, id, term, fields);
      if (kind === "preVote") this.#messages.push(message);
      else this.#messagesAfterPersist.push(message);
    }
  }

  #handleVoteRequest(m: Message): void {
    const preVote = m.type === "preVote";
    assert(preVote || m.term <= this.#term, "vote request term was not adopted");
    const canVote = this.#vote === m.from || (this.#vote === "" && this.#leader === "") ||
      (preVote && m.term > this.#term);
    const grant = canVote && this.#log.isUpToDate(m.index, m.logTerm);
    if (preVote) {
      // A granted pre-vote answers in the candidate's future term (ours is unchanged).
      const term = grant ? m.term : this.#term;
      this.#messages.push(
        createMessage("preVoteResponse", this.#id, m.from, term, { reject: !grant }),
      );
      return;
    }
    if (grant) {
      this.#electionElapsed = 0;
      this.#vote = m.from;
    }
    this.#messagesAfterPersist.push(
      createMessage("voteResponse", this.#id, m.from, this.#term, { reject: !grant }),
    );
  }

  #handleVoteResponse(m: Message): void {
    const expected = this.#role === "preCandidate" ? "preVoteResponse" : "voteResponse";
    if (m.type !== expected || (this.#role !== "preCandidate" && this.#role !== "candidate")) {
      return;
    }
    if (m.type === "preVoteResponse" && !m.reject && m.term !== this.#term + 1) return;
    this.#votes.set(m.from, !m.reject);
    const result = voteResult(this.#membership.voters, this.#votes);
    if (result === "won") {
      if (this.#role === "preCandidate") this.#campaign("vote", "");
      else this.#becomeLeader();
    } else if (result === "lost") {
      this.#becomeFollower(this.#term, "");
    }
  }

  #becomeLeader(): void {
    assert(this.#promotable(), "only a voter leads");
    assert(this.#role === "candidate", "only a candidate becomes leader");
    assert(this.#vote === this.#id, "a leader voted for itself");
    this.#reset();
    this.#role = "leader";
    this.#leader = this.#id;
    const next = this.#log.lastIndex() + 1;
    for (const id of this.#members()) this.#progress.set(id, this.#newProgress(next));
    this.#leaseAcked = undefined;
    const self = this.#progress.get(this.#id);
    if (self !== undefined) {
      self.maybeUpdate(this.#log.stableIndex());
      self.becomeReplicate();
      self.next = next;
    }
    // The no-op commits the entries of earlier terms (which are never committed by counting)
    // and gates linearizable reads (§6.4 of the thesis) and membership changes.
    this.#termStartIndex = next;
    const noOp = { index: next, term: this.#term, type: ENTRY_NO_OP, data: new Uint8Array() };
    this.#appendAsLeader([noOp]);
    this.#broadcastAppend();
  }

  #members(): string[] {
    return [...this.#membership.voters, ...this.#membership.learners];
  }

  #newProgress(next: number): Progress {
    return new Progress(next, {
      maxCount: this.#config.maxInflightMessages,
      maxBytes: this.#config.maxInflightBytes,
    });
  }

  // ---------------------------------------------------------------- leader: replication

  #refuseProposal(): ProposeResult | undefined {
    if (this.#role !== "leader") return { ok: false, reason: "notLeader", leader: this.#leader };
    if (this.#transferee !== "") return { ok: false, reason: "transferring", leader: this.#id };
    return undefined;
  }

  #appendAsLeader(entries: Entry[]): void {
    assert(this.#role === "leader", "only a leader appends its own entries");
    assert(entries[0]?.index === this.#log.lastIndex() + 1, "leader append must extend the log");
    let bytes = 0;
    for (const entry of entries) bytes += entryBytes(entry);
    this.#uncommitted.push({ index: entries[entries.length - 1]?.index ?? 0, bytes });
    this.#uncommittedBytes += bytes;
    this.#log.append(entries);
    if (this.#memberships.append(entries)) this.#setMembership(this.#memberships.latest());
  }

  #broadcastAppend(): void {
    for (const id of this.#progress.keys()) {
      if (id !== this.#id) this.#sendAppend(id, true);
    }
  }

  /** Sends entries (or a snapshot) to `to` if its window allows; true if something was sent. */
  #sendAppend(to: string, sendIfEmpty: boolean): boolean {
    const progress = this.#progress.get(to);
    if (progress === undefined || progress.isPaused()) return false;
    const previous = progress.next - 1;
    const previousTerm = this.#log.term(previous);
    if (previousTerm === undefined) return this.#startSnapshot(to, progress);
    const last = this.#log.lastIndex();
    assert(progress.next <= last + 1, "next beyond the log");
    const entries = progress.next <= last
      ? this.#log.entries(progress.next, last + 1, this.#config.maxMessageBytes)
      : [];
    if (entries === undefined) return false; // not in memory: a heartbeat response retries
    assert(entries.length === 0 || entries[0]?.index === progress.next, "append starts at next");
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.#send(to, "append", {
      index: previous,
      logTerm: previousTerm,
      entries,
      commit: this.#commit,
    });
    const lastSent = entries[entries.length - 1];
    if (progress.state === "replicate" && lastSent !== undefined) {
      progress.next = lastSent.index + 1;
      let bytes = 0;
      for (const entry of entries) bytes += entryBytes(entry);
      progress.inflights.add(lastSent.index, bytes);
    } else if (progress.state === "probe") {
      progress.probeSent = true;
    }
    return true;
  }

  #startSnapshot(to: string, progress: Progress): boolean {
    const meta = this.#config.storage.snapshot();
    assert(meta.index >= progress.next - 1, "needed entries are neither in the log nor snapshot");
    progress.becomeSnapshot(meta.index);
    return this.#sendChunk(to, progress);
  }

  #sendChunk(to: string, progress: Progress): boolean {
    assert(progress.state === "snapshot", "chunk outside snapshot state");
    const storage = this.#config.storage;
    let meta = storage.snapshot();
    if (meta.index !== progress.snapshotIndex) {
      // A newer snapshot replaced the one in transit: start over with it.
      if (meta.index <= progress.match) return false;
      progress.becomeSnapshot(meta.index);
      meta = storage.snapshot();
    }
    const max = this.#config.maxSnapshotChunkBytes;
    const data = storage.snapshotChunk(progress.snapshotOffset, max);
    if (data === undefined) return false;
    const chunk = { meta, offset: progress.snapshotOffset, data, done: data.length < max };
    this.#send(to, "snapshot", { snapshot: chunk });
    return true;
  }

  #broadcastHeartbeat(context: string): void {
    for (const [id, progress] of this.#progress) {
      if (id === this.#id) continue;
      const commit = Math.min(progress.match, this.#commit);
      this.#send(id, "heartbeat", { commit, context, tick: this.#ticks });
    }
  }

  #handleLeaderResponse(m: Message): void {
    if (this.#role !== "leader") return;
    const progress = this.#progress.get(m.from);
    if (progress === undefined) return;
    progress.recentActive = true;
    if (m.type === "appendResponse") this.#handleAppendResponse(m, progress);
    else if (m.type === "heartbeatResponse") this.#handleHeartbeatResponse(m, progress);
    else if (m.type === "snapshotResponse") this.#handleSnapshotResponse(m, progress);
  }

  #handleAppendResponse(m: Message, progress: Progress): void {
    assert(this.#role === "leader", "append responses are a leader's business");
    assert(
      m.reject || m.index <= this.#log.lastIndex(),
      "acknowledged entries the leader never had",
    );
    if (m.reject) {
      const next = nextAfterRejection(this.#log, m.index, m, progress.match);
      if (progress.maybeDecrease(m.index, next)) {
        if (progress.state === "replicate") progress.becomeProbe();
        this.#sendAppend(m.from, true);
      }
      return;
    }
    const wasPaused = progress.isPaused();
    if (!progress.maybeUpdate(m.index)) return;
    if (progress.state === "probe") progress.becomeReplicate();
    else if (progress.state === "snapshot") {
      if (progress.match >= progress.snapshotIndex) progress.becomeProbe();
    } else progress.inflights.freeTo(m.index);
    if (this.#maybeCommit()) this.#broadcastAppend();
    else if (wasPaused) this.#sendAppend(m.from, true);
    while (this.#role === "leader" && this.#sendAppend(m.from, false)) {
      // Fill the window.
    }
    if (m.from === this.#transferee && progress.match === this.#log.lastIndex()) {
      this.#sendTimeoutNow(m.from);
    }
  }

  #handleHeartbeatResponse(m: Message, progress: Progress): void {
    assert(this.#role === "leader", "heartbeat responses are a leader's business");
    assert(m.tick <= this.#ticks, "a heartbeat echoed a tick from the future");
    progress.ackedTick = Math.max(progress.ackedTick, m.tick);
    this.#leaseAcked = undefined;
    if (progress.state === "snapshot") {
      if (progress.snapshotStalled) this.#sendChunk(m.from, progress);
      progress.snapshotStalled = true;
    } else {
      progress.probeSent = false;
      if (progress.state === "replicate" && progress.inflights.full()) {
        progress.inflights.freeFirstOne();
      }
      if (progress.match < this.#log.lastIndex()) this.#sendAppend(m.from, true);
    }
    if (m.context !== "" && this.#membership.voters.includes(m.from)) this.#ackRead(m);
  }

  #handleSnapshotResponse(m: Message, progress: Progress): void {
    assert(this.#role === "leader", "snapshot responses are a leader's business");
    assert(m.index >= 0, "snapshot offsets are natural numbers");
    if (progress.state !== "snapshot") return;
    if (m.reject) {
      progress.snapshotOffset = m.index;
    } else if (m.index > progress.snapshotOffset) {
      progress.snapshotOffset = m.index;
    } else {
      return;
    }
    progress.snapshotStalled = false;
    this.#sendChunk(m.from, progress);
  }

  #sendTimeoutNow(to: string): void {
    assert(this.#role === "leader", "only a leader hands over leadership");
    assert(this.#membership.voters.includes(to), "leadership goes only to a voter");
    this.#leaseForfeited = true;
    this.#send(to, "timeoutNow", {});
  }

  /** Commit rule (§5.4.2): only an entry of the current term is committed by counting. */
  #maybeCommit(): boolean {
    assert(this.#role === "leader", "only a leader commits by counting");
    const index = quorumIndex(
      this.#membership.voters,
      (id) => this.#progress.get(id)?.match ?? 0,
    );
    if (index <= this.#commit || this.#log.term(index) !== this.#term) return false;
    this.#commitTo(index);
    return true;
  }

  #commitTo(index: number): void {
    if (index <= this.#commit) return;
    assert(index <= this.#log.lastIndex(), "commit beyond the log");
    const uncommitted = this.#role === "leader";
    this.#commit = index;
    this.#memberships.commitTo(index);
    if (!uncommitted) return;
    while ((this.#uncommitted[0]?.index ?? Infinity) <= index) {
      this.#uncommittedBytes -= this.#uncommitted.shift()?.bytes ?? 0;
    }
    assert(this.#uncommittedBytes >= 0, "uncommitted bytes went negative");
    if (this.#committedInTerm() && this.#earlyReads.length > 0) {
      const early = this.#earlyReads;
      this.#earlyReads = [];
      for (const read of early) this.#leaderRead(read.context, read.from);
    }
    if (this.#memberships.latestIndex() <= index && !this.#promotable()) {
      // Removed leader: it stays until the change commits, then steps down (§4.2.2).
      this.#becomeFollower(this.#term, "");
    }
  }

  // ---------------------------------------------------------------- follower

  #handleFromLeader(m: Message): void {
    assert(this.#role !== "leader", "two leaders in one term");
    if (this.#role !== "follower") this.#becomeFollower(this.#term, m.from);
    this.#leader = m.from;
    this.#electionElapsed = 0;
    if (m.type === "append") this.#handleAppend(m);
    else if (m.type === "heartbeat") this.#handleHeartbeat(m);
    else this.#handleChunk(m);
  }

  #handleAppend(m: Message): void {
    if (m.index < this.#commit) {
      this.#ack(m.from, "appendResponse", { index: this.#commit });
      return;
    }
    if (!this.#log.matchTerm(m.index, m.logTerm)) {
      const hint = conflictHint(this.#log, m.index, this.#commit);
      this.#ack(m.from, "appendResponse", { index: m.index, reject: true, ...hint });
      return;
    }
    const lastNew = m.index + m.entries.length;
    assert(m.entries[0] === undefined || m.entries[0].index === m.index + 1, "append has a gap");
    const conflict = this.#log.findConflict(m.entries);
    if (conflict !== 0) {
      assert(conflict > this.#commit, "a committed entry conflicts with the leader");
      const fresh = m.entries.slice(conflict - m.index - 1);
      const dropped = this.#memberships.truncateFrom(conflict);
      this.#log.append(fresh);
      if (this.#memberships.append(fresh) || dropped) {
        this.#setMembership(this.#memberships.latest());
      }
    }
    this.#commitTo(Math.min(m.commit, lastNew));
    this.#ack(m.from, "appendResponse", { index: lastNew });
  }

  #handleHeartbeat(m: Message): void {
    assert(this.#role !== "leader", "two leaders in one term (election safety)");
    assert(m.term === this.#term, "heartbeats reach us only in our term");
    this.#commitTo(Math.min(m.commit, this.#log.lastIndex()));
    this.#reply(m.from, "heartbeatResponse", { context: m.context, tick: m.tick });
  }

  #handleChunk(m: Message): void {
    const chunk = m.snapshot;
    assert(chunk !== undefined, "snapshot message without a chunk");
    const meta = chunk.meta;
    if (meta.index <= this.#commit) {
      this.#incoming = undefined;
      this.#ack(m.from, "appendResponse", { index: this.#commit });
      return;
    }
    if (chunk.offset === 0) {
      if (this.#log.matchTerm(meta.index, meta.term)) {
        // We already hold the snapshot's last entry: just learn that it is committed.
        this.#commitTo(meta.index);
        this.#ack(m.from, "appendResponse", { index: meta.index });
        return;
      }
      this.#incoming = { meta, offset: 0 };
    }
    const incoming = this.#incoming;
    if (incoming === undefined || incoming.meta.index !== meta.index) {
      this.#reply(m.from, "snapshotResponse", { index: 0, reject: true });
      return;
    }
    if (chunk.offset !== incoming.offset) {
      const behind = chunk.offset < incoming.offset;
      this.#ack(m.from, "snapshotResponse", { index: incoming.offset, reject: !behind });
      return;
    }
    this.#chunks.push(chunk);
    incoming.offset += chunk.data.length;
    if (!chunk.done) {
      this.#ack(m.from, "snapshotResponse", { index: incoming.offset });
      return;
    }
    this.#incoming = undefined;
    this.#restore(meta);
    this.#ack(m.from, "appendResponse", { index: meta.index });
  }

  /** Resets the log and state to a snapshot; the application installs it from the Ready. */
  #restore(meta: SnapshotMeta): void {
    assert(meta.index > this.#commit, "restoring an old snapshot");
    this.#log.restore(meta);
    this.#commit = meta.index;
    this.#applied = Math.max(this.#applied, meta.index);
    this.#memberships.reset({ index: meta.index, membership: meta.membership });
    this.#membership = meta.membership;
  }

  // ---------------------------------------------------------------- membership bookkeeping

  #setMembership(next: Membership): void {
    assert(!next.voters.some((id) => next.learners.includes(id)), "a node is voter or learner");
    assert(new Set(next.voters).size === next.voters.length, "voters are distinct");
    if (sameMembership(next, this.#membership)) return;
    this.#membership = next;
    this.#leaseAcked = undefined;
    if (this.#role !== "leader") return;
    const members = new Set(this.#members());
    for (const id of [...this.#progress.keys()]) {
      if (!members.has(id) && id !== this.#id) this.#progress.delete(id);
    }
    for (const id of members) {
      if (!this.#progress.has(id)) {
        this.#progress.set(id, this.#newProgress(this.#log.lastIndex() + 1));
      }
    }
    if (this.#transferee !== "" && !this.#membership.voters.includes(this.#transferee)) {
      this.#transferee = "";
    }
  }

  // ---------------------------------------------------------------- reads

  #committedInTerm(): boolean {
    return this.#role === "leader" && this.#commit >= this.#termStartIndex;
  }

  #leaderRead(context: string, from: string): RequestResult {
    assert(this.#role === "leader", "only a leader answers reads");
    assert(context !== "", "a read has a context");
    if (!this.#committedInTerm()) {
      if (this.#earlyReads.length >= this.#config.maxPendingReads) {
        return { ok: false, reason: "busy", leader: this.#id };
      }
      this.#earlyReads.push({ context, from });
      return { ok: true };
    }
    const voters = this.#membership.voters;
    if (voters.length === 1 && voters[0] === this.#id) {
      // Sole voter: nobody else can lead. (Not merely "promotable": a leader that demoted
      // itself, leaving one other voter, must still confirm through that voter.)
      this.#answerRead(context, this.#commit, from);
      return { ok: true };
    }
    if (this.#config.readOnly === "lease" && this.#leaseValid()) {
      this.#answerRead(context, this.#commit, from);
      return { ok: true };
    }
    if (!this.#readOnly.add(context, this.#commit, from, this.#id)) {
      return { ok: false, reason: "busy", leader: this.#id };
    }
    this.#broadcastHeartbeat(context);
    return { ok: true };
  }

  #ackRead(m: Message): void {
    assert(this.#role === "leader", "only a leader confirms reads");
    assert(m.context !== "", "a read acknowledgement names its read");
    const read = this.#readOnly.ack(m.context, m.from);
    if (read === undefined) return;
    const votes = new Map<string, boolean>();
    for (const id of read.acks) votes.set(id, true);
    if (voteResult(this.#membership.voters, votes) !== "won") return;
    for (const released of this.#readOnly.release(m.context)) {
      this.#answerRead(released.context, released.index, released.from);
    }
  }

  #answerRead(context: string, index: number, from: string): void {
    assert(index <= this.#commit, "a read index never passes the commit index");
    assert(this.#role === "leader", "only a leader answers reads");
    if (from === this.#id) this.#readStates.push({ context, index });
    else this.#send(from, "readIndexResponse", { context, index });
  }

  /**
   * The lease holds while a majority of voters acknowledged a heartbeat sent less than
   * electionTicks − leaseDriftTicks ago: each of them ignores vote requests for an election
   * timeout after hearing from us, so no other leader can exist yet.
   */
  #leaseValid(): boolean {
    assert(this.#role === "leader", "only a leader holds a lease");
    if (this.#leaseForfeited || this.#transferee !== "") return false;
    const lease = this.#config.electionTicks - this.#config.leaseDriftTicks;
    return this.#quorumAckedTick() + lease > this.#ticks;
  }

  /**
   * The latest tick a quorum of voters has acknowledged. Lease reads ask on every read; it can
   * only change with a tick, an acknowledgement or a new membership or progress set, each of
   * which clears the cached value.
   */
  #quorumAckedTick(): number {
    if (this.#leaseAcked !== undefined) return this.#leaseAcked;
    this.#leaseAcked = quorumIndexOf(
      this.#membership.voters,
      (id) =>
        id === this.#id
          ? this.#ticks
          : this.#progress.get(id)?.ackedTick ?? Number.MIN_SAFE_INTEGER,
    );
    return this.#leaseAcked;
  }

  // ---------------------------------------------------------------- plumbing

  #send(to: string, type: MessageType, fields: MessageFields): void {
    assert(to !== "" && to !== this.#id, `no ${type} to nobody or to oneself`);
    this.#messages.push(createMessage(type, this.#id, to, this.#term, fields));
  }

  /** Acknowledgements of log writes go out only after the writes are durable. */
  #ack(to: string, type: MessageType, fields: MessageFields): void {
    assert(to !== "" && to !== this.#id, `no ${type} to nobody or to oneself`);
    this.#messagesAfterPersist.push(createMessage(type, this.#id, to, this.#term, fields));
  }

  /** A reply that needs no write of its own still waits if our term or vote is unpersisted. */
  #reply(to: string, type: MessageType, fields: MessageFields): void {
    if (this.#term !== this.#persisted.term || this.#vote !== this.#persisted.vote) {
      this.#ack(to, type, fields);
    } else {
      this.#send(to, type, fields);
    }
  }

  #hardStateChanged(): boolean {
    const persisted = this.#persisted;
    return this.#term !== persisted.term || this.#vote !== persisted.vote ||
      this.#durableCommit() !== persisted.commit;
  }

  /**
   * The commit index to persist: never beyond entries already durable before this Ready.
   * The hard state and the log are separate files; if a crash kept a new hard state but tore
   * the entries written with it, a commit index covering them would make the restarted node
   * apply whatever stale entries its log still held at those indices (simulator, seed 187618).
   */
  #durableCommit(): number {
    if (this.#log.hasPendingSnapshot()) return this.#persisted.commit;
    const durable = Math.min(this.#commit, this.#log.stableIndex());
    return Math.max(durable, this.#persisted.commit);
  }

  #softStateChanged(): boolean {
    const shown = this.#shownSoftState;
    return this.#role !== shown.role || this.#leader !== shown.leader || this.#term !== shown.term;
  }

  #takeCommitted(): Entry[] {
    if (this.#commit <= this.#applied || this.#applyBlocked) return [];
    const from = this.#applied + 1;
    assert(from >= this.#log.firstIndex(), "committed entries were compacted before applying");
    const entries = this.#log.entries(from, this.#commit + 1, this.#config.maxApplyBytes);
    if (entries === undefined) {
      this.#applyBlocked = true;
      return [];
    }
    assert(entries[0]?.index === from, "committed entries start at applied + 1");
    return entries;
  }
}

/** Like quorumIndex, for tick values that may be negative. */
function quorumIndexOf(voters: readonly string[], valueOf: (id: string) => number): number {
  assert(voters.length > 0, "no voters");
  const values = voters.map(valueOf).sort((a, b) => b - a);
  return values[Math.floor(voters.length / 2)] ?? Number.MIN_SAFE_INTEGER;
}

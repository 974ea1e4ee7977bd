/**
 * A running Flotilla node: one TCP port serving RESP to clients and Raft to peers, a Raft core
 * driven by the Ready loop, the user's machine behind the Applier, and snapshots that keep the
 * log and memory bounded.
 *
 * @module
 */

import { NotLeaderError } from "../errors.ts";
import { isMember, type MembershipChange } from "../raft/membership.ts";
import { RaftNode } from "../raft/node.ts";
import { Random } from "../raft/random.ts";
import type { Role, SoftState } from "../raft/ready.ts";
import type { Entry, HardState, Membership, SnapshotChunk, SnapshotMeta } from "../raft/types.ts";
import type { Runtime } from "../runtime.ts";
import { createCommandTable } from "./builtins.ts";
import type { CommandTable } from "./command_table.ts";
import { FrameworkApplier, ProposalLostError } from "./applier.ts";
import { encodeCommandEntry } from "./command_codec.ts";
import { createFlushScheduler, type FlushScheduler } from "./flush_scheduler.ts";
import { createLogger, type Logger } from "./logger.ts";
import { decodeMessages } from "./message_codec.ts";
import { type NodeStorage, openNodeStorage } from "./node_storage.ts";
import { type OpenOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
import { Proposer } from "./proposer.ts";
import type { LogPosition, ProposalWaiter } from "./applier.ts";
import { ApplyQueue } from "./apply_queue.ts";
import { afterIo } from "./_after_io.ts";
import { RaftDriver } from "./raft_driver.ts";
import { ReadBatcher } from "./read_batcher.ts";
import { recoverState } from "./recovery.ts";
import { serve, type Server } from "./server.ts";
import type { Session } from "./session.ts";
import { Snapshotter } from "./snapshotter.ts";
import { StorageView } from "./storage_view.ts";
import { Transport } from "./transport.ts";
import { registerNodeCommands } from "./node_commands.ts";
import { argText, connectionState } from "./commands/_context.ts";
import type { Conn } from "../resp/conn.ts";
import { joinCluster } from "./join.ts";
import { TickClock } from "./tick_clock.ts";
import { errorReplyText, VerbatimReplyError } from "./reply_error.ts";

/** Finn's names for the roles, as `RAFTSTATE` reports them. */
export type NodeState = "Leader" | "Follower" | "Candidate" | "Shutdown";

const STATE_NAMES: Record<Role, NodeState> = {
  leader: "Leader",
  follower: "Follower",
  candidate: "Candidate",
  preCandidate: "Candidate",
};

/**
 * A running node, as `open()` returns it.
 *
 * @example
 * ```ts ignore
 * const node = await open({ machine, dir: "data", addr: ":7481" });
 * console.log(node.state(), node.leader());
 * await node.close();
 * ```
 */
export interface Node {
  /** This node's id: the address peers dial, `host:port`. */
  readonly id: string;
  /** The port it listens on (useful with `addr: ":0"`). */
  readonly port: number;
  /** The leader's address, or undefined when none is known. */
  leader(): string | undefined;
  /** `Leader`, `Follower`, `Candidate` or `Shutdown`. */
  state(): NodeState;
  /** Raft statistics, Finn's `RAFTSTATS` keys. */
  stats(): Record<string, string>;
  /** The cluster's voters and learners as this node knows them. */
  membership(): Membership;
  /** Takes a snapshot now and compacts the log behind it. */
  snapshot(): Promise<SnapshotMeta>;
  /** Stops serving, closes peers and files. */
  close(): Promise<void>;
}

/**
 * Opens a node on an explicit runtime (the top-level `open()` picks one for you).
 *
 * @example
 * ```ts ignore
 * import { createRuntime } from "@flotilla/flotilla/adapters/deno";
 * const node = await openNode({ machine, runtime: createRuntime() });
 * ```
 */
export async function openNode(options: OpenOptions & { runtime: Runtime }): Promise<Node> {
  const settings = resolveOptions(options);
  const log = createLogger({
    level: settings.logLevel,
    ...(settings.logOutput === undefined ? {} : { output: settings.logOutput }),
    role: "N",
  });
  const storage = await openNodeStorage(options.runtime, settings, log);
  let node: RaftServer | undefined;
  try {
    node = new RaftServer(options.runtime, settings, storage, log);
    await node.start();
    return node;
  } catch (error) {
    await node?.abandon().catch(() => {});
    await storage.close().catch(() => {});
    throw error;
  }
}

/** The node. Private to the framework: users hold it through {@linkcode Node}. */
export class RaftServer implements Node {
  readonly settings: ResolvedOptions;
  readonly runtime: Runtime;
  readonly log: Logger;
  readonly storage: NodeStorage;
  readonly applier: FrameworkApplier;
  readonly reads: ReadBatcher;
  readonly commands: CommandTable;
  raft!: RaftNode;
  #view!: StorageView;
  #driver!: RaftDriver;
  #transport!: Transport;
  #proposer!: Proposer;
  #snapshotter!: Snapshotter;
  #applyQueue!: ApplyQueue;
  #server: Server | undefined;
  readonly #flushes: FlushScheduler = createFlushScheduler();
  #ticker: ReturnType<typeof setInterval> | undefined;
  /** Ticks from the clock, not from the timer (see tick_clock.ts); set when the core starts. */
  #clock!: TickClock;
  #soft: SoftState = { role: "follower", leader: "", term: 0 };
  #closed = false;
  /** Set by a storage failure: what writes and consistent reads get from then on. */
  #stopped: Error | undefined;
  /** Learners added to become voters once caught up (RAFTADDPEER, join). */
  readonly #promoteWhenCaughtUp = new Set<string>();
  /** Time of the last message from each peer, for RAFTPEERS and INFO. */
  readonly lastContact = new Map<string, number>();

  constructor(runtime: Runtime, settings: ResolvedOptions, storage: NodeStorage, log: Logger) {
    this.runtime = runtime;
    this.settings = settings;
    this.storage = storage;
    this.log = log;
    this.applier = new FrameworkApplier(settings.machine, {
      propose: (args, waiter) => this.#proposeData(encodeCommandEntry(args), waiter),
      proposeEmpty: (waiter) => this.#proposeData(new Uint8Array(0), waiter),
      readNow: () => this.readNow(),
      connectionWrites: (conn) => connectionState(conn as Conn),
      readBarrier: () => this.readBarrier(),
      log,
    });
    this.reads = new ReadBatcher({
      request: (context) => {
        // The core answers at once under a lease: let it know what time it is first.
        this.#catchUp();
        return this.raft.readIndex(context);
      },
      schedule: () => this.#driver.schedule(),
      applied: () => this.applier.applied,
    });
    this.commands = createCommandTable({ name: "flotilla" });
  }

  /** This node's id (its advertised address). */
  get id(): string {
    return this.settings.advertise;
  }

  /** The bound port. */
  get port(): number {
    return this.#server?.port ?? this.settings.bind.port;
  }

  /** Current soft state. */
  get soft(): SoftState {
    return this.#soft;
  }

  /** Recovers state, starts the core, the loop, the server and the ticker. */
  async start(): Promise<void> {
    const { settings, storage, log } = this;
    const recovered = await recoverState(storage, settings.machine, log);
    this.#view = new StorageView({
      log: storage.log,
      hardState: storage.hardState(),
      memberships: recovered.memberships,
      snapshot: recovered.snapshotSource,
      wake: () => this.#driver.schedule(),
      failed: (error) => this.#fail(error),
    });
    const fresh = recovered.fresh;
    const unknownMembership = recovered.snapshot === undefined &&
      recovered.memberships.length === 0;
    const seed = crypto.getRandomValues(new Uint32Array(1))[0]!;
    this.raft = new RaftNode({
      id: this.id,
      storage: this.#view,
      random: new Random(seed),
      // A node with no membership on record (none in a snapshot or the log) and no `join`
      // is a single-node cluster: the bootstrap membership is implicit, so it holds again
      // after a restart. A joining node waits to be added by the leader.
      voters: unknownMembership && settings.join === undefined ? [this.id] : [],
      electionTicks: settings.electionTicks,
      heartbeatTicks: settings.heartbeatTicks,
      readOnly: settings.consistency === "high" ? "safe" : "lease",
      applied: recovered.applied,
    });
    // Past twice the election timeout (the longest randomized one) more ticks change nothing.
    this.#clock = new TickClock(settings.tickMs, 2 * settings.electionTicks + 2);
    this.applier.skipTo(recovered.applied, new Error("unreachable"));
    this.#transport = new Transport({
      runtime: this.runtime,
      selfId: this.id,
      secret: settings.clusterSecret,
      log,
    });
    this.#proposer = new Proposer({
      proposeBatch: (batch) => this.raft.proposeBatch(batch),
      schedule: () => this.#driver.schedule(),
    });
    this.#applyQueue = new ApplyQueue({
      apply: (entries) => this.#applyBatch(entries),
      failed: (error) => this.#fail(error),
    });
    this.#snapshotter = new Snapshotter({
      server: this,
      view: this.#view,
      applyQueue: this.#applyQueue,
      recovered,
      initialMembership: this.raft.membership(),
    });
    this.#driver = new RaftDriver({ raft: this.raft, hooks: this.#hooks(), defer: afterIo });
    registerNodeCommands(this);
    this.#server = await serve(this.runtime, {
      hostname: settings.bind.hostname,
      port: settings.bind.port,
      commands: this.commands,
      scheduleFlush: this.#flushes.schedule,
      ...(settings.connAccept === undefined ? {} : {
        onConnect: (session: Session) =>
          settings.connAccept!({ id: session.id, remoteAddress: session.connection.remoteAddress }),
      }),
      ...(settings.connClosed === undefined ? {} : {
        onDisconnect: (session: Session, error: unknown) =>
          settings.connClosed!(
            { id: session.id, remoteAddress: session.connection.remoteAddress },
            error,
          ),
      }),
      onError: (error) => log.debug(`Command or connection error: ${describe(error)}`),
      errorReply: (error, command) => errorReplyText(error, settings.redirect, argText(command)),
    });
    log.notice(`Node ${this.id} listening on port ${this.port} (${settings.backend} backend)`);
    if (settings.clusterSecret === "") {
      log.warning("No cluster secret set: any client that can reach the port may join as a peer");
    }
    const known = this.raft.membership();
    if (known.voters.length > 0 && !isMember(known, this.id)) {
      // Its address is a node's identity: under another one it takes no part, silently.
      log.warning(
        `This node is ${this.id}, but the membership in ${settings.dir} names ` +
          `${
            [...known.voters, ...known.learners].join(", ")
          }: it takes no part until a leader adds it ` +
          `(RAFTADDPEER ${this.id}); to be the node it was, start it with that address`,
      );
    }
    this.#ticker = setInterval(() => this.#tick(), settings.tickMs);
    this.#driver.schedule();
    if (fresh && settings.join !== undefined) {
      void joinCluster(this, settings.join).catch((error) => {
        log.warning(`Failed to join ${settings.join}: ${describe(error)}`);
      });
    }
  }

  #tick(): void {
    if (this.#closed || this.#stopped !== undefined) return;
    this.#catchUp();
    if (this.#soft.role === "leader") this.#promoteCaughtUp();
    this.#driver.schedule();
  }

  /** Runs the ticks the clock says are due (none, one, or many after a held-up loop). */
  #catchUp(): void {
    for (let due = this.#clock.due(); due > 0; due--) this.raft.tick();
  }

  #proposeData(data: Uint8Array, waiter: ProposalWaiter): void {
    if (this.#closed) return waiter.placed(new Error("node is shutting down"), 0, 0);
    if (this.#stopped !== undefined) return waiter.placed(this.#stopped, 0, 0);
    if (this.#soft.role !== "leader") return waiter.placed(this.notLeader(), 0, 0);
    this.#proposer.propose(data, waiter);
  }

  /** Proposes encoded data; resolves with its log position. */
  propose(data: Uint8Array): Promise<LogPosition> {
    return new Promise((resolve, reject) => {
      this.#proposeData(data, {
        placed: (
          error,
          index,
          term,
        ) => (error === undefined ? resolve({ index, term }) : reject(error)),
      });
    });
  }

  /**
   * True when a read may be served at once: always at low consistency; at medium on a leader
   * whose lease holds and that has applied everything committed when the lease was checked.
   */
  readNow(): boolean {
    const consistency = this.settings.consistency;
    if (consistency === "low") return true;
    if (consistency !== "medium" || this.#soft.role !== "leader") return false;
    // Stopped: no longer a leader anyone follows (readBarrier gives the reason).
    if (this.#stopped !== undefined) return false;
    // The loop was held up: the lease may have run out in wall time. The read waits for the
    // next pass, which runs the due ticks before it asks the core. Asked on every read, not
    // once per pipeline: a slow command between two reads of one pipeline can outlast the
    // lease (the clock reading costs about 140 ns on Deno, 50 ns on Bun).
    if (this.#clock.overdue()) {
      this.#driver.schedule();
      return false;
    }
    const index = this.raft.leaseReadIndex();
    return index !== undefined && this.applier.applied >= index;
  }

  /** Resolves when a read may be served under the consistency level. */
  readBarrier(): Promise<void> {
    if (this.settings.consistency === "low") return Promise.resolve();
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped);
    if (this.#soft.role !== "leader") return Promise.reject(this.notLeader());
    return this.reads.wait();
  }

  /** A round trip through the log: resolves once an entry proposed now is applied here. */
  async barrier(): Promise<void> {
    // An empty entry: it goes through the log like any write but the machine never sees it.
    const position = await this.propose(new Uint8Array(0));
    await this.applier.waitFor(position);
  }

  /** The error for a request that only the leader can serve. */
  notLeader(): NotLeaderError {
    return new NotLeaderError(this.leader());
  }

  /** Feeds a batch of Raft messages received from a peer. */
  receive(batch: Uint8Array, from: string): void {
    if (this.#closed) return;
    const messages = decodeMessages(batch);
    const now = Date.now();
    for (const message of messages) {
      this.lastContact.set(message.from, now);
      this.raft.step(message);
    }
    this.lastContact.set(from, now);
    this.#driver.schedule();
  }

  /**
   * Proposes a membership change and waits until it is applied here. A server becomes a voter
   * only from learner (`addPeer` adds one; it is promoted once caught up): a voter added
   * straight from outside has no log yet, and if it never answers (a mistyped address) a
   * cluster whose quorum now needs it cannot commit anything again, not even its removal.
   */
  async changeMembership(change: MembershipChange): Promise<void> {
    if (this.#soft.role !== "leader") throw this.notLeader();
    const membership = this.raft.membership();
    if (change.kind === "addVoter" && !isMember(membership, change.id)) {
      throw new VerbatimReplyError("peer is unknown");
    }
    if (
      change.kind !== "addVoter" && membership.voters.length === 1 &&
      membership.voters[0] === change.id
    ) {
      throw new Error(
        `${change.id} is the only voter: add another before removing or demoting it`,
      );
    }
    // A change refused because an earlier one is still committing is retried briefly.
    for (let attempt = 0;; attempt++) {
      const result = this.raft.proposeMembership(change);
      if (result.ok) {
        this.#driver.schedule();
        await this.applier.waitFor({ index: result.index, term: result.term });
        return;
      }
      if (result.reason === "noChange") return;
      const retryable = result.reason === "membershipPending" || result.reason === "notReady";
      if (!retryable || attempt >= 50) {
        if (result.reason === "notLeader") throw this.notLeader();
        if (result.reason === "notCaughtUp") {
          throw new Error(`${change.id} has not caught up with the log yet; try again`);
        }
        throw new Error(`membership change refused: ${result.reason}`);
      }
      await new Promise((resolve) => setTimeout(resolve, this.settings.tickMs));
    }
  }

  /** Adds a peer: as a learner, promoted to voter once caught up unless `voter` is false. */
  async addPeer(id: string, voter: boolean): Promise<void> {
    const membership = this.raft.membership();
    if (membership.voters.includes(id)) return;
    if (!membership.learners.includes(id)) {
      await this.changeMembership({ kind: "addLearner", id });
    }
    if (voter) this.#promoteWhenCaughtUp.add(id);
  }

  /** Removes a peer (the leader itself steps down once the change commits). */
  async removePeer(id: string): Promise<void> {
    const membership = this.raft.membership();
    if (!isMember(membership, id)) {
      throw new VerbatimReplyError("peer is unknown");
    }
    this.#promoteWhenCaughtUp.delete(id);
    await this.changeMembership({ kind: "remove", id });
  }

  /** Hands leadership to `id`. */
  transferLeadership(id: string): void {
    const result = this.raft.transferLeadership(id);
    if (!result.ok) {
      if (result.reason === "notLeader") throw this.notLeader();
      throw new Error(`transfer refused: ${result.reason}`);
    }
    this.#driver.schedule();
  }

  #promoteCaughtUp(): void {
    for (const id of this.#promoteWhenCaughtUp) {
      const membership = this.raft.membership();
      if (!membership.learners.includes(id)) {
        this.#promoteWhenCaughtUp.delete(id);
        continue;
      }
      const match = this.raft.matchIndex(id) ?? 0;
      if (match < this.raft.hardState().commit) continue;
      const result = this.raft.proposeMembership({ kind: "addVoter", id });
      if (result.ok) {
        this.#promoteWhenCaughtUp.delete(id);
        this.log.notice(`Promoting ${id} to voter`);
      }
    }
  }

  /** Whether the transport link to a peer is up. */
  isConnected(peer: string): boolean {
    return this.#transport.isConnected(peer);
  }

  leader(): string | undefined {
    return this.#soft.leader === "" ? undefined : this.#soft.leader;
  }

  state(): NodeState {
    if (this.#closed || this.#stopped !== undefined) return "Shutdown";
    return STATE_NAMES[this.#soft.role];
  }

  membership(): Membership {
    return this.raft.membership();
  }

  stats(): Record<string, string> {
    const hard = this.raft.hardState();
    const last = this.raft.lastIndex();
    const snapshot = this.#view.snapshot();
    const membership = this.raft.membership();
    const peers = new Set([...membership.voters, ...membership.learners]);
    peers.delete(this.id);
    const leader = this.leader();
    const contact = leader === undefined || leader === this.id
      ? (leader === this.id ? "0" : "never")
      : String(Date.now() - (this.lastContact.get(leader) ?? 0));
    return {
      applied_index: String(this.applier.applied),
      commit_index: String(hard.commit),
      fsm_pending: String(this.applier.pendingCount),
      last_contact: contact,
      last_log_index: String(last),
      last_log_term: String(this.raft.termAt(last) ?? 0),
      last_snapshot_index: String(snapshot.index),
      last_snapshot_term: String(snapshot.term),
      num_peers: String(peers.size),
      state: this.state(),
      term: String(hard.term),
    };
  }

  snapshot(): Promise<SnapshotMeta> {
    return this.#snapshotter.takeNow();
  }

  /** Drops the log behind the latest snapshot (RAFTSHRINKLOG). */
  shrinkLog(): Promise<void> {
    return this.#snapshotter.shrinkLog();
  }

  /** The snapshots stored on this node. */
  snapshots(): SnapshotMeta[] {
    return this.storage.snapshots.list();
  }

  /** Counters of the write path, for INFO: how well proposals and passes batch. */
  pipelineStats(): Record<string, number> {
    return {
      ready_passes: this.#driver.passes,
      proposal_batches: this.#proposer.batches,
      apply_waiting: this.#applyQueue.waiting,
      reads_waiting: this.reads.waiting,
    };
  }

  /** Connection count, for INFO. */
  get clientConnections(): number {
    return this.#server?.connections ?? 0;
  }

  /**
   * Releases what a start that failed part way set up (`close` expects a started node). The
   * flush scheduler's message port alone kept Node's event loop alive: a program that caught
   * a failed `open()` (a port in use, a damaged snapshot) never exited.
   */
  async abandon(): Promise<void> {
    this.#closed = true;
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    const started = this.#driver as RaftDriver | undefined;
    started?.stop();
    (this.#transport as Transport | undefined)?.close();
    await this.#server?.close();
    this.#flushes.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#driver.stop();
    const shutdown = new Error("node is shutting down");
    this.#proposer.failAll(shutdown);
    this.reads.failAll(shutdown);
    this.applier.failAll(shutdown);
    this.#transport.close();
    await this.#server?.close();
    this.#flushes.close();
    await this.#driver.idle();
    await this.#snapshotter.idle();
    await this.storage.close();
    this.log.notice(`Node ${this.id} closed`);
  }

  #fail(error: unknown): void {
    if (this.#stopped !== undefined) return;
    this.log.warning(`Stopping Raft on this node after a storage failure: ${describe(error)}`);
    this.#driver.stop();
    const failure = new Error(`node stopped after a storage failure: ${describe(error)}`, {
      cause: error,
    });
    this.#stopped = failure;
    this.#proposer.failAll(failure);
    this.reads.failAll(failure);
    // Writes in the log but not yet applied may or may not have become durable: their clients
    // get the error (an unknown outcome, as with a timeout) rather than no answer at all.
    this.applier.failAll(failure);
  }

  #hooks() {
    return {
      beforePass: () => {
        // Time first: a pass after a held-up loop must not answer reads on an expired lease.
        this.#catchUp();
        this.#proposer.flush();
      },
      send: (messages: Parameters<Transport["send"]>[0]) => this.#transport.send(messages),
      persistEntries: (entries: Entry[]) => {
        const log = this.storage.log;
        const first = entries[0]!.index;
        if (first <= log.lastIndex()) {
          return log.truncateBack(first - 1).then(() => log.append(entries));
        }
        return log.appendNow(entries);
      },
      persistHardState: (state: HardState) => {
        const saved = this.storage.hardState();
        // Only a new term or vote must be durable before we answer (a lost vote could elect two
        // leaders). The commit index is a hint: rewriting the file (temp file, fsync, rename,
        // fsync of the directory) for it on every pass would cost more than the entries do.
        if (state.term === saved.term && state.vote === saved.vote) return undefined;
        return this.storage.saveHardState(state);
      },
      persistSnapshotChunks: (chunks: SnapshotChunk[]) => this.#snapshotter.receive(chunks),
      apply: (entries: Entry[]) => this.#applyQueue.push(entries),
      reads: (states: { context: string; index: number }[]) => {
        for (const state of states) this.reads.confirmed(state.context, state.index);
      },
      softState: (state: SoftState) => this.#softStateChanged(state),
      failed: (error: unknown) => this.#fail(error),
    };
  }

  /**
   * Applies a batch through the machine. The replies it completes are held and leave together
   * in one flush per connection right after it, in a microtask (not a macrotask message).
   */
  #applyBatch(entries: Entry[]): Promise<void> | undefined {
    this.#flushes.hold();
    let applying: Promise<void> | undefined;
    try {
      applying = this.applier.applyEntries(entries);
    } finally {
      if (applying === undefined) this.#flushes.release();
    }
    if (applying === undefined) {
      this.#afterApply(entries);
      return undefined;
    }
    return applying.then(() => {
      this.#flushes.release();
      this.#afterApply(entries);
    }, (error) => {
      this.#flushes.release();
      throw error;
    });
  }

  #afterApply(entries: readonly Entry[]): void {
    this.reads.applied(this.applier.applied);
    this.#snapshotter.noteApplied(entries);
    if (entries.some((entry) => entry.type === 2)) {
      const membership = this.raft.membership();
      this.#transport.retain([...membership.voters, ...membership.learners]);
      this.log.notice(
        `Membership: voters ${membership.voters.join(", ") || "none"}` +
          (membership.learners.length ? `; learners ${membership.learners.join(", ")}` : ""),
      );
    }
    this.#snapshotter.maybeSnapshot(this.applier.applied);
  }

  #softStateChanged(state: SoftState): void {
    const previous = this.#soft;
    this.#soft = state;
    if (state.role !== previous.role || state.leader !== previous.leader) {
      const leader = state.leader === "" ? "unknown" : state.leader;
      this.log.notice(`${STATE_NAMES[state.role]} in term ${state.term}; leader ${leader}`);
    }
    if (previous.role === "leader" && state.role !== "leader") {
      this.reads.failAll(this.notLeader());
    }
  }
}

/** An error's message, for logs. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export { ProposalLostError };

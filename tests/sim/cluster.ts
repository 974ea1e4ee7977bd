/**
 * A cluster of Raft nodes in one process: each node has its "disk" (a MemoryStorage that
 * survives crashes), a KV machine and the application loop (persist → send → apply →
 * advance). Scenario tests drive it by hand; the simulator drives it from a seed.
 *
 * @module
 */

import { assert } from "../../lib/_assert.ts";
import type { RaftConfig } from "../../lib/raft/config.ts";
import { MemoryStorage } from "../../lib/raft/memory_storage.ts";
import { createMessage, type Message } from "../../lib/raft/messages.ts";
import { RaftNode } from "../../lib/raft/node.ts";
import { Random } from "../../lib/raft/random.ts";
import type { Ready } from "../../lib/raft/ready.ts";
import type { Membership } from "../../lib/raft/types.ts";
import { check, checkLogMatching, History } from "./checker.ts";
import { KvMachine } from "./kv_machine.ts";
import { SimNetwork } from "./network.ts";

/** Node options the cluster passes to every RaftNode. */
export type NodeOptions = Omit<RaftConfig, "id" | "storage" | "random" | "voters" | "applied">;

/** A read waiting for its ReadState and then for the machine to catch up. */
export interface PendingRead {
  context: string;
  key: string;
  ackedAtInvoke: number;
  index: number | undefined;
}

/** A client proposal waiting to be applied on the node that accepted it. */
export interface PendingWrite {
  index: number;
  term: number;
  data: Uint8Array;
}

/** One simulated server. */
export class SimNode {
  readonly id: string;
  readonly storage: MemoryStorage;
  raft: RaftNode;
  machine: KvMachine;
  alive = true;
  incarnation = 0;
  /** A Ready being persisted (slow disk): held until `holdUntil`. */
  held: { ready: Ready; until: number } | undefined;
  reads: PendingRead[] = [];
  writes: PendingWrite[] = [];
  lastCommit = 0;
  wasLeaderTerm = 0;

  constructor(id: string, storage: MemoryStorage, raft: RaftNode, machine: KvMachine) {
    this.id = id;
    this.storage = storage;
    this.raft = raft;
    this.machine = machine;
  }
}

/** Knobs the simulator turns; scenario tests keep the defaults. */
export interface ClusterOptions {
  seed: number;
  voters: string[];
  /** Extra nodes that start outside the membership (to be added later). */
  spares?: string[];
  node?: NodeOptions;
}

/** Nodes, network and checkers. */
export class SimCluster {
  readonly nodes = new Map<string, SimNode>();
  readonly network: SimNetwork;
  readonly history = new History();
  readonly random: Random;
  readonly ids: string[];
  now = 0;
  readonly #options: ClusterOptions;
  /** Probability that a Ready's persist takes longer than one step. */
  slowDisk = 0;
  /** Probability that a node snapshots after applying (compaction). */
  snapshotRate = 0;
  /** Probability that storage answers "not in memory" for an entries() call. */
  cacheMissRate = 0;
  acked = 0;
  readsServed = 0;
  /** Event trace for replaying a failure (`main.ts --seed N --trace`). */
  log: ((line: string) => void) | undefined;
  snapshotsInstalled = 0;
  leadersSeen = 0;

  constructor(options: ClusterOptions) {
    this.#options = options;
    this.random = new Random(options.seed);
    this.network = new SimNetwork(new Random(options.seed ^ 0x5bd1e995));
    this.ids = [...options.voters, ...(options.spares ?? [])];
    const bootstrap: Membership = { voters: [...options.voters], learners: [] };
    for (const id of this.ids) {
      const membership = options.voters.includes(id) ? bootstrap : { voters: [], learners: [] };
      const storage = new MemoryStorage(membership);
      storage.cacheMiss = () => this.cacheMissRate > 0 && this.random.chance(this.cacheMissRate);
      const machine = new KvMachine(membership);
      this.nodes.set(id, new SimNode(id, storage, this.#newRaft(id, storage, 0), machine));
    }
  }

  #newRaft(id: string, storage: MemoryStorage, incarnation: number): RaftNode {
    const seed = (this.#options.seed * 31 + this.ids.indexOf(id) * 7919 + incarnation * 104729) | 0;
    return new RaftNode({
      ...this.#options.node,
      id,
      storage,
      random: new Random(seed),
      applied: storage.snapshot().index,
    });
  }

  node(id: string): SimNode {
    const node = this.nodes.get(id);
    assert(node !== undefined, `no node ${id}`);
    return node;
  }

  /** Alive nodes that currently believe they lead. */
  leaders(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.raft.softState().role === "leader");
  }

  /** The leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const node of this.leaders()) {
      if (best === undefined || node.raft.softState().term > best.raft.softState().term) {
        best = node;
      }
    }
    return best;
  }

  // ------------------------------------------------------------ time

  /** One step: tick every alive node, deliver due messages, run every node's Ready loop. */
  step(tickProbability = 1): void {
    this.now++;
    for (const node of this.nodes.values()) {
      if (!node.alive) continue;
      if (tickProbability >= 1 || this.random.chance(tickProbability)) node.raft.tick();
    }
    this.deliver();
    this.processAll();
    this.checkAll();
  }

  /** Delivers every message due now (in random order among them). */
  deliver(): void {
    const due = this.network.due(this.now);
    for (let i = due.length - 1; i > 0; i--) {
      const j = this.random.range(0, i + 1);
      [due[i], due[j]] = [due[j] as Message, due[i] as Message];
    }
    for (const message of due) {
      const node = this.nodes.get(message.to);
      if (node === undefined || !node.alive) continue;
      this.network.delivered++;
      node.raft.step(message);
    }
  }

  /** Runs the application loop on every alive node until nothing is ready. */
  processAll(): void {
    for (const node of this.nodes.values()) this.process(node);
  }

  /** The application loop of one node. */
  process(node: SimNode): void {
    if (!node.alive) return;
    if (node.held !== undefined) {
      if (node.held.until > this.now) return;
      const ready = node.held.ready;
      node.held = undefined;
      this.#finish(node, ready);
    }
    for (let rounds = 0; rounds < 50 && node.raft.hasReady(); rounds++) {
      const ready = node.raft.ready();
      this.#observe(node, ready);
      for (const message of ready.messages) this.network.send(this.now, message);
      if (ready.mustSync && this.slowDisk > 0 && this.random.chance(this.slowDisk)) {
        node.held = { ready, until: this.now + this.random.range(1, 4) };
        return;
      }
      this.#finish(node, ready);
    }
  }

  #observe(node: SimNode, ready: Ready): void {
    const soft = ready.softState;
    if (soft !== undefined) {
      this.log?.(`${this.now} ${node.id} ${soft.role} term=${soft.term} leader=${soft.leader}`);
    }
    if (soft === undefined || soft.role !== "leader") return;
    if (this.history.noteLeader(soft.term, node.id) || node.wasLeaderTerm !== soft.term) {
      this.leadersSeen++;
      node.wasLeaderTerm = soft.term;
      const raft = node.raft;
      this.history.checkLeaderLog(node.id, {
        firstIndex: () => raft.firstIndex(),
        lastIndex: () => raft.lastIndex(),
        termAt: (index) => raft.termAt(index),
      });
    }
  }

  /** Persist, send after-persist messages, apply, serve reads, advance. */
  #finish(node: SimNode, ready: Ready): void {
    this.#persist(node, ready, ready.entries.length);
    for (const message of ready.messagesAfterPersist) this.network.send(this.now, message);
    for (const entry of ready.committedEntries) {
      node.machine.apply(entry);
      this.history.noteApplied(node.id, entry);
      this.#ackWrites(node, entry.index, entry.term);
    }
    for (const read of ready.readStates) {
      this.log?.(`${this.now} ${node.id} readState ${read.context} index=${read.index}`);
      const pending = node.reads.find((r) => r.context === read.context);
      if (pending !== undefined) pending.index = read.index;
    }
    node.raft.advance();
    this.#serveReads(node);
    this.#maybeSnapshot(node);
  }

  #persist(node: SimNode, ready: Ready, entryCount: number): void {
    for (const chunk of ready.snapshot) {
      node.storage.receiveChunk(chunk);
      if (!chunk.done) continue;
      const meta = chunk.meta;
      this.history.noteSnapshot(node.id, meta.index, meta.term);
      this.snapshotsInstalled++;
      node.machine.restore(meta.index, meta.membership, node.storage.snapshotData());
      node.writes = node.writes.filter((w) => w.index > meta.index);
    }
    node.storage.append(ready.entries.slice(0, entryCount));
    if (ready.hardState !== undefined) node.storage.setHardState(ready.hardState);
  }

  #ackWrites(node: SimNode, index: number, term: number): void {
    if (node.writes.length === 0) return;
    const remaining: PendingWrite[] = [];
    for (const write of node.writes) {
      if (write.index !== index) {
        remaining.push(write);
        continue;
      }
      if (write.term === term) {
        this.log?.(`${this.now} ${node.id} acked write at ${index} term=${term}`);
        this.history.noteAcked(write.index, write.term, write.data);
        this.acked++;
      }
    }
    node.writes = remaining;
  }

  #serveReads(node: SimNode): void {
    if (node.reads.length === 0) return;
    node.reads = node.reads.filter((read) => {
      if (read.index === undefined || node.machine.applied < read.index) return true;
      const value = node.machine.values.get(read.key);
      this.log?.(`${this.now} ${node.id} serve ${read.context} at=${node.machine.applied}`);
      this.history.checkRead(node.id, read.key, value, node.machine.applied, read.ackedAtInvoke);
      this.readsServed++;
      return false;
    });
  }

  #maybeSnapshot(node: SimNode): void {
    if (this.snapshotRate === 0 || !this.random.chance(this.snapshotRate)) return;
    const applied = node.machine.applied;
    if (applied <= node.storage.snapshot().index || applied > node.storage.lastIndex()) return;
    node.storage.createSnapshot(applied, node.machine.membership, node.machine.snapshot());
  }

  // ------------------------------------------------------------ client actions

  /** Proposes `key=value` on `id`; true if accepted. */
  write(id: string, key: string, value: string): boolean {
    const node = this.node(id);
    if (!node.alive) return false;
    const data = new TextEncoder().encode(`${key}=${value}`);
    const result = node.raft.propose(data);
    if (!result.ok) return false;
    node.writes.push({ index: result.index, term: result.term, data });
    return true;
  }

  /** Starts a linearizable read of `key` on `id`; true if accepted. */
  read(id: string, key: string): boolean {
    const node = this.node(id);
    if (!node.alive) return false;
    const context = `${id}:${this.now}:${node.reads.length}:${this.random.next()}`;
    if (!node.raft.readIndex(context).ok) return false;
    const soft = node.raft.softState();
    this.log?.(`${this.now} ${id} read ${context} as ${soft.role} term=${soft.term}`);
    node.reads.push({ context, key, ackedAtInvoke: this.history.ackedIndex, index: undefined });
    return true;
  }

  // ------------------------------------------------------------ faults

  /** Crashes `id`: a held (unsynced) Ready is torn, volatile state is lost. */
  crash(id: string): void {
    const node = this.node(id);
    if (!node.alive) return;
    node.alive = false;
    this.log?.(`${this.now} ${id} crash`);
    const held = node.held;
    node.held = undefined;
    if (held !== undefined && this.random.chance(0.5)) {
      // Some of the unsynced writes reached the disk: any prefix of the entries.
      const ready = held.ready;
      const kept = this.random.range(0, ready.entries.length + 1);
      const hardState = this.random.chance(0.5) ? ready.hardState : undefined;
      this.#persist(node, { ...ready, hardState }, kept);
    }
    node.reads = [];
    node.writes = [];
    this.network.forget(id);
  }

  /** Restarts `id` from what its storage holds. */
  restart(id: string): void {
    const node = this.node(id);
    if (node.alive) return;
    node.incarnation++;
    const snapshot = node.storage.snapshot();
    node.machine = new KvMachine(snapshot.membership);
    node.machine.restore(snapshot.index, snapshot.membership, node.storage.snapshotData());
    node.raft = this.#newRaft(id, node.storage, node.incarnation);
    node.lastCommit = node.raft.hardState().commit;
    node.wasLeaderTerm = 0;
    node.alive = true;
    this.log?.(`${this.now} ${id} restart`);
  }

  /** Makes `id` campaign now (as a TimeoutNow from a peer would). */
  campaign(id: string): void {
    const node = this.node(id);
    const from = this.ids.find((other) => other !== id) ?? "x";
    node.raft.step(createMessage("timeoutNow", from, id, node.raft.softState().term));
  }

  // ------------------------------------------------------------ checks

  /** Per-step checks across nodes (the per-event ones run as events happen). */
  checkAll(): void {
    for (const node of this.nodes.values()) {
      if (!node.alive) continue;
      const commit = node.raft.hardState().commit;
      check(
        commit >= node.lastCommit,
        () => `${node.id} commit went back ${node.lastCommit}→${commit}`,
      );
      node.lastCommit = commit;
      const soft = node.raft.softState();
      if (soft.role === "leader") this.history.noteLeader(soft.term, node.id);
    }
    check(this.network.size < 50_000, () => `message storm: ${this.network.size} in flight`);
    if (this.now % 16 === 0) this.checkLogs();
  }

  /** Log matching between every pair of alive nodes. */
  checkLogs(): void {
    const alive = [...this.nodes.values()].filter((n) => n.alive);
    for (let i = 0; i < alive.length; i++) {
      for (let j = i + 1; j < alive.length; j++) {
        const a = alive[i] as SimNode;
        const b = alive[j] as SimNode;
        checkLogMatching(a.id, readerOf(a.raft), b.id, readerOf(b.raft));
      }
    }
  }
}

function readerOf(raft: RaftNode) {
  return {
    firstIndex: () => raft.firstIndex(),
    lastIndex: () => raft.lastIndex(),
    termAt: (index: number) => raft.termAt(index),
  };
}

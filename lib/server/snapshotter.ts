/**
 * Snapshots on a node: taken every `snapshotThreshold` applied entries and on request, the log
 * compacted behind them (keeping `snapshotTrailingEntries` for slow followers); and snapshots
 * received from the leader, written as they stream in and installed when complete.
 *
 * While the machine streams its state, applying is paused (the Raft loop keeps replicating and
 * committing), so the machine sees a still state; see `machine.ts`.
 *
 * @module
 */

import type { SnapshotWriter as StoredSnapshotWriter } from "../log/snapshot_store.ts";
import { decodeMembership } from "../raft/membership.ts";
import type { Entry, Membership, SnapshotChunk, SnapshotMeta } from "../raft/types.ts";
import type { ApplyQueue } from "./apply_queue.ts";
import type { SnapshotWriter } from "./machine.ts";
import type { RaftServer } from "./node.ts";
import { machineReader, type Recovered, snapshotSource } from "./recovery.ts";
import type { StorageView } from "./storage_view.ts";

/** Options for {@linkcode Snapshotter}. */
export interface SnapshotterOptions {
  /** The node. */
  server: RaftServer;
  /** The core's storage view (told about new snapshots). */
  view: StorageView;
  /** The applying side, paused while a snapshot is taken. */
  applyQueue: ApplyQueue;
  /** What start-up recovered. */
  recovered: Recovered;
  /** The membership in force before any membership entry was applied. */
  initialMembership: Membership;
}

/** Thrown by `takeNow()` when nothing was applied since the last snapshot (Finn's wording). */
export class NothingToSnapshotError extends Error {
  /** Creates the error. */
  constructor() {
    super("Nothing new to snapshot");
    this.name = "NothingToSnapshotError";
  }
}

const textEncoder = new TextEncoder();

/**
 * Takes, compacts behind, receives and installs snapshots.
 *
 * @example
 * ```ts ignore
 * const snapshotter = new Snapshotter({ server, view, applyQueue, recovered, initialMembership });
 * snapshotter.noteApplied(entries);
 * ```
 */
export class Snapshotter {
  readonly #server: RaftServer;
  readonly #view: StorageView;
  readonly #queue: ApplyQueue;
  #lastIndex: number;
  #appliedMembership: Membership;
  #taking: Promise<SnapshotMeta> | undefined;
  #incoming: { meta: SnapshotMeta; writer: StoredSnapshotWriter; written: number } | undefined;

  /**
   * Creates the snapshotter.
   *
   * @param options The node and its parts.
   */
  constructor(options: SnapshotterOptions) {
    this.#server = options.server;
    this.#view = options.view;
    this.#queue = options.applyQueue;
    this.#lastIndex = options.recovered.snapshot?.index ?? 0;
    this.#appliedMembership = options.recovered.snapshot?.membership ?? options.initialMembership;
  }

  /** Index of the latest snapshot on this node. */
  get lastIndex(): number {
    return this.#lastIndex;
  }

  /** Tracks membership entries as they are applied (a snapshot records the applied one). */
  noteApplied(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.type === 2) this.#appliedMembership = decodeMembership(entry.data);
    }
  }

  /** Starts a snapshot in the background once enough entries were applied since the last. */
  maybeSnapshot(applied: number): void {
    const threshold = this.#server.settings.snapshotThreshold;
    if (this.#taking !== undefined || applied - this.#lastIndex < threshold) return;
    this.takeNow().catch((error) => {
      if (!(error instanceof NothingToSnapshotError)) {
        this.#server.log.warning(
          `Snapshot failed: ${error instanceof Error ? error.message : error}`,
        );
      }
    });
  }

  /** Takes a snapshot at the applied index now (or joins one under way). */
  takeNow(): Promise<SnapshotMeta> {
    this.#taking ??= this.#take().finally(() => (this.#taking = undefined));
    return this.#taking;
  }

  /** Resolves when no snapshot is being taken. */
  async idle(): Promise<void> {
    await this.#taking?.catch(() => {});
  }

  async #take(): Promise<SnapshotMeta> {
    const server = this.#server;
    const release = await this.#queue.pause();
    let meta: SnapshotMeta;
    try {
      const index = server.applier.applied;
      if (index <= this.#lastIndex) throw new NothingToSnapshotError();
      const term = server.raft.termAt(index) ?? server.storage.log.term(index);
      if (term === undefined) throw new Error(`no term known for applied index ${index}`);
      meta = { index, term, membership: this.#appliedMembership };
      const writer = await server.storage.snapshots.create(meta);
      try {
        await server.settings.machine.snapshot(machineWriter(writer));
        await writer.commit();
      } catch (error) {
        await writer.abort().catch(() => {});
        throw error;
      }
    } finally {
      release();
    }
    this.#published(meta);
    await this.#compact(meta.index);
    server.log.notice(`Snapshot taken at index ${meta.index} (term ${meta.term})`);
    return meta;
  }

  /** Drops log entries behind the snapshot, keeping a tail for followers slightly behind. */
  async #compact(index: number): Promise<void> {
    const raftLog = this.#server.storage.log;
    const keepFrom = Math.min(
      index + 1 - this.#server.settings.snapshotTrailingEntries,
      raftLog.lastIndex() + 1,
    );
    if (keepFrom > raftLog.firstIndex()) await raftLog.truncateFront(keepFrom);
  }

  /** Compacts the log behind the latest snapshot now (RAFTSHRINKLOG), keeping no tail. */
  async shrinkLog(): Promise<void> {
    const raftLog = this.#server.storage.log;
    const keepFrom = Math.min(this.#lastIndex + 1, raftLog.lastIndex() + 1);
    if (keepFrom > raftLog.firstIndex()) await raftLog.truncateFront(keepFrom);
  }

  #published(meta: SnapshotMeta): void {
    this.#lastIndex = meta.index;
    this.#view.setSnapshot(snapshotSource(this.#server.storage.snapshots, meta));
  }

  /** Writes chunks of a snapshot the leader sends; installs it on the last one. */
  async receive(chunks: readonly SnapshotChunk[]): Promise<void> {
    for (const chunk of chunks) {
      if (chunk.offset === 0) {
        await this.#incoming?.writer.abort().catch(() => {});
        const writer = await this.#server.storage.snapshots.create(chunk.meta);
        this.#incoming = { meta: chunk.meta, writer, written: 0 };
      }
      const incoming = this.#incoming;
      if (
        incoming === undefined || incoming.meta.index !== chunk.meta.index ||
        incoming.written !== chunk.offset
      ) {
        throw new Error(`snapshot chunk out of order at offset ${chunk.offset}`);
      }
      await incoming.writer.write(chunk.data);
      incoming.written += chunk.data.length;
      if (chunk.done) {
        this.#incoming = undefined;
        await incoming.writer.commit();
        await this.#install(incoming.meta);
      }
    }
  }

  async #install(meta: SnapshotMeta): Promise<void> {
    const server = this.#server;
    // Entries still queued are older than the snapshot: it replaces them.
    this.#queue.clear();
    await this.#queue.drained();
    const reader = await server.storage.snapshots.openReader(meta);
    try {
      await server.settings.machine.restore(machineReader(reader));
    } finally {
      await reader.close();
    }
    await server.storage.log.reset(meta.index, meta.term);
    server.applier.skipTo(meta.index, new Error("replaced by a snapshot from the leader"));
    this.#appliedMembership = meta.membership;
    this.#published(meta);
    server.log.notice(`Installed snapshot from the leader at index ${meta.index}`);
  }
}

/** Adapts the store's writer to the machine's (accepts strings). */
function machineWriter(writer: StoredSnapshotWriter): SnapshotWriter {
  return {
    write: (chunk) => writer.write(typeof chunk === "string" ? textEncoder.encode(chunk) : chunk),
  };
}

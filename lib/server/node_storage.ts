/**
 * A node's persistent state in one place: the Raft log, the hard state and the snapshots, on
 * disk (`backend: "file"`) or in memory (`"memory"`, nothing survives a restart).
 *
 * Layout of the data directory: `log/` (segments), `hardstate`, `snapshots/`.
 *
 * @module
 */

import { HardStateFile } from "../log/hard_state_file.ts";
import { MemoryLog } from "../log/memory_log.ts";
import { SegmentedLog } from "../log/segmented_log.ts";
import { SnapshotStore } from "../log/snapshot_store.ts";
import type { DamagedSnapshot } from "../log/snapshot_store.ts";
import type { LogCorruptionError } from "../errors.ts";
import type { SnapshotReader, SnapshotWriter } from "../log/snapshot_store.ts";
import type { RaftLog, SyncPolicy } from "../log/types.ts";
import type { HardState, SnapshotMeta } from "../raft/types.ts";
import type { Runtime } from "../runtime.ts";
import { concatBytes } from "./_bytes.ts";
import type { Logger } from "./logger.ts";
import type { Level } from "./options.ts";

/** Where snapshots are kept: the file store or its in-memory stand-in. */
export interface SnapshotStorage {
  /** Metadata of the stored snapshots, oldest first. */
  list(): SnapshotMeta[];
  /** The newest snapshot's metadata, if any. */
  latest(): SnapshotMeta | undefined;
  /** Starts writing a new snapshot. */
  create(meta: SnapshotMeta): Promise<SnapshotWriter>;
  /** Opens a stored snapshot for reading. */
  openReader(meta: SnapshotMeta): Promise<SnapshotReader>;
  /** Reads a stored snapshot through to check its CRC: the damage found, or undefined. */
  damage(meta: SnapshotMeta): Promise<LogCorruptionError | undefined>;
  /** Snapshots found damaged (bad header or trailer) when opened, oldest first. */
  damaged(): DamagedSnapshot[];
  /** Moves a damaged snapshot out of the way (listed or found damaged); returns where to. */
  setAside(index: number, term: number): Promise<string>;
}

/** The opened state of a node. */
export interface NodeStorage {
  /** The Raft log. */
  log: RaftLog;
  /** The hard state as last persisted. */
  hardState(): HardState;
  /** Persists a new hard state durably. */
  saveHardState(state: HardState): Promise<void>;
  /** The snapshots. */
  snapshots: SnapshotStorage;
  /** Closes files. */
  close(): Promise<void>;
}

/** How durability levels map onto the log's fsync policies (Redis's appendfsync words). */
export const SYNC_POLICY: Readonly<Record<Level, SyncPolicy>> = {
  low: "never",
  medium: "everysec",
  high: "always",
};

/**
 * The log's cache of recent entries (the log's own default is 8 MiB). It serves followers a few
 * batches behind without a disk read; what it holds lives long enough to be promoted to V8's
 * old generation, which grows the heap. Measured on Deno, 1,000,000 SETs over 100 keys at
 * `-P 16`: RSS 191-203 MB with 8 MiB, 155-172 MB with 2 MiB, 149-151 MB with 1 MiB; three nodes
 * at SET `-P 16` and `-P 1` were no slower with 2 MiB.
 */
const LOG_CACHE_BYTES = 2 * 1024 * 1024;

/**
 * Opens (or creates) a node's storage.
 *
 * @example
 * ```ts ignore
 * const storage = await openNodeStorage(runtime, { dir: "data", backend: "file", durability: "high" }, log);
 * ```
 */
export async function openNodeStorage(
  runtime: Runtime,
  settings: { dir: string; backend: "file" | "memory"; durability: Level },
  log: Logger,
): Promise<NodeStorage> {
  if (settings.backend === "memory") return openMemoryStorage();
  const fs = runtime.fs;
  await fs.mkdir(settings.dir);
  const raftLog = await SegmentedLog.open(fs, `${settings.dir}/log`, {
    sync: SYNC_POLICY[settings.durability],
    cacheBytesMax: LOG_CACHE_BYTES,
    // At durability high every write waits for the sync: block on it, as Redis does (see the
    // option). Peers' appends are handed to the kernel before it (the driver sends first), so
    // replication still runs in parallel with the leader's fsync.
    blockingSync: settings.durability === "high",
  });
  const report = raftLog.report;
  if (report.tornBytes > 0 || report.droppedEntries > 0) {
    log.warning(
      `Log recovery: cut a torn tail of ${report.tornBytes} bytes, ` +
        `dropped ${report.droppedEntries} entries`,
    );
  }
  const hardState = await HardStateFile.open(fs, settings.dir);
  const snapshots = await SnapshotStore.open(fs, `${settings.dir}/snapshots`);
  return {
    log: raftLog,
    hardState: () => hardState.state,
    saveHardState: (state) => hardState.save(state),
    snapshots,
    close: () => raftLog.close(),
  };
}

function openMemoryStorage(): NodeStorage {
  let hardState: HardState = { term: 0, vote: "", commit: 0 };
  return {
    log: new MemoryLog(),
    hardState: () => hardState,
    saveHardState: (state) => {
      hardState = { ...state };
      return Promise.resolve();
    },
    snapshots: new MemorySnapshots(),
    close: () => Promise.resolve(),
  };
}

/** Snapshots held in memory, the newest two kept, for `backend: "memory"`. */
class MemorySnapshots implements SnapshotStorage {
  #stored: { meta: SnapshotMeta; data: Uint8Array }[] = [];

  list(): SnapshotMeta[] {
    return this.#stored.map((snapshot) => snapshot.meta);
  }

  latest(): SnapshotMeta | undefined {
    return this.#stored[this.#stored.length - 1]?.meta;
  }

  create(meta: SnapshotMeta): Promise<SnapshotWriter> {
    const chunks: Uint8Array[] = [];
    const writer: SnapshotWriter = {
      meta,
      write: (bytes) => {
        chunks.push(bytes.slice());
        return Promise.resolve();
      },
      commit: () => {
        this.#stored = this.#stored.filter((snapshot) => snapshot.meta.index !== meta.index);
        this.#stored.push({ meta, data: concatBytes(chunks) });
        this.#stored.sort((a, b) => a.meta.index - b.meta.index);
        if (this.#stored.length > 2) this.#stored.splice(0, this.#stored.length - 2);
        return Promise.resolve();
      },
      abort: () => Promise.resolve(),
    };
    return Promise.resolve(writer);
  }

  openReader(meta: SnapshotMeta): Promise<SnapshotReader> {
    const stored = this.#stored.find((snapshot) => snapshot.meta.index === meta.index);
    if (stored === undefined) {
      return Promise.reject(new RangeError(`No snapshot at index ${meta.index}`));
    }
    let done = false;
    return Promise.resolve({
      meta,
      size: stored.data.length,
      read: () => {
        if (done) return Promise.resolve(undefined);
        done = true;
        return Promise.resolve(stored.data);
      },
      close: () => Promise.resolve(),
    });
  }

  damage(): Promise<LogCorruptionError | undefined> {
    return Promise.resolve(undefined);
  }

  damaged(): DamagedSnapshot[] {
    return [];
  }

  setAside(index: number): Promise<string> {
    this.#stored = this.#stored.filter((snapshot) => snapshot.meta.index !== index);
    return Promise.resolve(`nowhere (the memory backend dropped it)`);
  }
}

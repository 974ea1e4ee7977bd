/**
 * Presents the on-disk log to the synchronous Raft core as its `Storage`. Positions and terms
 * come from the log's in-memory index; entries come from its cache of recent entries. When the
 * core asks for something only the disk has, the view answers "not now" (`undefined`), starts
 * reading it in the background, and wakes the loop when it is in memory; the core retries.
 *
 * @module
 */

import type { LogEntry, RaftLog } from "../log/types.ts";
import type { InitialState, Storage } from "../raft/storage.ts";
import type { Entry, HardState, MembershipRecord, SnapshotMeta } from "../raft/types.ts";

/** Reads the latest snapshot's bytes for sending to a follower. */
export interface SnapshotSource {
  /** The snapshot's metadata. */
  meta: SnapshotMeta;
  /** Its total size in bytes. */
  size: number;
  /** Reads up to `maxBytes` from `offset` (shorter only at the end). */
  read(offset: number, maxBytes: number): Promise<Uint8Array>;
}

/** Options for {@linkcode StorageView}. */
export interface StorageViewOptions {
  /** The log. */
  log: RaftLog;
  /** The hard state read at start. */
  hardState: HardState;
  /** Membership entries found in the log after the snapshot, ascending. */
  memberships: MembershipRecord[];
  /** The latest snapshot, if any. */
  snapshot: SnapshotSource | undefined;
  /** Called when data the core asked for has been loaded: run the Raft loop again. */
  wake(): void;
  /** Called when a background read fails. */
  failed(error: unknown): void;
}

const EMPTY_SNAPSHOT: SnapshotMeta = {
  index: 0,
  term: 0,
  membership: { voters: [], learners: [] },
};

/**
 * The core's storage port over a {@linkcode RaftLog}.
 *
 * @example
 * ```ts ignore
 * const storage = new StorageView({ log, hardState, memberships, snapshot, wake, failed });
 * const raft = new RaftNode({ id, storage, random });
 * ```
 */
export class StorageView implements Storage {
  readonly #log: RaftLog;
  readonly #initial: InitialState;
  #snapshot: SnapshotSource | undefined;
  readonly #wake: () => void;
  readonly #failed: (error: unknown) => void;
  /** Entries loaded from disk on request, keyed by "from:to:maxBytes". */
  readonly #loaded = new Map<string, Entry[]>();
  readonly #loading = new Set<string>();
  /** A snapshot chunk loaded on request. */
  #chunk: { offset: number; maxBytes: number; index: number; data: Uint8Array } | undefined;
  #chunkLoading = false;

  /**
   * Creates the view.
   *
   * @param options The log, recovered state and callbacks.
   */
  constructor(options: StorageViewOptions) {
    this.#log = options.log;
    this.#initial = { hardState: options.hardState, memberships: options.memberships };
    this.#snapshot = options.snapshot;
    this.#wake = options.wake;
    this.#failed = options.failed;
  }

  /** Replaces the snapshot offered to followers (after taking or installing one). */
  setSnapshot(snapshot: SnapshotSource): void {
    this.#snapshot = snapshot;
    this.#chunk = undefined;
  }

  initialState(): InitialState {
    return this.#initial;
  }

  firstIndex(): number {
    return this.#log.firstIndex();
  }

  lastIndex(): number {
    return this.#log.lastIndex();
  }

  term(index: number): number | undefined {
    return this.#log.term(index);
  }

  entries(from: number, to: number, maxBytes: number): Entry[] | undefined {
    const cached = this.#log.cachedEntries(from, to, maxBytes);
    if (cached !== undefined) return cached as Entry[];
    const key = `${from}:${to}:${maxBytes}`;
    const loaded = this.#loaded.get(key);
    if (loaded !== undefined) {
      this.#loaded.delete(key);
      // The log may have been truncated since: only hand out what still matches.
      if (loaded.length > 0 && this.#log.term(loaded[0]!.index) === loaded[0]!.term) return loaded;
      return undefined;
    }
    if (!this.#loading.has(key)) this.#load(key, from, to, maxBytes);
    return undefined;
  }

  #load(key: string, from: number, to: number, maxBytes: number): void {
    this.#loading.add(key);
    // Keep the map small: a stale entry from a follower that moved on is simply dropped.
    if (this.#loaded.size > 64) this.#loaded.clear();
    this.#log.entries(from, to, maxBytes).then(
      (entries: LogEntry[]) => {
        this.#loading.delete(key);
        this.#loaded.set(key, entries as Entry[]);
        this.#wake();
      },
      (error: unknown) => {
        this.#loading.delete(key);
        // Compacted meanwhile: the core will notice through firstIndex() and send a snapshot.
        if (error instanceof RangeError) this.#wake();
        else this.#failed(error);
      },
    );
  }

  snapshot(): SnapshotMeta {
    return this.#snapshot?.meta ?? EMPTY_SNAPSHOT;
  }

  snapshotChunk(offset: number, maxBytes: number): Uint8Array | undefined {
    const source = this.#snapshot;
    if (source === undefined) return new Uint8Array(0);
    const chunk = this.#chunk;
    if (
      chunk !== undefined && chunk.offset === offset && chunk.maxBytes === maxBytes &&
      chunk.index === source.meta.index
    ) {
      return chunk.data;
    }
    if (!this.#chunkLoading) {
      this.#chunkLoading = true;
      source.read(offset, maxBytes).then(
        (data) => {
          this.#chunkLoading = false;
          this.#chunk = { offset, maxBytes, index: source.meta.index, data };
          this.#wake();
        },
        (error: unknown) => {
          this.#chunkLoading = false;
          this.#failed(error);
        },
      );
    }
    return undefined;
  }
}

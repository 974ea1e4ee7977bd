/**
 * The Raft log on disk: segment files of checksummed records, group commit, crash-safe
 * truncation and fast open. The byte layout and recovery rules are in FORMAT.md.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import { LogCorruptionError, RuntimeError } from "../errors.ts";
import type { FileHandle, FileSystem } from "../runtime.ts";
import { writeFileAtomic } from "./_atomic_file.ts";
import { ENTRY_ALLOWANCE_BYTES, entryBytes, EntryCache } from "./_entry_cache.ts";
import {
  decodeOffsets,
  decodeRecord,
  decodeTrailer,
  encodeFooter,
  encodeRecord,
  encodeSegmentHeader,
  RECORD_HEADER_BYTES,
  recordBytes,
  SEGMENT_HEADER_BYTES,
  TERM_BYTES,
  type Trailer,
  TRAILER_BYTES,
  viewOf,
} from "./_record.ts";
import {
  BASE_FILE,
  BASE_FLAG_RESET,
  clearTruncate,
  encodeBase,
  encodeTruncate,
  loadLog,
  readAt,
  type RecoveryReport,
  type Segment,
  segmentName,
  TRUNCATE_FILE,
} from "./_segment_loader.ts";
import type { TermRuns } from "./_term_runs.ts";
import { checkBatch, checkRange } from "./_validate.ts";
import type { LogEntry, RaftLog, SyncPolicy } from "./types.ts";

export type { RecoveryReport } from "./_segment_loader.ts";

/** Options of {@linkcode SegmentedLog.open}. */
export interface SegmentedLogOptions {
  /** When appends become durable (default `"always"`). */
  sync?: SyncPolicy;
  /** A segment is sealed once the next record would take it past this (default 64 MiB). */
  segmentBytesMax?: number;
  /** Memory for recent entries (default 8 MiB), each charged its payload plus ~160 bytes. */
  cacheBytesMax?: number;
  /** Truncate at the first bad record instead of refusing to open (default false). */
  repair?: boolean;
  /** Interval of the `"everysec"` background sync, in milliseconds (default 1000). */
  syncIntervalMs?: number;
  /**
   * Run the fdatasync an append under `"always"` waits for on the event loop's own thread,
   * blocking it, instead of the runtime's worker thread (default false). That is what Redis's
   * `appendfsync always` does: requests that arrive during the sync wait in the kernel, and
   * the next turn takes them all at once. With the sync on a worker, the loop woke for every
   * few arrivals while it ran; a one-node clone at durability high served 26-28k SET/s at
   * `-P 1` that way and 35-36k with this (Deno, 50 clients). The cost: nothing else on the
   * thread runs during a sync, so use it where the sync is the work everything waits for.
   */
  blockingSync?: boolean;
}

const SEGMENT_BYTES_DEFAULT = 64 * 1024 * 1024;
/** Offsets are u32 and one entry may reach 256 MiB: segments stay below 2^31 bytes. */
const SEGMENT_BYTES_LIMIT = 1024 * 1024 * 1024;
const CACHE_BYTES_DEFAULT = 8 * 1024 * 1024;
/** One disk read of `entries()` reads at most this many bytes (beyond a single entry). */
const READ_BYTES_MAX = 16 * 1024 * 1024;
/** Sealed segments whose offset arrays stay loaded. */
const LOADED_SEALED_MAX = 4;
const WRITE_BUFFER_BYTES = 256 * 1024;

interface WriteOp {
  kind: "write";
  segment: Segment;
  position: number;
  buffer: Uint8Array;
  view: DataView;
  length: number;
  lastIndex: number;
  epoch: number;
}

interface TaskOp {
  kind: "task";
  run: () => Promise<void>;
}

interface Waiter {
  sync: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A segmented, checksummed Raft log in one directory. Mutations change the in-memory view at
 * once and queue their disk work, which one loop runs in order: appends made while a write or
 * sync is under way coalesce into the next single write (and, under `"always"`, one
 * fdatasync). After any failed write or sync the log refuses further use until reopened, since
 * the kernel may have dropped the dirty pages (fsyncgate).
 *
 * @example
 * ```ts ignore
 * import { SegmentedLog } from "./segmented_log.ts";
 * const log = await SegmentedLog.open(runtime.fs, "data/log", { sync: "always" });
 * await log.append([{ index: log.lastIndex() + 1, term: 1, type: 1, data: new Uint8Array() }]);
 * await log.close();
 * ```
 */
export class SegmentedLog implements RaftLog {
  /** What opening found and repaired. */
  readonly report: RecoveryReport;
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #policy: SyncPolicy;
  /** See {@linkcode SegmentedLogOptions.blockingSync}. */
  readonly #blockingSync: boolean;
  readonly #segmentBytesMax: number;
  #segments: Segment[];
  #baseIndex: number;
  #baseTerm: number;
  #lastIndex: number;
  readonly #runs: TermRuns;
  readonly #cache: EntryCache;
  /** Entries up to here are written to their files (perhaps not yet synced). */
  #writtenIndex: number;
  /** Bumped by every truncation so that older queued writes do not move `#writtenIndex`. */
  #epoch = 0;
  #queue: (WriteOp | TaskOp)[] = [];
  #waiters: Waiter[] = [];
  #draining = false;
  readonly #dirty = new Set<Segment>();
  #loadedSealed: Segment[] = [];
  /** A written op's buffer (and its view) for the next op to fill. */
  #spare: { buffer: Uint8Array; view: DataView } | undefined;
  #failure: unknown;
  #closed = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    fs: FileSystem,
    dir: string,
    options: SegmentedLogOptions,
    loaded: Awaited<ReturnType<typeof loadLog>>,
  ) {
    this.#fs = fs;
    this.#dir = dir;
    this.#policy = options.sync ?? "always";
    this.#blockingSync = options.blockingSync === true && this.#policy === "always";
    this.#segmentBytesMax = options.segmentBytesMax ?? SEGMENT_BYTES_DEFAULT;
    this.report = loaded.report;
    this.#segments = loaded.segments;
    this.#baseIndex = loaded.baseIndex;
    this.#baseTerm = loaded.baseTerm;
    this.#lastIndex = loaded.lastIndex;
    this.#writtenIndex = loaded.lastIndex;
    this.#runs = loaded.runs;
    this.#cache = new EntryCache(options.cacheBytesMax ?? CACHE_BYTES_DEFAULT);
    for (const entry of loaded.recent) if (entry.index > this.#baseIndex) this.#cache.push(entry);
    if (this.#policy === "everysec") {
      this.#timer = setInterval(() => this.#backgroundSync(), options.syncIntervalMs ?? 1000);
    }
  }

  /**
   * Opens the log in `dir`, creating it if needed, finishing an interrupted truncation and
   * cutting a torn final write (see {@linkcode SegmentedLog.report}). Throws
   * {@linkcode LogCorruptionError} for a bad record anywhere else, unless `repair` is set.
   */
  static async open(
    fs: FileSystem,
    dir: string,
    options: SegmentedLogOptions = {},
  ): Promise<SegmentedLog> {
    const segmentBytesMax = options.segmentBytesMax ?? SEGMENT_BYTES_DEFAULT;
    checkRange("segmentBytesMax", segmentBytesMax, 256, SEGMENT_BYTES_LIMIT);
    const loaded = await loadLog(fs, dir, {
      repair: options.repair ?? false,
      recentBytes: options.cacheBytesMax ?? CACHE_BYTES_DEFAULT,
    });
    const log = new SegmentedLog(fs, dir, options, loaded);
    const pending = loaded.pendingTruncate;
    if (pending !== undefined) {
      const index = Math.min(Math.max(pending, log.#baseIndex), log.#lastIndex);
      if (index < log.#lastIndex) await log.truncateBack(index);
      await clearTruncate(fs, dir);
      log.report.completed.push(`truncateBack to ${index}`);
    }
    return log;
  }

  /** Index of the first entry. */
  firstIndex(): number {
    return this.#baseIndex + 1;
  }

  /** Index of the last entry. */
  lastIndex(): number {
    return this.#lastIndex;
  }

  /** Term at `index`, or undefined outside `[firstIndex() - 1, lastIndex()]`. */
  term(index: number): number | undefined {
    if (index === this.#baseIndex) return this.#baseTerm;
    if (index <= this.#baseIndex || index > this.#lastIndex) return undefined;
    return this.#runs.termAt(index);
  }

  /** The entry at `index`, from the cache or the disk. */
  async entry(index: number): Promise<LogEntry> {
    checkRange("Index", index, this.firstIndex(), this.#lastIndex);
    const entries = await this.entries(index, index + 1);
    if (entries[0]?.index !== index) throw new RangeError(`Entry ${index} was truncated`);
    return entries[0];
  }

  /** Entries `[from, to)` within `maxBytes` (payload + 25 bytes each), at least one. */
  async entries(from: number, to: number, maxBytes = Infinity): Promise<LogEntry[]> {
    this.#checkOpen();
    checkRange("From", from, this.firstIndex(), this.#lastIndex + 1);
    checkRange("To", to, from, this.#lastIndex + 1);
    const out: LogEntry[] = [];
    const budget = { bytes: 0, max: maxBytes };
    let next = from;
    while (next < to) {
      // A truncation while this read awaited the disk: return what is still valid.
      if (next > this.#lastIndex || next <= this.#baseIndex) break;
      const cached = this.#cache.get(next);
      if (cached !== undefined) {
        budget.bytes += entryBytes(cached);
        if (budget.bytes > maxBytes && out.length > 0) break;
        out.push(cached);
        next++;
        continue;
      }
      const cacheFirst = this.#cache.size > 0 && this.#cache.first > next
        ? this.#cache.first
        : Infinity;
      const stop = Math.min(to, cacheFirst, this.#writtenIndex + 1);
      assert(stop > next, "entries not cached are written");
      const read = await this.#readRun(next, stop, budget, out.length > 0);
      for (const entry of read.entries) out.push(entry);
      if (read.full) break;
      next += read.entries.length;
    }
    return out;
  }

  /** Entries `[from, to)` within `maxBytes` from memory; undefined if any is not cached. */
  cachedEntries(from: number, to: number, maxBytes = Infinity): LogEntry[] | undefined {
    this.#checkOpen();
    checkRange("From", from, this.firstIndex(), this.#lastIndex + 1);
    checkRange("To", to, from, this.#lastIndex + 1);
    return this.#cache.slice(from, to, maxBytes);
  }

  /** Appends a batch; resolves once written (and synced under `"always"`). */
  append(entries: readonly LogEntry[]): Promise<void> {
    // Not an async function: the caller awaits the waiter's promise itself, a turn less.
    try {
      this.appendBuffered(entries);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#wait(this.#policy === "always");
  }

  /**
   * Appends a batch and, under `"everysec"` or `"never"` with nothing queued ahead, writes it
   * through the handle's synchronous call before returning undefined: the bytes are in the
   * page cache, as the policy promises, and the caller awaits nothing. Otherwise (an fsync to
   * wait for, a segment to create, a write or truncation in flight) the batch joins the queue
   * and this returns `append`'s promise. A failed write throws and leaves the log unusable.
   */
  appendNow(entries: readonly LogEntry[]): Promise<void> | undefined {
    this.#checkUsable();
    if (this.#policy === "always" || this.#draining || this.#queue.length > 0) {
      return this.append(entries);
    }
    this.#appendToMemory(entries);
    const op = this.#queue.length === 1 ? this.#queue[0]! : undefined;
    const handle = op?.kind === "write" ? op.segment.handle : undefined;
    if (op?.kind === "write" && handle !== undefined) {
      let written: boolean;
      try {
        written = handle.writeNow(op.buffer.subarray(0, op.length), op.position);
      } catch (error) {
        this.#failure ??= error;
        throw error;
      }
      if (written) {
        this.#queue = [];
        this.#noteWritten(op);
        return undefined;
      }
    }
    this.#kick();
    return this.#wait(false);
  }

  /** Appends a batch to memory and the write queue; nothing waits for the disk. */
  appendBuffered(entries: readonly LogEntry[]): void {
    this.#appendToMemory(entries);
    this.#kick();
  }

  /** The in-memory half of an append: checks, framing into the queue's write op, the cache. */
  #appendToMemory(entries: readonly LogEntry[]): void {
    this.#checkUsable();
    checkBatch(entries, this.#lastIndex, this.term(this.#lastIndex) ?? 0);
    if (!this.#appendToTail(entries)) { for (const entry of entries) this.#appendOne(entry); }
    this.#cache.evict(this.#writtenIndex + 1);
  }

  /** Writes and fdatasyncs everything appended so far. */
  async sync(): Promise<void> {
    this.#checkUsable();
    return await this.#wait(true);
  }

  /** Drops entries after `index`; durable when the promise resolves. */
  async truncateBack(index: number): Promise<void> {
    this.#checkUsable();
    checkRange("Index", index, this.#baseIndex, this.#lastIndex);
    this.#lastIndex = index;
    this.#runs.truncateAfter(index);
    this.#cache.truncateAfter(index);
    this.#epoch++;
    this.#writtenIndex = Math.min(this.#writtenIndex, index);
    const removed: Segment[] = [];
    while (this.#segments.length > 0 && this.#tail()!.first > index + 1) {
      removed.push(this.#segments.pop()!);
    }
    let target = this.#tail();
    if (target !== undefined && target.sealed && target.first === index + 1) {
      removed.push(this.#segments.pop()!);
      target = undefined;
    }
    const cut = target === undefined ? undefined : this.#cutInMemory(target, index);
    if (removed.length === 0 && cut === undefined) return await this.#wait(false);
    const marker = removed.length > 0 || target?.sealed === true;
    this.#enqueueTask(async () => {
      if (marker) {
        await writeFileAtomic(this.#fs, this.#dir, TRUNCATE_FILE, encodeTruncate(index));
      }
      for (const segment of removed) await this.#removeFile(segment);
      if (removed.length > 0) await this.#fs.syncDir(this.#dir);
      if (cut !== undefined) await cut();
      if (marker) await clearTruncate(this.#fs, this.#dir);
    });
    return await this.#wait(false);
  }

  /** Drops entries before `index` (whole segments are deleted); durable on resolve. */
  async truncateFront(index: number): Promise<void> {
    this.#checkUsable();
    checkRange("Index", index, this.firstIndex(), this.#lastIndex + 1);
    if (index === this.firstIndex()) return await this.#wait(false);
    const term = this.term(index - 1);
    assert(term !== undefined, "the new base has a term");
    this.#baseIndex = index - 1;
    this.#baseTerm = term;
    this.#runs.dropBefore(index, this.#lastIndex);
    this.#cache.dropBefore(index);
    const removed = this.#segments.filter((s) => s.count > 0 && s.first + s.count <= index);
    this.#segments = this.#segments.filter((s) => !removed.includes(s));
    this.#enqueueTask(async () => {
      await writeFileAtomic(this.#fs, this.#dir, BASE_FILE, encodeBase(index - 1, term, 0));
      for (const segment of removed) await this.#removeFile(segment);
      if (removed.length > 0) await this.#fs.syncDir(this.#dir);
    });
    return await this.#wait(false);
  }

  /** Drops the whole log after installing snapshot `(index, term)`; durable on resolve. */
  async reset(index: number, term: number): Promise<void> {
    this.#checkUsable();
    checkRange("Index", index, 0, Number.MAX_SAFE_INTEGER);
    checkRange("Term", term, 0, Number.MAX_SAFE_INTEGER);
    const removed = this.#segments;
    this.#segments = [];
    this.#baseIndex = index;
    this.#baseTerm = term;
    this.#lastIndex = index;
    this.#runs.clear();
    this.#cache.clear();
    this.#epoch++;
    this.#writtenIndex = index;
    this.#enqueueTask(async () => {
      // The flag makes the removal below all-or-nothing across a crash (FORMAT.md).
      const fs = this.#fs;
      await writeFileAtomic(fs, this.#dir, BASE_FILE, encodeBase(index, term, BASE_FLAG_RESET));
      for (const segment of removed) await this.#removeFile(segment);
      await fs.syncDir(this.#dir);
      await writeFileAtomic(fs, this.#dir, BASE_FILE, encodeBase(index, term, 0));
    });
    return await this.#wait(false);
  }

  /** Syncs everything written (whatever the policy) and closes the files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    let error: unknown;
    if (this.#failure === undefined) {
      try {
        await this.#wait(true);
      } catch (caught) {
        error = caught;
      }
    }
    this.#closed = true;
    for (const segment of this.#segments) await this.#closeHandle(segment);
    if (error !== undefined) throw error;
  }

  #tail(): Segment | undefined {
    return this.#segments[this.#segments.length - 1];
  }

  /**
   * The common case in one go: the whole batch fits the open tail segment, so the write op,
   * its buffer and the offset table are sized once and the records framed in a tight loop
   * (per-entry segment and op lookups were a fifth of the CPU for 128-byte entries).
   * Returns false, having done nothing, when the batch needs a new segment.
   */
  #appendToTail(entries: readonly LogEntry[]): boolean {
    const tail = this.#tail();
    if (tail === undefined || tail.sealed || entries.length === 0) return false;
    // A record stores its term when it is the segment's first or the term changes.
    const termBefore = tail.count === 0 ? -1 : this.#runs.lastTerm() ?? -1;
    let total = 0;
    let term = termBefore;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      total += recordBytes(entry, entry.term !== term);
      term = entry.term;
    }
    if (tail.end + total > this.#segmentBytesMax) return false;
    assert(tail.first + tail.count === entries[0]!.index, "appends go to the tail");
    const op = this.#writeOp(tail, total);
    let offsets = tail.offsets!;
    while (tail.count + entries.length > offsets.length) offsets = growOffsets(offsets);
    tail.offsets = offsets;
    const buffer = op.buffer;
    const view = op.view;
    const runs = this.#runs;
    let at = op.length;
    let end = tail.end;
    let count = tail.count;
    term = termBefore;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const size = encodeRecord(buffer, view, at, entry, count, entry.term !== term);
      term = entry.term;
      at += size;
      offsets[count++] = end;
      end += size;
      runs.push(entry.index, entry.term);
    }
    this.#cache.pushAll(entries);
    op.length = at;
    op.lastIndex = entries[entries.length - 1]!.index;
    tail.count = count;
    tail.end = end;
    this.#lastIndex = op.lastIndex;
    return true;
  }

  #appendOne(entry: LogEntry): void {
    const tail = this.#tailFor(entry.index, recordBytes(entry, true));
    assert(tail.first + tail.count === entry.index, "appends go to the tail");
    const storesTerm = tail.count === 0 || entry.term !== this.#runs.lastTerm();
    const size = recordBytes(entry, storesTerm);
    const op = this.#writeOp(tail, size);
    encodeRecord(op.buffer, op.view, op.length, entry, tail.count, storesTerm);
    op.length += size;
    op.lastIndex = entry.index;
    if (tail.count === tail.offsets!.length) tail.offsets = growOffsets(tail.offsets!);
    tail.offsets![tail.count++] = tail.end;
    tail.end += size;
    this.#runs.push(entry.index, entry.term);
    this.#cache.push(entry);
    this.#lastIndex = entry.index;
  }

  /** The segment the next record goes to, sealing the tail and starting one if needed. */
  #tailFor(index: number, size: number): Segment {
    let tail = this.#tail();
    const full = tail !== undefined && tail.count > 0 && tail.end + size > this.#segmentBytesMax;
    if (tail !== undefined && !tail.sealed && !full) return tail;
    if (tail !== undefined && !tail.sealed) this.#seal(tail);
    tail = {
      first: index,
      count: 0,
      end: SEGMENT_HEADER_BYTES,
      sealed: false,
      offsets: new Uint32Array(1024),
      trailer: undefined,
      path: `${this.#dir}/${segmentName(index)}`,
      handle: undefined,
      pinned: false,
    };
    this.#segments.push(tail);
    const created = tail;
    this.#enqueueTask(async () => {
      const handle = await this.#fs.open(created.path, {
        read: true,
        write: true,
        create: true,
        truncate: true,
      });
      created.handle = handle;
      await handle.write(encodeSegmentHeader(created.first), 0);
      await handle.datasync();
      await this.#fs.syncDir(this.#dir);
    });
    return tail;
  }

  /** Queues the footer of a full tail; it takes no more appends. */
  #seal(segment: Segment): void {
    segment.sealed = true;
    const last = segment.first + segment.count - 1;
    const footer = encodeFooter(
      segment.offsets!.subarray(0, segment.count),
      this.#runs.slice(segment.first, last),
      segment.end,
    );
    segment.trailer = trailerOf(footer, segment.end);
    // Its offsets may only be dropped from memory once the footer is on disk.
    segment.pinned = true;
    const position = segment.end;
    this.#enqueueTask(async () => {
      const handle = await this.#handleOf(segment);
      await handle.write(footer, position);
      await handle.datasync();
      this.#dirty.delete(segment);
      await this.#closeHandle(segment);
      segment.pinned = false;
      this.#noteLoaded(segment);
    });
  }

  /** The write op the next `size` bytes of `segment` go into (the queued one if it fits). */
  #writeOp(segment: Segment, size: number): WriteOp {
    const last = this.#queue[this.#queue.length - 1];
    if (
      last !== undefined && last.kind === "write" && last.segment === segment &&
      last.position + last.length === segment.end && last.epoch === this.#epoch
    ) {
      if (last.length + size > last.buffer.length) {
        const bigger = new Uint8Array(Math.max(last.buffer.length * 2, last.length + size));
        bigger.set(last.buffer.subarray(0, last.length));
        last.buffer = bigger;
        last.view = viewOf(bigger);
      }
      return last;
    }
    let spare = this.#spare !== undefined && this.#spare.buffer.length >= size
      ? this.#spare
      : undefined;
    this.#spare = undefined;
    if (spare === undefined) {
      const buffer = new Uint8Array(Math.max(WRITE_BUFFER_BYTES, size));
      spare = { buffer, view: viewOf(buffer) };
    }
    const op: WriteOp = {
      kind: "write",
      segment,
      position: segment.end,
      buffer: spare.buffer,
      view: spare.view,
      length: 0,
      lastIndex: 0,
      epoch: this.#epoch,
    };
    this.#queue.push(op);
    return op;
  }

  /** Cuts `target` in memory after `index`; returns the disk work, if any. */
  #cutInMemory(target: Segment, index: number): (() => Promise<void>) | undefined {
    const count = index + 1 - target.first;
    assert(count >= 0 && count <= target.count, "cut within the segment");
    if (count === target.count) return undefined;
    target.count = count;
    if (!target.sealed) {
      target.end = target.offsets![count]!;
      const end = target.end;
      return async () => {
        const handle = await this.#handleOf(target);
        await handle.truncate(end);
        await handle.datasync();
      };
    }
    // A sealed segment stays sealed: cut it and write a fresh footer for what is left.
    const runs = this.#runs.slice(target.first, index);
    target.pinned = true;
    return async () => {
      const full = await this.#offsetsOf(target);
      target.offsets = full;
      const end = full[count]!;
      const offsets = full.slice(0, count);
      const footer = encodeFooter(offsets, runs, end);
      const handle = await this.#handleOf(target);
      await handle.truncate(end);
      await handle.write(footer, end);
      await handle.datasync();
      target.end = end;
      target.offsets = offsets;
      target.trailer = trailerOf(footer, end);
      await this.#closeHandle(target);
      target.pinned = false;
      this.#noteLoaded(target);
    };
  }

  /** Keeps the offsets of the few most recently used sealed segments in memory. */
  #noteLoaded(segment: Segment): void {
    this.#loadedSealed = this.#loadedSealed.filter((s) => s !== segment);
    this.#loadedSealed.push(segment);
    while (this.#loadedSealed.length > LOADED_SEALED_MAX) {
      const old = this.#loadedSealed.shift()!;
      if (old.sealed && !old.pinned && old.trailer !== undefined) old.offsets = undefined;
    }
  }

  async #offsetsOf(segment: Segment): Promise<Uint32Array> {
    if (segment.offsets !== undefined) return segment.offsets;
    const trailer = segment.trailer;
    assert(trailer !== undefined, "a segment without offsets has a footer");
    const handle = await this.#fs.open(segment.path, { read: true });
    try {
      const bytes = await readAt(handle, trailer.footerStart, trailer.count * 4);
      const offsets = decodeOffsets(bytes, trailer);
      if (offsets === undefined) {
        throw new LogCorruptionError("Bad footer offsets", segment.path, trailer.footerStart);
      }
      segment.offsets = offsets;
      this.#noteLoaded(segment);
      return offsets;
    } finally {
      await handle.close();
    }
  }

  /** Reads entries from `next` on (before `stop`) out of one segment, within the budget. */
  async #readRun(
    next: number,
    stop: number,
    budget: { bytes: number; max: number },
    haveSome: boolean,
  ): Promise<{ entries: LogEntry[]; full: boolean }> {
    const segment = this.#segmentOf(next);
    const offsets = await this.#offsetsOf(segment);
    const first = next - segment.first;
    const last = Math.min(stop, segment.first + segment.count) - segment.first;
    const pick = pickRecords(offsets, segment, first, last, budget, haveSome);
    // The terms as they are now: records without a stored term take theirs from the runs. A
    // truncation while the disk is read changes both: the caller then looks again.
    const terms = this.#runs.slice(next, segment.first + pick.count - 1);
    const epoch = this.#epoch;
    const start = offsets[first]!;
    const handle = await this.#fs.open(segment.path, { read: true });
    let bytes: Uint8Array;
    try {
      bytes = await readAt(handle, start, pick.end - start);
    } finally {
      await handle.close();
    }
    if (this.#epoch !== epoch) return { entries: [], full: false };
    const view = viewOf(bytes);
    const out: LogEntry[] = [];
    let run = 0;
    for (let i = first; i < pick.count; i++) {
      const index = segment.first + i;
      while (run + 1 < terms.starts.length && terms.starts[run + 1]! <= index) run++;
      const position = offsets[i]! - start;
      const decoded = decodeRecord(
        bytes,
        view,
        position,
        bytes.length,
        index,
        i,
        terms.terms[run]!,
      );
      if (!decoded.ok) {
        throw new LogCorruptionError(`Bad record (${decoded.problem})`, segment.path, offsets[i]!);
      }
      const charge = entryBytes(decoded.entry);
      if (budget.bytes + charge > budget.max && (haveSome || out.length > 0)) {
        return { entries: out, full: true };
      }
      budget.bytes += charge;
      out.push(decoded.entry);
    }
    return { entries: out, full: pick.full };
  }

  #segmentOf(index: number): Segment {
    const segments = this.#segments;
    let low = 0;
    let high = segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (segments[middle]!.first <= index) low = middle;
      else high = middle - 1;
    }
    const segment = segments[low];
    assert(segment !== undefined && segment.first <= index, "index inside a segment");
    assert(index < segment.first + segment.count, "index inside the segment's entries");
    return segment;
  }

  async #handleOf(segment: Segment): Promise<FileHandle> {
    segment.handle ??= await this.#fs.open(segment.path, { read: true, write: true });
    return segment.handle;
  }

  async #closeHandle(segment: Segment): Promise<void> {
    const handle = segment.handle;
    segment.handle = undefined;
    if (handle !== undefined) await handle.close();
  }

  async #removeFile(segment: Segment): Promise<void> {
    this.#dirty.delete(segment);
    await this.#closeHandle(segment);
    await this.#fs.remove(segment.path);
  }

  #enqueueTask(run: () => Promise<void>): void {
    this.#queue.push({ kind: "task", run });
    this.#kick();
  }

  #wait(sync: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiters.push({ sync, resolve, reject });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#draining) return;
    if (this.#queue.length === 0 && this.#waiters.length === 0) return;
    this.#draining = true;
    queueMicrotask(() => void this.#drain());
  }

  /**
   * The one loop that touches the disk: runs queued ops in order, then syncs if asked. Writes
   * and syncs are awaited here, not through helper async functions: each such layer costs a few
   * microtask turns per batch, and they run right after an fdatasync, on a cold CPU.
   */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#waiters.length > 0) {
      const ops = this.#queue;
      const waiters = this.#waiters;
      this.#queue = [];
      this.#waiters = [];
      try {
        if (this.#failure !== undefined) throw this.#unusable();
        for (const op of ops) {
          if (op.kind === "task") {
            await op.run();
            continue;
          }
          // The handle is open but for a segment's first write.
          const handle = op.segment.handle ?? await this.#handleOf(op.segment);
          // Written synchronously when it can be (a small write into the page cache): the
          // fdatasync below then starts within this microtask, not after whatever other
          // microtasks run while an async write's promise settles (a batch's replies did, and
          // held each group commit's fsync back by 0.2 ms).
          const bytes = op.buffer.subarray(0, op.length);
          if (!handle.writeNow(bytes, op.position)) await handle.write(bytes, op.position);
          this.#noteWritten(op);
        }
        if (waiters.some((waiter) => waiter.sync)) {
          for (const segment of this.#dirty) {
            const handle = segment.handle;
            if (handle !== undefined && !(this.#blockingSync && handle.datasyncNow())) {
              await handle.datasync();
            }
            this.#dirty.delete(segment);
          }
        }
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        this.#failure ??= error;
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.#draining = false;
  }

  /** Bookkeeping after a write op reached the file. */
  #noteWritten(op: WriteOp): void {
    this.#dirty.add(op.segment);
    if (op.epoch === this.#epoch) {
      this.#writtenIndex = Math.max(this.#writtenIndex, op.lastIndex);
      this.#cache.evict(this.#writtenIndex + 1);
    }
    if (op.buffer.length <= 4 * WRITE_BUFFER_BYTES) {
      this.#spare = { buffer: op.buffer, view: op.view };
    }
  }

  #backgroundSync(): void {
    if (this.#closed || this.#failure !== undefined || this.#dirty.size === 0) return;
    // A failure is kept in #failure and reported by the next call.
    this.#wait(true).catch(() => {});
  }

  #unusable(): RuntimeError {
    const cause = this.#failure;
    const code = cause instanceof RuntimeError ? cause.code : "EIO";
    return new RuntimeError(code, "Log failed to write or sync earlier; reopen it", {
      cause,
      path: this.#dir,
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw new TypeError("Log is closed");
  }

  #checkUsable(): void {
    this.#checkOpen();
    if (this.#failure !== undefined) throw this.#unusable();
  }
}

/**
 * Which records of `segment` from slot `first` (before `last`) one read takes: all that may fit
 * the budget and {@linkcode READ_BYTES_MAX}, at least one unless the caller has some already.
 * A record's size bounds its payload from below (a header is at most 21 bytes), so this may take
 * a few records too many; the exact count (payload + 25 each) is made as they are decoded.
 */
function pickRecords(
  offsets: Uint32Array,
  segment: Segment,
  first: number,
  last: number,
  budget: { bytes: number; max: number },
  haveSome: boolean,
): { count: number; end: number; full: boolean } {
  const start = offsets[first]!;
  let least = budget.bytes;
  let k = first;
  let end = start;
  while (k < last) {
    const recordEnd = k + 1 < segment.count ? offsets[k + 1]! : segment.end;
    const payloadLeast = recordEnd - offsets[k]! - RECORD_HEADER_BYTES - TERM_BYTES;
    least += Math.max(0, payloadLeast) + ENTRY_ALLOWANCE_BYTES;
    const over = least > budget.max || recordEnd - start > READ_BYTES_MAX;
    if (over && (haveSome || k > first)) return { count: k, end, full: true };
    end = recordEnd;
    k++;
  }
  return { count: k, end, full: false };
}

function trailerOf(footer: Uint8Array, footerStart: number): Trailer {
  const trailer = decodeTrailer(
    footer.subarray(footer.length - TRAILER_BYTES),
    footerStart + footer.length,
  );
  assert(trailer !== undefined, "a fresh footer decodes");
  return trailer;
}

function growOffsets(offsets: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(offsets.length * 2);
  bigger.set(offsets);
  return bigger;
}

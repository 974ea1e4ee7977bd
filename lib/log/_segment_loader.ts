/**
 * Opening a log directory: finishing interrupted operations, reading segment headers and
 * footers, scanning the last segment and cutting a torn tail (FORMAT.md, "Recovery").
 *
 * @module
 */

import { assert } from "../_assert.ts";
import { LogCorruptionError } from "../errors.ts";
import type { FileHandle, FileSystem } from "../runtime.ts";
import {
  decodeWords,
  encodeWords,
  readFileIfExists,
  removeIfExists,
  TEMP_SUFFIX,
  writeFileAtomic,
} from "./_atomic_file.ts";
import {
  checkRecord,
  claimedRecordBytes,
  decodeRecord,
  decodeRuns,
  decodeSegmentHeader,
  decodeTrailer,
  FORMAT_VERSION,
  isPlausibleHeader,
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  segmentVersion,
  storedTerm,
  type Trailer,
  TRAILER_BYTES,
  viewOf,
} from "./_record.ts";
import { TermRuns } from "./_term_runs.ts";
import type { LogEntry } from "./types.ts";

/** One segment file as the log tracks it in memory. */
export interface Segment {
  /** Index of its first entry (also its name). */
  first: number;
  /** Entries it holds. */
  count: number;
  /** Byte position after its last record. */
  end: number;
  /** It ends with a footer and takes no more appends. */
  sealed: boolean;
  /** Position of each record (`length >= count`); undefined until loaded (sealed only). */
  offsets: Uint32Array | undefined;
  /** Where its footer is, to load `offsets` lazily. */
  trailer: Trailer | undefined;
  /** File path. */
  path: string;
  /** Open handle, if any. */
  handle: FileHandle | undefined;
  /** Its footer is being (re)written: `offsets` must stay in memory until then. */
  pinned: boolean;
}

/** What opening found and did, for logs and tests. */
export interface RecoveryReport {
  /** Bytes cut off the end of the last segment (a torn final write). */
  tornBytes: number;
  /** Entries dropped by `repair: true` (at least; 0 without repair). */
  droppedEntries: number;
  /** Sealed segments without a valid footer, scanned in full. */
  segmentsScanned: number;
  /** Interrupted operations completed, in words. */
  completed: string[];
}

/** The base file: what precedes the first entry (after `truncateFront` or `reset`). */
export const BASE_FILE = "base";
/** The truncateBack intent file, present while a multi-file truncation runs. */
export const TRUNCATE_FILE = "truncate";
/** Base-file flag: a reset is under way, every segment is to be removed. */
export const BASE_FLAG_RESET = 1;
const BASE_MAGIC = 0x53424c46; // "FLBS"
const TRUNCATE_MAGIC = 0x42544c46; // "FLTB"
/** Granularity at which a torn write is recognised by zeros. */
const SECTOR_BYTES = 512;
const SEGMENT_NAME = /^(\d{20})\.seg$/;

/** The file name of the segment starting at `first`. */
export function segmentName(first: number): string {
  return `${String(first).padStart(20, "0")}.seg`;
}

/** Encodes the base file. */
export function encodeBase(index: number, term: number, flags: number): Uint8Array {
  return encodeWords(BASE_MAGIC, flags, [index, term]);
}

/** Encodes the truncate intent file. */
export function encodeTruncate(index: number): Uint8Array {
  return encodeWords(TRUNCATE_MAGIC, 0, [index]);
}

/** Everything {@linkcode loadLog} hands the log. */
export interface LoadedLog {
  /** Segments in index order. */
  segments: Segment[];
  /** Index before the first entry. */
  baseIndex: number;
  /** Its term. */
  baseTerm: number;
  /** Terms of all entries. */
  runs: TermRuns;
  /** Index of the last entry. */
  lastIndex: number;
  /** The newest entries of the last segment, oldest first, to prime the cache. */
  recent: LogEntry[];
  /** A truncateBack to finish, if one was interrupted. */
  pendingTruncate: number | undefined;
  /** The report so far. */
  report: RecoveryReport;
}

interface LoadOptions {
  repair: boolean;
  recentBytes: number;
}

/** Opens (or initialises) the log in `dir`. */
export async function loadLog(
  fs: FileSystem,
  dir: string,
  options: LoadOptions,
): Promise<LoadedLog> {
  await fs.mkdir(dir);
  const report: RecoveryReport = {
    tornBytes: 0,
    droppedEntries: 0,
    segmentsScanned: 0,
    completed: [],
  };
  const names = await fs.readDir(dir);
  for (const name of names) {
    if (name.endsWith(TEMP_SUFFIX)) await fs.remove(`${dir}/${name}`);
  }
  const base = await readBase(fs, dir);
  let firsts = names.map((name) => SEGMENT_NAME.exec(name)?.[1]).filter((m) => m !== undefined)
    .map(Number).sort((a, b) => a - b);
  if (base.flags & BASE_FLAG_RESET) {
    for (const first of firsts) await fs.remove(`${dir}/${segmentName(first)}`);
    await fs.syncDir(dir);
    await writeFileAtomic(fs, dir, BASE_FILE, encodeBase(base.index, base.term, 0));
    report.completed.push(`reset to ${base.index}`);
    firsts = [];
  }
  const pendingTruncate = await readTruncate(fs, dir);
  if (pendingTruncate !== undefined) {
    firsts = await removeWhere(fs, dir, firsts, (first) => first > pendingTruncate + 1);
  }
  // Segments wholly before the base: a truncateFront committed its base file, then crashed.
  firsts = await removeWhere(
    fs,
    dir,
    firsts,
    (_first, i) => firsts[i + 1] !== undefined && firsts[i + 1]! <= base.index + 1,
  );
  const loaded: LoadedLog = {
    segments: [],
    baseIndex: base.index,
    baseTerm: base.term,
    runs: new TermRuns(),
    lastIndex: base.index,
    recent: [],
    pendingTruncate,
    report,
  };
  await loadSegments(fs, dir, firsts, loaded, options);
  if (loaded.segments.length > 0 && loaded.lastIndex <= loaded.baseIndex) {
    // A truncateFront past every entry committed its base file, then crashed.
    for (const segment of loaded.segments) await fs.remove(segment.path);
    await fs.syncDir(dir);
    loaded.segments = [];
    loaded.recent = [];
    loaded.runs.clear();
    loaded.lastIndex = loaded.baseIndex;
    report.completed.push(`truncateFront to ${loaded.baseIndex + 1}`);
  }
  loaded.runs.dropBefore(loaded.baseIndex + 1, loaded.lastIndex);
  return loaded;
}

async function readBase(
  fs: FileSystem,
  dir: string,
): Promise<{ index: number; term: number; flags: number }> {
  const path = `${dir}/${BASE_FILE}`;
  const bytes = await readFileIfExists(fs, path);
  if (bytes === undefined) return { index: 0, term: 0, flags: 0 };
  const decoded = decodeWords(bytes, BASE_MAGIC, 2);
  if (decoded === undefined) throw new LogCorruptionError("Bad base file", path, 0);
  return { index: decoded.words[0]!, term: decoded.words[1]!, flags: decoded.flags };
}

async function readTruncate(fs: FileSystem, dir: string): Promise<number | undefined> {
  const path = `${dir}/${TRUNCATE_FILE}`;
  const bytes = await readFileIfExists(fs, path);
  if (bytes === undefined) return undefined;
  const decoded = decodeWords(bytes, TRUNCATE_MAGIC, 1);
  if (decoded === undefined) throw new LogCorruptionError("Bad truncate file", path, 0);
  return decoded.words[0]!;
}

async function removeWhere(
  fs: FileSystem,
  dir: string,
  firsts: number[],
  predicate: (first: number, i: number) => boolean,
): Promise<number[]> {
  const keep: number[] = [];
  let removed = false;
  for (const [i, first] of firsts.entries()) {
    if (predicate(first, i)) {
      await fs.remove(`${dir}/${segmentName(first)}`);
      removed = true;
    } else keep.push(first);
  }
  if (removed) await fs.syncDir(dir);
  return keep;
}

async function loadSegments(
  fs: FileSystem,
  dir: string,
  firsts: number[],
  loaded: LoadedLog,
  options: LoadOptions,
): Promise<void> {
  for (const [i, first] of firsts.entries()) {
    const path = `${dir}/${segmentName(first)}`;
    const expected = loaded.segments.length === 0 ? first : loaded.lastIndex + 1;
    if (first !== expected || (i === 0 && first > loaded.baseIndex + 1)) {
      if (!options.repair) throw new LogCorruptionError("Gap before segment", path, 0);
      await dropFrom(fs, dir, firsts.slice(i), loaded);
      return;
    }
    const isLast = i === firsts.length - 1;
    const segment = isLast
      ? await loadLast(fs, path, first, loaded, options)
      : await loadSealed(fs, path, first, loaded, options);
    if (segment === "removed") continue;
    if (segment === undefined) {
      // repair cut inside this segment: every later segment goes.
      await dropFrom(fs, dir, firsts.slice(i + 1), loaded);
      return;
    }
  }
}

async function dropFrom(
  fs: FileSystem,
  dir: string,
  firsts: number[],
  loaded: LoadedLog,
): Promise<void> {
  for (const first of firsts) {
    const path = `${dir}/${segmentName(first)}`;
    const size = (await fs.stat(path)).size;
    // Without scanning, count at least one entry per segment dropped.
    loaded.report.droppedEntries += size > SEGMENT_HEADER_BYTES ? 1 : 0;
    await fs.remove(path);
  }
  if (firsts.length > 0) await fs.syncDir(dir);
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = await handle.read(bytes.subarray(done), position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? bytes : bytes.subarray(0, done);
}

/** Reads `length` bytes at `position` (fewer only at end of file). */
export { readAt };

/**
 * Throws unless `header` is damaged or of this build's format version: a segment written in
 * another version (version 1 had 25-byte record headers) is never read as damage, and never
 * removed or cut by `repair`.
 */
function refuseOtherVersion(header: Uint8Array, path: string): void {
  const version = segmentVersion(header);
  if (version === undefined || version === FORMAT_VERSION) return;
  throw new LogCorruptionError(
    `Segment format version ${version} is not supported (this build reads version ` +
      `${FORMAT_VERSION} only; see lib/log/FORMAT.md)`,
    path,
    4,
  );
}

async function loadSealed(
  fs: FileSystem,
  path: string,
  first: number,
  loaded: LoadedLog,
  options: LoadOptions,
): Promise<Segment | undefined> {
  const handle = await fs.open(path, { read: true });
  try {
    const size = await handle.size();
    const header = await readAt(handle, 0, SEGMENT_HEADER_BYTES);
    refuseOtherVersion(header, path);
    if (decodeSegmentHeader(header) !== first) {
      return await failOrCut(fs, path, first, 0, loaded, options, "Bad segment header");
    }
    const trailer = size >= SEGMENT_HEADER_BYTES + TRAILER_BYTES
      ? decodeTrailer(await readAt(handle, size - TRAILER_BYTES, TRAILER_BYTES), size)
      : undefined;
    const runsStart = trailer === undefined ? 0 : trailer.footerStart + trailer.count * 4;
    const runs = trailer === undefined
      ? undefined
      : decodeRuns(await readAt(handle, runsStart, trailer.runCount * 16), trailer);
    if (trailer !== undefined && runs !== undefined && runs.starts[0] === first) {
      for (let r = 0; r < runs.starts.length; r++) {
        loaded.runs.push(runs.starts[r]!, runs.terms[r]!);
      }
      const segment: Segment = {
        first,
        count: trailer.count,
        end: trailer.footerStart,
        sealed: true,
        offsets: undefined,
        trailer,
        path,
        handle: undefined,
        pinned: false,
      };
      loaded.segments.push(segment);
      loaded.lastIndex = first + trailer.count - 1;
      return segment;
    }
  } finally {
    await handle.close();
  }
  loaded.report.segmentsScanned++;
  return await loadScanned(fs, path, first, loaded, options, false);
}

async function loadLast(
  fs: FileSystem,
  path: string,
  first: number,
  loaded: LoadedLog,
  options: LoadOptions,
): Promise<Segment | undefined | "removed"> {
  const size = (await fs.stat(path)).size;
  if (size <= SEGMENT_HEADER_BYTES) {
    const header = await fs.readFile(path);
    refuseOtherVersion(header, path);
    if (decodeSegmentHeader(header) !== first) {
      // Created but its header never became durable: it holds nothing.
      await fs.remove(path);
      loaded.report.tornBytes += size;
      return "removed";
    }
  }
  return await loadScanned(fs, path, first, loaded, options, true);
}

/** Reads a whole segment, checking every record; for the last segment, cuts a torn tail. */
async function loadScanned(
  fs: FileSystem,
  path: string,
  first: number,
  loaded: LoadedLog,
  options: LoadOptions,
  isLast: boolean,
): Promise<Segment | undefined> {
  const bytes = await fs.readFile(path);
  refuseOtherVersion(bytes, path);
  if (decodeSegmentHeader(bytes.subarray(0, SEGMENT_HEADER_BYTES)) !== first) {
    return await failOrCut(fs, path, first, 0, loaded, options, "Bad segment header");
  }
  const trailer = bytes.length >= SEGMENT_HEADER_BYTES + TRAILER_BYTES
    ? decodeTrailer(bytes.subarray(bytes.length - TRAILER_BYTES), bytes.length)
    : undefined;
  const limit = trailer?.footerStart ?? bytes.length;
  const view = viewOf(bytes);
  // An interrupted truncateBack named its last entry kept: what follows it is being dropped
  // (and may hold the torn start of the new footer, written over a dropped record).
  const pending = loaded.pendingTruncate;
  const slots = pending === undefined ? Infinity : Math.max(0, pending + 1 - first);
  const scan = scanRecords(bytes, view, first, limit, slots, loaded.runs);
  const { offsets, count, position } = scan;
  let problem = scan.problem;
  if (isLast && problem === undefined && count === slots && position < bytes.length) {
    await cutFile(fs, path, position);
    loaded.report.completed.push(`truncateBack cut ${path} at byte ${position}`);
    return pushScanned(
      bytes,
      view,
      { first, count, end: position, offsets, path },
      loaded,
      options,
    );
  }
  if (problem !== undefined && isFooterOf(bytes, view, position, offsets, count)) {
    // A sealed segment whose trailer or term runs were damaged: its records all checked out
    // and its offsets array matches them, so only the footer's summary is lost.
    problem = undefined;
  }
  const segment: Segment = {
    first,
    count,
    end: position,
    sealed: (trailer !== undefined || position < bytes.length) && problem === undefined,
    offsets,
    trailer: undefined,
    path,
    handle: undefined,
    pinned: false,
  };
  if (problem !== undefined) {
    segment.sealed = false;
    if (isLast && isTornTail(bytes, view, position, problem, first, count)) {
      await cutFile(fs, path, position);
      loaded.report.tornBytes += bytes.length - position;
    } else {
      await failOrCut(fs, path, first, position, loaded, options, `Bad record (${problem})`);
      // Repaired: this segment (if anything is left of it) becomes the last one.
      if (position > SEGMENT_HEADER_BYTES) {
        pushSegment(loaded, segment);
        primeRecent(bytes, view, segment, loaded, options.recentBytes);
      }
      return undefined;
    }
  }
  pushSegment(loaded, segment);
  if (isLast) primeRecent(bytes, view, segment, loaded, options.recentBytes);
  return segment;
}

/** What {@linkcode scanRecords} found. */
interface Scan {
  offsets: Uint32Array;
  count: number;
  /** Where the scan stopped: after the last valid record. */
  position: number;
  problem: string | undefined;
}

/**
 * Checks records from the segment header to `limit`, at most `slots` of them, recording each
 * entry's term in `runs`; stops at the first bad one.
 */
function scanRecords(
  bytes: Uint8Array,
  view: DataView,
  first: number,
  limit: number,
  slots: number,
  runs: TermRuns,
): Scan {
  let offsets: Uint32Array = new Uint32Array(1024);
  let position = SEGMENT_HEADER_BYTES;
  let count = 0;
  let term = 0;
  while (position < limit && count < slots) {
    const result = checkRecord(bytes, view, position, limit, first + count, count);
    if (typeof result === "string") return { offsets, count, position, problem: result };
    // A record without a term carries the previous one on (checkRecord made the first store it).
    const stored = storedTerm(view, position);
    if (stored !== undefined && stored < term) return { offsets, count, position, problem: "term" };
    term = stored ?? term;
    if (count === offsets.length) offsets = grow(offsets);
    offsets[count++] = position;
    runs.push(first + count - 1, term);
    position += result;
  }
  return { offsets, count, position, problem: undefined };
}

/** Adds a scanned last segment that ends at `end` and primes the cache from it. */
function pushScanned(
  bytes: Uint8Array,
  view: DataView,
  scanned: { first: number; count: number; end: number; offsets: Uint32Array; path: string },
  loaded: LoadedLog,
  options: LoadOptions,
): Segment {
  const segment: Segment = {
    ...scanned,
    sealed: false,
    trailer: undefined,
    handle: undefined,
    pinned: false,
  };
  pushSegment(loaded, segment);
  primeRecent(bytes, view, segment, loaded, options.recentBytes);
  return segment;
}

function pushSegment(loaded: LoadedLog, segment: Segment): void {
  loaded.segments.push(segment);
  loaded.lastIndex = segment.first + segment.count - 1;
}

/**
 * Whether a bad record at `position` (in `slot`) of the last segment, whose first index is
 * `first`, is a torn final write.
 */
function isTornTail(
  bytes: Uint8Array,
  view: DataView,
  position: number,
  problem: string,
  first: number,
  slot: number,
): boolean {
  if (problem === "short") return true;
  // Space the file system extended but never wrote reads as zeros (etcd's torn-write rule):
  // a zero header, or a 512-byte sector of the record that is all zeros, marks a write whose
  // pages reached the disk only in part (pages may be written back in any order).
  if (isZeroFrom(bytes, position)) return true;
  const recordEnd = Math.min(bytes.length, position + claimedRecordBytes(view, position));
  if (hasZeroSector(bytes, position, recordEnd)) return true;
  // A valid later record means the bad one sits in the middle: corruption, not a torn tail.
  return findLaterRecord(bytes, view, position, first, slot) === undefined;
}

/** Whether `bytes` from `position` on are a footer whose offsets array equals `offsets`. */
function isFooterOf(
  bytes: Uint8Array,
  view: DataView,
  position: number,
  offsets: Uint32Array,
  count: number,
): boolean {
  const rest = bytes.length - position - count * 4 - TRAILER_BYTES;
  if (count === 0 || rest < 16 || rest % 16 !== 0) return false;
  for (let i = 0; i < count; i++) {
    if (view.getUint32(position + i * 4, true) !== offsets[i]) return false;
  }
  return true;
}

function hasZeroSector(bytes: Uint8Array, start: number, end: number): boolean {
  for (let from = start; from < end;) {
    const to = Math.min(end, (Math.floor(from / SECTOR_BYTES) + 1) * SECTOR_BYTES);
    let zero = true;
    for (let i = from; i < to && zero; i++) zero = bytes[i] === 0;
    if (zero) return true;
    from = to;
  }
  return false;
}

function isZeroFrom(bytes: Uint8Array, position: number): boolean {
  const stop = Math.min(bytes.length, position + RECORD_HEADER_BYTES);
  for (let i = position; i < stop; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Bytes of candidate records {@linkcode findLaterRecord} checksums at most. Bytes that merely
 * look like headers cost a checksum over the length they claim. A torn write leaves zeros (never
 * a plausible header: a zero slot needs the term flag) and pieces of its own records (settled
 * by one checksum each), so only damage full of header-like bytes runs out of it, and it is
 * then counted as corruption.
 */
const LATER_RECORD_CHECK_BYTES_MAX = 64 * 1024 * 1024;

/**
 * The position of a valid record after the bad one at `position` (in `slot`) of `bytes`, a
 * segment whose first index is `first`, if any: one whose slot is at least `slot` and no further
 * on than the bytes in between allow (a record takes at least 13). When ruling that out would
 * mean checksumming more than {@linkcode LATER_RECORD_CHECK_BYTES_MAX}, the first candidate past
 * the budget is returned, as if valid: the caller then refuses to open rather than cut what
 * might be acknowledged records.
 */
export function findLaterRecord(
  bytes: Uint8Array,
  view: DataView,
  position: number,
  first: number,
  slot: number,
): number | undefined {
  let budget = LATER_RECORD_CHECK_BYTES_MAX;
  for (let p = position + 1; p + RECORD_HEADER_BYTES <= bytes.length; p++) {
    const candidate = view.getUint32(p + 8, true);
    const slotsBetween = Math.ceil((p - position) / RECORD_HEADER_BYTES);
    if (candidate < slot || candidate > slot + slotsBetween) continue;
    if (!isPlausibleHeader(view, p, candidate)) continue;
    const size = claimedRecordBytes(view, p);
    if (p + size > bytes.length) continue;
    budget -= size;
    if (budget < 0) return p;
    const index = first + candidate;
    if (typeof checkRecord(bytes, view, p, bytes.length, index, candidate) === "number") return p;
  }
  return undefined;
}

/** Throws a corruption error, or with repair cuts the file at `position` and reports. */
async function failOrCut(
  fs: FileSystem,
  path: string,
  first: number,
  position: number,
  loaded: LoadedLog,
  options: LoadOptions,
  message: string,
): Promise<undefined> {
  if (!options.repair) throw new LogCorruptionError(message, path, position);
  loaded.report.droppedEntries += 1;
  if (position <= SEGMENT_HEADER_BYTES) {
    await fs.remove(path);
    loaded.report.completed.push(`repair removed ${path}`);
  } else {
    await cutFile(fs, path, position);
    loaded.report.completed.push(`repair cut ${path} at byte ${position}`);
  }
  assert(first >= 1, "segment first index");
  return undefined;
}

async function cutFile(fs: FileSystem, path: string, size: number): Promise<void> {
  const handle = await fs.open(path, { read: true, write: true });
  try {
    await handle.truncate(size);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

function grow(offsets: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(offsets.length * 2);
  bigger.set(offsets);
  return bigger;
}

/** Decodes the newest entries of the last segment (up to `bytesMax`) for the cache. */
function primeRecent(
  bytes: Uint8Array,
  view: DataView,
  segment: Segment,
  loaded: LoadedLog,
  bytesMax: number,
): void {
  const offsets = segment.offsets!;
  let start = segment.count;
  while (start > 0 && segment.end - offsets[start - 1]! <= bytesMax) start--;
  for (let k = start; k < segment.count; k++) {
    const index = segment.first + k;
    const term = loaded.runs.termAt(index);
    const decoded = decodeRecord(bytes, view, offsets[k]!, segment.end, index, k, term);
    assert(decoded.ok, "a checked record decodes");
    loaded.recent.push(decoded.entry);
  }
}

/** Removes the intent file of a finished truncateBack. */
export async function clearTruncate(fs: FileSystem, dir: string): Promise<void> {
  await removeIfExists(fs, `${dir}/${TRUNCATE_FILE}`);
  await fs.syncDir(dir);
}

/**
 * Byte layouts of segment files (see FORMAT.md): the segment header, records and the footer a
 * sealed segment ends with. Pure functions over byte arrays; all integers little-endian.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import { crc32c, crc32cU64 } from "./crc32c.ts";
import type { LogEntry } from "./types.ts";

/**
 * Bytes before a record's payload when its term is implied: crc, length word, slot, type. The
 * index is implied too (the segment's first index + slot), but the CRC covers it, so a record
 * fails its check anywhere but at its own index, as with the 25-byte version-1 header's stored
 * index; the slot is stored for the cheap checks of a record searched for byte by byte.
 */
export const RECORD_HEADER_BYTES = 13;
/** Bytes the header grows by when it stores the term (a segment's first record, a new term). */
export const TERM_BYTES = 8;
/** Length-word flag: the header ends with the entry's term. */
const TERM_FLAG = 0x2000_0000;
/** Length-word bits holding the payload length (ENTRY_BYTES_MAX, 2^28, fits). */
const LENGTH_MASK = 0x1fff_ffff;
/** Length-word bits that must be zero. */
const RESERVED_BITS = 0xc000_0000;
/** Bytes of a segment's header. */
export const SEGMENT_HEADER_BYTES = 32;
/** Bytes of a sealed segment's trailer (the last part of the footer). */
export const TRAILER_BYTES = 32;
/** Largest payload one entry may carry: bounds every read buffer. */
export const ENTRY_BYTES_MAX = 256 * 1024 * 1024;

const SEGMENT_MAGIC = 0x474f4c46; // "FLOG"
const FOOTER_MAGIC = 0x54464c46; // "FLFT"
/** Format version written in each segment header; the only one this build reads. */
export const FORMAT_VERSION = 2;
const TWO_32 = 0x1_0000_0000;

/** Writes a safe non-negative integer as a little-endian u64. */
export function setU64(view: DataView, position: number, value: number): void {
  // `>>> 0` is the value modulo 2^32 for any safe integer, and truncates the quotient: no
  // floating-point remainder or Math.floor on the append path.
  view.setUint32(position, value >>> 0, true);
  view.setUint32(position + 4, (value / TWO_32) >>> 0, true);
}

/** Reads a little-endian u64; values above 2^53 come back imprecise and fail later checks. */
export function getU64(view: DataView, position: number): number {
  return view.getUint32(position, true) + view.getUint32(position + 4, true) * TWO_32;
}

/** A DataView over exactly `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Size of `entry`'s record on disk, with or without the term in its header. */
export function recordBytes(entry: LogEntry, storesTerm: boolean): number {
  return RECORD_HEADER_BYTES + (storesTerm ? TERM_BYTES : 0) + entry.data.byteLength;
}

/**
 * Encodes `entry` at `position` of `target`/`view` (the same buffer) as the record in `slot`
 * (its index minus the segment's first index); returns the size. `storesTerm` must be set for
 * a segment's first record and whenever the term differs from the previous record's.
 */
export function encodeRecord(
  target: Uint8Array,
  view: DataView,
  position: number,
  entry: LogEntry,
  slot: number,
  storesTerm: boolean,
): number {
  const data = entry.data;
  const length = data.length;
  let header = RECORD_HEADER_BYTES;
  if (storesTerm) {
    view.setUint32(position + 4, length | TERM_FLAG, true);
    setU64(view, position + RECORD_HEADER_BYTES, entry.term);
    header += TERM_BYTES;
  } else {
    view.setUint32(position + 4, length, true);
  }
  view.setUint32(position + 8, slot, true);
  target[position + 12] = entry.type;
  target.set(data, position + header);
  const end = position + header + length;
  view.setUint32(position, recordCrc(target, position, end, entry.index), true);
  return end - position;
}

/** A record's CRC32C: its index (eight bytes, not stored), then its bytes after the CRC field. */
function recordCrc(bytes: Uint8Array, position: number, end: number, index: number): number {
  return crc32c(bytes, crc32cU64(index), position + 4, end);
}

/** Why a record failed to decode. */
export type RecordProblem = "short" | "length" | "checksum" | "index" | "term";

/** A decoded record or the reason none could be. */
export type DecodedRecord =
  | { ok: true; entry: LogEntry; size: number }
  | { ok: false; problem: RecordProblem };

/**
 * The size a record header at `position` claims (header, stored term, payload), without
 * checking anything: where a damaged record would end.
 */
export function claimedRecordBytes(view: DataView, position: number): number {
  const word = view.getUint32(position + 4, true);
  return RECORD_HEADER_BYTES + ((word & TERM_FLAG) !== 0 ? TERM_BYTES : 0) + (word & LENGTH_MASK);
}

/**
 * Whether the header at `position` could be a record's in `slot`: the checks short of the CRC
 * that need no more than the header (length word well formed, a first record's term flag).
 */
export function isPlausibleHeader(view: DataView, position: number, slot: number): boolean {
  const word = view.getUint32(position + 4, true);
  if ((word & RESERVED_BITS) !== 0 || (word & LENGTH_MASK) > ENTRY_BYTES_MAX) return false;
  return slot !== 0 || (word & TERM_FLAG) !== 0;
}

/**
 * Checks the record at `position` of `bytes[0, end)` as entry `index` in `slot` of its segment
 * (length word, slot, CRC, and that a first record stores its term) without decoding it: its
 * size, or the problem found.
 */
export function checkRecord(
  bytes: Uint8Array,
  view: DataView,
  position: number,
  end: number,
  index: number,
  slot: number,
): number | RecordProblem {
  if (end - position < RECORD_HEADER_BYTES) return "short";
  const word = view.getUint32(position + 4, true);
  if ((word & RESERVED_BITS) !== 0 || (word & LENGTH_MASK) > ENTRY_BYTES_MAX) return "length";
  const recordEnd = position + claimedRecordBytes(view, position);
  if (recordEnd > end) return "short";
  if (recordCrc(bytes, position, recordEnd, index) !== view.getUint32(position, true)) {
    return "checksum";
  }
  if (view.getUint32(position + 8, true) !== slot) return "index";
  if (slot === 0 && (word & TERM_FLAG) === 0) return "term";
  return recordEnd - position;
}

/** The term a (checked) record's header stores, or undefined when it carries the last one on. */
export function storedTerm(view: DataView, position: number): number | undefined {
  const word = view.getUint32(position + 4, true);
  return (word & TERM_FLAG) !== 0 ? getU64(view, position + RECORD_HEADER_BYTES) : undefined;
}

/**
 * Decodes the record at `position` of `bytes[0, end)` as entry `index` in `slot` of its
 * segment, whose term is known to be `term` (from the term runs): checks it as
 * {@linkcode checkRecord} does, and that a stored term agrees. The entry's data is a copy, so
 * the buffer may be reused.
 */
export function decodeRecord(
  bytes: Uint8Array,
  view: DataView,
  position: number,
  end: number,
  index: number,
  slot: number,
  term: number,
): DecodedRecord {
  const checked = checkRecord(bytes, view, position, end, index, slot);
  if (typeof checked === "string") return { ok: false, problem: checked };
  const stored = storedTerm(view, position);
  if (stored !== undefined && stored !== term) return { ok: false, problem: "term" };
  const recordEnd = position + checked;
  const length = view.getUint32(position + 4, true) & LENGTH_MASK;
  const entry: LogEntry = {
    index,
    term,
    type: bytes[position + 12]!,
    data: bytes.slice(recordEnd - length, recordEnd),
  };
  return { ok: true, entry, size: checked };
}

/** Encodes a segment header for a segment whose first entry is `firstIndex`. */
export function encodeSegmentHeader(firstIndex: number): Uint8Array {
  assert(Number.isSafeInteger(firstIndex) && firstIndex >= 1, "segment first index");
  const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
  const view = viewOf(bytes);
  view.setUint32(0, SEGMENT_MAGIC, true);
  view.setUint16(4, FORMAT_VERSION, true);
  setU64(view, 8, firstIndex);
  view.setUint32(28, crc32c(bytes, 0, 0, 28), true);
  return bytes;
}

/** Decodes a segment header: its first index, or undefined when invalid or of another version. */
export function decodeSegmentHeader(bytes: Uint8Array): number | undefined {
  if (segmentVersion(bytes) !== FORMAT_VERSION) return undefined;
  return getU64(viewOf(bytes), 8);
}

/**
 * The format version of an intact segment header (magic and CRC right), or undefined: tells a
 * segment written by another version of the format apart from a damaged or unwritten one.
 */
export function segmentVersion(bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < SEGMENT_HEADER_BYTES) return undefined;
  const view = viewOf(bytes);
  if (view.getUint32(0, true) !== SEGMENT_MAGIC) return undefined;
  if (view.getUint32(28, true) !== crc32c(bytes, 0, 0, 28)) return undefined;
  return view.getUint16(4, true);
}

/** Term runs: `starts[i]` is the first index of a run of entries of term `terms[i]`. */
export interface TermRunsData {
  /** First index of each run, increasing. */
  starts: number[];
  /** Term of each run. */
  terms: number[];
}

/** Encodes the footer of a sealed segment: offsets, term runs, trailer. */
export function encodeFooter(
  offsets: Uint32Array,
  runs: TermRunsData,
  footerStart: number,
): Uint8Array {
  const count = offsets.length;
  const runCount = runs.starts.length;
  const runsStart = count * 4;
  const trailerStart = runsStart + runCount * 16;
  const bytes = new Uint8Array(trailerStart + TRAILER_BYTES);
  const view = viewOf(bytes);
  if (LITTLE_ENDIAN) {
    // The array's memory is the footer's layout: one copy instead of a store per entry (a
    // 64 MiB segment of 128-byte entries has 440,000 offsets: milliseconds on the append path).
    bytes.set(new Uint8Array(offsets.buffer, offsets.byteOffset, count * 4));
  } else {
    for (let i = 0; i < count; i++) view.setUint32(i * 4, offsets[i]!, true);
  }
  for (let i = 0; i < runCount; i++) {
    setU64(view, runsStart + i * 16, runs.starts[i]!);
    setU64(view, runsStart + i * 16 + 8, runs.terms[i]!);
  }
  view.setUint32(trailerStart, FOOTER_MAGIC, true);
  view.setUint32(trailerStart + 4, count, true);
  view.setUint32(trailerStart + 8, runCount, true);
  view.setUint32(trailerStart + 12, crc32c(bytes, 0, 0, runsStart), true);
  view.setUint32(trailerStart + 16, crc32c(bytes, 0, runsStart, trailerStart), true);
  view.setUint32(trailerStart + 20, footerStart, true);
  view.setUint32(trailerStart + 28, crc32c(bytes, 0, trailerStart, trailerStart + 28), true);
  return bytes;
}

/** A decoded trailer: where the footer starts and what it holds. */
export interface Trailer {
  /** Entries in the segment. */
  count: number;
  /** Term runs in the footer. */
  runCount: number;
  /** CRC32C of the offsets array. */
  offsetsCrc: number;
  /** CRC32C of the runs array. */
  runsCrc: number;
  /** Byte position where the footer (and so the end of records) begins. */
  footerStart: number;
}

/** Decodes a trailer read from the last {@linkcode TRAILER_BYTES} of a file. */
export function decodeTrailer(bytes: Uint8Array, fileSize: number): Trailer | undefined {
  if (bytes.byteLength !== TRAILER_BYTES) return undefined;
  const view = viewOf(bytes);
  if (view.getUint32(0, true) !== FOOTER_MAGIC) return undefined;
  if (view.getUint32(28, true) !== crc32c(bytes, 0, 0, 28)) return undefined;
  const trailer: Trailer = {
    count: view.getUint32(4, true),
    runCount: view.getUint32(8, true),
    offsetsCrc: view.getUint32(12, true),
    runsCrc: view.getUint32(16, true),
    footerStart: view.getUint32(20, true),
  };
  const footerBytes = trailer.count * 4 + trailer.runCount * 16 + TRAILER_BYTES;
  if (trailer.footerStart + footerBytes !== fileSize) return undefined;
  return trailer;
}

/** Decodes a footer's term runs (bytes between offsets and trailer); undefined if bad. */
export function decodeRuns(bytes: Uint8Array, trailer: Trailer): TermRunsData | undefined {
  if (crc32c(bytes) !== trailer.runsCrc) return undefined;
  const view = viewOf(bytes);
  const runs: TermRunsData = { starts: [], terms: [] };
  for (let i = 0; i < trailer.runCount; i++) {
    runs.starts.push(getU64(view, i * 16));
    runs.terms.push(getU64(view, i * 16 + 8));
  }
  return runs;
}

/** Decodes a footer's offsets array; undefined if its checksum fails. */
export function decodeOffsets(bytes: Uint8Array, trailer: Trailer): Uint32Array | undefined {
  // A short read (the file cut after it was opened) must not pass as offsets ending in zeros.
  if (bytes.length !== trailer.count * 4 || crc32c(bytes) !== trailer.offsetsCrc) return undefined;
  const offsets = new Uint32Array(trailer.count);
  if (LITTLE_ENDIAN) {
    new Uint8Array(offsets.buffer).set(bytes.subarray(0, trailer.count * 4));
    return offsets;
  }
  const view = viewOf(bytes);
  for (let i = 0; i < trailer.count; i++) offsets[i] = view.getUint32(i * 4, true);
  return offsets;
}

/** Typed arrays hold numbers in platform order: the offsets copy as they are on little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

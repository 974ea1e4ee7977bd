/**
 * Byte layouts of segment files (see FORMAT.md): the segment header, records and the footer a
 * sealed segment ends with. Pure functions over byte arrays; all integers little-endian.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import { crc32c } from "./crc32c.ts";
import type { LogEntry } from "./types.ts";

/** Bytes before each record's payload: crc, length, index, term, type. */
export const RECORD_HEADER_BYTES = 25;
/** Bytes of a segment's header. */
export const SEGMENT_HEADER_BYTES = 32;
/** Bytes of a sealed segment's trailer (the last part of the footer). */
export const TRAILER_BYTES = 32;
/** Largest payload one entry may carry: bounds every read buffer. */
export const ENTRY_BYTES_MAX = 256 * 1024 * 1024;

const SEGMENT_MAGIC = 0x474f4c46; // "FLOG"
const FOOTER_MAGIC = 0x54464c46; // "FLFT"
/** Format version written in each segment header. */
export const FORMAT_VERSION = 1;
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

/** Size of `entry`'s record on disk. */
export function recordBytes(entry: LogEntry): number {
  return RECORD_HEADER_BYTES + entry.data.byteLength;
}

/** Encodes `entry` at `position` of `target`/`view` (the same buffer); returns the size. */
export function encodeRecord(
  target: Uint8Array,
  view: DataView,
  position: number,
  entry: LogEntry,
): number {
  const length = entry.data.byteLength;
  view.setUint32(position + 4, length, true);
  setU64(view, position + 8, entry.index);
  setU64(view, position + 16, entry.term);
  target[position + 24] = entry.type;
  target.set(entry.data, position + RECORD_HEADER_BYTES);
  const end = position + RECORD_HEADER_BYTES + length;
  view.setUint32(position, crc32c(target, 0, position + 4, end), true);
  return end - position;
}

/** Why a record failed to decode. */
export type RecordProblem = "short" | "length" | "checksum" | "index";

/** A decoded record or the reason none could be. */
export type DecodedRecord =
  | { ok: true; entry: LogEntry; size: number }
  | { ok: false; problem: RecordProblem };

/**
 * Checks the record at `position` of `bytes[0, end)` (length, CRC, index) without decoding it:
 * its size, or the problem found.
 */
export function checkRecord(
  bytes: Uint8Array,
  view: DataView,
  position: number,
  end: number,
  expectedIndex: number,
): number | RecordProblem {
  if (end - position < RECORD_HEADER_BYTES) return "short";
  const length = view.getUint32(position + 4, true);
  if (length > ENTRY_BYTES_MAX) return "length";
  const recordEnd = position + RECORD_HEADER_BYTES + length;
  if (recordEnd > end) return "short";
  if (crc32c(bytes, 0, position + 4, recordEnd) !== view.getUint32(position, true)) {
    return "checksum";
  }
  if (getU64(view, position + 8) !== expectedIndex) return "index";
  return recordEnd - position;
}

/**
 * Decodes the record at `position` of `bytes[0, end)` and checks its CRC and that its index is
 * `expectedIndex`. The entry's data is a copy, so the buffer may be reused.
 */
export function decodeRecord(
  bytes: Uint8Array,
  view: DataView,
  position: number,
  end: number,
  expectedIndex: number,
): DecodedRecord {
  if (end - position < RECORD_HEADER_BYTES) return { ok: false, problem: "short" };
  const length = view.getUint32(position + 4, true);
  if (length > ENTRY_BYTES_MAX) return { ok: false, problem: "length" };
  const recordEnd = position + RECORD_HEADER_BYTES + length;
  if (recordEnd > end) return { ok: false, problem: "short" };
  const crc = view.getUint32(position, true);
  if (crc32c(bytes, 0, position + 4, recordEnd) !== crc) return { ok: false, problem: "checksum" };
  const index = getU64(view, position + 8);
  if (index !== expectedIndex) return { ok: false, problem: "index" };
  const entry: LogEntry = {
    index,
    term: getU64(view, position + 16),
    type: bytes[position + 24]!,
    data: bytes.slice(position + RECORD_HEADER_BYTES, recordEnd),
  };
  return { ok: true, entry, size: recordEnd - position };
}

/** True when the record header at `position` is all zero bytes: space never written. */
export function isZeroHeader(bytes: Uint8Array, position: number, end: number): boolean {
  const stop = Math.min(end, position + RECORD_HEADER_BYTES);
  for (let i = position; i < stop; i++) if (bytes[i] !== 0) return false;
  return true;
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

/** Decodes a segment header: its first index, or undefined when invalid. */
export function decodeSegmentHeader(bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < SEGMENT_HEADER_BYTES) return undefined;
  const view = viewOf(bytes);
  if (view.getUint32(0, true) !== SEGMENT_MAGIC) return undefined;
  if (view.getUint32(28, true) !== crc32c(bytes, 0, 0, 28)) return undefined;
  if (view.getUint16(4, true) !== FORMAT_VERSION) return undefined;
  return getU64(view, 8);
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

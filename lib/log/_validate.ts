/**
 * Argument checks shared by both logs: misuse is a `RangeError`/`TypeError`, as DESIGN.md §7
 * asks, never a corrupt log.
 *
 * @module
 */

import { ENTRY_BYTES_MAX } from "./_record.ts";
import type { LogEntry } from "./types.ts";

/** Throws unless `entries` continue a log ending at `(lastIndex, lastTerm)`. */
export function checkBatch(
  entries: readonly LogEntry[],
  lastIndex: number,
  lastTerm: number,
): void {
  let index = lastIndex;
  let term = lastTerm;
  for (const entry of entries) {
    if (entry.index !== index + 1) {
      throw new RangeError(`Entry index ${entry.index} does not follow ${index}`);
    }
    if (!Number.isSafeInteger(entry.term) || entry.term < term) {
      throw new RangeError(`Entry ${entry.index} has term ${entry.term} below ${term}`);
    }
    if (!Number.isInteger(entry.type) || entry.type < 0 || entry.type > 255) {
      throw new RangeError(`Entry ${entry.index} has type ${entry.type} outside 0-255`);
    }
    if (!(entry.data instanceof Uint8Array)) {
      throw new TypeError(`Entry ${entry.index} data is not a Uint8Array`);
    }
    if (entry.data.byteLength > ENTRY_BYTES_MAX) {
      throw new RangeError(`Entry ${entry.index} exceeds ${ENTRY_BYTES_MAX} bytes`);
    }
    index = entry.index;
    term = entry.term;
  }
}

/** Throws unless `low <= value <= high` and `value` is an integer. */
export function checkRange(what: string, value: number, low: number, high: number): void {
  if (!Number.isSafeInteger(value) || value < low || value > high) {
    throw new RangeError(`${what} ${value} is outside [${low}, ${high}]`);
  }
}

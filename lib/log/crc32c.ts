/**
 * CRC32C (Castagnoli), the checksum of every log record, footer, hard-state file and snapshot.
 * Pure TypeScript, slicing-by-8: eight 256-entry tables let the loop fold eight bytes per step.
 *
 * @module
 */

const POLYNOMIAL_REVERSED = 0x82f63b78;
// Int32Array rather than Uint32Array: V8 keeps the loaded values as int32 in the hot loop
// (about 15% faster there; the same on JavaScriptCore). Only the final result is made unsigned.
const TABLES: Int32Array = buildTables();

function buildTables(): Int32Array {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL_REVERSED : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let t = 1; t < 8; t++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[t * 256 + n] = c;
    }
  }
  return tables;
}

/**
 * Computes the CRC32C of `bytes[start, end)`, continuing from `previous` (the result of an
 * earlier call over the preceding bytes; 0 to start), so a stream can be checksummed in chunks.
 *
 * @example
 * ```ts
 * import { crc32c } from "./crc32c.ts";
 * const crc = crc32c(new TextEncoder().encode("123456789"));
 * console.log(crc.toString(16)); // "e3069283"
 * ```
 */
export function crc32c(
  bytes: Uint8Array,
  previous = 0,
  start = 0,
  end: number = bytes.length,
): number {
  const t = TABLES;
  let crc = ~previous | 0;
  let i = start;
  // Eight bytes per step (each read separately, so alignment does not matter), then the rest.
  const stop8 = end - 8;
  while (i <= stop8) {
    const a = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) |
      (bytes[i + 3]! << 24));
    crc = t[1792 + (a & 0xff)]! ^ t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^ t[1024 + (a >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^ t[512 + bytes[i + 5]!]! ^ t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) crc = t[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

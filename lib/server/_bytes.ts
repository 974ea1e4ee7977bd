/**
 * Bounds-checked binary writing and reading for the node-to-node formats: unsigned LEB128
 * varints up to 2^53 - 1, length-prefixed blobs and UTF-8 strings. Reading returns blobs as
 * views into the input (no copies); any malformed input raises RespSyntaxError with the offset.
 *
 * @module
 */

import { RespSyntaxError } from "../errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Appends bytes to a growing buffer. */
export class ByteWriter {
  #buffer: Uint8Array;
  #length = 0;

  constructor(capacity: number) {
    this.#buffer = new Uint8Array(capacity);
  }

  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  u8(value: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Cannot encode ${value} as an unsigned varint`);
    }
    this.#reserve(8);
    while (value >= 0x80) {
      this.#buffer[this.#length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.#buffer[this.#length++] = value;
  }

  blob(data: Uint8Array): void {
    this.varint(data.length);
    this.#reserve(data.length);
    this.#buffer.set(data, this.#length);
    this.#length += data.length;
  }

  text(value: string): void {
    this.blob(encoder.encode(value));
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + extra));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }
}

/** Reads what ByteWriter wrote, checking every bound. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  #position = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  atEnd(): boolean {
    return this.#position === this.#bytes.length;
  }

  remaining(): number {
    return this.#bytes.length - this.#position;
  }

  u8(): number {
    if (this.#position >= this.#bytes.length) throw this.error("message batch ends early");
    return this.#bytes[this.#position++]!;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 56; shift += 7) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) throw this.error("varint out of range");
        return value;
      }
      scale *= 0x80;
    }
    throw this.error("varint too long");
  }

  /** A count of items that each take at least one byte, so it cannot exceed what is left. */
  length(max: number): number {
    const value = this.varint();
    if (value > max) throw this.error("count exceeds the bytes left");
    return value;
  }

  blob(): Uint8Array {
    // Bounded by what is left after the length itself: measured before it, a blob running up to
    // a varint's size past the end passed, and came back short (subarray clamps).
    const length = this.varint();
    if (length > this.remaining()) throw this.error("blob exceeds the bytes left");
    const start = this.#position;
    this.#position += length;
    const bytes = this.#bytes;
    // The constructor rather than subarray(): no species lookup (see RespDecoder).
    return new Uint8Array(bytes.buffer, bytes.byteOffset + start, length);
  }

  text(): string {
    const bytes = this.blob();
    try {
      return decoder.decode(bytes);
    } catch (cause) {
      throw new RespSyntaxError("invalid UTF-8 in message batch", this.#position, { cause });
    }
  }

  error(message: string): RespSyntaxError {
    return new RespSyntaxError(message, this.#position);
  }
}

/** Joins chunks into one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * A streaming decoder for RESP2 and RESP3 *replies*: the client side of the protocol, which a
 * node needs when it talks to another node (joining a cluster, the peer handshake).
 *
 * @module
 */

import { RespSyntaxError } from "../errors.ts";

/** An error reply (`-ERR ...`, `-TRY host:port`), kept as a value rather than thrown. */
export class RespErrorReply {
  /** The whole message, e.g. `TRY 127.0.0.1:7481`. */
  readonly message: string;

  /**
   * Wraps an error reply's text.
   *
   * @param message The text after the `-`.
   */
  constructor(message: string) {
    this.message = message;
  }

  /** The first word: `ERR`, `TRY`, `MOVED`, `NOAUTH` ... */
  get code(): string {
    const space = this.message.indexOf(" ");
    return space < 0 ? this.message : this.message.slice(0, space);
  }
}

/** A decoded reply. Simple strings become strings, bulk strings bytes, maps `Map`s. */
export type RespReply =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | RespErrorReply
  | RespReply[]
  | Map<RespReply, RespReply>;

/** Limits for {@linkcode RespReplyDecoder}. */
export interface RespReplyDecoderOptions {
  /** Longest bulk string accepted (default 512 MiB, Redis's `proto-max-bulk-len`). */
  bulkBytesMax?: number;
  /** Most elements in one aggregate (default 1,048,576). */
  aggregateLengthMax?: number;
  /** Deepest nesting of aggregates (default 64). */
  depthMax?: number;
}

const CR = 13;
const LF = 10;
const textDecoder = new TextDecoder();

/** Thrown inside the parser when the buffered bytes end mid-reply; never escapes. */
const INCOMPLETE = Symbol("incomplete");

/**
 * Decodes replies from a byte stream fed in arbitrary chunks.
 *
 * @example
 * ```ts
 * import { RespReplyDecoder } from "./reply_decoder.ts";
 * const decoder = new RespReplyDecoder();
 * decoder.push(new TextEncoder().encode("+OK\r\n:4"));
 * console.log(decoder.next()); // "OK"
 * decoder.push(new TextEncoder().encode("2\r\n"));
 * console.log(decoder.next()); // 42
 * ```
 */
export class RespReplyDecoder {
  #buffer: Uint8Array = new Uint8Array(0);
  #position = 0;
  /** Bytes consumed before the current buffer, for error offsets. */
  #consumed = 0;
  readonly #bulkBytesMax: number;
  readonly #aggregateLengthMax: number;
  readonly #depthMax: number;

  /**
   * Creates a decoder.
   *
   * @param options Limits.
   */
  constructor(options: RespReplyDecoderOptions = {}) {
    this.#bulkBytesMax = options.bulkBytesMax ?? 512 * 1024 * 1024;
    this.#aggregateLengthMax = options.aggregateLengthMax ?? 1024 * 1024;
    this.#depthMax = options.depthMax ?? 64;
  }

  /** Adds received bytes. */
  push(chunk: Uint8Array): void {
    const rest = this.#buffer.subarray(this.#position);
    this.#consumed += this.#position;
    if (rest.length === 0) {
      this.#buffer = chunk;
    } else {
      const joined = new Uint8Array(rest.length + chunk.length);
      joined.set(rest, 0);
      joined.set(chunk, rest.length);
      this.#buffer = joined;
    }
    this.#position = 0;
  }

  /**
   * The next complete reply, or `undefined` when more bytes are needed. Throws
   * {@linkcode RespSyntaxError} on malformed input.
   */
  next(): RespReply | undefined {
    const start = this.#position;
    try {
      return this.#parse(0);
    } catch (error) {
      if (error === INCOMPLETE) {
        this.#position = start;
        return undefined;
      }
      throw error;
    }
  }

  #parse(depth: number): RespReply {
    const type = this.#byte();
    const line = this.#line();
    switch (type) {
      case 0x2b: // + simple string
        return line;
      case 0x2d: // - error
        return new RespErrorReply(line);
      case 0x3a: // : integer
        return this.#integer(line);
      case 0x24: // $ bulk string
      case 0x3d: // = verbatim string
      case 0x21: // ! bulk error
        return this.#bulk(type, line);
      case 0x5f: // _ null
        return null;
      case 0x23: // # boolean
        return line === "t";
      case 0x2c: // , double
        return Number(line === "inf" ? Infinity : line === "-inf" ? -Infinity : line);
      case 0x28: // ( big number
        return BigInt(line);
      case 0x2a: // * array
      case 0x7e: // ~ set
      case 0x3e: // > push
        return this.#array(line, depth);
      case 0x25: // % map
      case 0x7c: // | attribute: read as a map
        return this.#map(line, depth);
      default:
        throw this.#error(`unknown reply type '${String.fromCharCode(type)}'`);
    }
  }

  #integer(line: string): number | bigint {
    if (!/^-?\d+$/.test(line)) throw this.#error("invalid integer reply");
    const value = Number(line);
    return Number.isSafeInteger(value) ? value : BigInt(line);
  }

  #bulk(type: number, line: string): Uint8Array | RespErrorReply | null {
    const length = this.#length(line, this.#bulkBytesMax, "bulk length");
    if (length < 0) return null;
    if (this.#buffer.length - this.#position < length + 2) throw INCOMPLETE;
    const start = this.#position;
    const bytes = this.#buffer.slice(start, start + length);
    if (this.#buffer[start + length] !== CR || this.#buffer[start + length + 1] !== LF) {
      throw this.#error("bulk string not terminated by CRLF");
    }
    this.#position = start + length + 2;
    if (type === 0x21) return new RespErrorReply(textDecoder.decode(bytes));
    // Verbatim strings start with a three-letter format and a colon: "txt:".
    return type === 0x3d ? bytes.subarray(Math.min(4, bytes.length)) : bytes;
  }

  #array(line: string, depth: number): RespReply[] | null {
    const length = this.#length(line, this.#aggregateLengthMax, "aggregate length");
    if (length < 0) return null;
    if (depth + 1 > this.#depthMax) throw this.#error("replies nested too deeply");
    const items: RespReply[] = [];
    for (let i = 0; i < length; i++) items.push(this.#parse(depth + 1));
    return items;
  }

  #map(line: string, depth: number): Map<RespReply, RespReply> {
    const length = this.#length(line, this.#aggregateLengthMax, "aggregate length");
    if (depth + 1 > this.#depthMax) throw this.#error("replies nested too deeply");
    const map = new Map<RespReply, RespReply>();
    for (let i = 0; i < length; i++) {
      const key = this.#parse(depth + 1);
      map.set(key instanceof Uint8Array ? textDecoder.decode(key) : key, this.#parse(depth + 1));
    }
    return map;
  }

  #length(line: string, max: number, what: string): number {
    if (!/^-?\d+$/.test(line)) throw this.#error(`invalid ${what}`);
    const length = Number(line);
    if (length < -1 || length > max) throw this.#error(`invalid ${what}`);
    return length;
  }

  #byte(): number {
    if (this.#position >= this.#buffer.length) throw INCOMPLETE;
    return this.#buffer[this.#position++]!;
  }

  /** The text up to the next CRLF, consuming it; lines are short (headers, simple replies). */
  #line(): string {
    const end = this.#buffer.indexOf(LF, this.#position);
    if (end < 0) {
      if (this.#buffer.length - this.#position > 64 * 1024) throw this.#error("line too long");
      throw INCOMPLETE;
    }
    if (end === this.#position || this.#buffer[end - 1] !== CR) {
      throw this.#error("line not terminated by CRLF");
    }
    const text = textDecoder.decode(this.#buffer.subarray(this.#position, end - 1));
    this.#position = end + 1;
    return text;
  }

  #error(message: string): RespSyntaxError {
    return new RespSyntaxError(message, this.#consumed + this.#position);
  }
}

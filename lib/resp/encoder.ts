/**
 * The reply encoder: every RESP2 and RESP3 reply type, with RESP2 fallbacks.
 *
 * @module
 */

/** The RESP version a connection speaks: 2 (the default) or 3 (after `HELLO 3`). */
export type RespProtocol = 2 | 3;

/** Options for {@linkcode RespEncoder}. */
export interface RespEncoderOptions {
  /** The protocol to encode for (default 2). */
  protocol?: RespProtocol;
  /** Size of each buffer the encoder allocates when it runs out of room (default 64 KiB). */
  bufferBytes?: number;
  /**
   * A first buffer to write into, lent by the caller (typically a view into a larger slab, so
   * that many short-lived encoders cost no allocation each). The encoder writes only inside it
   * and moves to a buffer of its own when it runs out.
   */
  initialBuffer?: Uint8Array;
}

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const BUFFER_BYTES_DEFAULT = 64 * 1024;
/** Room for a type byte, a sign, 16 digits and CRLF: any header or safe integer fits. */
const HEADER_BYTES_MAX = 24;
const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

/**
 * Encodes replies into a growable buffer. Each `write*` method appends one reply (or, for
 * `writeArray`, `writeMap`, `writeSet` and `writePush`, the header of an aggregate whose
 * elements follow). RESP3-only types fall back to their RESP2 forms when `protocol` is 2:
 *
 * | RESP3 | RESP2 |
 * | --- | --- |
 * | map `%n` | flat array `*2n` |
 * | set `~n`, push `>n` | array `*n` |
 * | null `_` | `$-1` (`writeNull`) or `*-1` (`writeNullArray`) |
 * | double `,1.5` | bulk `$3 1.5` |
 * | boolean `#t` / `#f` | integer `:1` / `:0` |
 * | verbatim `=7 txt:abc` | bulk `$3 abc` |
 * | big number `(123` | bulk `$3 123` |
 *
 * {@linkcode RespEncoder.take} hands the pending bytes over without copying; the encoder then
 * writes only past them (each buffer is filled once, front to back), so taken bytes stay valid.
 *
 * @example
 * ```ts
 * import { RespEncoder } from "./encoder.ts";
 * const encoder = new RespEncoder({ protocol: 3 });
 * encoder.writeMap(1);
 * encoder.writeBulk("proto");
 * encoder.writeInt(3);
 * console.log(new TextDecoder().decode(encoder.take())); // "%1\r\n$5\r\nproto\r\n:3\r\n"
 * ```
 */
export class RespEncoder {
  /** The protocol replies are encoded for; may change between replies (`HELLO`). */
  protocol: RespProtocol;
  readonly #bufferBytes: number;
  #buf: Uint8Array = EMPTY;
  /** Pending bytes are `#buf[#start, #end)`. */
  #start = 0;
  #end = 0;
  /** Bytes handed out by `take()` over the encoder's life. */
  #taken = 0;

  /**
   * Creates an encoder.
   *
   * @param options The protocol and buffer size.
   */
  constructor(options: RespEncoderOptions = {}) {
    this.protocol = options.protocol ?? 2;
    const bufferBytes = options.bufferBytes ?? BUFFER_BYTES_DEFAULT;
    if (!Number.isSafeInteger(bufferBytes) || bufferBytes < 64) {
      throw new RangeError(`bufferBytes must be an integer of at least 64, got ${bufferBytes}`);
    }
    this.#bufferBytes = bufferBytes;
    if (options.initialBuffer !== undefined) this.#buf = options.initialBuffer;
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** Bytes written over the encoder's life: a position for {@linkcode RespEncoder.truncate}. */
  get position(): number {
    return this.#taken + this.#end - this.#start;
  }

  /**
   * Hands over the pending bytes and empties the encoder. The caller owns the result; the
   * encoder never writes into it again.
   *
   * @returns The pending bytes (empty when nothing is pending).
   */
  take(): Uint8Array {
    if (this.#end === this.#start) return EMPTY;
    const bytes = this.#buf.subarray(this.#start, this.#end);
    this.#taken += bytes.length;
    this.#start = this.#end;
    return bytes;
  }

  /**
   * Drops what was written after `position` (from {@linkcode RespEncoder.position}), if it has
   * not been taken yet.
   *
   * @param position An earlier position.
   * @returns Whether the bytes could be dropped.
   */
  truncate(position: number): boolean {
    if (position < this.#taken || position > this.position) return false;
    this.#end = this.#start + (position - this.#taken);
    return true;
  }

  /** A simple string: `+OK`. CR and LF in `value` become spaces (they would end the line). */
  writeString(value: string): void {
    this.#writeLine(0x2b, value);
  }

  /**
   * An error: `-` then `message`, which starts with the error code (`ERR`, `WRONGTYPE` ...).
   * CR and LF become spaces.
   */
  writeError(message: string): void {
    this.#writeLine(0x2d, message);
  }

  /** An integer: `:42`. Numbers must be safe integers; bigints may be any size. */
  writeInt(value: number | bigint): void {
    if (typeof value === "bigint") {
      this.#writeLine(0x3a, value.toString());
      return;
    }
    if (!Number.isSafeInteger(value)) throw new RangeError(`Not a safe integer: ${value}`);
    this.#writeHeader(0x3a, value);
  }

  /** A bulk string from bytes or a string (encoded as UTF-8). */
  writeBulk(value: Uint8Array | string): void {
    if (typeof value === "string") {
      this.#writeBulkString(value);
      return;
    }
    this.#writeHeader(0x24, value.length);
    this.#reserve(value.length + 2);
    this.#buf.set(value, this.#end);
    this.#end += value.length;
    this.#crlf();
  }

  /** A null: RESP3 `_`, RESP2 the null bulk string `$-1`. */
  writeNull(): void {
    if (this.protocol === 3) this.#writeType(0x5f);
    else this.#writeHeader(0x24, -1);
  }

  /** A null standing for a missing array: RESP3 `_`, RESP2 `*-1`. */
  writeNullArray(): void {
    if (this.protocol === 3) this.#writeType(0x5f);
    else this.#writeHeader(0x2a, -1);
  }

  /** An array header: `*n`, followed by `n` replies. */
  writeArray(count: number): void {
    this.#writeHeader(0x2a, count);
  }

  /** A map header: RESP3 `%n`, RESP2 `*2n`; followed by `n` key and value pairs. */
  writeMap(count: number): void {
    if (this.protocol === 3) this.#writeHeader(0x25, count);
    else this.#writeHeader(0x2a, count * 2);
  }

  /** A set header: RESP3 `~n`, RESP2 `*n`; followed by `n` replies. */
  writeSet(count: number): void {
    this.#writeHeader(this.protocol === 3 ? 0x7e : 0x2a, count);
  }

  /** A push header (out-of-band data): RESP3 `>n`, RESP2 `*n`; followed by `n` replies. */
  writePush(count: number): void {
    this.#writeHeader(this.protocol === 3 ? 0x3e : 0x2a, count);
  }

  /** A double: RESP3 `,1.5` (`inf`, `-inf`, `nan`), RESP2 the same text as a bulk string. */
  writeDouble(value: number): void {
    const text = formatDouble(value);
    if (this.protocol === 3) this.#writeLine(0x2c, text);
    else this.#writeBulkString(text);
  }

  /** A boolean: RESP3 `#t` / `#f`, RESP2 `:1` / `:0`. */
  writeBoolean(value: boolean): void {
    if (this.protocol === 3) this.#writeLine(0x23, value ? "t" : "f");
    else this.#writeHeader(0x3a, value ? 1 : 0);
  }

  /**
   * A verbatim string: RESP3 `=<n>\r\n<format>:<text>`, RESP2 a bulk string of `text`.
   *
   * @param text The text.
   * @param format Three characters: `txt` (default) or `mkd`.
   */
  writeVerbatim(text: Uint8Array | string, format = "txt"): void {
    if (this.protocol === 2) {
      this.writeBulk(text);
      return;
    }
    if (!/^[a-z]{3}$/.test(format)) throw new TypeError(`Bad verbatim format: ${format}`);
    const bytes = typeof text === "string" ? utf8.encode(text) : text;
    this.#writeHeader(0x3d, bytes.length + 4);
    this.writeRaw(utf8.encode(`${format}:`));
    this.writeRaw(bytes);
    this.#crlf();
  }

  /** A big number: RESP3 `(12345678901234567890`, RESP2 the digits as a bulk string. */
  writeBigNumber(value: bigint | string): void {
    const text = typeof value === "bigint" ? value.toString() : value;
    if (!/^-?[0-9]+$/.test(text)) throw new TypeError(`Not an integer: ${text}`);
    if (this.protocol === 3) this.#writeLine(0x28, text);
    else this.#writeBulkString(text);
  }

  /** Bytes appended as they are: the caller vouches that they are valid RESP. */
  writeRaw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  /** Makes room for `count` more bytes, starting a fresh buffer when the current one is full. */
  #reserve(count: number): void {
    if (this.#end + count <= this.#buf.length) return;
    const pending = this.#end - this.#start;
    // Doubling keeps a long run of writes between two takes linear, not quadratic.
    const size = Math.max(this.#bufferBytes, 2 * (pending + count));
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(this.#start, this.#end));
    this.#buf = next;
    this.#start = 0;
    this.#end = pending;
  }

  #crlf(): void {
    this.#buf[this.#end] = CR;
    this.#buf[this.#end + 1] = LF;
    this.#end += 2;
  }

  #writeType(type: number): void {
    this.#reserve(3);
    this.#buf[this.#end++] = type;
    this.#crlf();
  }

  /** `<type><integer>\r\n` for a safe integer, digits written in place. */
  #writeHeader(type: number, value: number): void {
    this.#reserve(HEADER_BYTES_MAX);
    const buf = this.#buf;
    let at = this.#end;
    buf[at++] = type;
    if (value < 0) {
      buf[at++] = 0x2d;
      value = -value;
    }
    if (value < 10) {
      buf[at++] = 0x30 + value;
    } else {
      let digits = 2;
      for (let rest = Math.floor(value / 100); rest > 0; rest = Math.floor(rest / 10)) digits++;
      let last = at + digits - 1;
      at += digits;
      do {
        buf[last--] = 0x30 + (value % 10);
        value = Math.floor(value / 10);
      } while (value > 0);
    }
    buf[at] = CR;
    buf[at + 1] = LF;
    this.#end = at + 2;
  }

  /** `<type><text>\r\n`, CR and LF replaced by spaces; ASCII is written without a copy. */
  #writeLine(type: number, text: string): void {
    const length = text.length;
    this.#reserve(length + 3);
    const buf = this.#buf;
    let at = this.#end;
    buf[at++] = type;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) {
        this.#writeLineUtf8(type, text);
        return;
      }
      buf[at++] = code === CR || code === LF ? SPACE : code;
    }
    buf[at] = CR;
    buf[at + 1] = LF;
    this.#end = at + 2;
  }

  #writeLineUtf8(type: number, text: string): void {
    const bytes = utf8.encode(text);
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === CR || bytes[i] === LF) bytes[i] = SPACE;
    }
    this.#reserve(bytes.length + 3);
    this.#buf[this.#end++] = type;
    this.writeRaw(bytes);
    this.#crlf();
  }

  /** A bulk string from a JS string: ASCII is written in place, anything else via UTF-8. */
  #writeBulkString(text: string): void {
    const length = text.length;
    for (let i = 0; i < length; i++) {
      if (text.charCodeAt(i) >= 0x80) {
        this.writeBulk(utf8.encode(text));
        return;
      }
    }
    this.#writeHeader(0x24, length);
    this.#reserve(length + 2);
    const buf = this.#buf;
    let at = this.#end;
    for (let i = 0; i < length; i++) buf[at++] = text.charCodeAt(i);
    this.#end = at;
    this.#crlf();
  }
}

/** Redis's spelling of a double: shortest round-trip digits, `inf`, `-inf`, `nan`. */
function formatDouble(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Object.is(value, -0)) return "-0";
  return String(value);
}

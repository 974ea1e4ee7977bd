/**
 * The reply writer a command handler writes to.
 *
 * @module
 */

import type { RespProtocol } from "./encoder.ts";
import type { ReplyHost, ReplySlot } from "./_slot.ts";

/**
 * Where one command's reply goes: a handler writes its reply here with the `write*` methods,
 * synchronously or later, and the dispatcher calls {@linkcode Conn.end} when the handler is done.
 * Obtain one per command from {@linkcode ReplyQueue.begin}.
 *
 * Replies leave in command order whatever order handlers finish in: while an earlier reply is
 * pending, this one is held in its own small buffer; once it is first in line, writes go straight
 * to the connection's shared buffer, which is flushed once per event-loop turn. Per-connection
 * state (`protocol`, `context`, `attributes`, `id`) is shared by all of a connection's `Conn`s.
 *
 * Writes after the connection has closed are dropped silently (a client may leave while its
 * command is in flight); writes after `end()` are a programming error and throw a `TypeError`.
 *
 * @example
 * ```ts ignore
 * function get(conn: Conn, args: Uint8Array[]): void {
 *   const value = store.get(decode(args[1]!));
 *   if (value === undefined) conn.writeNull();
 *   else conn.writeBulk(value);
 * }
 * ```
 */
export class Conn {
  readonly #host: ReplyHost;
  readonly #slot: ReplySlot;

  /**
   * Used by {@linkcode ReplyQueue.begin}; not meant to be called directly.
   *
   * @param host The queue's operations.
   * @param slot This command's place in the reply order.
   */
  constructor(host: ReplyHost, slot: ReplySlot) {
    this.#host = host;
    this.#slot = slot;
  }

  /** The connection's id (unique within a server, for `CLIENT ID`). */
  get id(): number {
    return this.#host.queue.id;
  }

  /** The peer's address as `host:port`. */
  get remoteAddress(): string {
    return this.#host.queue.connection.remoteAddress;
  }

  /**
   * The RESP version this reply is encoded in. Setting it (as `HELLO` does) switches this reply
   * and every later command's; replies to earlier commands keep the protocol they began with.
   */
  get protocol(): RespProtocol {
    return this.#slot.protocol;
  }
  set protocol(protocol: RespProtocol) {
    this.#host.queue.protocol = protocol;
    this.#slot.protocol = protocol;
  }

  /** A per-connection slot for the application's own state (undefined at first). */
  get context(): unknown {
    return this.#host.queue.context;
  }
  set context(context: unknown) {
    this.#host.queue.context = context;
  }

  /** Per-connection attributes such as the client's name (`CLIENT SETNAME`). */
  get attributes(): Map<string, string> {
    return this.#host.queue.attributes;
  }

  /** True once the handler is done with this reply. */
  get ended(): boolean {
    return this.#slot.ended;
  }

  /** True once the connection is closing or closed: further replies will not be sent. */
  get closed(): boolean {
    return this.#host.queue.closed;
  }

  /** A simple string: `+OK`. */
  writeString(value: string): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeString(value);
    this.#host.wrote(encoder);
  }

  /** An error, code first: `writeError("ERR syntax error")` sends `-ERR syntax error`. */
  writeError(message: string): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeError(message);
    this.#host.wrote(encoder);
  }

  /** An integer. */
  writeInt(value: number | bigint): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeInt(value);
    this.#host.wrote(encoder);
  }

  /** A bulk string (strings are sent as UTF-8). */
  writeBulk(value: Uint8Array | string): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeBulk(value);
    this.#host.wrote(encoder);
  }

  /** A null (RESP2: the null bulk string). */
  writeNull(): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeNull();
    this.#host.wrote(encoder);
  }

  /** A null for a missing array (RESP2: `*-1`). */
  writeNullArray(): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeNullArray();
    this.#host.wrote(encoder);
  }

  /** An array header; `count` replies follow. */
  writeArray(count: number): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeArray(count);
    this.#host.wrote(encoder);
  }

  /** A map header; `count` key and value pairs follow (RESP2: a flat array). */
  writeMap(count: number): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeMap(count);
    this.#host.wrote(encoder);
  }

  /** A set header; `count` replies follow (RESP2: an array). */
  writeSet(count: number): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeSet(count);
    this.#host.wrote(encoder);
  }

  /** A push header; `count` replies follow (RESP2: an array). */
  writePush(count: number): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writePush(count);
    this.#host.wrote(encoder);
  }

  /** A double (RESP2: a bulk string). */
  writeDouble(value: number): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeDouble(value);
    this.#host.wrote(encoder);
  }

  /** A boolean (RESP2: the integer 1 or 0). */
  writeBoolean(value: boolean): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeBoolean(value);
    this.#host.wrote(encoder);
  }

  /** A verbatim string, `format` `txt` or `mkd` (RESP2: a bulk string). */
  writeVerbatim(text: Uint8Array | string, format = "txt"): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeVerbatim(text, format);
    this.#host.wrote(encoder);
  }

  /** A big number (RESP2: a bulk string of its digits). */
  writeBigNumber(value: bigint | string): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeBigNumber(value);
    this.#host.wrote(encoder);
  }

  /** Bytes sent as they are; the caller vouches that they are valid RESP. */
  writeRaw(bytes: Uint8Array): void {
    const encoder = this.#host.target(this.#slot);
    encoder.writeRaw(bytes);
    this.#host.wrote(encoder);
  }

  /**
   * Closes the connection once this reply (and every earlier one) has been written; replies to
   * later commands are dropped. `QUIT` is `writeString("OK")` then `close()`.
   */
  close(): void {
    this.#host.closeAfter(this.#slot);
  }

  /** Marks the reply complete, letting later replies go out. The dispatcher calls this. */
  end(): void {
    this.#host.end(this.#slot);
  }

  /**
   * Drops what this reply has written so far, so that an error can replace a half-written
   * reply. Returns false when some of it was already sent.
   */
  discard(): boolean {
    return this.#host.discard(this.#slot);
  }
}

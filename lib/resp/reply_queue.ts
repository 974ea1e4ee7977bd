/**
 * A connection's ordered, buffered, bounded reply stream.
 *
 * @module
 */

import type { Connection } from "../runtime.ts";
import { Conn } from "./conn.ts";
import { RespEncoder, type RespProtocol } from "./encoder.ts";
import type { ReplyHost, ReplySlot } from "./_slot.ts";

/**
 * Default bound on a connection's pending output: 64 MiB. Redis sets no bound for normal
 * clients by default but 32 MiB (hard) for pub/sub clients and 256 MiB for replicas; we need one
 * for every client, since a client that pipelines requests and never reads would otherwise grow
 * our memory without end. 64 MiB holds a reply to a 32 MiB value twice over while keeping a
 * thousand stalled clients within reach of a server's RAM. Servers storing larger values raise
 * it. (The server also stops reading from a client whose output is backed up, so in practice the
 * bound is only reached by one very large reply or many in flight.)
 */
export const OUTPUT_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

/** Options for {@linkcode ReplyQueue}. */
export interface ReplyQueueOptions {
  /**
   * Runs `flush` later in the same event-loop turn, after the current batch of requests: the
   * server passes `queueMicrotask` (lib/resp itself never touches timers).
   */
  scheduleFlush: (flush: () => void) => void;
  /** The protocol to start with (default 2). */
  protocol?: RespProtocol;
  /** Close the connection when pending output exceeds this (default 64 MiB). */
  outputBytesMax?: number;
  /** The connection's id (default 0). */
  id?: number;
  /** Called when `Connection.write` reports backpressure: stop reading until `drained()`. */
  onBackpressure?: () => void;
  /** Called once when the queue stops sending: after a close-after reply, or on overflow. */
  onClosed?: (reason: "requested" | "overflow" | "closed") => void;
}

const OPEN = 0;
const CLOSED = 1;

/**
 * Replies written while an earlier reply on the connection is still pending (a pipeline whose
 * writes are applied together) wait in encoders of their own until they reach the head. Most
 * are tiny (`+OK`, a short bulk), so each starts in a 64-byte view carved from a shared slab:
 * allocating a typed array per reply cost 300-500 ns on Deno, a view about 30 ns. A reply that
 * outgrows its view moves to a buffer of its own.
 */
const REPLY_VIEW_BYTES = 64;
const REPLY_SLAB_BYTES = 64 * 1024;
let replySlab = new Uint8Array(REPLY_SLAB_BYTES);
let replySlabUsed = 0;

function carveReplyBuffer(): Uint8Array {
  if (replySlabUsed + REPLY_VIEW_BYTES > REPLY_SLAB_BYTES) {
    replySlab = new Uint8Array(REPLY_SLAB_BYTES);
    replySlabUsed = 0;
  }
  replySlabUsed += REPLY_VIEW_BYTES;
  return replySlab.subarray(replySlabUsed - REPLY_VIEW_BYTES, replySlabUsed);
}

/**
 * Per-connection reply state: hands out one {@linkcode Conn} per command with
 * {@linkcode ReplyQueue.begin}, keeps their replies in command order, buffers them and writes them
 * to the {@linkcode Connection} once per event-loop turn, and closes the connection when its
 * pending output (our buffer plus the connection's own) passes `outputBytesMax`.
 *
 * @example
 * ```ts ignore
 * const replies = new ReplyQueue(connection, { scheduleFlush: queueMicrotask });
 * const first = replies.begin();
 * const second = replies.begin();
 * second.writeString("second"); // held until `first` ends
 * second.end();
 * await somethingSlow();
 * first.writeString("first");
 * first.end(); // both go out, in order, in one write
 * ```
 */
export class ReplyQueue {
  /** The connection replies are written to. */
  readonly connection: Connection;
  /** The connection's id. */
  readonly id: number;
  /** Application state for this connection (see {@linkcode Conn.context}). */
  context: unknown = undefined;
  /** Per-connection attributes such as the client's name. */
  readonly attributes: Map<string, string> = new Map();

  readonly #scheduleFlush: (flush: () => void) => void;
  readonly #outputBytesMax: number;
  readonly #onBackpressure: (() => void) | undefined;
  readonly #onClosed: ((reason: "requested" | "overflow" | "closed") => void) | undefined;
  readonly #flush = (): void => this.flush();
  readonly #host: ReplyHost;
  readonly #out: RespEncoder;
  /** Where dropped writes go once the connection is closed. */
  readonly #sink = new RespEncoder({ bufferBytes: 1024 });

  #protocol: RespProtocol;
  #state = OPEN;
  #closeRequested = false;
  #flushScheduled = false;
  /** How many bytes may be pending before the limit must be checked precisely. */
  #room: number;
  #head: ReplySlot | undefined = undefined;
  #tail: ReplySlot | undefined = undefined;
  #pending = 0;

  /**
   * Creates the reply queue of a connection.
   *
   * @param connection Where replies go.
   * @param options Flush scheduling, limits and callbacks.
   */
  constructor(connection: Connection, options: ReplyQueueOptions) {
    this.connection = connection;
    this.id = options.id ?? 0;
    this.#scheduleFlush = options.scheduleFlush;
    this.#outputBytesMax = options.outputBytesMax ?? OUTPUT_BYTES_MAX_DEFAULT;
    if (!Number.isSafeInteger(this.#outputBytesMax) || this.#outputBytesMax <= 0) {
      throw new RangeError(`outputBytesMax must be a positive integer`);
    }
    this.#onBackpressure = options.onBackpressure;
    this.#onClosed = options.onClosed;
    this.#protocol = options.protocol ?? 2;
    // Redis's per-client reply buffer size: small enough for many idle clients, and it grows.
    this.#out = new RespEncoder({ protocol: this.#protocol, bufferBytes: 16 * 1024 });
    this.#room = this.#outputBytesMax;
    this.#host = this.#makeHost();
  }

  /** The RESP version of replies begun from now on (see {@linkcode Conn.protocol}). */
  get protocol(): RespProtocol {
    return this.#protocol;
  }
  set protocol(protocol: RespProtocol) {
    if (protocol !== 2 && protocol !== 3) throw new RangeError(`Bad protocol: ${protocol}`);
    this.#protocol = protocol;
  }

  /** True once no more replies will be sent (closing after a reply, or closed). */
  get closed(): boolean {
    return this.#state !== OPEN || this.#closeRequested;
  }

  /** Replies begun and not yet ended (for bounding commands in flight). */
  get pendingReplies(): number {
    return this.#pending;
  }

  /** Bytes buffered here and not yet handed to the connection. */
  get bufferedBytes(): number {
    return this.#out.length;
  }

  /**
   * Starts the reply to the next command, placed after every reply begun before it.
   *
   * @returns The writer for that reply; call its `end()` when the handler is done.
   */
  begin(): Conn {
    const slot: ReplySlot = {
      own: undefined,
      ended: false,
      closeAfter: false,
      protocol: this.#protocol,
      mark: 0,
      next: undefined,
    };
    if (this.#tail === undefined) {
      this.#head = slot;
      slot.mark = this.#out.position;
    } else {
      this.#tail.next = slot;
    }
    this.#tail = slot;
    this.#pending++;
    return new Conn(this.#host, slot);
  }

  /** Writes what is buffered to the connection now (normally the scheduler calls this). */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#state !== OPEN || this.#out.length === 0) return;
    const accepted = this.connection.write(this.#out.take());
    this.#room = this.#outputBytesMax - this.connection.bufferedBytes;
    if (this.#room < 0) this.#overflow();
    else if (!accepted) this.#onBackpressure?.();
  }

  /** Closes the connection now, dropping unsent replies. */
  close(): void {
    if (this.#state !== OPEN) return;
    this.#shut("closed");
    this.connection.close();
  }

  #makeHost(): ReplyHost {
    return {
      queue: this,
      target: (slot) => this.#target(slot),
      wrote: (encoder) => this.#wrote(encoder),
      end: (slot) => this.#end(slot),
      discard: (slot) => this.#discard(slot),
      closeAfter: (slot) => this.#closeAfter(slot),
    };
  }

  #target(slot: ReplySlot): RespEncoder {
    if (slot.ended) throw new TypeError("Reply already ended");
    if (this.#state !== OPEN) {
      this.#sink.truncate(this.#sink.position - this.#sink.length);
      return this.#sink;
    }
    const encoder = slot === this.#head
      ? this.#out
      : (slot.own ??= new RespEncoder({ bufferBytes: 1024, initialBuffer: carveReplyBuffer() }));
    encoder.protocol = slot.protocol;
    return encoder;
  }

  #wrote(encoder: RespEncoder): void {
    if (encoder === this.#out && !this.#flushScheduled) {
      this.#flushScheduled = true;
      this.#scheduleFlush(this.#flush);
    }
    if (encoder.length > this.#room) this.#checkLimit(encoder);
  }

  /** Pending output passed the cheap estimate: measure precisely, and close if over. */
  #checkLimit(encoder: RespEncoder): void {
    if (this.#state !== OPEN || encoder === this.#sink) return;
    this.#room = this.#outputBytesMax - this.connection.bufferedBytes;
    const pending = this.#out.length + (encoder === this.#out ? 0 : encoder.length);
    if (pending > this.#room) this.#overflow();
  }

  #end(slot: ReplySlot): void {
    if (slot.ended) throw new TypeError("Reply already ended");
    slot.ended = true;
    this.#pending--;
    if (slot === this.#head) this.#advance();
  }

  /** Pops ended replies off the head; the next pending one takes over the shared buffer. */
  #advance(): void {
    let slot = this.#head;
    while (slot !== undefined && slot.ended) {
      if (slot.closeAfter && this.#state === OPEN) {
        this.#finishAndClose();
        return;
      }
      const next: ReplySlot | undefined = slot.next;
      slot.next = undefined;
      slot = next;
      this.#head = slot;
      if (slot === undefined) break;
      slot.mark = this.#out.position;
      if (slot.own !== undefined) {
        this.#out.writeRaw(slot.own.take());
        slot.own = undefined;
        this.#wrote(this.#out);
      }
    }
    if (slot === undefined) this.#tail = undefined;
  }

  #discard(slot: ReplySlot): boolean {
    if (slot.ended) throw new TypeError("Reply already ended");
    if (slot !== this.#head) {
      slot.own = undefined;
      return true;
    }
    return this.#out.truncate(slot.mark);
  }

  #closeAfter(slot: ReplySlot): void {
    if (slot.ended) throw new TypeError("Reply already ended");
    slot.closeAfter = true;
    this.#closeRequested = true;
  }

  /** Writes everything up to the close-after reply, then half-closes (FIN after the bytes). */
  #finishAndClose(): void {
    const bytes = this.#out.take();
    if (bytes.length > 0) this.connection.write(bytes);
    this.#shut("requested");
    this.connection.end();
  }

  #overflow(): void {
    this.#shut("overflow");
    this.connection.close();
  }

  #shut(reason: "requested" | "overflow" | "closed"): void {
    this.#state = CLOSED;
    this.#out.take();
    for (let slot = this.#head; slot !== undefined; slot = slot.next) slot.own = undefined;
    this.#head = undefined;
    this.#tail = undefined;
    this.#onClosed?.(reason);
  }
}

/**
 * One client connection: decode requests, dispatch them, answer in order.
 *
 * @module
 */

import { RespSyntaxError } from "../errors.ts";
import type { Connection } from "../runtime.ts";
import type { Conn } from "../resp/conn.ts";
import { RespDecoder, type RespDecoderOptions } from "../resp/decoder.ts";
import { ReplyQueue } from "../resp/reply_queue.ts";
import { arityAccepts, type CommandHandler, type CommandTable } from "./command_table.ts";
import { quoted } from "./_text.ts";

/**
 * The key of a handler result's own completion hook. A result with a method under it (the
 * framework's pending writes, lib/server/applier.ts) is not awaited: the session hands it a
 * {@linkcode SettleTarget}, the connection's reply writer and the arguments, and the result
 * calls `settled` exactly once when the command is done. That saves a promise, two closures
 * and a microtask per write, and the reply ends as soon as it is written, so the next reply
 * on the connection goes straight to the shared buffer instead of one of its own.
 */
export const SETTLE: unique symbol = Symbol("flotilla.settle");

/** Told when a self-settling handler result is done (see {@linkcode SETTLE}). */
export interface SettleTarget {
  /** The command finished; `error` is undefined on success. */
  settled(conn: Conn, error: unknown, args: Uint8Array[]): void;
}

/** A handler result that reports its own completion (see {@linkcode SETTLE}). */
export interface SelfSettling {
  /** Registers the session's target; the result calls it once, now or later. */
  [SETTLE](target: SettleTarget, conn: Conn, args: Uint8Array[]): void;
}

/** Settings a {@linkcode Session} takes from the server. */
export interface SessionOptions {
  /** The commands. */
  commands: CommandTable;
  /** Runs a flush later in this event-loop turn. */
  scheduleFlush: (flush: () => void) => void;
  /** Decoder limits. */
  decoder: RespDecoderOptions;
  /** Pending output bound (bytes). */
  outputBytesMax: number;
  /** Commands awaiting an asynchronous reply before reading pauses. */
  inflightMax: number;
  /** Told about handler failures and protocol errors (for logging). */
  onError: ((error: unknown, session: Session) => void) | undefined;
  /** Told when the connection is gone, with the error that closed it, if any. */
  onClose: (session: Session, error: unknown) => void;
  /** The error reply for a failed handler (default `ERR <message>`). */
  errorReply?: ((error: unknown, command: Uint8Array) => string) | undefined;
}

/**
 * Serves one connection. Reading pauses while the peer is not reading replies (the connection
 * reports backpressure) or while `inflightMax` replies are pending, so neither the decoder's
 * input nor the reply queue grows without bound. A protocol error answers
 * `-ERR Protocol error: ...` after every earlier reply, then closes the connection.
 *
 * @example
 * ```ts ignore
 * const session = new Session(connection, 1, options);
 * session.start();
 * ```
 */
export class Session {
  /** The connection. */
  readonly connection: Connection;
  /** The client id. */
  readonly id: number;
  readonly #options: SessionOptions;
  readonly #decoder: RespDecoder;
  readonly #replies: ReplyQueue;
  /** No more requests will be read (protocol error, QUIT, close). */
  #stopped = false;
  #backpressured = false;
  #reading = true;
  #peerEnded = false;
  /** The decoder held no complete request when last asked. */
  #inputDrained = true;
  #closed = false;
  /** A continuation of reading is queued (after self-settled results). */
  #processQueued = false;
  readonly #processLater = (): void => {
    this.#processQueued = false;
    if (!this.#stopped) this.#process();
    else this.#finishIfDone();
  };
  /** Where self-settling results report (one object per session, not a closure per command). */
  readonly #settleTarget: SettleTarget = {
    settled: (conn, error, args) => this.#settledNow(conn, error, args),
  };

  /**
   * Creates a session; call {@linkcode Session.start} to begin reading.
   *
   * @param connection The accepted connection.
   * @param id The client id.
   * @param options The server's settings.
   */
  constructor(connection: Connection, id: number, options: SessionOptions) {
    this.connection = connection;
    this.id = id;
    this.#options = options;
    this.#decoder = new RespDecoder(options.decoder);
    this.#replies = new ReplyQueue(connection, {
      scheduleFlush: options.scheduleFlush,
      outputBytesMax: options.outputBytesMax,
      id,
      onBackpressure: () => this.#onBackpressure(),
      onClosed: (reason) => this.#onRepliesClosed(reason),
    });
  }

  /** Starts reading requests. */
  start(): void {
    this.connection.start({
      data: (chunk) => this.#onData(chunk),
      end: () => this.#onEnd(),
      close: (error) => this.#onClose(error),
    });
  }

  /** Closes the connection now, dropping unsent replies. */
  close(): void {
    this.#stopped = true;
    this.#replies.close();
  }

  #onData(chunk: Uint8Array): void {
    if (this.#stopped) return;
    this.#decoder.push(chunk);
    this.#process();
    // The synchronous replies of this read leave now, inside the adapter's data callback (where
    // some runtimes cork writes); the scheduled flush then finds nothing and stays for replies
    // that handlers complete later.
    this.#replies.flush();
  }

  /** Dispatches complete requests until input runs out or a bound says wait. */
  #process(): void {
    while (!this.#stopped && !this.#mustWait()) {
      let args: Uint8Array[] | undefined;
      try {
        args = this.#decoder.next();
      } catch (error) {
        if (!(error instanceof RespSyntaxError)) throw error;
        this.#protocolError(error);
        break;
      }
      this.#inputDrained = args === undefined;
      if (args === undefined) break;
      this.#dispatch(args);
    }
    this.#updateReading();
    this.#finishIfDone();
  }

  /** Reading waits for the peer to read replies, or for in-flight replies; after QUIT, forever. */
  #mustWait(): boolean {
    return this.#backpressured || this.#replies.pendingReplies >= this.#options.inflightMax ||
      this.#replies.closed;
  }

  #dispatch(args: Uint8Array[]): void {
    const conn = this.#replies.begin();
    const name = args[0]!;
    const spec = this.#options.commands.lookup(name);
    if (spec === undefined) {
      const fallback = this.#options.commands.fallback;
      if (fallback !== undefined) return this.#run(fallback, conn, args);
      conn.writeError(`ERR unknown command '${quoted(name)}'`);
      return conn.end();
    }
    if (!arityAccepts(spec.arity, args.length)) {
      conn.writeError(`ERR wrong number of arguments for '${spec.name}' command`);
      return conn.end();
    }
    this.#run(spec.handler, conn, args);
  }

  /** Runs a handler; its reply ends when it returns, or when its promise settles. */
  #run(handler: CommandHandler, conn: Conn, args: Uint8Array[]): void {
    let result: void | Promise<void>;
    try {
      result = handler(conn, args);
    } catch (error) {
      this.#fail(conn, error, args);
      return;
    }
    if (result === undefined || typeof result.then !== "function") {
      if (!conn.ended) conn.end();
      return;
    }
    const settle = (result as Partial<SelfSettling>)[SETTLE];
    if (settle !== undefined) {
      settle.call(result, this.#settleTarget, conn, args);
      return;
    }
    result.then(
      () => this.#settled(conn, undefined, args),
      (error: unknown) => this.#settled(conn, error ?? new Error("Rejected"), args),
    );
  }

  #settled(conn: Conn, error: unknown, args: Uint8Array[]): void {
    if (error !== undefined) this.#fail(conn, error, args);
    else if (!conn.ended) conn.end();
    // A slot freed: requests held back by the in-flight bound may go on.
    if (!this.#stopped) this.#process();
    else this.#finishIfDone();
  }

  /**
   * A self-settling result is done, maybe in the middle of the caller's work (the Raft loop
   * applying a batch): end the reply now, and go on reading in a microtask, as after a
   * promise, so the decoder is never re-entered from inside that work.
   */
  #settledNow(conn: Conn, error: unknown, args: Uint8Array[]): void {
    if (error !== undefined) this.#fail(conn, error, args);
    else if (!conn.ended) conn.end();
    // Nothing to go on with once stopped, or while reading runs and no whole request waits.
    if (this.#stopped || (this.#reading && this.#inputDrained && !this.#peerEnded)) return;
    if (this.#processQueued) return;
    this.#processQueued = true;
    queueMicrotask(this.#processLater);
  }

  /**
   * A handler threw: its half-written reply becomes `-ERR message`. If part of it was already
   * sent, no reply can follow that the client would parse correctly: close the connection.
   */
  #fail(conn: Conn, error: unknown, args: Uint8Array[]): void {
    this.#options.onError?.(error, this);
    if (conn.ended) return;
    if (!conn.discard()) {
      conn.end();
      this.close();
      return;
    }
    const custom = this.#options.errorReply;
    if (custom !== undefined) {
      conn.writeError(custom(error, args[0]!));
    } else {
      const message = error instanceof Error ? error.message : String(error);
      conn.writeError(`ERR ${message.split("\n")[0]}`);
    }
    conn.end();
  }

  #protocolError(error: RespSyntaxError): void {
    this.#options.onError?.(error, this);
    this.#stopped = true;
    const conn = this.#replies.begin();
    conn.writeError(`ERR Protocol error: ${error.message}`);
    conn.close();
    conn.end();
  }

  #onBackpressure(): void {
    if (this.#backpressured) return;
    this.#backpressured = true;
    this.#updateReading();
    this.connection.drained().then(() => {
      this.#backpressured = false;
      this.#process();
    });
  }

  #updateReading(): void {
    const wanted = !this.#stopped && !this.#mustWait();
    if (wanted === this.#reading || this.#closed) return;
    this.#reading = wanted;
    if (wanted) this.connection.resume();
    else this.connection.pause();
  }

  #onEnd(): void {
    // The client sent everything it will send: answer what is decoded, then close.
    this.#peerEnded = true;
    this.#process();
  }

  #finishIfDone(): void {
    if (!this.#peerEnded || this.#stopped || !this.#inputDrained) return;
    if (this.#replies.pendingReplies > 0) return;
    this.#stopped = true;
    this.#replies.flush();
    this.connection.end();
    this.connection.drained().then(() => this.connection.close());
  }

  #onRepliesClosed(reason: "requested" | "overflow" | "closed"): void {
    this.#stopped = true;
    // After QUIT or a protocol error the last reply is queued with a FIN; close once it is out.
    if (reason === "requested") this.connection.drained().then(() => this.connection.close());
  }

  #onClose(error?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopped = true;
    this.#replies.close();
    this.#options.onClose(this, error);
  }
}

/**
 * One outgoing connection to a peer, kept open: it dials, proves knowledge of the cluster
 * secret (see `peer_auth.ts`), then streams Raft message batches as pipelined
 * `RAFT.MSG <batch>` commands that the peer does not answer. It reconnects with exponential
 * backoff and bounds what it queues: Raft tolerates lost messages (it retries on its own
 * schedule), so when the queue is full the oldest batches are dropped rather than memory grown.
 *
 * @module
 */

import type { Connection, Runtime } from "../runtime.ts";
import { encodeCommand } from "../resp/command_encoder.ts";
import { RespErrorReply, type RespReply, RespReplyDecoder } from "../resp/reply_decoder.ts";
import { parseAddress } from "./address.ts";
import type { Logger } from "./logger.ts";
import { computeProof, createNonce, proofsEqual } from "./peer_auth.ts";

/** Options for {@linkcode PeerLink}. */
export interface PeerLinkOptions {
  /** Sockets. */
  runtime: Runtime;
  /** The peer's address, `host:port`. */
  address: string;
  /** This node's id, sent in the handshake. */
  selfId: string;
  /** The cluster secret (`""` when none is configured: then the proof is of the empty key). */
  secret: string;
  /** Where to log connection trouble. */
  log: Logger;
  /** Most bytes queued while disconnected or slow (default 64 MiB). */
  queueBytesMax?: number;
  /** First reconnect delay (default 50 ms); doubles up to `backoffMsMax`. */
  backoffMsMin?: number;
  /** Longest reconnect delay (default 1,000 ms). */
  backoffMsMax?: number;
  /** Give up a dial after this long (default 1,000 ms). */
  connectTimeoutMs?: number;
}

type State = "idle" | "connecting" | "ready" | "closed";

const textDecoder = new TextDecoder();

/**
 * A persistent, authenticated, pipelined link to one peer.
 *
 * @example
 * ```ts ignore
 * const link = new PeerLink({ runtime, address: "127.0.0.1:7482", selfId, secret, log });
 * link.send(encodeMessages(batch));
 * ```
 */
export class PeerLink {
  readonly #options: Required<PeerLinkOptions>;
  #state: State = "idle";
  #connection: Connection | undefined;
  #queue: Uint8Array[] = [];
  #queueBytes = 0;
  #backoffMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dropped = 0;
  #failures = 0;

  /**
   * Creates a link; it connects on the first `send`.
   *
   * @param options Where to connect and how.
   */
  constructor(options: PeerLinkOptions) {
    this.#options = {
      queueBytesMax: 64 * 1024 * 1024,
      backoffMsMin: 50,
      backoffMsMax: 1000,
      connectTimeoutMs: 1000,
      ...options,
    };
    this.#backoffMs = this.#options.backoffMsMin;
  }

  /** The peer's address. */
  get address(): string {
    return this.#options.address;
  }

  /** True once the handshake succeeded and the connection is open. */
  get connected(): boolean {
    return this.#state === "ready";
  }

  /** Batches dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues one encoded message batch and starts a connection if none is open. */
  send(batch: Uint8Array): void {
    if (this.#state === "closed") return;
    const frame = encodeCommand(["RAFT.MSG", batch]);
    if (this.#state === "ready" && this.#queue.length === 0) {
      this.#connection!.write(frame);
      return;
    }
    this.#enqueue(frame);
    if (this.#state === "idle" && this.#timer === undefined) void this.#connect();
  }

  /** Closes the link for good; queued batches are dropped. */
  close(): void {
    this.#state = "closed";
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#connection?.close();
    this.#connection = undefined;
    this.#queue = [];
    this.#queueBytes = 0;
  }

  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #enqueue(frame: Uint8Array): void {
    this.#queue.push(frame);
    this.#queueBytes += frame.length;
    while (this.#queueBytes > this.#options.queueBytesMax && this.#queue.length > 1) {
      this.#queueBytes -= this.#queue.shift()!.length;
      this.#dropped++;
    }
  }

  async #connect(): Promise<void> {
    this.#state = "connecting";
    let connection: Connection | undefined;
    let events: ConnectionEvents | undefined;
    try {
      const { hostname, port } = parseAddress(this.#options.address);
      connection = await this.#options.runtime.connect({
        hostname,
        port,
        timeoutMs: this.#options.connectTimeoutMs,
      });
      // close() may have run while we awaited the dial.
      if (this.#isClosed()) {
        connection.close();
        return;
      }
      events = startEvents(connection);
      await this.#handshake(connection, events);
    } catch (error) {
      connection?.close();
      this.#retry(error);
      return;
    }
    if (this.#state !== "connecting" || events === undefined) {
      connection.close();
      return;
    }
    this.#established(connection, events);
  }

  /** Mutual challenge-response; rejects when the peer cannot prove the secret or refuses ours. */
  async #handshake(connection: Connection, events: ConnectionEvents): Promise<void> {
    const replies = readReplies(events);
    const clientNonce = createNonce();
    connection.write(encodeCommand(["RAFT.HELLO", this.#options.selfId, clientNonce]));
    const hello = await replies.next();
    if (
      !Array.isArray(hello) || !(hello[0] instanceof Uint8Array) ||
      !(hello[1] instanceof Uint8Array)
    ) {
      throw new Error(`unexpected handshake reply ${describe(hello)}`);
    }
    const [serverNonce, serverProof] = hello;
    const { secret } = this.#options;
    const expected = await computeProof(secret, "server", clientNonce, serverNonce);
    if (!proofsEqual(expected, serverProof)) {
      throw new Error("peer could not prove the cluster secret");
    }
    const proof = await computeProof(secret, "client", clientNonce, serverNonce);
    connection.write(encodeCommand(["RAFT.AUTH", proof]));
    const auth = await replies.next();
    if (auth !== "OK") throw new Error(`peer refused our proof: ${describe(auth)}`);
  }

  #established(connection: Connection, events: ConnectionEvents): void {
    this.#state = "ready";
    this.#connection = connection;
    this.#backoffMs = this.#options.backoffMsMin;
    if (this.#failures > 0) this.#options.log.notice(`Reconnected to peer ${this.address}`);
    this.#failures = 0;
    // After the handshake the peer sends nothing back; anything else is ignored.
    events.data = () => {};
    events.end = () => connection.close();
    events.close = (error) => this.#lost(connection, error);
    const queued = this.#queue;
    this.#queue = [];
    this.#queueBytes = 0;
    for (const frame of queued) connection.write(frame);
  }

  #lost(connection: Connection, error: unknown): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    if (this.#state === "closed") return;
    this.#retry(error ?? new Error("connection closed"));
  }

  #retry(error: unknown): void {
    if (this.#state === "closed") return;
    this.#state = "idle";
    this.#failures++;
    // Say it once per outage, not once per attempt: a dead peer would flood the log.
    const message = error instanceof Error ? error.message : String(error);
    if (this.#failures === 1) {
      this.#options.log.warning(`Lost peer ${this.address}: ${message}; reconnecting`);
    } else this.#options.log.debug(`Peer ${this.address} still unreachable: ${message}`);
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#options.backoffMsMax);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state === "idle") void this.#connect();
    }, delay);
  }
}

/** The handlers of a started connection, replaceable as the link changes phase. */
interface ConnectionEvents {
  data(chunk: Uint8Array): void;
  end(): void;
  close(error: unknown): void;
}

/** Starts reading once, delivering to handlers that can be swapped later. */
function startEvents(connection: Connection): ConnectionEvents {
  const events: ConnectionEvents = { data: () => {}, end: () => {}, close: () => {} };
  connection.start({
    data: (chunk) => events.data(chunk),
    end: () => events.end(),
    close: (error) => events.close(error),
  });
  return events;
}

/** Reads replies during the handshake. */
function readReplies(events: ConnectionEvents): { next(): Promise<RespReply> } {
  const decoder = new RespReplyDecoder({ bulkBytesMax: 1024 * 1024 });
  const waiting: { resolve(reply: RespReply): void; reject(error: unknown): void }[] = [];
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error;
    for (const waiter of waiting.splice(0)) waiter.reject(failure);
  };
  const pump = (): void => {
    try {
      while (waiting.length > 0) {
        const reply = decoder.next();
        if (reply === undefined) return;
        waiting.shift()!.resolve(reply);
      }
    } catch (error) {
      fail(error);
    }
  };
  events.data = (chunk) => {
    decoder.push(chunk);
    pump();
  };
  events.end = () => fail(new Error("peer closed the connection during the handshake"));
  events.close = (error) => fail(error ?? new Error("connection closed during the handshake"));
  return {
    next: () =>
      new Promise<RespReply>((resolve, reject) => {
        if (failure !== undefined) return reject(failure);
        waiting.push({ resolve, reject });
        pump();
      }),
  };
}

function describe(reply: RespReply | undefined): string {
  if (reply instanceof RespErrorReply) return `-${reply.message}`;
  if (reply instanceof Uint8Array) return JSON.stringify(textDecoder.decode(reply));
  return JSON.stringify(reply) ?? String(reply);
}

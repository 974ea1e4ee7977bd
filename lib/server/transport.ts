/**
 * Sends Raft messages to peers: one {@linkcode PeerLink} per peer, and one encoded batch per
 * peer per call, so everything a Ready pass produces for a peer leaves as one frame.
 *
 * @module
 */

import type { Message } from "../raft/messages.ts";
import type { Runtime } from "../runtime.ts";
import type { Logger } from "./logger.ts";
import { encodeMessages } from "./message_codec.ts";
import { PeerLink } from "./peer_link.ts";

/** Options for {@linkcode Transport}. */
export interface TransportOptions {
  /** Sockets. */
  runtime: Runtime;
  /** This node's id (its advertised address). */
  selfId: string;
  /** The cluster secret, `""` for none. */
  secret: string;
  /** Logger. */
  log: Logger;
  /** Bytes a link may queue for a slow or absent peer (default 64 MiB). */
  queueBytesMax?: number;
}

/**
 * Routes messages to peers by id (ids are addresses), creating links on demand.
 *
 * @example
 * ```ts ignore
 * const transport = new Transport({ runtime, selfId: "127.0.0.1:7481", secret: "", log });
 * transport.send(ready.messages);
 * ```
 */
export class Transport {
  readonly #options: TransportOptions;
  readonly #links = new Map<string, PeerLink>();
  /** Messages waiting for this task's flush, per peer, in order. */
  #outbox = new Map<string, Message[]>();
  #flushQueued = false;
  readonly #flush = (): void => this.flush();
  #sentBatches = 0;

  /**
   * Creates a transport; links open on first use.
   *
   * @param options Sockets, identity and secret.
   */
  constructor(options: TransportOptions) {
    this.#options = options;
  }

  /** Batches handed to links so far. */
  get sentBatches(): number {
    return this.#sentBatches;
  }

  /**
   * Sends each peer its messages, in order. Everything sent during one task (a run of the Raft
   * loop makes several passes, each with messages before and after its persist) leaves in a
   * microtask as one batch per peer: one frame and one socket write instead of one per pass.
   */
  send(messages: readonly Message[]): void {
    const outbox = this.#outbox;
    for (const message of messages) {
      if (message.to === this.#options.selfId) continue;
      let list = outbox.get(message.to);
      if (list === undefined) outbox.set(message.to, list = []);
      list.push(message);
    }
    if (!this.#flushQueued && outbox.size > 0) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  /** Hands what `send` collected to the links now (it normally runs in a microtask). */
  flush(): void {
    this.#flushQueued = false;
    if (this.#outbox.size === 0) return;
    const outbox = this.#outbox;
    this.#outbox = new Map();
    for (const [peer, list] of outbox) {
      this.#link(peer).send(encodeMessages(list));
      this.#sentBatches++;
    }
  }

  /** Whether the link to `peer` is connected and authenticated. */
  isConnected(peer: string): boolean {
    return this.#links.get(peer)?.connected ?? false;
  }

  /** Drops links to peers no longer in `members`. */
  retain(members: Iterable<string>): void {
    const keep = new Set(members);
    for (const [peer, link] of this.#links) {
      if (!keep.has(peer)) {
        link.close();
        this.#links.delete(peer);
      }
    }
  }

  /** Closes every link. */
  close(): void {
    this.#outbox.clear();
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
  }

  #link(peer: string): PeerLink {
    let link = this.#links.get(peer);
    if (link === undefined) {
      const { runtime, selfId, secret, log, queueBytesMax } = this.#options;
      link = new PeerLink({
        runtime,
        address: peer,
        selfId,
        secret,
        log,
        ...(queueBytesMax === undefined ? {} : { queueBytesMax }),
      });
      this.#links.set(peer, link);
    }
    return link;
  }
}

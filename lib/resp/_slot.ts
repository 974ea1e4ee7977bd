/**
 * What {@linkcode Conn} and {@linkcode ReplyQueue} share about one command's reply.
 *
 * @module
 */

import type { RespEncoder, RespProtocol } from "./encoder.ts";
import type { ReplyQueue } from "./reply_queue.ts";

/** One command's place in its connection's reply order (a singly linked queue). */
export interface ReplySlot {
  /** The reply's own buffer, used only while an earlier reply is still pending. */
  own: RespEncoder | undefined;
  /** The handler has finished: no more writes. */
  ended: boolean;
  /** Close the connection once this reply has been written (QUIT, protocol errors). */
  closeAfter: boolean;
  /**
   * The protocol this reply is encoded in: the connection's when the command arrived, or what
   * the command itself switched to (`HELLO`). Replies already begun keep theirs, so a client
   * sees every reply before `HELLO`'s in the old protocol and every one from it on in the new.
   */
  protocol: RespProtocol;
  /** The shared buffer's position where this reply starts, once it is at the head. */
  mark: number;
  /** The next command's slot. */
  next: ReplySlot | undefined;
}

/** The queue's operations a {@linkcode Conn} calls; kept off the queue's public surface. */
export interface ReplyHost {
  /** The queue itself, for per-connection state. */
  readonly queue: ReplyQueue;
  /** The encoder the slot's writes go to now. */
  target(slot: ReplySlot): RespEncoder;
  /** Called after each write to `encoder`: schedules a flush, enforces the output limit. */
  wrote(encoder: RespEncoder): void;
  /** The slot's reply is complete. */
  end(slot: ReplySlot): void;
  /** Drops the slot's unsent bytes; false if some were already sent. */
  discard(slot: ReplySlot): boolean;
  /** Closes the connection after this slot's reply. */
  closeAfter(slot: ReplySlot): void;
}

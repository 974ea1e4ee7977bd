/**
 * Pending ReadIndex requests on a leader: each waits for a quorum of heartbeat acknowledgements
 * carrying its context (Raft thesis §6.4). A quorum for a later request also confirms every
 * earlier one, so they are released in arrival order.
 *
 * @module
 */

import { assert } from "../_assert.ts";

/**
 * A read request waiting for confirmation: its context, read index and who asked.
 *
 * @example
 * ```ts
 * import type { PendingRead } from "./read_only.ts";
 * const read: PendingRead = { context: "r1", index: 10, from: "a", acks: new Set(["a"]) };
 * ```
 */
export interface PendingRead {
  /** The caller's unique id for the read. */
  context: string;
  /** Commit index when the read arrived. */
  index: number;
  /** Node that asked (the leader itself or a forwarding follower). */
  from: string;
  /** Voters that acknowledged a heartbeat carrying this context. */
  acks: Set<string>;
}

/**
 * The queue of reads awaiting a heartbeat quorum, bounded by `maxPending`.
 *
 * @example
 * ```ts
 * import { ReadOnly } from "./read_only.ts";
 * const reads = new ReadOnly(16);
 * reads.add("r1", 10, "a", "a");
 * reads.ack("r1", "b")?.acks.size; // 2
 * reads.release("r1").length; // 1
 * ```
 */
export class ReadOnly {
  readonly #pending = new Map<string, PendingRead>();
  #queue: string[] = [];
  readonly #maxPending: number;

  /**
   * Creates an empty queue.
   *
   * @param maxPending Most reads allowed to wait at once.
   */
  constructor(maxPending: number) {
    assert(maxPending > 0, "maxPending must be positive");
    this.#maxPending = maxPending;
  }

  /** Adds a read; false if the queue is full or the context is already pending. */
  add(context: string, index: number, from: string, self: string): boolean {
    assert(context !== "" && index >= 0, "a read has a context and a natural index");
    if (this.#pending.size >= this.#maxPending || this.#pending.has(context)) return false;
    this.#pending.set(context, { context, index, from, acks: new Set([self]) });
    this.#queue.push(context);
    assert(this.#queue.length === this.#pending.size, "read queue out of step");
    return true;
  }

  /** Records an acknowledgement; returns the read, or undefined if it is unknown. */
  ack(context: string, from: string): PendingRead | undefined {
    assert(from !== "", "an acknowledgement names its sender");
    const read = this.#pending.get(context);
    read?.acks.add(from);
    assert(read === undefined || read.acks.size >= 1, "a pending read counts its leader");
    return read;
  }

  /** Removes and returns every read up to and including `context`, oldest first. */
  release(context: string): PendingRead[] {
    const at = this.#queue.indexOf(context);
    if (at < 0) return [];
    const released: PendingRead[] = [];
    for (const id of this.#queue.slice(0, at + 1)) {
      const read = this.#pending.get(id);
      assert(read !== undefined, "queued read missing");
      released.push(read);
      this.#pending.delete(id);
    }
    this.#queue = this.#queue.slice(at + 1);
    assert(this.#queue.length === this.#pending.size, "read queue out of step");
    return released;
  }

  /** Context of the newest pending read, or "" if none. */
  last(): string {
    return this.#queue[this.#queue.length - 1] ?? "";
  }

  /** Number of reads waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /** Drops every pending read (on losing leadership). */
  reset(): void {
    this.#pending.clear();
    this.#queue = [];
  }
}

/**
 * Applies committed entries off the Raft loop. The loop hands batches over and goes on sending
 * heartbeats and persisting; this queue applies them in order, one batch at a time, and can be
 * paused (while a snapshot streams the machine's state) without stalling replication. It bounds
 * itself: when too many entries wait, `push` makes the loop wait too.
 *
 * @module
 */

import type { Entry } from "../raft/types.ts";

/** Options for {@linkcode ApplyQueue}. */
export interface ApplyQueueOptions {
  /** Applies one batch, in order. */
  apply(entries: Entry[]): Promise<void>;
  /** An apply failed: the machine's state can no longer be trusted. */
  failed(error: unknown): void;
  /** Entries waiting before `push` makes the caller wait (default 65,536). */
  waitingMax?: number;
}

/**
 * An ordered, pausable, bounded queue of batches to apply.
 *
 * @example
 * ```ts ignore
 * const queue = new ApplyQueue({ apply: (entries) => applier.applyEntries(entries), failed });
 * await queue.push(ready.committedEntries);
 * ```
 */
export class ApplyQueue {
  readonly #options: Required<ApplyQueueOptions>;
  #batches: Entry[][] = [];
  #waiting = 0;
  #running = false;
  #pauses = 0;
  #failed = false;
  #resumed: (() => void)[] = [];
  #drained: (() => void)[] = [];
  #space: (() => void)[] = [];

  /**
   * Creates a queue.
   *
   * @param options What applying means and where failures go.
   */
  constructor(options: ApplyQueueOptions) {
    this.#options = { waitingMax: 65_536, ...options };
  }

  /** Entries waiting to be applied. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Queues a batch; resolves at once unless the queue is over its bound. */
  push(entries: Entry[]): Promise<void> {
    if (this.#failed) return Promise.resolve();
    this.#batches.push(entries);
    this.#waiting += entries.length;
    if (!this.#running) void this.#run();
    if (this.#waiting <= this.#options.waitingMax) return Promise.resolve();
    return new Promise((resolve) => this.#space.push(resolve));
  }

  /** Stops applying after the current batch until the returned function is called. */
  async pause(): Promise<() => void> {
    this.#pauses++;
    await this.#idleBatch();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#pauses === 0) { for (const resolve of this.#resumed.splice(0)) resolve(); }
    };
  }

  /** Drops queued batches not yet started (a snapshot install supersedes them). */
  clear(): void {
    this.#batches = [];
    this.#waiting = 0;
    for (const resolve of this.#space.splice(0)) resolve();
  }

  /** Resolves when nothing is queued or being applied. */
  drained(): Promise<void> {
    if (!this.#running && this.#batches.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #applying: Promise<void> = Promise.resolve();

  #idleBatch(): Promise<void> {
    return this.#applying;
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#batches.length > 0 && !this.#failed) {
        if (this.#pauses > 0) await new Promise<void>((resolve) => this.#resumed.push(resolve));
        const batch = this.#batches.shift();
        if (batch === undefined) break;
        this.#applying = this.#options.apply(batch);
        await this.#applying;
        this.#waiting -= batch.length;
        if (this.#waiting <= this.#options.waitingMax) {
          for (const resolve of this.#space.splice(0)) resolve();
        }
      }
    } catch (error) {
      this.#failed = true;
      this.#options.failed(error);
    } finally {
      this.#applying = Promise.resolve();
      this.#running = false;
      for (const resolve of this.#drained.splice(0)) resolve();
      for (const resolve of this.#space.splice(0)) resolve();
    }
  }
}

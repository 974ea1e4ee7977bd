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
  /** Applies one batch, in order: undefined when done synchronously, else a promise. */
  apply(entries: Entry[]): Promise<void> | undefined;
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

  /**
   * Queues a batch. When nothing else is queued and applying finishes synchronously (the
   * common case), the batch is applied before `push` returns. Returns undefined unless the
   * queue is over its bound; then a promise that resolves once there is room.
   */
  push(entries: Entry[]): Promise<void> | undefined {
    if (this.#failed) return undefined;
    this.#batches.push(entries);
    this.#waiting += entries.length;
    if (!this.#running) this.#run();
    if (this.#waiting <= this.#options.waitingMax) return undefined;
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

  /**
   * Applies queued batches in order. Synchronous batches run in this call; the first that
   * returns a promise (or a pause) continues the run when it settles.
   */
  #run(): void {
    this.#running = true;
    try {
      while (this.#batches.length > 0 && !this.#failed) {
        if (this.#pauses > 0) {
          new Promise<void>((resolve) => this.#resumed.push(resolve)).then(() => this.#run());
          return;
        }
        const batch = this.#batches.shift()!;
        const applying = this.#options.apply(batch);
        if (applying !== undefined) {
          this.#applying = applying;
          applying.then(() => {
            this.#batchDone(batch);
            this.#run();
          }, (error) => this.#fail(error));
          return;
        }
        this.#batchDone(batch);
      }
    } catch (error) {
      return this.#fail(error);
    }
    this.#stopRunning();
  }

  #batchDone(batch: Entry[]): void {
    this.#waiting -= batch.length;
    if (this.#waiting <= this.#options.waitingMax) {
      for (const resolve of this.#space.splice(0)) resolve();
    }
  }

  #fail(error: unknown): void {
    this.#failed = true;
    this.#options.failed(error);
    this.#stopRunning();
  }

  #stopRunning(): void {
    this.#applying = Promise.resolve();
    this.#running = false;
    for (const resolve of this.#drained.splice(0)) resolve();
    for (const resolve of this.#space.splice(0)) resolve();
  }
}

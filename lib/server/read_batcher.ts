/**
 * Linearizable reads in batches: every read that arrives in one event-loop turn shares one
 * `readIndex` round of the Raft core (one heartbeat round to a quorum, or one lease check), then
 * each waits until the machine has applied the read index. A thousand pipelined GETs cost one
 * round, not a thousand.
 *
 * @module
 */

import { NotLeaderError } from "../errors.ts";

/** What the core answers to a read request. */
export type ReadRequestResult = { ok: true } | { ok: false; reason: string; leader: string };

/** Options for {@linkcode ReadBatcher}. */
export interface ReadBatcherOptions {
  /** Asks the core for a read index under `context` (the state arrives later via `confirmed`). */
  request(context: string): ReadRequestResult;
  /** Makes the Raft loop run soon (to send the heartbeat round). */
  schedule(): void;
  /** The index the machine has applied. */
  applied(): number;
  /** Fail a read after this long without confirmation (default 5,000 ms). */
  timeoutMs?: number;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Batch {
  waiters: Waiter[];
  /** The confirmed read index, once known. */
  index: number | undefined;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Groups reads per turn and releases them when safe.
 *
 * @example
 * ```ts ignore
 * const reads = new ReadBatcher({ request: (ctx) => raft.readIndex(ctx), schedule, applied });
 * await reads.wait(); // then read the machine's state
 * ```
 */
export class ReadBatcher {
  readonly #options: Required<ReadBatcherOptions>;
  #queued: Waiter[] = [];
  #flushScheduled = false;
  readonly #batches = new Map<string, Batch>();
  #sequence = 0;

  /**
   * Creates a batcher.
   *
   * @param options How to ask the core and how to learn the applied index.
   */
  constructor(options: ReadBatcherOptions) {
    this.#options = { timeoutMs: 5000, ...options };
  }

  /** Reads waiting (queued or in a round). */
  get waiting(): number {
    let count = this.#queued.length;
    for (const batch of this.#batches.values()) count += batch.waiters.length;
    return count;
  }

  /** Resolves when a read may be served; rejects with NotLeaderError or a timeout. */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        queueMicrotask(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const waiters = this.#queued;
    this.#queued = [];
    if (waiters.length === 0) return;
    const context = `r${++this.#sequence}`;
    const result = this.#options.request(context);
    if (!result.ok) {
      const error = result.reason === "notLeader"
        ? new NotLeaderError(result.leader === "" ? undefined : result.leader)
        : new Error(`read refused: ${result.reason}`);
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    const timer = setTimeout(() => this.#expire(context), this.#options.timeoutMs);
    this.#batches.set(context, { waiters, index: undefined, timer });
    this.#options.schedule();
  }

  /** The core confirmed a read index for `context`. */
  confirmed(context: string, index: number): void {
    const batch = this.#batches.get(context);
    if (batch === undefined) return;
    batch.index = index;
    this.applied(this.#options.applied());
  }

  /** The machine applied up to `index`: release every confirmed batch at or below it. */
  applied(index: number): void {
    for (const [context, batch] of this.#batches) {
      if (batch.index !== undefined && batch.index <= index) {
        this.#batches.delete(context);
        clearTimeout(batch.timer);
        for (const waiter of batch.waiters) waiter.resolve();
      }
    }
  }

  /** Leadership was lost or the node is closing: fail every read not yet released. */
  failAll(error: unknown): void {
    for (const batch of this.#batches.values()) {
      clearTimeout(batch.timer);
      for (const waiter of batch.waiters) waiter.reject(error);
    }
    this.#batches.clear();
    for (const waiter of this.#queued.splice(0)) waiter.reject(error);
  }

  #expire(context: string): void {
    const batch = this.#batches.get(context);
    if (batch === undefined) return;
    this.#batches.delete(context);
    const error = new Error("read timed out waiting for a quorum");
    for (const waiter of batch.waiters) waiter.reject(error);
  }
}

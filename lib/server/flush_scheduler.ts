/**
 * Batches reply flushes across connections: every flush asked for during one task runs
 * together in the next macrotask, after all microtasks have settled. Replies that complete
 * asynchronously (writes released by a Raft round, reads released by a read-index round) then
 * leave in one write per connection instead of one per reply; with 50 clients pipelining 16
 * commands that is the difference between 16 sends per connection and one.
 *
 * A `MessageChannel` message is the cheapest macrotask that Deno, Bun and Node all offer
 * (timers clamp to a millisecond on some of them; `setImmediate` is not global on Deno).
 *
 * @module
 */

/** A flush scheduler and the means to release its channel. */
export interface FlushScheduler {
  /** Asks for `flush` to run in the next macrotask (once per request). */
  schedule(flush: () => void): void;
  /**
   * Holds flushes asked for from now on until {@linkcode FlushScheduler.release}: the Raft loop
   * applies a batch of writes synchronously, and their replies leave together right after it.
   */
  hold(): void;
  /**
   * Runs the held flushes in a microtask: after the promise reactions the batch set off (the
   * replies those complete), before any I/O, and without the cost of a macrotask message.
   */
  release(): void;
  /** Releases the channel (it would otherwise keep the process alive). */
  close(): void;
}

/**
 * Creates a scheduler for `ServeOptions.scheduleFlush`.
 *
 * @example
 * ```ts
 * import { createFlushScheduler } from "./flush_scheduler.ts";
 * const flushes = createFlushScheduler();
 * flushes.schedule(() => console.log("flushed"));
 * setTimeout(() => flushes.close(), 10);
 * ```
 */
export function createFlushScheduler(): FlushScheduler {
  let pending: (() => void)[] = [];
  let closed = false;
  /** Flushes are held (no message posted) while this is true. */
  let held = false;
  /** A message is posted, or a release microtask queued, for the pending flushes. */
  let coming = false;
  const runPending = () => {
    coming = false;
    const run = pending;
    pending = [];
    for (const flush of run) flush();
  };
  const channel = new MessageChannel();
  channel.port1.onmessage = runPending;
  return {
    schedule: (flush) => {
      if (closed) return flush();
      pending.push(flush);
      if (coming || held) return;
      coming = true;
      channel.port2.postMessage(0);
    },
    hold: () => {
      held = true;
    },
    release: () => {
      if (!held) return;
      held = false;
      if (pending.length === 0 || coming) return;
      coming = true;
      queueMicrotask(runPending);
    },
    close: () => {
      closed = true;
      channel.port1.close();
      channel.port2.close();
      const run = pending;
      pending = [];
      for (const flush of run) flush();
    },
  };
}

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
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    const run = pending;
    pending = [];
    for (const flush of run) flush();
  };
  return {
    schedule: (flush) => {
      if (closed) return flush();
      pending.push(flush);
      if (pending.length === 1) channel.port2.postMessage(0);
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

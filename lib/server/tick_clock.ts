/**
 * Turns the monotonic clock into Raft ticks. The core counts time in ticks, and a leader's lease
 * is a number of them; a timer that fires once after the event loop was held up (a long
 * synchronous task, a GC pause, a stopped process, a frozen VM) would count one tick for many
 * periods, leaving the lease standing for as long again while another leader may already take
 * writes. Ticks are therefore counted from the clock: every period that passed is a tick.
 *
 * @module
 */

/**
 * Counts the tick periods that passed on a monotonic clock.
 *
 * @example
 * ```ts
 * import { TickClock } from "./tick_clock.ts";
 * let now = 0;
 * const clock = new TickClock(100, 25, () => now);
 * now = 250;
 * console.log(clock.due()); // 2 (the half period left counts towards the next)
 * console.log(clock.overdue()); // false
 * ```
 */
export class TickClock {
  readonly #periodMs: number;
  readonly #maxTicks: number;
  readonly #now: () => number;
  #tickedAt: number;

  /**
   * Starts counting at the clock's present reading.
   *
   * @param periodMs The length of a tick.
   * @param maxTicks Most ticks `due` returns at once: beyond the longest election timeout more
   *   change nothing (every timeout has expired), and the core needs not run them all.
   * @param now The monotonic clock in milliseconds (default `performance.now`).
   */
  constructor(periodMs: number, maxTicks: number, now: () => number = () => performance.now()) {
    this.#periodMs = periodMs;
    this.#maxTicks = maxTicks;
    this.#now = now;
    this.#tickedAt = now();
  }

  /** Ticks to run now: the whole periods since the last call (at most `maxTicks`). */
  due(): number {
    const periods = Math.floor((this.#now() - this.#tickedAt) / this.#periodMs);
    if (periods <= 0) return 0;
    this.#tickedAt += periods * this.#periodMs;
    return Math.min(periods, this.#maxTicks);
  }

  /**
   * True when a tick is late by more than a period: the event loop was held up and the core's
   * sense of time lags the clock, so a lease it holds may have run out. (One period behind is
   * the ordinary state between two timer callbacks.)
   */
  overdue(): boolean {
    return this.#now() - this.#tickedAt >= 2 * this.#periodMs;
  }
}

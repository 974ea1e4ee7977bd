/**
 * A small seeded pseudo-random generator (SplitMix32). The Raft core draws its election jitter
 * from one of these, never from the global random source, so a seed replays a whole run exactly.
 *
 * @module
 */

import { assert } from "../_assert.ts";

/**
 * Seeded 32-bit generator: SplitMix32 (Steele, Lea, Flood), good enough for jitter and for
 * simulation schedules, and cheap.
 *
 * @example
 * ```ts
 * import { Random } from "./random.ts";
 * const random = new Random(42);
 * const timeout = random.range(10, 20); // 10..19, the same for every run with seed 42
 * ```
 */
export class Random {
  #state: number;

  /**
   * Creates a generator.
   *
   * @param seed Any integer; equal seeds give equal sequences.
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Random seed must be finite: ${seed}`);
    this.#state = Math.trunc(seed) >>> 0;
  }

  /** The next unsigned 32-bit integer. */
  next(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** An integer in [min, max). */
  range(min: number, max: number): number {
    assert(Number.isInteger(min) && Number.isInteger(max), "range bounds must be integers");
    assert(max > min, `empty range [${min}, ${max})`);
    return min + Math.floor(this.float() * (max - min));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /**
   * A shuffled copy (Fisher-Yates). Never shuffle with `sort(() => random() - 0.5)`: how often
   * the engine calls the comparator changes once the code is optimized, and replay breaks.
   */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.range(0, i + 1);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    assert(copy.length === items.length, "shuffle keeps every item");
    return copy;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, "pick from an empty array");
    return items[this.range(0, items.length)] as T;
  }
}

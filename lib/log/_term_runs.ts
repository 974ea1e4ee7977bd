/**
 * Terms of the log's entries as run-length ranges: terms change rarely (once per election), so
 * a few runs describe millions of entries and `term(index)` stays synchronous and cheap.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import type { TermRunsData } from "./_record.ts";

/** Run-length terms over the indexes `(baseIndex, lastIndex]`. */
export class TermRuns {
  #starts: number[] = [];
  #terms: number[] = [];

  /** Records that `index` (the next index) has `term`. */
  push(index: number, term: number): void {
    const n = this.#terms.length;
    if (n > 0 && this.#terms[n - 1] === term) return;
    assert(n === 0 || this.#starts[n - 1]! < index, "term runs grow forward");
    this.#starts.push(index);
    this.#terms.push(term);
  }

  /** The last term recorded, or undefined when empty. */
  lastTerm(): number | undefined {
    return this.#terms[this.#terms.length - 1];
  }

  /** The term of `index`, assuming the caller checked that `index` is in range. */
  termAt(index: number): number {
    const starts = this.#starts;
    let high = starts.length - 1;
    assert(high >= 0 && starts[0]! <= index, "term lookup within runs");
    if (starts[high]! <= index) return this.#terms[high]!;
    let low = 0;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (starts[middle]! <= index) low = middle;
      else high = middle - 1;
    }
    return this.#terms[low]!;
  }

  /** Forgets every index after `index`. */
  truncateAfter(index: number): void {
    while (this.#starts.length > 0 && this.#starts[this.#starts.length - 1]! > index) {
      this.#starts.pop();
      this.#terms.pop();
    }
  }

  /** Forgets every index before `index`; `lastIndex` is the last index recorded. */
  dropBefore(index: number, lastIndex: number): void {
    if (index > lastIndex) return this.clear();
    let keep = 0;
    while (keep + 1 < this.#starts.length && this.#starts[keep + 1]! <= index) keep++;
    this.#starts.splice(0, keep);
    this.#terms.splice(0, keep);
    if (this.#starts.length > 0 && this.#starts[0]! < index) this.#starts[0] = index;
  }

  /** Forgets everything. */
  clear(): void {
    this.#starts = [];
    this.#terms = [];
  }

  /** The runs restricted to `[from, to]` (for a segment footer). */
  slice(from: number, to: number): TermRunsData {
    const runs: TermRunsData = { starts: [], terms: [] };
    for (let i = 0; i < this.#starts.length; i++) {
      const start = this.#starts[i]!;
      const next = this.#starts[i + 1] ?? Infinity;
      if (next <= from || start > to) continue;
      runs.starts.push(Math.max(start, from));
      runs.terms.push(this.#terms[i]!);
    }
    return runs;
  }
}

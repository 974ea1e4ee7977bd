/**
 * A {@linkcode RaftLog} held wholly in memory: for tests, simulations and `-backend inmem`.
 * Same semantics as {@linkcode SegmentedLog}, nothing durable.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import { takeWithin } from "./_entry_cache.ts";
import { checkBatch, checkRange } from "./_validate.ts";
import type { LogEntry, RaftLog } from "./types.ts";

/**
 * An in-memory Raft log. Every promise resolves at once; `close()` only forbids further use.
 *
 * @example
 * ```ts
 * import { MemoryLog } from "./memory_log.ts";
 * const log = new MemoryLog();
 * log.appendBuffered([{ index: 1, term: 1, type: 0, data: new Uint8Array([1]) }]);
 * await log.truncateFront(2);
 * console.log(log.firstIndex(), log.lastIndex(), log.term(1)); // 2 1 1
 * ```
 */
export class MemoryLog implements RaftLog {
  #entries: LogEntry[] = [];
  #baseIndex = 0;
  #baseTerm = 0;
  #closed = false;

  /** Index of the first entry. */
  firstIndex(): number {
    return this.#baseIndex + 1;
  }

  /** Index of the last entry. */
  lastIndex(): number {
    return this.#baseIndex + this.#entries.length;
  }

  /** Term at `index`, or undefined outside `[firstIndex() - 1, lastIndex()]`. */
  term(index: number): number | undefined {
    if (index === this.#baseIndex) return this.#baseTerm;
    return this.#entries[index - this.#baseIndex - 1]?.term;
  }

  /** The entry at `index`. */
  async entry(index: number): Promise<LogEntry> {
    this.#checkOpen();
    checkRange("Index", index, this.firstIndex(), this.lastIndex());
    return await Promise.resolve(this.#entries[index - this.#baseIndex - 1]!);
  }

  /** Entries `[from, to)` within `maxBytes`. */
  async entries(from: number, to: number, maxBytes = Infinity): Promise<LogEntry[]> {
    return await Promise.resolve(this.#slice(from, to, maxBytes));
  }

  /** Entries `[from, to)` within `maxBytes` (all are cached). */
  cachedEntries(from: number, to: number, maxBytes = Infinity): LogEntry[] | undefined {
    return this.#slice(from, to, maxBytes);
  }

  /** Appends a batch. */
  async append(entries: readonly LogEntry[]): Promise<void> {
    this.appendBuffered(entries);
    await Promise.resolve();
  }

  /** Appends a batch; in memory it is done at once. */
  appendNow(entries: readonly LogEntry[]): undefined {
    this.appendBuffered(entries);
    return undefined;
  }

  /** Appends a batch. */
  appendBuffered(entries: readonly LogEntry[]): void {
    this.#checkOpen();
    checkBatch(entries, this.lastIndex(), this.term(this.lastIndex())!);
    for (const entry of entries) this.#entries.push(entry);
  }

  /** Nothing to do. */
  async sync(): Promise<void> {
    this.#checkOpen();
    await Promise.resolve();
  }

  /** Drops entries after `index`. */
  async truncateBack(index: number): Promise<void> {
    this.#checkOpen();
    checkRange("Index", index, this.#baseIndex, this.lastIndex());
    this.#entries.length = index - this.#baseIndex;
    await Promise.resolve();
  }

  /** Drops entries before `index`. */
  async truncateFront(index: number): Promise<void> {
    this.#checkOpen();
    checkRange("Index", index, this.firstIndex(), this.lastIndex() + 1);
    const term = this.term(index - 1);
    assert(term !== undefined, "term of the new base is known");
    this.#entries = this.#entries.slice(index - this.#baseIndex - 1);
    this.#baseIndex = index - 1;
    this.#baseTerm = term;
    await Promise.resolve();
  }

  /** Drops the whole log; the next append is `index + 1`. */
  async reset(index: number, term: number): Promise<void> {
    this.#checkOpen();
    checkRange("Index", index, 0, Number.MAX_SAFE_INTEGER);
    checkRange("Term", term, 0, Number.MAX_SAFE_INTEGER);
    this.#entries = [];
    this.#baseIndex = index;
    this.#baseTerm = term;
    await Promise.resolve();
  }

  /** Forbids further use. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #slice(from: number, to: number, maxBytes: number): LogEntry[] {
    this.#checkOpen();
    checkRange("From", from, this.firstIndex(), this.lastIndex() + 1);
    checkRange("To", to, from, this.lastIndex() + 1);
    return takeWithin(this.#entries, from - this.#baseIndex - 1, to - from, maxBytes);
  }

  #checkOpen(): void {
    if (this.#closed) throw new TypeError("Log is closed");
  }
}

/**
 * What a leader knows about each follower: match and next index, and the replication state.
 *
 * - probe: one append in flight at a time until the follower's position is known;
 * - replicate: appends are pipelined, bounded by a window of messages and bytes;
 * - snapshot: a snapshot is being sent in chunks; appends wait for it.
 *
 * @module
 */

import { assert } from "../_assert.ts";

/**
 * A bounded window of in-flight appends: each holds the last index it carried and its bytes.
 *
 * @example
 * ```ts
 * import { Inflights } from "./progress.ts";
 * const window = new Inflights(2, 1000);
 * window.add(5, 100);
 * window.freeTo(5);
 * window.full(); // false
 * ```
 */
export class Inflights {
  readonly #indices: number[] = [];
  readonly #sizes: number[] = [];
  #start = 0;
  #count = 0;
  #bytes = 0;
  readonly #maxCount: number;
  readonly #maxBytes: number;

  /**
   * Creates an empty window.
   *
   * @param maxCount Messages in flight at most.
   * @param maxBytes Bytes in flight at most.
   */
  constructor(maxCount: number, maxBytes: number) {
    assert(maxCount > 0 && maxBytes > 0, "inflight limits must be positive");
    this.#maxCount = maxCount;
    this.#maxBytes = maxBytes;
  }

  /** Records an append whose last entry is `index`. */
  add(index: number, bytes: number): void {
    assert(!this.full(), "inflight window is full");
    const slot = (this.#start + this.#count) % this.#maxCount;
    this.#indices[slot] = index;
    this.#sizes[slot] = bytes;
    this.#count++;
    this.#bytes += bytes;
  }

  /** Frees every append whose last index is at most `index`. */
  freeTo(index: number): void {
    while (this.#count > 0 && (this.#indices[this.#start] ?? 0) <= index) this.#freeFirst();
  }

  /** Frees the oldest append (a heartbeat response proves the follower is alive). */
  freeFirstOne(): void {
    if (this.#count > 0) this.#freeFirst();
  }

  #freeFirst(): void {
    this.#bytes -= this.#sizes[this.#start] ?? 0;
    this.#start = (this.#start + 1) % this.#maxCount;
    this.#count--;
    assert(this.#count >= 0 && this.#bytes >= 0, "inflight accounting went negative");
  }

  /** True when no further append may be sent. */
  full(): boolean {
    return this.#count >= this.#maxCount || this.#bytes >= this.#maxBytes;
  }

  /** Number of appends in flight. */
  get count(): number {
    return this.#count;
  }

  /** Forgets everything in flight. */
  reset(): void {
    this.#start = 0;
    this.#count = 0;
    this.#bytes = 0;
  }
}

/**
 * Replication state of one follower (or learner) as the leader sees it.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const progress = new Progress(11, { maxCount: 256, maxBytes: 1 << 20 });
 * progress.maybeUpdate(10); // true: the follower has everything up to 10
 * ```
 */
export class Progress {
  /** Highest index known replicated on the follower. */
  match = 0;
  /** Next index to send. */
  next: number;
  /** Replication state. */
  state: "probe" | "replicate" | "snapshot" = "probe";
  /** In probe state: an append is outstanding, wait for its answer or a heartbeat. */
  probeSent = false;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Latest leader tick echoed by a heartbeat response (lease accounting). */
  ackedTick: number = Number.MIN_SAFE_INTEGER;
  /** In snapshot state: index and term of the snapshot being sent. */
  snapshotIndex = 0;
  /** In snapshot state: next byte offset to send. */
  snapshotOffset = 0;
  /** In snapshot state: no chunk acknowledged since the last heartbeat response. */
  snapshotStalled = false;
  /** Pipelined appends in flight. */
  readonly inflights: Inflights;

  /**
   * Creates the progress of a follower we know nothing about yet (probe state).
   *
   * @param next First index to send.
   * @param limits In-flight window.
   */
  constructor(next: number, limits: { maxCount: number; maxBytes: number }) {
    assert(next >= 1, "next index starts at 1");
    this.next = next;
    this.inflights = new Inflights(limits.maxCount, limits.maxBytes);
  }

  /** Enters probe state, resuming from just after the match. */
  becomeProbe(): void {
    const fromSnapshot = this.state === "snapshot";
    this.state = "probe";
    this.probeSent = false;
    this.inflights.reset();
    this.next = fromSnapshot ? Math.max(this.match, this.snapshotIndex) + 1 : this.match + 1;
    assert(this.next > this.match, "probe resumes after the match");
  }

  /** Enters replicate state (the follower's position is known). */
  becomeReplicate(): void {
    this.state = "replicate";
    this.probeSent = false;
    this.inflights.reset();
    this.next = this.match + 1;
  }

  /** Enters snapshot state for the snapshot ending at `index`. */
  becomeSnapshot(index: number): void {
    assert(index > this.match, "snapshot must move the follower forward");
    this.state = "snapshot";
    this.snapshotIndex = index;
    this.snapshotOffset = 0;
    this.snapshotStalled = false;
    this.inflights.reset();
  }

  /** Records that the follower has everything up to `index`; false if that is not news. */
  maybeUpdate(index: number): boolean {
    const updated = index > this.match;
    if (updated) {
      this.match = index;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * Handles a rejected append at `rejected` with the leader's estimate `hintNext` of where the
   * logs agree; false if the rejection is stale.
   */
  maybeDecrease(rejected: number, hintNext: number): boolean {
    if (this.state === "snapshot") return false;
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
    } else if (this.next - 1 !== rejected) {
      return false;
    }
    this.next = Math.max(this.match + 1, Math.min(hintNext, rejected));
    this.probeSent = false;
    assert(this.next >= 1 && this.next <= rejected + 1, "back-off went out of range");
    return true;
  }

  /** True when nothing more may be sent now. */
  isPaused(): boolean {
    if (this.state === "probe") return this.probeSent;
    if (this.state === "replicate") return this.inflights.full();
    return true;
  }
}

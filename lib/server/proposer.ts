/**
 * Batches proposals: writes queue here until the Raft loop starts its next pass, then go to the
 * core in one call. While a pass awaits the disk, every write that arrives joins the next batch,
 * so one log append (and at high durability one fsync) carries all of them: group commit.
 *
 * @module
 */

import { NotLeaderError } from "../errors.ts";
import type { ProposeResult } from "../raft/node.ts";

import type { LogPosition, Placed } from "./applier.ts";

export type { LogPosition };

interface Queued {
  data: Uint8Array;
  placed: Placed;
}

/** Options for {@linkcode Proposer}. */
export interface ProposerOptions {
  /** Proposes a batch to the core (`RaftNode.proposeBatch`). */
  proposeBatch(batch: readonly Uint8Array[]): ProposeResult;
  /** Runs the Raft loop soon; the loop calls `flush()` before its next pass. */
  schedule(): void;
  /** Most proposals in one batch (default 4,096); more wait for the next. */
  batchMax?: number;
}

/**
 * Collects proposals for a turn and hands them to the core together.
 *
 * @example
 * ```ts ignore
 * const proposer = new Proposer({ proposeBatch: (b) => raft.proposeBatch(b), schedule });
 * proposer.propose(data, (error, position) => console.log(error ?? position));
 * ```
 */
export class Proposer {
  readonly #options: Required<ProposerOptions>;
  #queue: Queued[] = [];
  #scheduled = false;
  #batches = 0;

  /**
   * Creates a proposer.
   *
   * @param options The core's batch proposal and the loop's scheduler.
   */
  constructor(options: ProposerOptions) {
    this.#options = { batchMax: 4096, ...options };
  }

  /** Batches handed to the core so far. */
  get batches(): number {
    return this.#batches;
  }

  /** Queues one entry's data; `placed` learns its log position (or why not) at the flush. */
  propose(data: Uint8Array, placed: Placed): void {
    this.#queue.push({ data, placed });
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#options.schedule();
    }
  }

  /** Hands everything queued to the core (the Raft loop calls this before each pass). */
  flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.batchMax);
      this.#batches++;
      const result = this.#options.proposeBatch(batch.map((queued) => queued.data));
      if (result.ok) {
        for (let i = 0; i < batch.length; i++) {
          batch[i]!.placed(undefined, { index: result.index + i, term: result.term });
        }
      } else {
        const error = result.reason === "notLeader"
          ? new NotLeaderError(result.leader === "" ? undefined : result.leader)
          : new Error(`proposal refused: ${result.reason}`);
        for (const queued of batch) queued.placed(error, undefined);
      }
    }
  }

  /** Fails everything queued (on close). */
  failAll(error: unknown): void {
    for (const queued of this.#queue.splice(0)) queued.placed(error, undefined);
  }
}

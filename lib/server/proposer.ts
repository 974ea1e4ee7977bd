/**
 * Batches proposals: writes queue here until the Raft loop starts its next pass, then go to the
 * core in one call. While a pass awaits the disk, every write that arrives joins the next batch,
 * so one log append (and at high durability one fsync) carries all of them: group commit.
 *
 * @module
 */

import { NotLeaderError } from "../errors.ts";
import type { ProposeResult } from "../raft/node.ts";

/** Where a proposal landed in the log. */
export interface LogPosition {
  /** The entry's index. */
  index: number;
  /** The term it was proposed in (a different term at that index later means it was lost). */
  term: number;
}

interface Queued {
  data: Uint8Array;
  resolve(position: LogPosition): void;
  reject(error: unknown): void;
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
 * const { index, term } = await proposer.propose(data);
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

  /** Queues one entry's data; resolves with its log position once proposed. */
  propose(data: Uint8Array): Promise<LogPosition> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ data, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        this.#options.schedule();
      }
    });
  }

  /** Hands everything queued to the core (the Raft loop calls this before each pass). */
  flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#options.batchMax);
      this.#batches++;
      const result = this.#options.proposeBatch(batch.map((queued) => queued.data));
      if (result.ok) {
        batch.forEach((queued, i) =>
          queued.resolve({ index: result.index + i, term: result.term })
        );
      } else {
        const error = result.reason === "notLeader"
          ? new NotLeaderError(result.leader === "" ? undefined : result.leader)
          : new Error(`proposal refused: ${result.reason}`);
        for (const queued of batch) queued.reject(error);
      }
    }
  }

  /** Fails everything queued (on close). */
  failAll(error: unknown): void {
    for (const queued of this.#queue.splice(0)) queued.reject(error);
  }
}

/**
 * Batches proposals: writes queue here until the Raft loop starts its next pass, then go to the
 * core in one call. While a pass awaits the disk, every write that arrives joins the next batch,
 * so one log append (and at high durability one fsync) carries all of them: group commit.
 *
 * @module
 */

import { NotLeaderError } from "../errors.ts";
import type { ProposeResult } from "../raft/node.ts";

import type { LogPosition, ProposalWaiter } from "./applier.ts";

export type { LogPosition };

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
 * proposer.propose(data, { placed: (error, index, term) => console.log(error ?? [index, term]) });
 * ```
 */
export class Proposer {
  readonly #options: Required<ProposerOptions>;
  /** Queued data and its waiters, side by side (no record object per proposal). */
  #datas: Uint8Array[] = [];
  #waiters: ProposalWaiter[] = [];
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

  /** Queues one entry's data; `waiter` learns its log position (or why not) at the flush. */
  propose(data: Uint8Array, waiter: ProposalWaiter): void {
    this.#datas.push(data);
    this.#waiters.push(waiter);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#options.schedule();
    }
  }

  /** Hands everything queued to the core (the Raft loop calls this before each pass). */
  flush(): void {
    this.#scheduled = false;
    const batchMax = this.#options.batchMax;
    while (this.#datas.length > 0) {
      let datas = this.#datas;
      let waiters = this.#waiters;
      if (datas.length <= batchMax) {
        this.#datas = [];
        this.#waiters = [];
      } else {
        datas = this.#datas.splice(0, batchMax);
        waiters = this.#waiters.splice(0, batchMax);
      }
      this.#batches++;
      const result = this.#options.proposeBatch(datas);
      if (result.ok) {
        for (let i = 0; i < waiters.length; i++) {
          waiters[i]!.placed(undefined, result.index + i, result.term);
        }
      } else {
        const error = result.reason === "notLeader"
          ? new NotLeaderError(result.leader === "" ? undefined : result.leader)
          : new Error(`proposal refused: ${result.reason}`);
        for (const waiter of waiters) waiter.placed(error, 0, 0);
      }
    }
  }

  /** Fails everything queued (on close). */
  failAll(error: unknown): void {
    const waiters = this.#waiters;
    this.#datas = [];
    this.#waiters = [];
    for (const waiter of waiters) waiter.placed(error, 0, 0);
  }
}

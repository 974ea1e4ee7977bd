/**
 * The framework's {@linkcode Applier}: routes a machine's writes through the Raft log, guards
 * its reads with the consistency level, and replays committed entries through the machine on
 * every node (see `machine.ts` for the contract).
 *
 * @module
 */

import type { Entry } from "../raft/types.ts";
import { decodeCommand } from "./command_codec.ts";
import type { Logger } from "./logger.ts";
import type { Applier, Command, Machine, MaybePromise, ReplyWriter } from "./machine.ts";

/** The node-side services an applier needs. */
export interface ApplierHost {
  /**
   * Proposes a command's arguments; resolves with the log position the entry took, or rejects
   * with a `NotLeaderError` (or another error) when it cannot be proposed.
   */
  propose(args: readonly Uint8Array[]): Promise<{ index: number; term: number }>;
  /**
   * Resolves when a read may be served under the consistency level; rejects with a
   * `NotLeaderError` when this node may not serve it.
   */
  readBarrier(): Promise<void>;
  /** The node's logger. */
  log: Logger;
}

/** A write waiting for its entry to be applied on this node. */
interface Pending {
  term: number;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/** The entry at a proposal's index was replaced by another leader's: the write did not happen. */
export class ProposalLostError extends Error {
  /**
   * Creates the error.
   *
   * @param index The index the proposal had taken.
   */
  constructor(index: number) {
    super(`leadership changed before the command at index ${index} committed; it was not applied`);
    this.name = "ProposalLostError";
  }
}

const textDecoder = new TextDecoder();

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Outcomes remembered for waiters that register after their entry was applied. */
const RECENT_MAX = 4096;

function settled(
  position: { index: number; term: number },
  recent: { term: number; outcome: Outcome },
): Promise<unknown> {
  if (recent.term !== position.term) return Promise.reject(new ProposalLostError(position.index));
  return recent.outcome.ok
    ? Promise.resolve(recent.outcome.value)
    : Promise.reject(recent.outcome.error);
}

/** Builds a {@linkcode Command} from arguments. */
export function createCommand(args: readonly Uint8Array[]): Command {
  return { args, name: args.length > 0 ? textDecoder.decode(args[0]).toLowerCase() : "" };
}

/**
 * Implements {@linkcode Applier} and applies committed entries to the machine.
 *
 * @example
 * ```ts ignore
 * const applier = new FrameworkApplier(machine, host);
 * await machine.command(applier, conn, createCommand(args)); // on a client's command
 * await applier.applyEntries(ready.committedEntries); // in the Raft loop
 * ```
 */
export class FrameworkApplier implements Applier {
  readonly #machine: Machine;
  readonly #host: ApplierHost;
  readonly #pending = new Map<number, Pending>();
  readonly #recent = new Map<number, { term: number; outcome: Outcome }>();
  #applied = 0;

  /**
   * Creates an applier for one machine.
   *
   * @param machine The user's state machine.
   * @param host Proposal and read-barrier services of the node.
   */
  constructor(machine: Machine, host: ApplierHost) {
    this.#machine = machine;
    this.#host = host;
  }

  /** The node's logger. */
  get log(): Logger {
    return this.#host.log;
  }

  /** Highest index applied to the machine. */
  get applied(): number {
    return this.#applied;
  }

  /** Writes waiting for their entries. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** See {@linkcode Applier.apply}. */
  apply<T>(
    conn: ReplyWriter | null,
    cmd: Command,
    mutate: (() => MaybePromise<T>) | null,
    respond: (result: T | undefined) => MaybePromise<void>,
  ): MaybePromise<T | undefined> {
    if (mutate === null) return this.#read(respond);
    // Replaying a committed entry: this is where the write happens, on every node.
    if (conn === null) return mutate();
    return this.#write(cmd, respond);
  }

  async #read<T>(respond: (result: T | undefined) => MaybePromise<void>): Promise<undefined> {
    await this.#host.readBarrier();
    await respond(undefined);
    return undefined;
  }

  async #write<T>(
    cmd: Command,
    respond: (result: T | undefined) => MaybePromise<void>,
  ): Promise<T | undefined> {
    const position = await this.#host.propose(cmd.args);
    const result = (await this.waitFor(position)) as T;
    await respond(result);
    return result;
  }

  /**
   * Resolves with what applying the entry at `position` returned on this node, or rejects with
   * its error, or with {@linkcode ProposalLostError} if another entry took that index.
   */
  waitFor(position: { index: number; term: number }): Promise<unknown> {
    const recent = this.#recent.get(position.index);
    if (recent !== undefined) return settled(position, recent);
    if (position.index <= this.#applied) {
      return Promise.reject(new Error(`outcome of index ${position.index} is no longer known`));
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(position.index, { term: position.term, resolve, reject });
    });
  }

  /**
   * Applies committed entries in order: normal entries go through `machine.command` with a
   * null connection; each settles the write waiting for it on this node, if any.
   */
  async applyEntries(entries: readonly Entry[]): Promise<void> {
    for (const entry of entries) {
      let outcome: Outcome = { ok: true, value: undefined };
      if (entry.type === 0 && entry.data.length > 0) {
        // Most machines answer synchronously: no await then, so a whole batch is applied (and
        // its waiting writes released) in one go, and their replies leave together.
        try {
          const value = this.#machine.command(
            this,
            null,
            createCommand(decodeCommand(entry.data)),
          );
          outcome = { ok: true, value: value instanceof Promise ? await value : value };
        } catch (error) {
          outcome = { ok: false, error };
        }
      }
      this.#applied = entry.index;
      this.#remember(entry, outcome);
      this.#settle(entry, outcome);
    }
  }

  /** Keeps the last outcomes, so a waiter that registers late still learns its result. */
  #remember(entry: Entry, outcome: Outcome): void {
    this.#recent.set(entry.index, { term: entry.term, outcome });
    if (this.#recent.size > RECENT_MAX) {
      this.#recent.delete(this.#recent.keys().next().value!);
    }
  }

  #settle(
    entry: Entry,
    outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
  ): void {
    const pending = this.#pending.get(entry.index);
    if (pending === undefined) return;
    this.#pending.delete(entry.index);
    if (pending.term !== entry.term) pending.reject(new ProposalLostError(entry.index));
    else if (outcome.ok) pending.resolve(outcome.value);
    else pending.reject(outcome.error);
  }

  /**
   * After a snapshot through `index` was installed, the entries up to it will never be applied
   * here one by one: fail the writes waiting on them (they may or may not have happened, so the
   * client must check), and continue applying after `index`.
   */
  skipTo(index: number, error: Error): void {
    for (const [at, pending] of this.#pending) {
      if (at <= index) {
        pending.reject(error);
        this.#pending.delete(at);
      }
    }
    this.#applied = Math.max(this.#applied, index);
  }

  /** Fails every waiting write (on close). */
  failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

/**
 * The framework's {@linkcode Applier}: routes a machine's writes through the Raft log, guards
 * its reads with the consistency level, and replays committed entries through the machine on
 * every node (see `machine.ts` for the contract).
 *
 * The hot path avoids promise chains: a write is one promise for the session to wait on, with
 * callbacks inside (proposal placed, entry applied); a read that may be served at once (low
 * consistency, or a leader holding its lease with everything applied) answers synchronously.
 *
 * @module
 */

import type { Entry } from "../raft/types.ts";
import { decodeCommand } from "./command_codec.ts";
import type { Logger } from "./logger.ts";
import type { Applier, Command, Machine, MaybePromise, ReplyWriter } from "./machine.ts";

/** Where a proposal landed in the log. */
export interface LogPosition {
  /** The entry's index. */
  index: number;
  /** The term it was proposed in (a different term at that index later means it was lost). */
  term: number;
}

/** Called once a proposal is placed in the log, or refused. */
export type Placed = (error: unknown, position: LogPosition | undefined) => void;

/** The node-side services an applier needs. */
export interface ApplierHost {
  /** Proposes a command's arguments; `placed` is called once with its log position or an error. */
  propose(args: readonly Uint8Array[], placed: Placed): void;
  /** Proposes an empty entry (a position in the log that no machine sees). */
  proposeEmpty(placed: Placed): void;
  /** True when a read may be served right now (no round trip needed). */
  readNow(): boolean;
  /**
   * An object standing for the client connection `conn` belongs to (the same for every command
   * on it), so that a read waits for the writes sent before it on the same connection.
   */
  connectionKey(conn: ReplyWriter): object;
  /**
   * Resolves when a read may be served under the consistency level; rejects with a
   * `NotLeaderError` when this node may not serve it.
   */
  readBarrier(): Promise<void>;
  /** The node's logger. */
  log: Logger;
}

/** The writes of one connection that have not finished yet. */
interface ConnectionWrites {
  inFlight: number;
}

/** What applying one entry gave. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A write waiting for its entry to be applied on this node. */
interface Pending {
  term: number;
  done(outcome: Outcome): void;
  /** The write's own `mutate`, run here in place of replaying the entry (see applyEntries). */
  mutate: (() => unknown) | undefined;
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

/** Outcomes remembered for waiters that register after their entry was applied. */
const RECENT_MAX = 4096;

/** The outcome of an entry the machine does not see (no-op, membership, barrier). */
const OK_EMPTY: Outcome = { ok: true, value: undefined };

/**
 * The command name in lower case. Names are short ASCII: a byte loop beats TextDecoder here.
 */
function commandName(arg: Uint8Array | undefined): string {
  if (arg === undefined) return "";
  if (arg.length > 32) return new TextDecoder().decode(arg).toLowerCase();
  let name = "";
  for (let i = 0; i < arg.length; i++) {
    const byte = arg[i]!;
    name += String.fromCharCode(byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte);
  }
  return name;
}

/** Builds a {@linkcode Command} from arguments. */
export function createCommand(args: readonly Uint8Array[]): Command {
  return { args, name: commandName(args[0]) };
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
  /** The last RECENT_MAX outcomes, in a ring indexed by log index (no map churn per entry). */
  readonly #recent: ({ index: number; term: number; outcome: Outcome } | undefined)[] = new Array(
    RECENT_MAX,
  );
  readonly #writes = new WeakMap<object, ConnectionWrites>();
  #applied = 0;

  /**
   * Creates an applier for one machine.
   *
   * @param machine The user's state machine.
   * @param host Proposal and read services of the node.
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

  /**
   * See {@linkcode Applier.apply}. Commands on one connection take effect in the order sent,
   * as in Redis: a read waits until the writes sent before it on the same connection are done.
   */
  apply<T>(
    conn: ReplyWriter | null,
    cmd: Command,
    mutate: (() => MaybePromise<T>) | null,
    respond: (result: T | undefined) => MaybePromise<void>,
  ): MaybePromise<T | undefined> {
    // Replaying a committed entry: this is where the write happens, on every node.
    if (conn === null) return mutate === null ? undefined : mutate();
    const key = this.#host.connectionKey(conn);
    const writes = this.#writes.get(key);
    if (mutate === null) {
      // After writes still in flight on this connection, the read takes its own place in the
      // log (an empty entry) and is answered exactly there: it sees those writes and none of
      // the writes sent after it, as Redis would answer a pipeline.
      if (writes !== undefined && writes.inFlight > 0) return this.#orderedRead(respond);
      return this.#read(respond);
    }
    return this.#write(cmd, mutate, respond, writes ?? this.#startTracking(key));
  }

  #read<T>(respond: (result: T | undefined) => MaybePromise<void>): MaybePromise<undefined> {
    if (this.#host.readNow()) {
      const responded = respond(undefined);
      return responded instanceof Promise ? responded.then(() => undefined) : undefined;
    }
    return this.#host.readBarrier().then(() => respond(undefined)).then(() => undefined);
  }

  #orderedRead<T>(respond: (result: T | undefined) => MaybePromise<void>): Promise<undefined> {
    return new Promise((resolve, reject) => {
      this.#host.proposeEmpty((error, position) => {
        if (position === undefined) return reject(error);
        this.#await(position, (outcome) => {
          if (!outcome.ok) return reject(outcome.error);
          try {
            const responded = respond(undefined);
            if (responded instanceof Promise) responded.then(() => resolve(undefined), reject);
            else resolve(undefined);
          } catch (error) {
            reject(error);
          }
        });
      });
    });
  }

  #startTracking(key: object): ConnectionWrites {
    const writes = { inFlight: 0 };
    this.#writes.set(key, writes);
    return writes;
  }

  /**
   * Proposes a write and answers it once applied. `writes.inFlight` counts it until its reply
   * is written (decremented right there, not in a `then`: one promise per write, not two).
   */
  #write<T>(
    cmd: Command,
    mutate: () => MaybePromise<T>,
    respond: (result: T | undefined) => MaybePromise<void>,
    writes: ConnectionWrites,
  ): Promise<T | undefined> {
    writes.inFlight++;
    return new Promise((resolve, reject) => {
      const fail = (error: unknown) => {
        writes.inFlight--;
        reject(error);
      };
      this.#host.propose(cmd.args, (error, position) => {
        if (position === undefined) return fail(error);
        this.#await(position, (outcome) => {
          if (!outcome.ok) return fail(outcome.error);
          const value = outcome.value as T;
          try {
            const responded = respond(value);
            if (responded instanceof Promise) {
              responded.then(() => {
                writes.inFlight--;
                resolve(value);
              }, fail);
            } else {
              writes.inFlight--;
              resolve(value);
            }
          } catch (error) {
            fail(error);
          }
        }, mutate);
      });
    });
  }

  /** Calls `done` once the entry at `position` is applied here (at once if it already was). */
  #await(
    position: LogPosition,
    done: (outcome: Outcome) => void,
    mutate?: () => unknown,
  ): void {
    const slot = this.#recent[position.index % RECENT_MAX];
    const recent = slot?.index === position.index ? slot : undefined;
    if (recent !== undefined) {
      done(
        recent.term === position.term
          ? recent.outcome
          : { ok: false, error: new ProposalLostError(position.index) },
      );
    } else if (position.index <= this.#applied) {
      done({
        ok: false,
        error: new Error(`outcome of index ${position.index} is no longer known`),
      });
    } else {
      this.#pending.set(position.index, { term: position.term, done, mutate });
    }
  }

  /**
   * Resolves with what applying the entry at `position` returned on this node, or rejects with
   * its error, or with {@linkcode ProposalLostError} if another entry took that index.
   */
  waitFor(position: LogPosition): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#await(
        position,
        (outcome) => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)),
      );
    });
  }

  /**
   * Applies committed entries in order: normal entries go through `machine.command` with a
   * null connection; each settles the write waiting for it on this node, if any. Most machines
   * answer synchronously: then the whole batch is applied (and its waiting writes released)
   * before this returns, with no promise at all, and their replies leave together. An entry
   * whose machine call returns a promise is awaited, and the rest of the batch follows it.
   *
   * @returns undefined when every entry was applied synchronously, else a promise.
   */
  applyEntries(entries: readonly Entry[], from = 0): Promise<void> | undefined {
    for (let i = from; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.type !== 0 || entry.data.length === 0) {
        this.#finishEntry(entry, OK_EMPTY);
        continue;
      }
      let value: unknown;
      try {
        value = this.#run(entry);
      } catch (error) {
        this.#finishEntry(entry, { ok: false, error });
        continue;
      }
      if (value instanceof Promise) {
        return value.then(
          (resolved) => this.#finishEntry(entry, { ok: true, value: resolved }),
          (error) => this.#finishEntry(entry, { ok: false, error }),
        ).then(() => this.applyEntries(entries, i + 1));
      }
      this.#finishEntry(entry, { ok: true, value });
    }
    return undefined;
  }

  /**
   * The node that received the write runs the `mutate` it was given (with the client's
   * connection in its closure, as Finn does); every other node, and this one when the entry is
   * not its own (another term's, or replayed after a restart), replays the entry through the
   * machine with a null connection. Also skips a decode and dispatch.
   */
  #run(entry: Entry): unknown {
    const own = this.#pending.get(entry.index);
    return own?.mutate !== undefined && own.term === entry.term
      ? own.mutate()
      : this.#machine.command(this, null, createCommand(decodeCommand(entry.data)));
  }

  #finishEntry(entry: Entry, outcome: Outcome): void {
    this.#applied = entry.index;
    this.#remember(entry, outcome);
    this.#settle(entry, outcome);
  }

  /** Keeps the last outcomes, so a waiter that registers late still learns its result. */
  #remember(entry: Entry, outcome: Outcome): void {
    const slot = this.#recent[entry.index % RECENT_MAX];
    if (slot === undefined) {
      this.#recent[entry.index % RECENT_MAX] = { index: entry.index, term: entry.term, outcome };
    } else {
      slot.index = entry.index;
      slot.term = entry.term;
      slot.outcome = outcome;
    }
  }

  #settle(entry: Entry, outcome: Outcome): void {
    const pending = this.#pending.get(entry.index);
    if (pending === undefined) return;
    this.#pending.delete(entry.index);
    pending.done(
      pending.term === entry.term
        ? outcome
        : { ok: false, error: new ProposalLostError(entry.index) },
    );
  }

  /**
   * After a snapshot through `index` was installed, the entries up to it will never be applied
   * here one by one: fail the writes waiting on them (they may or may not have happened, so the
   * client must check), and continue applying after `index`.
   */
  skipTo(index: number, error: Error): void {
    for (const [at, pending] of this.#pending) {
      if (at <= index) {
        this.#pending.delete(at);
        pending.done({ ok: false, error });
      }
    }
    this.#recent.fill(undefined);
    this.#applied = Math.max(this.#applied, index);
  }

  /** Fails every waiting write (on close). */
  failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.done({ ok: false, error });
    this.#pending.clear();
  }
}

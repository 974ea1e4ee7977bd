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
import type { Conn } from "../resp/conn.ts";
import { IndexRing } from "./_index_ring.ts";
import { decodeCommand } from "./command_codec.ts";
import type { Logger } from "./logger.ts";
import type { Applier, Command, Machine, MaybePromise, ReplyWriter } from "./machine.ts";
import { type SelfSettling, SETTLE, type SettleTarget } from "./session.ts";

/** Where a proposal landed in the log. */
export interface LogPosition {
  /** The entry's index. */
  index: number;
  /** The term it was proposed in (a different term at that index later means it was lost). */
  term: number;
}

/**
 * Learns where a proposal landed in the log, or why it was refused. An object rather than a
 * callback: the applier's per-write record is its own waiter, so a write allocates no closure
 * for this.
 */
export interface ProposalWaiter {
  /** Called once: with no error and the entry's index and term, or with the refusal. */
  placed(error: unknown, index: number, term: number): void;
}

/** The writes of one connection that have not finished yet. */
export interface ConnectionWrites {
  /** Writes proposed and not yet answered. */
  writesInFlight: number;
}

/** The node-side services an applier needs. */
export interface ApplierHost {
  /** Proposes a command's arguments; `waiter` learns its log position or an error. */
  propose(args: readonly Uint8Array[], waiter: ProposalWaiter): void;
  /** Proposes an empty entry (a position in the log that no machine sees). */
  proposeEmpty(waiter: ProposalWaiter): void;
  /** True when a read may be served right now (no round trip needed). */
  readNow(): boolean;
  /**
   * The write counter of the client connection `conn` belongs to (the same object for every
   * command on it), so that a read waits for the writes sent before it on the same connection.
   */
  connectionWrites(conn: ReplyWriter): ConnectionWrites;
  /**
   * Resolves when a read may be served under the consistency level; rejects with a
   * `NotLeaderError` when this node may not serve it.
   */
  readBarrier(): Promise<void>;
  /** The node's logger. */
  log: Logger;
}

/** Something waiting for the entry at one index to be applied on this node. */
interface EntryWaiter {
  index: number;
  term: number;
  /** A write's own `mutate`, run here in place of replaying the entry (see applyEntries). */
  mutate: (() => unknown) | undefined;
  /** The entry was applied (`ok` with what it returned) or failed (`value` is the error). */
  applied(ok: boolean, value: unknown): void;
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

/** One remembered outcome, in a ring slot reused for later indices. */
interface Recent {
  index: number;
  term: number;
  ok: boolean;
  value: unknown;
}

/**
 * The command name in lower case. Names are short ASCII: a byte loop beats TextDecoder here,
 * and the names seen recently are kept, so the common commands allocate no string at all.
 */
function commandName(arg: Uint8Array | undefined): string {
  if (arg === undefined) return "";
  if (arg.length > 32) return new TextDecoder().decode(arg).toLowerCase();
  let hash = arg.length;
  for (let i = 0; i < arg.length; i++) hash = (hash * 31 + (arg[i]! | 0x20)) >>> 0;
  const slot = hash & (NAME_CACHE_SIZE - 1);
  const cached = nameCache[slot];
  if (cached !== undefined && sameName(cached, arg)) return cached;
  let name = "";
  for (let i = 0; i < arg.length; i++) {
    const byte = arg[i]!;
    name += String.fromCharCode(byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte);
  }
  nameCache[slot] = name;
  return name;
}

const NAME_CACHE_SIZE = 256;
const nameCache: (string | undefined)[] = new Array(NAME_CACHE_SIZE);

/** True when `name` (lower case) is `arg` ignoring ASCII case. */
function sameName(name: string, arg: Uint8Array): boolean {
  if (name.length !== arg.length) return false;
  for (let i = 0; i < arg.length; i++) {
    const byte = arg[i]!;
    if (name.charCodeAt(i) !== (byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte)) return false;
  }
  return true;
}

/** Builds a {@linkcode Command} from arguments. */
export function createCommand(args: readonly Uint8Array[]): Command {
  return { args, name: commandName(args[0]) };
}

/**
 * A promise's resolving functions, taken by one shared executor: `new Promise(capture)` then
 * reads them from here, so making a write's promise allocates no executor closure.
 */
let capturedResolve: (value: unknown) => void = () => {};
let capturedReject: (error: unknown) => void = () => {};
const capture = (resolve: (value: unknown) => void, reject: (error: unknown) => void): void => {
  capturedResolve = resolve;
  capturedReject = reject;
};

const PENDING = 0;
const DONE = 1 as const;
const FAILED = 2 as const;

/**
 * One client write from proposal to reply, in one object: the proposer's waiter, the entry's
 * waiter, and what `apply` returns.
 *
 * It is a promise in all but identity (`then`, `catch`, `finally`; not `instanceof Promise`),
 * made real only if someone calls `then`. The session does not: it sees the {@linkcode SETTLE}
 * hook and is called back directly, so a write costs no promise, no closures for its
 * continuation and no microtask, and its reply ends the moment it is written. (At pipeline
 * depth 16 the promise and the session's two closures were a third of the bytes allocated per
 * SET, and each reply, ended a microtask late, was written to a buffer of its own first.)
 */
class PendingWrite<T> implements ProposalWaiter, EntryWaiter, Promise<T | undefined>, SelfSettling {
  index = 0;
  term = 0;
  readonly [Symbol.toStringTag] = "Promise";
  readonly #applier: FrameworkApplier;
  readonly #writes: ConnectionWrites;
  readonly mutate: () => unknown;
  readonly #respond: (result: T | undefined) => MaybePromise<void>;
  #state = PENDING;
  #outcome: unknown = undefined;
  #promise: Promise<T | undefined> | undefined = undefined;
  #resolve: ((value: unknown) => void) | undefined = undefined;
  #reject: ((error: unknown) => void) | undefined = undefined;
  #target: SettleTarget | undefined = undefined;
  #conn: Conn | undefined = undefined;
  #args: Uint8Array[] | undefined = undefined;

  constructor(
    applier: FrameworkApplier,
    writes: ConnectionWrites,
    mutate: () => unknown,
    respond: (result: T | undefined) => MaybePromise<void>,
  ) {
    this.#applier = applier;
    this.#writes = writes;
    this.mutate = mutate;
    this.#respond = respond;
  }

  placed(error: unknown, index: number, term: number): void {
    if (error !== undefined) return this.#fail(error);
    this.index = index;
    this.term = term;
    this.#applier.wait(this);
  }

  /**
   * Answers the write. `writesInFlight` counts it until its reply is written (decremented right
   * here, not in a `then`).
   */
  applied(ok: boolean, value: unknown): void {
    if (!ok) return this.#fail(value);
    try {
      const responded = this.#respond(value as T);
      if (responded instanceof Promise) {
        responded.then(() => this.#done(value), (error) => this.#fail(error));
      } else {
        this.#done(value);
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  [SETTLE](target: SettleTarget, conn: Conn, args: Uint8Array[]): void {
    if (this.#state !== PENDING) {
      target.settled(conn, this.#state === FAILED ? this.#outcome : undefined, args);
      return;
    }
    this.#target = target;
    this.#conn = conn;
    this.#args = args;
  }

  then<R1 = T | undefined, R2 = never>(
    onFulfilled?: ((value: T | undefined) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#real().then(onFulfilled, onRejected);
  }

  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<T | undefined | R> {
    return this.#real().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T | undefined> {
    return this.#real().finally(onFinally);
  }

  /** The promise behind `then`, made on first use. */
  #real(): Promise<T | undefined> {
    if (this.#promise !== undefined) return this.#promise;
    if (this.#state === DONE) return this.#promise = Promise.resolve(this.#outcome as T);
    if (this.#state === FAILED) return this.#promise = Promise.reject(this.#outcome);
    this.#promise = new Promise(capture) as Promise<T | undefined>;
    this.#resolve = capturedResolve;
    this.#reject = capturedReject;
    return this.#promise;
  }

  #done(value: unknown): void {
    this.#finish(DONE, value);
  }

  #fail(error: unknown): void {
    this.#finish(FAILED, error);
  }

  /** Settles the write: tells the session and the promise, if any, then lets go of them. */
  #finish(state: typeof DONE | typeof FAILED, outcome: unknown): void {
    this.#writes.writesInFlight--;
    this.#state = state;
    this.#outcome = outcome;
    this.#target?.settled(this.#conn!, state === FAILED ? outcome : undefined, this.#args!);
    if (state === DONE) this.#resolve?.(outcome);
    else this.#reject?.(outcome);
    // Let go of the session, the reply writer and the callbacks: they were told.
    this.#target = undefined;
    this.#conn = undefined;
    this.#args = undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
  }
}

/** A waiter from callbacks, for the less travelled paths (ordered reads, `waitFor`). */
class CallbackWaiter implements ProposalWaiter, EntryWaiter {
  index = 0;
  term = 0;
  readonly mutate = undefined;
  readonly #applier: FrameworkApplier;
  readonly #applied: (ok: boolean, value: unknown) => void;

  constructor(applier: FrameworkApplier, applied: (ok: boolean, value: unknown) => void) {
    this.#applier = applier;
    this.#applied = applied;
  }

  placed(error: unknown, index: number, term: number): void {
    if (error !== undefined) return this.#applied(false, error);
    this.index = index;
    this.term = term;
    this.#applier.wait(this);
  }

  applied(ok: boolean, value: unknown): void {
    this.#applied(ok, value);
  }
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
  /** Waiters by index: a ring, not a Map (see _index_ring.ts: a Map kept replies alive). */
  readonly #pending = new IndexRing<EntryWaiter>();
  /** The last RECENT_MAX outcomes, in a ring indexed by log index (no map churn per entry). */
  readonly #recent: (Recent | undefined)[] = new Array(RECENT_MAX);
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
    const writes = this.#host.connectionWrites(conn);
    if (mutate === null) {
      // After writes still in flight on this connection, the read takes its own place in the
      // log (an empty entry) and is answered exactly there: it sees those writes and none of
      // the writes sent after it, as Redis would answer a pipeline.
      if (writes.writesInFlight > 0) return this.#orderedRead(respond);
      return this.#read(respond);
    }
    writes.writesInFlight++;
    const write = new PendingWrite(this, writes, mutate, respond);
    this.#host.propose(cmd.args, write);
    return write;
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
      this.#host.proposeEmpty(
        new CallbackWaiter(this, (ok, error) => {
          if (!ok) return reject(error);
          try {
            const responded = respond(undefined);
            if (responded instanceof Promise) responded.then(() => resolve(undefined), reject);
            else resolve(undefined);
          } catch (error) {
            reject(error);
          }
        }),
      );
    });
  }

  /**
   * Registers a waiter for the entry at its index and term (called once it is placed), or
   * settles it at once if that entry was already applied.
   */
  wait(waiter: EntryWaiter): void {
    const index = waiter.index;
    const recent = this.#recent[index % RECENT_MAX];
    if (recent !== undefined && recent.index === index) {
      if (recent.term === waiter.term) waiter.applied(recent.ok, recent.value);
      else waiter.applied(false, new ProposalLostError(index));
    } else if (index <= this.#applied) {
      waiter.applied(false, new Error(`outcome of index ${index} is no longer known`));
    } else {
      this.#pending.set(waiter);
    }
  }

  /**
   * Resolves with what applying the entry at `position` returned on this node, or rejects with
   * its error, or with {@linkcode ProposalLostError} if another entry took that index.
   */
  waitFor(position: LogPosition): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const waiter = new CallbackWaiter(this, (ok, value) => (ok ? resolve(value) : reject(value)));
      waiter.placed(undefined, position.index, position.term);
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
        this.#finishEntry(entry, true, undefined);
        continue;
      }
      let value: unknown;
      try {
        value = this.#run(entry);
      } catch (error) {
        this.#finishEntry(entry, false, error);
        continue;
      }
      if (value instanceof Promise) {
        return value.then(
          (resolved) => this.#finishEntry(entry, true, resolved),
          (error) => this.#finishEntry(entry, false, error),
        ).then(() => this.applyEntries(entries, i + 1));
      }
      this.#finishEntry(entry, true, value);
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

  #finishEntry(entry: Entry, ok: boolean, value: unknown): void {
    this.#applied = entry.index;
    this.#remember(entry, ok, value);
    this.#settle(entry, ok, value);
  }

  /** Keeps the last outcomes, so a waiter that registers late still learns its result. */
  #remember(entry: Entry, ok: boolean, value: unknown): void {
    const at = entry.index % RECENT_MAX;
    const slot = this.#recent[at];
    if (slot === undefined) {
      this.#recent[at] = { index: entry.index, term: entry.term, ok, value };
    } else {
      slot.index = entry.index;
      slot.term = entry.term;
      slot.ok = ok;
      slot.value = value;
    }
  }

  #settle(entry: Entry, ok: boolean, value: unknown): void {
    const pending = this.#pending.take(entry.index);
    if (pending === undefined) return;
    if (pending.term === entry.term) pending.applied(ok, value);
    else pending.applied(false, new ProposalLostError(entry.index));
  }

  /**
   * After a snapshot through `index` was installed, the entries up to it will never be applied
   * here one by one: fail the writes waiting on them (they may or may not have happened, so the
   * client must check), and continue applying after `index`.
   */
  skipTo(index: number, error: Error): void {
    for (const pending of this.#pending.takeThrough(index)) pending.applied(false, error);
    this.#recent.fill(undefined);
    this.#applied = Math.max(this.#applied, index);
  }

  /** Fails every waiting write (on close). */
  failAll(error: Error): void {
    for (const pending of this.#pending.takeAll()) pending.applied(false, error);
  }
}

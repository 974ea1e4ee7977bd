/**
 * The one loop that awaits (DESIGN.md §3): it takes the Raft core's `Ready`, sends what may go
 * now, persists entries and hard state, sends what had to wait for the persist, applies
 * committed entries, serves confirmed reads, and acknowledges with `advance()`.
 *
 * Batching comes from the shape of the loop: while one pass awaits the disk, proposals and
 * messages keep arriving; the next pass takes all of them at once, so a busy node makes one log
 * write (and at high durability one fsync) per pass, not per command. The leader sends its
 * appends to followers before its own write, so replication runs in parallel with its fsync,
 * and applies what is already committed while it writes.
 *
 * @module
 */

import type { Message } from "../raft/messages.ts";
import type { RaftNode } from "../raft/node.ts";
import type { ReadState, Ready, SoftState } from "../raft/ready.ts";
import type { Entry, HardState, SnapshotChunk } from "../raft/types.ts";

/** A hook's result: undefined when it finished synchronously, else a promise to wait for. */
export type HookResult = Promise<void> | undefined;

/**
 * What the driver does with each part of a Ready. All may be async except `send`; a hook that
 * finished synchronously returns undefined, and a pass whose hooks all did so runs without a
 * single await (see {@linkcode RaftDriver}).
 */
export interface RaftDriverHooks {
  /**
   * Runs before each pass: hands everything proposed since the last pass to the core at once,
   * so proposals that arrive while a pass awaits the disk share the next append.
   */
  beforePass(): void;
  /** Hands messages to the transport (never awaits: the network must not stall the loop). */
  send(messages: Message[]): void;
  /**
   * Persists entries: entries[0] may overwrite a conflicting suffix, so the log is truncated
   * after `entries[0].index - 1` first. Resolves as the durability level promises.
   */
  persistEntries(entries: Entry[]): HookResult;
  /** Persists a new term and vote durably (always fsynced: a lost vote could elect two leaders). */
  persistHardState(state: HardState, mustSync: boolean): HookResult;
  /** Writes incoming snapshot chunks; on the one with `done`, installs the snapshot. */
  persistSnapshotChunks(chunks: SnapshotChunk[]): HookResult;
  /** Applies committed entries, in order. */
  apply(entries: Entry[]): HookResult;
  /** Confirmed reads: each may be served once the machine has applied its index. */
  reads(readStates: ReadState[]): void;
  /** Role, leader or term changed. */
  softState(state: SoftState): void;
  /** The loop failed (a disk error): the node can no longer make progress safely. */
  failed(error: unknown): void;
}

/** Options for {@linkcode RaftDriver}. */
export interface RaftDriverOptions {
  /** The core. */
  raft: RaftNode;
  /** What to do with each Ready. */
  hooks: RaftDriverHooks;
  /**
   * Starts a scheduled run (default `queueMicrotask`). The node passes `afterIo`, so that
   * everything read in one event-loop turn shares a pass.
   */
  defer?: (run: () => void) => void;
}

/**
 * Runs Ready passes whenever the core has work, one at a time.
 *
 * @example
 * ```ts ignore
 * const driver = new RaftDriver({ raft, hooks });
 * raft.propose(data);
 * driver.schedule();
 * ```
 */
export class RaftDriver {
  readonly #raft: RaftNode;
  readonly #hooks: RaftDriverHooks;
  readonly #defer: (run: () => void) => void;
  readonly #run = (): void => this.#runPasses();
  #running = false;
  #again = false;
  #stopped = false;
  #passes = 0;
  #idle: (() => void)[] = [];

  /**
   * Creates a driver; nothing runs until `schedule()`.
   *
   * @param options The core and the hooks.
   */
  constructor(options: RaftDriverOptions) {
    this.#raft = options.raft;
    this.#hooks = options.hooks;
    this.#defer = options.defer ?? queueMicrotask;
  }

  /** Ready passes run so far (for stats). */
  get passes(): number {
    return this.#passes;
  }

  /**
   * Asks for a pass. Cheap and idempotent: calls made while a pass runs fold into the next one.
   * The pass starts when `defer` runs it, so every call made before then shares it.
   */
  schedule(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#defer(this.#run);
  }

  /** Resolves once no pass is running or pending. */
  idle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops scheduling passes (on close); a pass already running finishes. */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * Runs passes until the core has no work. Passes whose hooks all finish synchronously (no
   * fsync to wait for, nothing to read from disk) run back to back in this call: at durability
   * low and medium a write costs no promise in the loop. The first pass that must wait hands the
   * rest of the run to a promise continuation.
   */
  #runPasses(): void {
    try {
      do {
        this.#again = false;
        while (!this.#stopped) {
          this.#hooks.beforePass();
          if (!this.#raft.hasReady()) break;
          const waiting = this.#pass();
          if (waiting !== undefined) {
            waiting.then(this.#run, (error) => this.#finish(error));
            return;
          }
        }
      } while (this.#again && !this.#stopped);
    } catch (error) {
      return this.#finish(error);
    }
    this.#finish(undefined);
  }

  #finish(error: unknown): void {
    if (error !== undefined) {
      this.#stopped = true;
      this.#hooks.failed(error);
    }
    this.#running = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** One Ready pass; a promise when some hook must be waited for. */
  #pass(): Promise<void> | undefined {
    const ready = this.#raft.ready();
    const hooks = this.#hooks;
    this.#passes++;
    if (ready.softState) hooks.softState(ready.softState);
    if (ready.messages.length > 0) hooks.send(ready.messages);
    if (ready.snapshot.length > 0) {
      const persisted = hooks.persistSnapshotChunks(ready.snapshot);
      if (persisted !== undefined) return persisted.then(() => this.#persistAndFinish(ready));
    }
    return this.#persistAndFinish(ready);
  }

  #persistAndFinish(ready: Ready): Promise<void> | undefined {
    const hooks = this.#hooks;
    // Committed entries are applied while this pass's new entries are written, not after: they
    // are durable on a quorum already and no later write can touch them. Waiting for the write
    // first held every reply of one group commit back until the next group's fsync. The write
    // is started first: the log's work is queued ahead of the microtask that sends the
    // replies the apply completes, so its fsync is under way while they are written.
    const persisted = ready.entries.length > 0 ? hooks.persistEntries(ready.entries) : undefined;
    const applied = ready.committedEntries.length > 0
      ? hooks.apply(ready.committedEntries)
      : undefined;
    if (persisted !== undefined) return this.#finishAfter(ready, persisted, applied);
    if (ready.hardState) {
      const saved = hooks.persistHardState(ready.hardState, ready.mustSync);
      if (saved !== undefined) return this.#finishAfter(ready, saved, applied, true);
    }
    if (applied !== undefined) return this.#finishAfter(ready, undefined, applied, true);
    this.#complete(ready);
    return undefined;
  }

  /** The rest of a pass once something had to be waited for. */
  async #finishAfter(
    ready: Ready,
    persisted: Promise<void> | undefined,
    applied: Promise<void> | undefined,
    hardStateDone = false,
  ): Promise<void> {
    if (persisted !== undefined) await persisted;
    if (ready.hardState && !hardStateDone) {
      await this.#hooks.persistHardState(ready.hardState, ready.mustSync);
    }
    if (applied !== undefined) {
      // The write and the apply run side by side; what waited for the write leaves first.
      this.#sendAfterPersist(ready);
      await applied;
      return this.#complete(ready, false);
    }
    this.#complete(ready);
  }

  #sendAfterPersist(ready: Ready): void {
    if (ready.messagesAfterPersist.length > 0) this.#hooks.send(ready.messagesAfterPersist);
  }

  /** Sends what waited for the persist, serves confirmed reads, acknowledges the Ready. */
  #complete(ready: Ready, sendAfterPersist = true): void {
    const hooks = this.#hooks;
    if (sendAfterPersist) this.#sendAfterPersist(ready);
    if (ready.readStates.length > 0) hooks.reads(ready.readStates);
    this.#raft.advance();
  }
}

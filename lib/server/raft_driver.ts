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
import type { ReadState, SoftState } from "../raft/ready.ts";
import type { Entry, HardState, SnapshotChunk } from "../raft/types.ts";

/** What the driver does with each part of a Ready. All may be async except `send`. */
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
  persistEntries(entries: Entry[]): Promise<void>;
  /** Persists a new term and vote durably (always fsynced: a lost vote could elect two leaders). */
  persistHardState(state: HardState, mustSync: boolean): Promise<void>;
  /** Writes incoming snapshot chunks; on the one with `done`, installs the snapshot. */
  persistSnapshotChunks(chunks: SnapshotChunk[]): Promise<void>;
  /** Applies committed entries, in order. */
  apply(entries: Entry[]): Promise<void>;
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
  }

  /** Ready passes run so far (for stats). */
  get passes(): number {
    return this.#passes;
  }

  /**
   * Asks for a pass. Cheap and idempotent: calls made while a pass runs fold into the next one.
   * The pass starts in a microtask, so every call made in the current task shares it.
   */
  schedule(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    queueMicrotask(() => void this.#run());
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

  async #run(): Promise<void> {
    try {
      do {
        this.#again = false;
        while (!this.#stopped) {
          this.#hooks.beforePass();
          if (!this.#raft.hasReady()) break;
          await this.#pass();
        }
      } while (this.#again && !this.#stopped);
    } catch (error) {
      this.#stopped = true;
      this.#hooks.failed(error);
    } finally {
      this.#running = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #pass(): Promise<void> {
    const ready = this.#raft.ready();
    const hooks = this.#hooks;
    this.#passes++;
    if (ready.softState) hooks.softState(ready.softState);
    if (ready.messages.length > 0) hooks.send(ready.messages);
    if (ready.snapshot.length > 0) await hooks.persistSnapshotChunks(ready.snapshot);
    // Committed entries are applied while this pass's new entries are written, not after: they
    // are durable on a quorum already and no later write can touch them. Waiting for the write
    // first held every reply of one group commit back until the next group's fsync.
    const applied = ready.committedEntries.length > 0
      ? hooks.apply(ready.committedEntries)
      : undefined;
    if (ready.entries.length > 0) await hooks.persistEntries(ready.entries);
    if (ready.hardState) await hooks.persistHardState(ready.hardState, ready.mustSync);
    if (ready.messagesAfterPersist.length > 0) hooks.send(ready.messagesAfterPersist);
    if (applied !== undefined) await applied;
    if (ready.readStates.length > 0) hooks.reads(ready.readStates);
    this.#raft.advance();
  }
}

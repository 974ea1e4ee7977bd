/**
 * The simulated network: messages wait in flight until their delivery step; the fault model
 * drops, duplicates and delays them (random delays reorder), and blocked links model
 * symmetric and asymmetric partitions.
 *
 * @module
 */

import type { Message } from "../../lib/raft/messages.ts";
import type { Random } from "../../lib/raft/random.ts";

/** Fault probabilities and delays; all zero means a perfect, instant network. */
export interface NetworkFaults {
  drop: number;
  duplicate: number;
  delayMin: number;
  delayMax: number;
}

export const PERFECT: NetworkFaults = { drop: 0, duplicate: 0, delayMin: 1, delayMax: 2 };

/** Messages in flight between simulated nodes. */
export class SimNetwork {
  #inflight: { at: number; message: Message }[] = [];
  #blocked = new Set<string>();
  faults: NetworkFaults = PERFECT;
  readonly #random: Random;
  delivered = 0;
  log: ((line: string) => void) | undefined;

  constructor(random: Random) {
    this.#random = random;
  }

  /** Queues a message sent at step `now`, applying the fault model. */
  send(now: number, message: Message): void {
    const faults = this.faults;
    if (this.#blocked.has(`${message.from}>${message.to}`)) return;
    if (faults.drop > 0 && this.#random.chance(faults.drop)) return;
    const copies = faults.duplicate > 0 && this.#random.chance(faults.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.#random.range(faults.delayMin, faults.delayMax);
      this.#inflight.push({ at: now + delay, message });
    }
  }

  /** Removes and returns the messages due at or before `now`, in delivery order. */
  due(now: number): Message[] {
    const due: Message[] = [];
    const rest: { at: number; message: Message }[] = [];
    for (const item of this.#inflight) {
      if (item.at <= now) due.push(item.message);
      else rest.push(item);
    }
    this.#inflight = rest;
    return due;
  }

  /** Messages still in flight. */
  get size(): number {
    return this.#inflight.length;
  }

  /** Blocks `from → to` (one direction). */
  block(from: string, to: string): void {
    this.log?.(`block ${from}>${to}`);
    this.#blocked.add(`${from}>${to}`);
  }

  /** Cuts `group` off from everyone else, both directions. */
  isolate(group: readonly string[], everyone: readonly string[]): void {
    for (const a of group) {
      for (const b of everyone) {
        if (group.includes(b)) continue;
        this.block(a, b);
        this.block(b, a);
      }
    }
  }

  /** Removes every partition. */
  heal(): void {
    if (this.#blocked.size > 0) this.log?.("heal");
    this.#blocked.clear();
  }

  /** Drops everything in flight to or from `id`. */
  forget(id: string): void {
    this.#inflight = this.#inflight.filter((item) =>
      item.message.to !== id && item.message.from !== id
    );
  }
}

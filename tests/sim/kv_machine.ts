/**
 * The simulator's replicated state machine: a key-value map driven by `SET key value`
 * commands, with JSON snapshots. It also tracks the membership as applied, which the
 * application needs to label its snapshots.
 *
 * @module
 */

import { assert } from "../../lib/_assert.ts";
import { decodeMembership } from "../../lib/raft/membership.ts";
import {
  type Entry,
  ENTRY_MEMBERSHIP,
  ENTRY_NORMAL,
  type Membership,
} from "../../lib/raft/types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a `SET key value` command. */
export function encodeSet(key: string, value: string): Uint8Array {
  return encoder.encode(`${key}=${value}`);
}

/** A key-value state machine with an applied index. */
export class KvMachine {
  values = new Map<string, string>();
  applied = 0;
  membership: Membership;

  constructor(membership: Membership) {
    this.membership = membership;
  }

  /** Applies one committed entry; entries must come in index order. */
  apply(entry: Entry): void {
    assert(entry.index === this.applied + 1, `apply ${entry.index} after ${this.applied}`);
    this.applied = entry.index;
    if (entry.type === ENTRY_MEMBERSHIP) this.membership = decodeMembership(entry.data);
    if (entry.type !== ENTRY_NORMAL) return;
    const text = decoder.decode(entry.data);
    const at = text.indexOf("=");
    this.values.set(text.slice(0, at), text.slice(at + 1));
  }

  /** Serializes the state. */
  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify([...this.values]));
  }

  /** Replaces the state by a snapshot taken at `index`. */
  restore(index: number, membership: Membership, data: Uint8Array): void {
    this.values = new Map(data.length === 0 ? [] : JSON.parse(decoder.decode(data)));
    this.applied = index;
    this.membership = membership;
  }
}

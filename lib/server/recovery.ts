/**
 * What a node recovers on start: the latest snapshot restored into the machine, the membership
 * history found in the log after it, and whether this is a brand-new node.
 *
 * @module
 */

import { LogCorruptionError } from "../errors.ts";
import type { SnapshotReader as StoredSnapshotReader } from "../log/snapshot_store.ts";
import { decodeMembership } from "../raft/membership.ts";
import type { MembershipRecord, SnapshotMeta } from "../raft/types.ts";
import { concatBytes } from "./_bytes.ts";
import type { Logger } from "./logger.ts";
import type { Machine, SnapshotReader } from "./machine.ts";
import type { NodeStorage, SnapshotStorage } from "./node_storage.ts";
import type { SnapshotSource } from "./storage_view.ts";

/** The result of {@linkcode recoverState}. */
export interface Recovered {
  /** No snapshot, no log, no term: a node that has never run. */
  fresh: boolean;
  /** The index the machine reflects after restoring the snapshot (0 without one). */
  applied: number;
  /** The restored snapshot's metadata, if any. */
  snapshot: SnapshotMeta | undefined;
  /** Membership entries in the log after the snapshot, ascending. */
  memberships: MembershipRecord[];
  /** The snapshot, readable for sending to followers. */
  snapshotSource: SnapshotSource | undefined;
}

/** Bytes read per step when scanning the log for membership entries. */
const SCAN_BYTES = 4 * 1024 * 1024;

/**
 * Restores the latest snapshot into `machine` and scans the log for memberships.
 *
 * @example
 * ```ts ignore
 * const recovered = await recoverState(storage, machine, log);
 * ```
 */
export async function recoverState(
  storage: NodeStorage,
  machine: Machine,
  log: Logger,
): Promise<Recovered> {
  const meta = await restoreLatestIntact(storage, machine, log);
  let applied = 0;
  if (meta !== undefined) {
    applied = meta.index;
    // A snapshot installed from the leader may be newer than the log (a crash between
    // storing it and resetting the log): the log restarts after it.
    const raftLog = storage.log;
    if (raftLog.lastIndex() < meta.index || raftLog.term(meta.index) !== meta.term) {
      await raftLog.reset(meta.index, meta.term);
    }
    log.notice(`Restored snapshot at index ${meta.index} (term ${meta.term})`);
  }
  await adoptLogTerm(storage, log);
  const memberships = await scanMemberships(storage, (meta?.index ?? 0) + 1);
  const hard = storage.hardState();
  const fresh = meta === undefined && storage.log.lastIndex() === 0 && hard.term === 0;
  return {
    fresh,
    applied,
    snapshot: meta,
    memberships,
    snapshotSource: meta === undefined ? undefined : snapshotSource(storage.snapshots, meta),
  };
}

/**
 * Raises the stored term to the log's last term, with no vote, where it lags. A follower's first
 * entries of a new leader's term are written before the hard state naming that term, so a crash
 * between the two leaves the log ahead of the term (they are two files: no one write changes
 * both). Running on the older term would let this node campaign in a term whose leader it
 * already followed. No vote is forgotten: a vote is sent only once both writes are durable.
 */
async function adoptLogTerm(storage: NodeStorage, log: Logger): Promise<void> {
  const hard = storage.hardState();
  const lastTerm = storage.log.term(storage.log.lastIndex()) ?? 0;
  if (lastTerm <= hard.term) return;
  log.notice(`The log reaches term ${lastTerm}, the hard state only ${hard.term}: adopting it`);
  await storage.saveHardState({ term: lastTerm, vote: "", commit: hard.commit });
}

/**
 * Restores the newest snapshot that is intact. Damage shows at open (a bad header or trailer:
 * `snapshots.damaged()`) or while restoring (a bad data CRC). An older snapshot, or none at all
 * (index 0), stands in for a damaged newer one only where the log still holds every entry after
 * it, so replaying the log loses nothing; the damaged ones are then set aside (renamed, kept).
 * When nothing can stand in, the damage is thrown as a `LogCorruptionError` naming the file and
 * nothing is moved: refusing to start beats starting without what the snapshot held.
 */
async function restoreLatestIntact(
  storage: NodeStorage,
  machine: Machine,
  log: Logger,
): Promise<SnapshotMeta | undefined> {
  const snapshots = storage.snapshots;
  const damaged: { index: number; term: number; error: LogCorruptionError }[] = [];
  for (const found of snapshots.damaged()) {
    const error = new LogCorruptionError("Damaged snapshot header or trailer", found.path, 0);
    damaged.push({ index: found.index, term: found.term, error });
    log.warning(`Snapshot ${found.name} is damaged: bad header or trailer`);
  }
  // Set once a restore failed: the machine then holds part of a damaged state, which only
  // another snapshot's restore() replaces.
  let restoredDamage = false;
  const newestDamaged = () => Math.max(-1, ...damaged.map((d) => d.index));
  // Lets a state stand in for the damaged snapshots newer than it, if the log allows.
  const canStandIn = (index: number, term: number): boolean =>
    newestDamaged() < index || storage.log.term(index) === term;
  for (const meta of snapshots.list().reverse()) {
    if (!canStandIn(meta.index, meta.term)) break;
    const reader = await snapshots.openReader(meta);
    try {
      // restore() replaces the whole state: the next attempt overwrites what a failed one left.
      await machine.restore(machineReader(reader));
    } catch (thrown) {
      // The machine may trip over garbled bytes before the CRC at the end is checked.
      const error = thrown instanceof LogCorruptionError ? thrown : await snapshots.damage(meta);
      if (error === undefined) throw thrown;
      damaged.push({ index: meta.index, term: meta.term, error });
      restoredDamage = true;
      log.warning(
        `Snapshot at index ${meta.index} (term ${meta.term}) is damaged: ${error.message}`,
      );
      continue;
    } finally {
      await reader.close();
    }
    await setAside(storage, damaged, meta.index, log);
    return meta;
  }
  if (damaged.length === 0) return undefined;
  const newest = damaged.reduce((a, b) => (b.index > a.index ? b : a));
  if (!canStandIn(0, 0) || restoredDamage) {
    log.warning(
      restoredDamage && canStandIn(0, 0)
        ? "No intact snapshot, and the machine holds part of a damaged one: not starting"
        : "No older snapshot can stand in for the damaged one: the log no longer holds the " +
          "entries after any of them",
    );
    throw newest.error;
  }
  // The log still starts at index 1 and the machine is as new: replaying the log rebuilds it.
  await setAside(storage, damaged, 0, log);
  return undefined;
}

async function setAside(
  storage: NodeStorage,
  damaged: readonly { index: number; term: number }[],
  restored: number,
  log: Logger,
): Promise<void> {
  for (const bad of damaged) {
    const where = await storage.snapshots.setAside(bad.index, bad.term);
    log.warning(
      `Set the damaged snapshot at index ${bad.index} aside as ${where}; starting from ` +
        (restored === 0 ? "an empty state" : `the snapshot at index ${restored}`) +
        ", the log replays what lies after it",
    );
  }
}

async function scanMemberships(storage: NodeStorage, from: number): Promise<MembershipRecord[]> {
  const raftLog = storage.log;
  const records: MembershipRecord[] = [];
  let index = Math.max(from, raftLog.firstIndex());
  const end = raftLog.lastIndex() + 1;
  while (index < end) {
    const entries = await raftLog.entries(index, end, SCAN_BYTES);
    for (const entry of entries) {
      if (entry.type === 2) {
        records.push({ index: entry.index, membership: decodeMembership(entry.data) });
      }
    }
    index += entries.length;
  }
  return records;
}

/** Adapts the store's reader to the machine's (async iterable, `readAll`). */
export function machineReader(reader: StoredSnapshotReader): SnapshotReader {
  const iterate = async function* (): AsyncGenerator<Uint8Array> {
    for (let chunk = await reader.read(); chunk !== undefined; chunk = await reader.read()) {
      yield chunk;
    }
  };
  return {
    [Symbol.asyncIterator]: iterate,
    readAll: async () => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of iterate()) chunks.push(chunk);
      return concatBytes(chunks);
    },
  };
}

/**
 * A {@linkcode SnapshotSource} over a stored snapshot: reads are sequential per follower, so
 * one open reader serves them, reopened when a transfer starts over.
 */
export function snapshotSource(snapshots: SnapshotStorage, meta: SnapshotMeta): SnapshotSource {
  let reader: StoredSnapshotReader | undefined;
  let position = 0;
  let pending: Uint8Array = new Uint8Array(0);
  let size = 0;
  return {
    meta,
    get size() {
      return size;
    },
    read: async (offset: number, maxBytes: number) => {
      if (reader === undefined || offset < position) {
        await reader?.close();
        reader = await snapshots.openReader(meta);
        size = reader.size;
        position = 0;
        pending = new Uint8Array(0);
      }
      // Skip forward to `offset`, then gather up to maxBytes.
      const out: Uint8Array[] = [];
      let gathered = 0;
      while (gathered < maxBytes) {
        if (pending.length === 0) {
          const chunk = await reader.read();
          if (chunk === undefined) break;
          pending = chunk;
        }
        if (position < offset) {
          const skip = Math.min(offset - position, pending.length);
          pending = pending.subarray(skip);
          position += skip;
          continue;
        }
        const take = Math.min(maxBytes - gathered, pending.length);
        out.push(pending.subarray(0, take));
        pending = pending.subarray(take);
        gathered += take;
        position += take;
      }
      const data = new Uint8Array(gathered);
      let at = 0;
      for (const part of out) {
        data.set(part, at);
        at += part.length;
      }
      return data;
    },
  };
}

/**
 * Configuration of a {@linkcode RaftNode}, with defaults and validation.
 *
 * @module
 */

import { assert } from "../_assert.ts";
import type { Random } from "./random.ts";
import type { Storage } from "./storage.ts";

/**
 * Options for a Raft node. Time is counted in ticks: the application calls `tick()` at a fixed
 * rate (e.g. every 100 ms).
 *
 * @example
 * ```ts ignore
 * const config: RaftConfig = { id: "a", storage, random: new Random(1) };
 * ```
 */
export interface RaftConfig {
  /** This node's id (the server uses its advertised "host:port"). */
  id: string;
  /** The persisted log. */
  storage: Storage;
  /** Source of election jitter. */
  random: Random;
  /** Voters of a brand-new cluster, used only when storage holds no membership yet. */
  voters?: string[];
  /** Minimum election timeout; the actual one is drawn from [electionTicks, 2 × electionTicks). */
  electionTicks?: number;
  /** Ticks between leader heartbeats (must be well below electionTicks). */
  heartbeatTicks?: number;
  /** Pre-vote (§9.6 of the thesis): do not disrupt a cluster from a partition. Default true. */
  preVote?: boolean;
  /** Leader steps down without quorum contact for an election timeout. Default true. */
  checkQuorum?: boolean;
  /** "safe" answers reads after a heartbeat round; "lease" answers from the leader's lease. */
  readOnly?: "safe" | "lease";
  /** Lease = electionTicks − leaseDriftTicks, margin for clock-rate drift. Default ≥ 1. */
  leaseDriftTicks?: number;
  /** Index the application's state machine already reflects (default: the snapshot's). */
  applied?: number;
  /** Bytes of entries per append message. */
  maxMessageBytes?: number;
  /** Appends in flight per follower. */
  maxInflightMessages?: number;
  /** Bytes in flight per follower. */
  maxInflightBytes?: number;
  /** Bytes of proposed but uncommitted entries a leader accepts before refusing proposals. */
  maxUncommittedBytes?: number;
  /** Bytes of committed entries handed out per Ready. */
  maxApplyBytes?: number;
  /** Bytes per snapshot chunk. */
  maxSnapshotChunkBytes?: number;
  /** ReadIndex requests that may wait at once. */
  maxPendingReads?: number;
}

/** A config with every default filled in. */
export type ResolvedConfig = Required<Omit<RaftConfig, "voters" | "applied">> & {
  voters: string[];
  applied: number | undefined;
};

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer: ${value}`);
  }
  return value;
}

/**
 * Fills in defaults and checks ranges; throws `RangeError` on nonsense.
 *
 * @example
 * ```ts ignore
 * const resolved = resolveConfig({ id: "a", storage, random });
 * resolved.electionTicks; // 10
 * ```
 */
export function resolveConfig(config: RaftConfig): ResolvedConfig {
  if (config.id === "") throw new RangeError("Node id must not be empty");
  const electionTicks = positive("electionTicks", config.electionTicks ?? 10);
  const heartbeatTicks = positive("heartbeatTicks", config.heartbeatTicks ?? 1);
  if (heartbeatTicks >= electionTicks) {
    throw new RangeError("heartbeatTicks must be below electionTicks");
  }
  const drift = config.leaseDriftTicks ?? Math.max(1, Math.floor(electionTicks / 5));
  if (!Number.isInteger(drift) || drift < 1 || drift >= electionTicks) {
    throw new RangeError(`leaseDriftTicks must be in [1, electionTicks): ${drift}`);
  }
  const checkQuorum = config.checkQuorum ?? true;
  const readOnly = config.readOnly ?? "safe";
  if (readOnly === "lease" && !checkQuorum) {
    throw new RangeError("Lease reads need checkQuorum");
  }
  const resolved: ResolvedConfig = {
    id: config.id,
    storage: config.storage,
    random: config.random,
    voters: config.voters ?? [],
    electionTicks,
    heartbeatTicks,
    preVote: config.preVote ?? true,
    checkQuorum,
    readOnly,
    leaseDriftTicks: drift,
    applied: config.applied,
    maxMessageBytes: positive("maxMessageBytes", config.maxMessageBytes ?? 1 << 20),
    maxInflightMessages: positive("maxInflightMessages", config.maxInflightMessages ?? 256),
    maxInflightBytes: positive("maxInflightBytes", config.maxInflightBytes ?? 32 << 20),
    maxUncommittedBytes: positive("maxUncommittedBytes", config.maxUncommittedBytes ?? 64 << 20),
    maxApplyBytes: positive("maxApplyBytes", config.maxApplyBytes ?? 16 << 20),
    maxSnapshotChunkBytes: positive(
      "maxSnapshotChunkBytes",
      config.maxSnapshotChunkBytes ?? 1 << 20,
    ),
    maxPendingReads: positive("maxPendingReads", config.maxPendingReads ?? 4096),
  };
  assert(resolved.electionTicks > resolved.heartbeatTicks, "election slower than heartbeat");
  return resolved;
}

/**
 * One seeded simulation run: the seed picks the cluster size, the fault rates, the partitions,
 * crashes, membership changes, leadership transfers, snapshots and the client workload. A
 * safety phase under faults is followed by a healed phase that must converge within a tick
 * budget. Any checker failure or missed liveness target fails the run with its seed.
 *
 * @module
 */

import { Random } from "../../lib/raft/random.ts";
import type { MembershipChange } from "../../lib/raft/membership.ts";
import { SimCluster } from "./cluster.ts";
import { check } from "./checker.ts";

/** What a run did, for the summary line. */
export interface RunStats {
  seed: number;
  nodes: number;
  steps: number;
  acked: number;
  reads: number;
  leaders: number;
  membershipChanges: number;
  transfers: number;
  crashes: number;
  messages: number;
  snapshots: number;
}

/** Steps in the faulty phase and the healed phase's budget. */
export interface RunOptions {
  /** Receives a trace of events. */
  log?: (line: string) => void;
  safetySteps?: number;
  healBudget?: number;
}

const KEYS = ["a", "b", "c", "d"];

/** Runs the simulation for `seed`; throws (with the seed in the message) on any failure. */
export function runSeed(seed: number, options: RunOptions = {}): RunStats {
  try {
    return runUnchecked(seed, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`seed ${seed} failed: ${message}`, { cause: error });
  }
}

function runUnchecked(seed: number, options: RunOptions): RunStats {
  const plan = new Random(seed);
  const voterCount = plan.chance(0.5) ? 3 : 5;
  const all = ["n0", "n1", "n2", "n3", "n4", "n5"];
  const voters = all.slice(0, voterCount);
  const spares = all.slice(voterCount, voterCount + (plan.chance(0.5) ? 1 : 0) + 1);
  const checkQuorum = plan.chance(0.75);
  const preVote = plan.chance(0.8);
  const lease = checkQuorum && plan.chance(0.4);
  const cluster = new SimCluster({
    seed,
    voters,
    spares,
    node: {
      electionTicks: 10,
      heartbeatTicks: plan.chance(0.5) ? 1 : 2,
      checkQuorum,
      preVote,
      readOnly: lease ? "lease" : "safe",
      maxMessageBytes: plan.pick([64, 512, 4096]),
      maxInflightMessages: plan.pick([1, 4, 64]),
      maxSnapshotChunkBytes: plan.pick([16, 128, 4096]),
    },
  });
  const faults = {
    drop: plan.pick([0, 0.02, 0.1, 0.25]),
    duplicate: plan.pick([0, 0.02, 0.1]),
    delayMin: 1,
    delayMax: plan.pick([2, 3, 6]),
  };
  cluster.network.faults = faults;
  if (options.log !== undefined) {
    const log = options.log;
    cluster.log = log;
    cluster.network.log = (line) => log(`${cluster.now} ${line}`);
    log(`plan ${JSON.stringify({ voters, spares, lease, checkQuorum, preVote, faults })}`);
  }
  cluster.slowDisk = plan.pick([0, 0.1, 0.3]);
  cluster.snapshotRate = plan.pick([0, 0.01, 0.05]);
  cluster.cacheMissRate = plan.pick([0, 0, 0.05]);
  // Lease reads are only as good as the clocks: no tick skipping when they are on.
  const tickProbability = lease ? 1 : plan.pick([1, 1, 0.97]);
  const rates = {
    write: plan.pick([0.2, 0.5, 1]),
    read: plan.pick([0.1, 0.3, 0.6]),
    crash: plan.pick([0, 0.002, 0.01]),
    restart: 0.05,
    partition: plan.pick([0, 0.005, 0.02]),
    heal: 0.03,
    membership: plan.pick([0, 0.01, 0.03]),
    transfer: plan.pick([0, 0.005, 0.02]),
  };
  const stats: RunStats = {
    seed,
    nodes: cluster.ids.length,
    steps: 0,
    acked: 0,
    reads: 0,
    leaders: 0,
    membershipChanges: 0,
    transfers: 0,
    crashes: 0,
    messages: 0,
    snapshots: 0,
  };
  const safetySteps = options.safetySteps ?? 500;
  let counter = 0;
  const random = cluster.random;

  // ---- safety phase: faults on
  for (let i = 0; i < safetySteps; i++) {
    if (random.chance(rates.crash)) {
      const victim = random.pick(cluster.ids);
      if (cluster.node(victim).alive) {
        cluster.crash(victim);
        stats.crashes++;
      }
    }
    for (const id of cluster.ids) {
      if (!cluster.node(id).alive && random.chance(rates.restart)) cluster.restart(id);
    }
    if (random.chance(rates.partition)) partition(cluster, random);
    if (random.chance(rates.heal)) cluster.network.heal();
    workload(cluster, random, rates, () => counter++);
    const leader = cluster.leader();
    if (leader !== undefined && random.chance(rates.membership)) {
      if (changeMembership(cluster, random, leader.id)) stats.membershipChanges++;
    }
    if (leader !== undefined && random.chance(rates.transfer)) {
      const target = random.pick(leader.raft.membership().voters);
      if (leader.raft.transferLeadership(target).ok) stats.transfers++;
    }
    cluster.step(tickProbability);
  }

  // ---- healed phase: everything up, no faults; must converge within the budget
  cluster.network.heal();
  cluster.network.faults = { drop: 0, duplicate: 0, delayMin: 1, delayMax: 2 };
  cluster.slowDisk = 0;
  cluster.cacheMissRate = 0;
  for (const id of cluster.ids) cluster.restart(id);
  // Without pre-vote, a node with a stale membership view that cannot win keeps bumping the
  // term and can out-pace the one node that could win (seeds 5272, 51659): convergence then
  // rests on timeout luck alone, which is exactly what pre-vote (the default) removes.
  const budget = options.healBudget ?? (preVote ? 400 : 6000);
  let proposed: { id: string; value: string } | undefined;
  let converged = false;
  for (let i = 0; i < budget && !converged; i++) {
    cluster.step();
    const leader = cluster.leader();
    if (leader === undefined) continue;
    if (proposed === undefined) {
      const value = `final-${counter++}`;
      if (cluster.write(leader.id, "final", value)) proposed = { id: leader.id, value };
      continue;
    }
    converged = isConverged(cluster, proposed.value);
    if (!converged && cluster.node(proposed.id).raft.softState().role !== "leader") {
      proposed = undefined; // leadership moved before the write committed: write again
    }
  }
  check(converged, () => `no convergence within ${budget} healed steps\n${describe(cluster)}`);
  cluster.checkLogs();
  stats.steps = cluster.now;
  stats.acked = cluster.acked;
  stats.reads = cluster.readsServed;
  stats.messages = cluster.network.delivered;
  stats.snapshots = cluster.snapshotsInstalled;
  stats.leaders = cluster.leadersSeen;
  return stats;
}

/** Every member applied up to the leader's commit, which includes the final write. */
function isConverged(cluster: SimCluster, value: string): boolean {
  const leader = cluster.leader();
  if (leader === undefined) return false;
  const commit = leader.raft.hardState().commit;
  if (leader.machine.values.get("final") !== value) return false;
  const membership = leader.raft.membership();
  for (const id of [...membership.voters, ...membership.learners]) {
    const node = cluster.node(id);
    if (node.machine.applied < commit || node.raft.softState().leader !== leader.id) return false;
  }
  return cluster.history.ackedIndex <= commit;
}

function workload(
  cluster: SimCluster,
  random: Random,
  rates: { write: number; read: number },
  next: () => number,
): void {
  if (random.chance(rates.write)) {
    // Clients mostly find the leader; sometimes they ask a follower (refused).
    const leader = cluster.leader();
    const id = leader !== undefined && random.chance(0.8) ? leader.id : random.pick(cluster.ids);
    cluster.write(id, random.pick(KEYS), `v${next()}`);
  }
  if (random.chance(rates.read)) {
    // Half the reads go to a node that believes it leads (a deposed leader must not answer).
    const leaders = cluster.leaders();
    const id = leaders.length > 0 && random.chance(0.5)
      ? random.pick(leaders).id
      : random.pick(cluster.ids);
    cluster.read(id, random.pick(KEYS));
  }
}

function partition(cluster: SimCluster, random: Random): void {
  const ids = cluster.ids;
  const leader = cluster.leader();
  if (leader !== undefined && random.chance(0.4)) {
    // Cut the leader off, alone or with one follower, so that a new leader rises elsewhere.
    const group = random.chance(0.5) ? [leader.id] : [leader.id, random.pick(ids)];
    cluster.network.isolate(group, ids);
  } else if (random.chance(0.5)) {
    const size = random.range(1, Math.max(2, Math.floor(ids.length / 2) + 1));
    const shuffled = random.shuffle(ids);
    cluster.network.isolate(shuffled.slice(0, size), ids);
  } else {
    // Asymmetric: one direction of one link.
    const from = random.pick(ids);
    const to = random.pick(ids.filter((id) => id !== from));
    cluster.network.block(from, to);
  }
}

function changeMembership(cluster: SimCluster, random: Random, leaderId: string): boolean {
  const raft = cluster.node(leaderId).raft;
  const membership = raft.membership();
  const members = [...membership.voters, ...membership.learners];
  const outsiders = cluster.ids.filter((id) => !members.includes(id));
  const options: MembershipChange[] = [];
  for (const id of outsiders) options.push({ kind: "addLearner", id });
  for (const id of membership.learners) {
    options.push({ kind: "addVoter", id }, { kind: "remove", id });
  }
  if (membership.voters.length > 1) {
    for (const id of membership.voters) {
      options.push({ kind: "remove", id }, { kind: "addLearner", id });
    }
  }
  if (membership.voters.length < 3) {
    for (const id of outsiders) options.push({ kind: "addVoter", id });
  }
  if (options.length === 0) return false;
  const change = random.pick(options);
  const result = raft.proposeMembership(change);
  if (result.ok) {
    cluster.log?.(
      `${cluster.now} ${leaderId} propose ${change.kind} ${change.id} at ${result.index}`,
    );
  }
  return result.ok;
}

/** A one-line-per-node picture of the cluster, for failure reports. */
export function describe(cluster: SimCluster): string {
  const lines: string[] = [];
  for (const node of cluster.nodes.values()) {
    const soft = node.raft.softState();
    const hard = node.raft.hardState();
    const membership = node.raft.membership();
    lines.push(
      `  ${node.id} ${node.alive ? "up" : "down"} ${soft.role} term=${soft.term} ` +
        `leader=${soft.leader} vote=${hard.vote} commit=${hard.commit} ` +
        `applied=${node.machine.applied} log=${node.raft.firstIndex()}..${node.raft.lastIndex()} ` +
        `voters=${membership.voters.join(",")} learners=${membership.learners.join(",")} ` +
        `match=${cluster.ids.map((id) => node.raft.matchIndex(id) ?? "-").join(",")}`,
    );
  }
  return lines.join("\n");
}

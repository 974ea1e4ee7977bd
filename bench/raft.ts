/**
 * Raft core throughput: entries committed per second through a 3-node cluster in one process
 * (no I/O, no network: messages are handed from node to node synchronously; storage is
 * MemoryStorage). 100-byte entries. Run: `deno run -A bench/raft.ts` (or bun / node).
 *
 * Modes:
 * - batched: `proposeBatch()` of 1,000 commands per round (one append per follower);
 * - pipelined: 1,000 single `propose()` calls per round (one append each, window-bounded);
 * - unbatched: one `propose()` per round, each waiting for its commit.
 *
 * @module
 */

import { MemoryStorage } from "../lib/raft/memory_storage.ts";
import type { Message } from "../lib/raft/messages.ts";
import { RaftNode } from "../lib/raft/node.ts";
import { Random } from "../lib/raft/random.ts";

interface Member {
  raft: RaftNode;
  storage: MemoryStorage;
  applied: number;
}

const IDS = ["a", "b", "c"];

function makeCluster(): Map<string, Member> {
  const members = new Map<string, Member>();
  for (const [i, id] of IDS.entries()) {
    const storage = new MemoryStorage({ voters: IDS, learners: [] });
    const raft = new RaftNode({ id, storage, random: new Random(i + 1), electionTicks: 10 });
    members.set(id, { raft, storage, applied: 0 });
  }
  return members;
}

/** Runs every node's Ready loop and delivers messages until the cluster is quiet. */
function pump(members: Map<string, Member>): void {
  let queue: Message[] = [];
  for (;;) {
    for (const member of members.values()) {
      while (member.raft.hasReady()) {
        const ready = member.raft.ready();
        for (const m of ready.messages) queue.push(m);
        member.storage.append(ready.entries);
        if (ready.hardState !== undefined) member.storage.setHardState(ready.hardState);
        for (const m of ready.messagesAfterPersist) queue.push(m);
        const last = ready.committedEntries[ready.committedEntries.length - 1];
        if (last !== undefined) member.applied = last.index;
        member.raft.advance();
      }
    }
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    for (const m of batch) members.get(m.to)?.raft.step(m);
  }
}

function elect(members: Map<string, Member>): Member {
  for (let i = 0; i < 100; i++) {
    for (const member of members.values()) member.raft.tick();
    pump(members);
    const leader = [...members.values()].find((m) => m.raft.softState().role === "leader");
    if (leader !== undefined && leader.applied >= 1) return leader;
  }
  throw new Error("no leader");
}

function compact(members: Map<string, Member>): void {
  for (const member of members.values()) {
    if (member.applied - member.storage.firstIndex() > 200_000) {
      member.storage.createSnapshot(
        member.applied,
        { voters: IDS, learners: [] },
        new Uint8Array(),
      );
    }
  }
}

type Mode = "batched" | "pipelined" | "unbatched";

function run(mode: Mode, total: number): { seconds: number; perSecond: number } {
  const members = makeCluster();
  const leader = elect(members);
  const payload = new Uint8Array(100).fill(120);
  const round = mode === "unbatched" ? 1 : 1000;
  const batch = Array.from({ length: round }, () => payload);
  const start = leader.applied;
  const started = performance.now();
  let proposed = 0;
  while (proposed < total) {
    if (mode === "batched") {
      const result = leader.raft.proposeBatch(batch);
      if (!result.ok) throw new Error(`refused: ${result.reason}`);
    } else {
      for (let i = 0; i < round; i++) {
        const result = leader.raft.propose(payload);
        if (!result.ok) throw new Error(`refused: ${result.reason}`);
      }
    }
    proposed += round;
    pump(members);
    if (proposed % 100_000 === 0) compact(members);
  }
  const seconds = (performance.now() - started) / 1000;
  const committed = Math.min(...[...members.values()].map((m) => m.applied)) - start;
  if (committed < total) throw new Error(`only ${committed} of ${total} committed everywhere`);
  return { seconds, perSecond: committed / seconds };
}

const rows: string[][] = [["mode", "entries", "seconds", "entries/s"]];
for (
  const [mode, total] of [["batched", 1_000_000], ["pipelined", 300_000], [
    "unbatched",
    50_000,
  ]] as const
) {
  run(mode, Math.min(total, 20_000)); // warm-up
  const { seconds, perSecond } = run(mode, total);
  rows.push([
    mode,
    String(total),
    seconds.toFixed(2),
    Math.round(perSecond).toLocaleString("en-US"),
  ]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
for (const row of rows) console.log(row.map((cell, i) => cell.padStart(widths[i]!)).join("  "));

/**
 * `CLUSTER SLOTS|NODES|INFO|MYID` emulation: the whole cluster presents itself as one Redis
 * Cluster shard whose master is the Raft leader, holding all 16,384 slots. With
 * `redirect: "moved"`, followers answer `-MOVED 0 leader`, so `redis-cli -c` and cluster
 * clients such as ioredis's follow the leader by themselves.
 *
 * @module
 */

import type { Conn } from "../../resp/conn.ts";
import { parseAddress } from "../address.ts";
import type { CommandSpec } from "../command_table.ts";
import type { RaftServer } from "../node.ts";
import { argText } from "./_context.ts";

/** A stable 40-hex-digit node id derived from an address, as Redis Cluster ids look. */
export function clusterNodeId(address: string): string {
  // FNV-1a over the address with five different offsets: stable, and distinct in practice.
  let out = "";
  for (let round = 0; round < 5; round++) {
    let hash = (0x811c9dc5 ^ round * 0x9e3779b9) >>> 0;
    for (let i = 0; i < address.length; i++) {
      hash ^= address.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    out += hash.toString(16).padStart(8, "0");
  }
  return out;
}

function members(server: RaftServer): string[] {
  const membership = server.membership();
  return [...new Set([...membership.voters, ...membership.learners, server.id])].sort();
}

/** `CLUSTER ...` for `server`. */
export function clusterCommand(server: RaftServer): CommandSpec {
  return {
    name: "cluster",
    arity: -2,
    flags: ["stale"],
    subcommands: [
      { name: "cluster|slots", arity: 2 },
      { name: "cluster|shards", arity: 2 },
      { name: "cluster|nodes", arity: 2 },
      { name: "cluster|info", arity: 2 },
      { name: "cluster|myid", arity: 2 },
    ],
    handler: (conn, args) => {
      const sub = argText(args[1]).toLowerCase();
      switch (sub) {
        case "slots":
          return writeSlots(server, conn);
        case "nodes":
          return conn.writeBulk(nodesText(server));
        case "info":
          return conn.writeBulk(infoText(server));
        case "myid":
          return conn.writeBulk(clusterNodeId(server.id));
        default:
          throw new Error(`unknown subcommand '${argText(args[1])}'. Try CLUSTER HELP.`);
      }
    },
  };
}

function writeSlots(server: RaftServer, conn: Conn): void {
  const leader = server.leader();
  if (leader === undefined) {
    conn.writeArray(0);
    return;
  }
  const replicas = members(server).filter((id) => id !== leader);
  conn.writeArray(1);
  conn.writeArray(3 + replicas.length);
  conn.writeInt(0);
  conn.writeInt(16383);
  for (const id of [leader, ...replicas]) {
    const { hostname, port } = parseAddress(id);
    conn.writeArray(3);
    conn.writeBulk(hostname);
    conn.writeInt(port);
    conn.writeBulk(clusterNodeId(id));
  }
}

function nodesText(server: RaftServer): string {
  const leader = server.leader();
  const lines = members(server).map((id) => {
    const { port } = parseAddress(id);
    const self = id === server.id ? "myself," : "";
    const role = id === leader ? "master" : "slave";
    const master = id === leader || leader === undefined ? "-" : clusterNodeId(leader);
    const slots = id === leader ? " 0-16383" : "";
    return `${clusterNodeId(id)} ${id}@${port} ${self}${role} ${master} 0 0 1 connected${slots}`;
  });
  return lines.join("\n") + "\n";
}

function infoText(server: RaftServer): string {
  const ok = server.leader() !== undefined;
  const fields: [string, string | number][] = [
    ["cluster_enabled", 1],
    ["cluster_state", ok ? "ok" : "fail"],
    ["cluster_slots_assigned", ok ? 16384 : 0],
    ["cluster_slots_ok", ok ? 16384 : 0],
    ["cluster_slots_pfail", 0],
    ["cluster_slots_fail", 0],
    ["cluster_known_nodes", members(server).length],
    ["cluster_size", ok ? 1 : 0],
    ["cluster_current_epoch", Number(server.stats().term)],
    ["cluster_my_epoch", Number(server.stats().term)],
  ];
  return fields.map(([key, value]) => `${key}:${value}`).join("\r\n") + "\r\n";
}

/**
 * Cluster management commands: Finn's (`RAFTADDPEER`, `RAFTREMOVEPEER`, `RAFTLEADER`,
 * `RAFTSNAPSHOT`, `RAFTSHRINKLOG`, `RAFTSTATE`, `RAFTSTATS`, `RAFTPEERS`) with Finn's reply
 * shapes, and Uhaha's `RAFT <subcommand>` family on top.
 *
 * @module
 */

import type { Conn } from "../../resp/conn.ts";
import { RespErrorReply } from "../../resp/reply_decoder.ts";
import { formatAddress, parseAddress, parsePeerAddress } from "../address.ts";
import type { CommandSpec } from "../command_table.ts";
import { isMember } from "../../raft/membership.ts";
import { globMatch } from "../glob.ts";
import type { RaftServer } from "../node.ts";
import { request } from "../request.ts";
import { argText, writePairs } from "./_context.ts";
import { VerbatimReplyError } from "../reply_error.ts";

const textEncoder = new TextEncoder();

/** A peer address argument, normalised to `host:port`; a TypeError names a bad one. */
function peerAddress(arg: Uint8Array | undefined): string {
  return formatAddress(parseAddress(argText(arg)));
}

/** A peer to add: refused if nobody could dial it (port 0, a wildcard host). */
function newPeerAddress(arg: Uint8Array | undefined): string {
  return formatAddress(parsePeerAddress(argText(arg)));
}

/** Only the leader changes membership or snapshots for the cluster: others redirect. */
function requireLeader(server: RaftServer): void {
  if (server.soft.role !== "leader") throw server.notLeader();
}

/** Finn's commands. */
export function finnCommands(server: RaftServer): CommandSpec[] {
  return [
    {
      name: "raftaddpeer",
      arity: 2,
      flags: ["admin"],
      handler: async (conn, args) => {
        requireLeader(server);
        await server.addPeer(newPeerAddress(args[1]), true);
        conn.writeString("OK");
      },
    },
    {
      name: "raftremovepeer",
      arity: 2,
      flags: ["admin"],
      handler: async (conn, args) => {
        requireLeader(server);
        await server.removePeer(peerAddress(args[1]));
        conn.writeString("OK");
      },
    },
    {
      name: "raftleader",
      arity: 1,
      flags: ["fast"],
      handler: (conn) => writeLeader(conn, server),
    },
    {
      name: "raftsnapshot",
      arity: 1,
      flags: ["admin"],
      handler: async (conn) => {
        await server.snapshot();
        conn.writeString("OK");
      },
    },
    {
      name: "raftshrinklog",
      arity: 1,
      flags: ["admin"],
      handler: async (conn) => {
        await server.shrinkLog();
        conn.writeString("OK");
      },
    },
    {
      name: "raftstate",
      arity: 1,
      flags: ["fast"],
      handler: (conn) => conn.writeBulk(server.state()),
    },
    {
      name: "raftstats",
      arity: 1,
      flags: ["fast"],
      handler: (conn) => {
        const stats = Object.entries(server.stats()).sort(([a], [b]) => (a < b ? -1 : 1));
        conn.writeArray(stats.length * 2);
        for (const [key, value] of stats) {
          conn.writeBulk(key);
          conn.writeBulk(value);
        }
      },
    },
    {
      name: "raftpeers",
      arity: 1,
      handler: async (conn) => {
        const states = await pollPeers(server);
        conn.writeArray(states.length * 2);
        for (const [peer, state] of states) {
          conn.writeBulk(peer);
          conn.writeBulk(state);
        }
      },
    },
  ];
}

function writeLeader(conn: Conn, server: RaftServer): void {
  const leader = server.leader();
  if (leader === undefined) conn.writeNull();
  else conn.writeBulk(leader);
}

/**
 * Every member's state as it answers `RAFTSTATE` itself (Finn's semantics), within a second:
 * `Timeout` when it does not answer, `Invalid` when the answer is not a state.
 */
async function pollPeers(server: RaftServer): Promise<[string, string][]> {
  const membership = server.membership();
  const members = [...new Set([...membership.voters, ...membership.learners, server.id])].sort();
  return await Promise.all(members.map(async (peer): Promise<[string, string]> => {
    if (peer === server.id) return [peer, server.state()];
    try {
      const commands: string[][] = [];
      if (server.settings.auth !== undefined) commands.push(["AUTH", server.settings.auth]);
      commands.push(["RAFTSTATE"]);
      const replies = await request(server.runtime, peer, commands, 1000);
      const reply = replies[replies.length - 1];
      if (reply instanceof Uint8Array) return [peer, new TextDecoder().decode(reply)];
      return [peer, reply instanceof RespErrorReply ? "Invalid" : "Invalid"];
    } catch {
      return [peer, "Timeout"];
    }
  }));
}

const RAFT_HELP = [
  "RAFT LEADER -- the leader's address",
  "RAFT INFO [pattern] -- this node's Raft state, optionally filtered by a glob",
  "RAFT SERVER LIST -- the members",
  "RAFT SERVER ADD address [NONVOTER] -- add a member (a voter once caught up)",
  "RAFT SERVER REMOVE address -- remove a member",
  "RAFT SERVER PROMOTE address -- make a learner a voter",
  "RAFT SERVER DEMOTE address -- make a voter a learner",
  "RAFT SNAPSHOT NOW -- take a snapshot now",
  "RAFT SNAPSHOT LIST -- the snapshots stored on this node",
  "RAFT TRANSFER address -- hand leadership to a voter",
  "RAFT HELP -- this text",
];

/** Uhaha's `RAFT` command with its subcommands. */
export function raftCommand(server: RaftServer): CommandSpec {
  const sub = (name: string, arity: number) => ({ name: `raft|${name}`, arity });
  return {
    name: "raft",
    arity: -2,
    flags: ["admin"],
    subcommands: [
      sub("leader", 2),
      sub("info", -2),
      sub("server", -3),
      sub("snapshot", 3),
      sub("transfer", 3),
      sub("help", 2),
    ],
    handler: (conn, args) => raftSubcommand(server, conn, args),
  };
}

async function raftSubcommand(server: RaftServer, conn: Conn, args: Uint8Array[]): Promise<void> {
  const name = argText(args[1]).toLowerCase();
  const arity = (count: number, exact = true) => {
    if (exact ? args.length !== count : args.length < count) {
      throw new Error(`wrong number of arguments for 'raft|${name}' command`);
    }
  };
  switch (name) {
    case "leader":
      arity(2);
      return writeLeader(conn, server);
    case "info":
      arity(2, false);
      return writeInfo(server, conn, args[2]);
    case "server":
      arity(3, false);
      return await serverSubcommand(server, conn, args);
    case "snapshot": {
      arity(3);
      const what = argText(args[2]).toLowerCase();
      if (what === "now") {
        const meta = await server.snapshot();
        writePairs(conn, [["index", String(meta.index)], ["term", String(meta.term)]]);
        return;
      }
      if (what === "list") {
        const snapshots = server.snapshots();
        conn.writeArray(snapshots.length);
        for (const meta of snapshots) {
          writePairs(conn, [["index", String(meta.index)], ["term", String(meta.term)]]);
        }
        return;
      }
      throw new Error(`unknown subcommand 'snapshot ${what}'; try RAFT HELP`);
    }
    case "transfer":
      arity(3);
      server.transferLeadership(peerAddress(args[2]));
      conn.writeString("OK");
      return;
    case "help":
      arity(2);
      conn.writeArray(RAFT_HELP.length);
      for (const line of RAFT_HELP) conn.writeString(line);
      return;
    default:
      throw new Error(`unknown subcommand '${argText(args[1])}'; try RAFT HELP`);
  }
}

async function serverSubcommand(server: RaftServer, conn: Conn, args: Uint8Array[]): Promise<void> {
  const action = argText(args[2]).toLowerCase();
  if (action === "list") {
    const membership = server.membership();
    const leader = server.leader();
    const members = [
      ...membership.voters.map((id) => [id, true] as const),
      ...membership.learners.map((id) => [id, false] as const),
    ].sort(([a], [b]) => (a < b ? -1 : 1));
    conn.writeArray(members.length);
    for (const [id, voter] of members) {
      writePairs(conn, [
        ["id", id],
        ["address", id],
        ["leader", String(id === leader)],
        ["voter", String(voter)],
      ]);
    }
    return;
  }
  if (args.length < 4) throw new Error(`wrong number of arguments for 'raft|server' command`);
  const id = peerAddress(args[3]);
  requireLeader(server);
  switch (action) {
    case "add": {
      const option = argText(args[4]).toLowerCase();
      if (args.length > 5 || (args.length === 5 && option !== "nonvoter")) {
        throw new Error("syntax error: RAFT SERVER ADD address [NONVOTER]");
      }
      await server.addPeer(newPeerAddress(args[3]), option !== "nonvoter");
      break;
    }
    case "remove":
      await server.removePeer(id);
      break;
    case "promote":
      await server.changeMembership({ kind: "addVoter", id });
      break;
    case "demote": {
      // addLearner would add an unknown server as a new learner: DEMOTE only demotes.
      if (!isMember(server.membership(), id)) {
        throw new VerbatimReplyError("peer is unknown");
      }
      await server.changeMembership({ kind: "addLearner", id });
      break;
    }
    default:
      throw new Error(`unknown subcommand 'server ${action}'; try RAFT HELP`);
  }
  conn.writeString("OK");
}

/** `RAFT INFO [pattern]`: this node's Raft facts as key/value pairs. */
function writeInfo(server: RaftServer, conn: Conn, pattern: Uint8Array | undefined): void {
  const membership = server.membership();
  const stats = server.stats();
  const facts: [string, string][] = [
    ["id", server.id],
    ["address", server.id],
    ["state", server.state()],
    ["leader", server.leader() ?? ""],
    ["term", stats.term!],
    ["commit_index", stats.commit_index!],
    ["applied_index", stats.applied_index!],
    ["last_log_index", stats.last_log_index!],
    ["last_snapshot_index", stats.last_snapshot_index!],
    ["num_voters", String(membership.voters.length)],
    ["num_learners", String(membership.learners.length)],
    ["voter", String(membership.voters.includes(server.id))],
    ["consistency", server.settings.consistency],
    ["durability", server.settings.durability],
  ];
  const wanted = pattern === undefined
    ? facts
    : facts.filter(([key]) => globMatch(pattern, textEncoder.encode(key), { ignoreCase: true }));
  writePairs(conn, wanted);
}

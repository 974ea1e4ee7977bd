/**
 * Node-level commands from Uhaha's surface: `MACHINE`, `VERSION`, `BARRIER`, `AUTH` and
 * `INFO` with a `# Raft` section.
 *
 * @module
 */

import { VERSION } from "../builtins.ts";
import type { CommandSpec } from "../command_table.ts";
import type { RaftServer } from "../node.ts";
import { argText, connectionState } from "./_context.ts";

/** Compares two strings in time independent of where they differ. */
function sameSecret(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  let difference = left.length ^ right.length;
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  }
  return difference === 0;
}

/** The node-level commands for `server`. */
export function adminCommands(server: RaftServer, started: number): CommandSpec[] {
  return [
    {
      name: "machine",
      arity: 1,
      flags: ["fast"],
      handler: (conn) => conn.writeBulk(server.settings.machine.constructor?.name ?? "Machine"),
    },
    {
      name: "version",
      arity: 1,
      flags: ["fast"],
      handler: (conn) => conn.writeBulk(`flotilla ${VERSION}`),
    },
    {
      name: "barrier",
      arity: 1,
      handler: async (conn) => {
        await server.barrier();
        conn.writeString("OK");
      },
    },
    {
      name: "auth",
      arity: -2,
      flags: ["fast", "no-auth"],
      handler: (conn, args) => {
        const password = server.settings.auth;
        if (password === undefined) {
          throw new Error(
            "AUTH <password> called without any password configured for the default user. " +
              "Are you sure your configuration is correct?",
          );
        }
        if (args.length > 3) throw new Error("syntax error");
        // AUTH username password: only the default user exists.
        const user = args.length === 3 ? argText(args[1]) : "default";
        const given = argText(args[args.length - 1]);
        if (user !== "default" || !sameSecret(given, password)) {
          throw new Error("WRONGPASS invalid username-password pair or user is disabled.");
        }
        connectionState(conn).authenticated = true;
        conn.writeString("OK");
      },
    },
    {
      name: "info",
      arity: -1,
      flags: ["loading", "stale"],
      handler: (conn, args) => {
        const wanted = new Set(args.slice(1).map((arg) => argText(arg).toLowerCase()));
        conn.writeBulk(infoText(server, started, wanted));
      },
    },
  ];
}

/** `INFO [section ...]`: Redis-style sections, with `# Raft`. */
export function infoText(server: RaftServer, started: number, wanted: Set<string>): string {
  const all = wanted.size === 0 || wanted.has("all") || wanted.has("everything");
  const sections: [string, [string, string | number][]][] = [
    ["Server", [
      ["flotilla_version", VERSION],
      ["redis_version", "7.2.0"],
      ["redis_mode", "cluster"],
      ["runtime", server.runtime.name],
      ["tcp_port", server.port],
      ["uptime_in_seconds", Math.floor((Date.now() - started) / 1000)],
    ]],
    ["Clients", [["connected_clients", server.clientConnections]]],
    ["Raft", [
      ["raft_id", server.id],
      ["raft_state", server.state()],
      ["raft_leader", server.leader() ?? ""],
      ...Object.entries(server.stats()).map((
        [key, value],
      ): [string, string] => [`raft_${key}`, value]),
      ["raft_voters", server.membership().voters.join(",")],
      ["raft_learners", server.membership().learners.join(",")],
      ...Object.entries(server.pipelineStats()).map(([key, value]): [string, number] => [
        `raft_${key}`,
        value,
      ]),
      ["raft_consistency", server.settings.consistency],
      ["raft_durability", server.settings.durability],
    ]],
  ];
  const lines: string[] = [];
  for (const [name, fields] of sections) {
    if (!all && !wanted.has(name.toLowerCase())) continue;
    if (lines.length > 0) lines.push("");
    lines.push(`# ${name}`);
    for (const [key, value] of fields) lines.push(`${key}:${value}`);
  }
  return lines.join("\r\n") + "\r\n";
}

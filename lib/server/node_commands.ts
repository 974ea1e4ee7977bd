/**
 * Puts a node's commands on its command table: the peer handshake, Finn's and Uhaha's cluster
 * commands, node-level commands, `CLUSTER` emulation, and the user's machine for everything
 * else. Every handler is wrapped so that errors become the replies Redis clients expect
 * (`-TRY`, `-MOVED`, `-ERR`), and, with `auth` set, so that an unauthenticated client gets
 * `-NOAUTH Authentication required.` for anything but `AUTH`, `HELLO ... AUTH`, `QUIT` and
 * the peer handshake.
 *
 * @module
 */

import type { Conn } from "../resp/conn.ts";
import { createCommand } from "./applier.ts";
import type { CommandHandler, CommandSpec } from "./command_table.ts";
import { adminCommands } from "./commands/admin.ts";
import { clusterCommand } from "./commands/cluster.ts";
import { argText, connectionState } from "./commands/_context.ts";
import { peerCommands } from "./commands/peer.ts";
import { finnCommands, raftCommand } from "./commands/raft.ts";
import type { RaftServer } from "./node.ts";

/** Commands an unauthenticated client may send. */
const OPEN_COMMANDS = new Set(["auth", "quit", "raft.hello", "raft.auth", "raft.msg"]);

/** Registers every node command and the machine fallback on `server.commands`. */
export function registerNodeCommands(server: RaftServer): void {
  const table = server.commands;
  const specs: CommandSpec[] = [
    ...peerCommands(server),
    ...finnCommands(server),
    raftCommand(server),
    ...adminCommands(server, Date.now()),
    clusterCommand(server),
  ];
  for (const spec of specs) table.register(spec);
  const machine = server.settings.machine;
  table.fallback = (conn, args) =>
    machine.command(server.applier, conn, createCommand(args)) as void | Promise<void>;
  // Wrap everything, built-ins included, for error translation and the AUTH gate.
  for (const spec of table.list()) {
    table.register({ ...spec, handler: guard(server, spec.name, spec.handler) });
  }
  table.fallback = guard(server, "", table.fallback);
}

/**
 * The AUTH gate in front of every command. Errors a handler throws or rejects with are turned
 * into replies (`-TRY`, `-MOVED`, Finn's texts) by the session, through `errorReply` (see
 * `node.ts`): wrapping each call in a `catch` here cost a promise per write.
 */
function guard(server: RaftServer, name: string, handler: CommandHandler): CommandHandler {
  const { auth } = server.settings;
  if (auth === undefined || OPEN_COMMANDS.has(name)) return handler;
  return (conn, args) => {
    if (!connectionState(conn).authenticated) {
      if (!(name === "hello" && helloAuthenticates(auth, conn, args))) {
        conn.writeError("NOAUTH Authentication required.");
        return undefined;
      }
    }
    return handler(conn, args);
  };
}

/** `HELLO <proto> AUTH <user> <password>` authenticates the connection on the way. */
function helloAuthenticates(password: string, conn: Conn, args: Uint8Array[]): boolean {
  for (let i = 2; i + 2 < args.length; i++) {
    if (argText(args[i]).toLowerCase() === "auth") {
      const ok = argText(args[i + 1]) === "default" && argText(args[i + 2]) === password;
      if (ok) connectionState(conn).authenticated = true;
      return ok;
    }
  }
  return false;
}

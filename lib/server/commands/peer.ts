/**
 * The peer commands on the shared port: `RAFT.HELLO` and `RAFT.AUTH` (the handshake) and
 * `RAFT.MSG` (a batch of Raft messages, not answered). A plain client gets an error for each
 * and changes nothing.
 *
 * @module
 */

import type { CommandSpec } from "../command_table.ts";
import type { RaftServer } from "../node.ts";
import { answerHello, checkAuth } from "../peer_handshake.ts";
import { connectionState } from "./_context.ts";

/** The three peer commands for `server`. */
export function peerCommands(server: RaftServer): CommandSpec[] {
  const secret = server.settings.clusterSecret;
  return [
    {
      name: "raft.hello",
      arity: 3,
      flags: ["fast"],
      handler: async (conn, args) => {
        const hello = await answerHello(secret, args);
        connectionState(conn).peer = hello.state;
        conn.writeArray(2);
        conn.writeBulk(hello.serverNonce);
        conn.writeBulk(hello.serverProof);
      },
    },
    {
      name: "raft.auth",
      arity: 2,
      flags: ["fast"],
      handler: async (conn, args) => {
        const state = connectionState(conn);
        try {
          state.peer = await checkAuth(secret, state.peer, args);
        } catch (error) {
          state.peer = { stage: "none" };
          server.log.warning(
            `Refused a peer handshake from ${conn.remoteAddress}: ${(error as Error).message}`,
          );
          throw error;
        }
        conn.writeString("OK");
      },
    },
    {
      name: "raft.msg",
      arity: 2,
      flags: ["fast"],
      handler: (conn, args) => {
        const state = connectionState(conn).peer;
        if (state.stage !== "authenticated") {
          throw new Error("Raft messages need the peer handshake (RAFT.HELLO, RAFT.AUTH)");
        }
        // Peers do not read replies to messages: answering would only cost bandwidth.
        conn.discard();
        server.receive(args[1]!, state.peerId);
      },
    },
  ];
}

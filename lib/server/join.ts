/**
 * Joining a cluster: a fresh node started with `join` asks the given node to add it
 * (`RAFTADDPEER <own address>`), follows `-TRY host:port` to the leader, and retries with
 * backoff until it is a member (the node asked may not be up yet, or may have no leader).
 *
 * @module
 */

import { RespErrorReply } from "../resp/reply_decoder.ts";
import type { RaftServer } from "./node.ts";
import { request } from "./request.ts";

const textDecoder = new TextDecoder();

/**
 * Joins through `target`; resolves once the leader accepted this node.
 *
 * @example
 * ```ts ignore
 * await joinCluster(server, "127.0.0.1:7481");
 * ```
 */
export async function joinCluster(server: RaftServer, target: string): Promise<void> {
  let address = target;
  let delay = 100;
  for (let attempt = 1; server.state() !== "Shutdown"; attempt++) {
    let problem: string;
    try {
      const commands: string[][] = [];
      if (server.settings.auth !== undefined) commands.push(["AUTH", server.settings.auth]);
      commands.push(["RAFTADDPEER", server.id]);
      const replies = await request(server.runtime, address, commands, 5000);
      const reply = replies[replies.length - 1];
      if (reply === "OK") {
        server.log.notice(`Joined the cluster through ${address}`);
        await expectLeader(server, address);
        return;
      }
      if (reply instanceof RespErrorReply && reply.code === "TRY") {
        address = reply.message.slice(4).trim();
        server.log.verbose(`Join redirected to the leader at ${address}`);
        continue;
      }
      if (reply instanceof RespErrorReply && reply.code === "MOVED") {
        address = reply.message.split(" ")[2] ?? target;
        continue;
      }
      problem = reply instanceof RespErrorReply
        ? reply.message
        : `unexpected reply ${
          reply instanceof Uint8Array ? textDecoder.decode(reply) : String(reply)
        }`;
      address = target;
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
      address = target;
    }
    const message = `Join attempt ${attempt} through ${target} failed: ${problem}; retrying`;
    if (attempt === 1) server.log.warning(message);
    else server.log.verbose(message);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 2000);
  }
}

/**
 * After a join, waits for the leader to reach this node, and warns if it does not within five
 * election timeouts: the leader accepted the address but cannot use it. Its connections fail
 * the handshake (another cluster secret) or never arrive (an address it cannot dial); either
 * way only the leader's log said so before.
 */
async function expectLeader(server: RaftServer, through: string): Promise<void> {
  const { tickMs, electionTicks } = server.settings;
  const deadline = Date.now() + 5 * electionTicks * tickMs;
  while (server.state() !== "Shutdown" && server.leader() === undefined) {
    if (Date.now() >= deadline) {
      server.log.warning(
        `Joined through ${through}, but no leader has reached ${server.id} since: check that ` +
          `this node has the cluster's --cluster-secret and that the leader can dial ${server.id}`,
      );
      return;
    }
    // Short sleeps: a pending timer would keep a closed node's process alive until it fires.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

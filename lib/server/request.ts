/**
 * One-shot requests to another node (joining a cluster, polling a peer): connect, send the
 * commands pipelined, read one reply per command, close.
 *
 * @module
 */

import type { Runtime } from "../runtime.ts";
import { encodeCommand } from "../resp/command_encoder.ts";
import { type RespReply, RespReplyDecoder } from "../resp/reply_decoder.ts";
import { parseAddress } from "./address.ts";

/**
 * Sends `commands` to `address` and resolves with their replies, in order. Rejects on a
 * connection failure, a malformed reply, or after `timeoutMs` (default 2,000).
 *
 * @example
 * ```ts ignore
 * const [reply] = await request(runtime, "127.0.0.1:7481", [["RAFTADDPEER", "127.0.0.1:7482"]]);
 * ```
 */
export async function request(
  runtime: Runtime,
  address: string,
  commands: readonly (readonly (Uint8Array | string)[])[],
  timeoutMs = 2000,
): Promise<RespReply[]> {
  const { hostname, port } = parseAddress(address);
  const connection = await runtime.connect({ hostname, port, timeoutMs });
  const decoder = new RespReplyDecoder({ bulkBytesMax: 64 * 1024 * 1024 });
  const replies: RespReply[] = [];
  try {
    return await new Promise<RespReply[]>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no reply from ${address} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const finish = (error?: unknown) => {
        clearTimeout(timer);
        if (error === undefined) resolve(replies);
        else reject(error);
      };
      connection.start({
        data: (chunk) => {
          try {
            decoder.push(chunk);
            for (let reply = decoder.next(); reply !== undefined; reply = decoder.next()) {
              replies.push(reply);
              if (replies.length === commands.length) finish();
            }
          } catch (error) {
            finish(error);
          }
        },
        end: () => finish(new Error(`${address} closed the connection`)),
        close: (error) => finish(error ?? new Error(`${address} closed the connection`)),
      });
      for (const command of commands) connection.write(encodeCommand(command));
    });
  } finally {
    connection.close();
  }
}

/**
 * A decoded RESP reply as the text tests compare: bulk strings decoded as UTF-8, errors as
 * `-message`, everything else through `String`.
 */

import { RespErrorReply, type RespReply } from "../../lib/resp/reply_decoder.ts";

/** The reply as text: `"OK"`, `"-ERR ..."`, `"v"`. */
export function replyText(reply: RespReply | undefined): string {
  if (reply instanceof Uint8Array) return new TextDecoder().decode(reply);
  if (reply instanceof RespErrorReply) return `-${reply.message}`;
  return String(reply);
}

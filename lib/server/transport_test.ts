// The transport's batching: what one task sends a peer leaves as one frame, in order.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createMessage } from "../raft/messages.ts";
import type { Runtime } from "../runtime.ts";
import { createLogger } from "./logger.ts";
import { Transport } from "./transport.ts";

/** A runtime whose dials never complete: links queue what they are given. */
const unreachable = {
  name: "test",
  listen: () => Promise.reject(new Error("not used")),
  connect: () => new Promise(() => {}),
  fs: undefined,
} as unknown as Runtime;

describe("Transport", () => {
  test("messages sent during one task leave as one batch per peer, after it", async () => {
    const transport = new Transport({
      runtime: unreachable,
      selfId: "a:1",
      secret: "",
      log: createLogger({ level: "quiet" }),
    });
    transport.send([
      createMessage("heartbeat", "a:1", "b:1", 1),
      createMessage("heartbeat", "a:1", "c:1", 1),
    ]);
    transport.send([createMessage("append", "a:1", "b:1", 1)]);
    transport.send([createMessage("heartbeat", "a:1", "a:1", 1)]); // to itself: dropped
    assert.equal(transport.sentBatches, 0, "sent before the task ended");
    await Promise.resolve();
    assert.equal(transport.sentBatches, 2, "one batch for b, one for c");
    transport.send([createMessage("append", "a:1", "b:1", 1)]);
    transport.flush();
    assert.equal(transport.sentBatches, 3, "flush() sends at once");
    transport.close();
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RuntimeError } from "../lib/errors.ts";
import type { ConnectionHandlers } from "../lib/runtime.ts";
import { Delivery } from "./_delivery.ts";

/** Handlers that log every event as a string. */
function recorder(): { events: string[]; handlers: ConnectionHandlers } {
  const events: string[] = [];
  return {
    events,
    handlers: {
      data: (chunk) => events.push(`data ${chunk.byteLength}`),
      end: () => events.push("end"),
      close: (error) => events.push(`close ${error?.code ?? "ok"}`),
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe("Delivery", () => {
  test("holds events before start and while paused, in order", async () => {
    const delivery = new Delivery(() => assert.fail("no handler throws"));
    const { events, handlers } = recorder();
    delivery.data(new Uint8Array(1));
    delivery.start(handlers);
    assert.deepEqual(events, ["data 1"]);
    delivery.pause();
    delivery.data(new Uint8Array(2));
    delivery.end();
    assert.deepEqual(events, ["data 1"]);
    assert.equal(delivery.endDelivered, false);
    delivery.resume();
    assert.deepEqual(events, ["data 1", "data 2", "end"]);
    assert.equal(delivery.endDelivered, true);
    delivery.end();
    delivery.close(undefined);
    delivery.close(new RuntimeError("ECONNRESET", "Reset"));
    delivery.data(new Uint8Array(3));
    await tick();
    assert.deepEqual(events, ["data 1", "data 2", "end", "close ok"]);
  });

  test("close before start is reported at start; close drops held data", async () => {
    const delivery = new Delivery(() => {});
    const { events, handlers } = recorder();
    delivery.data(new Uint8Array(1));
    delivery.close(new RuntimeError("ECONNRESET", "Reset"));
    delivery.start(handlers);
    await tick();
    assert.deepEqual(events, ["close ECONNRESET"]);
    assert.throws(() => delivery.start(handlers), TypeError);
  });

  test("a throwing handler is reported to the adapter, not thrown", () => {
    const thrown: unknown[] = [];
    const delivery = new Delivery((error) => thrown.push(error));
    delivery.start({
      data: () => {
        throw new Error("bug");
      },
      end: () => {
        throw new Error("bug in end");
      },
      close: () => {},
    });
    delivery.data(new Uint8Array(1));
    delivery.end();
    assert.deepEqual(thrown.map((error) => (error as Error).message), ["bug", "bug in end"]);
  });
});

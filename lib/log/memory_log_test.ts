import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryLog } from "./memory_log.ts";
import { conformance, makeEntries } from "../../tests/_support/log_conformance.ts";

describe("MemoryLog", () => {
  conformance("MemoryLog", () => {
    const log = new MemoryLog();
    return Promise.resolve({ log, reopen: (same) => Promise.resolve(same) });
  });

  test("refuses use after close", async () => {
    const log = new MemoryLog();
    await log.append(makeEntries(1, 3, 1));
    await log.close();
    assert.throws(() => log.appendBuffered(makeEntries(3, 4, 1)), TypeError);
  });
});

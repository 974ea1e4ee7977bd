import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createLogger, isLogLevel } from "./logger.ts";

describe("createLogger", () => {
  const at = Date.UTC(2026, 10, 27, 23, 5, 9, 42);

  test("writes Redis-format lines with the level's mark", () => {
    const lines: string[] = [];
    const log = createLogger({
      level: "debug",
      output: (line) => lines.push(line),
      pid: 42,
      role: "N",
      now: () => at,
    });
    log.debug("d");
    log.verbose("v");
    log.notice("n");
    log.warning("w");
    assert.deepEqual(lines, [
      "42:N 27 Nov 2026 23:05:09.042 . d",
      "42:N 27 Nov 2026 23:05:09.042 - v",
      "42:N 27 Nov 2026 23:05:09.042 * n",
      "42:N 27 Nov 2026 23:05:09.042 # w",
    ]);
  });

  test("filters below the level; quiet writes nothing", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "warning", output: (line) => lines.push(line) });
    log.notice("hidden");
    log.warning("shown");
    assert.equal(lines.length, 1);
    assert.equal(log.enabled("notice"), false);
    assert.equal(log.enabled("warning"), true);
    const quiet = createLogger({ level: "quiet", output: (line) => lines.push(line) });
    quiet.warning("hidden");
    assert.equal(lines.length, 1);
  });

  test("isLogLevel accepts the clone's words only", () => {
    for (const word of ["quiet", "warning", "notice", "verbose", "debug"]) {
      assert.equal(isLogLevel(word), true);
    }
    assert.equal(isLogLevel("info"), false);
    assert.equal(isLogLevel("toString"), false);
  });
});

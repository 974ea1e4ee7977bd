import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LogCorruptionError } from "../errors.ts";
import { decodeHardState, encodeHardState, HardStateFile } from "./hard_state_file.ts";
import { FaultFs } from "../../tests/_support/fault_fs.ts";

describe("HardStateFile", () => {
  test("round-trips and starts empty", async () => {
    const fs = new FaultFs();
    const file = await HardStateFile.open(fs, "data");
    assert.deepEqual(file.state, { term: 0, vote: "", commit: 0 });
    await file.save({ term: 7, vote: "127.0.0.1:7481", commit: 42 });
    const again = await HardStateFile.open(fs.image(), "data");
    assert.deepEqual(again.state, { term: 7, vote: "127.0.0.1:7481", commit: 42 });
    const bytes = encodeHardState({ term: 2 ** 40, vote: "ü", commit: 3 });
    assert.deepEqual(decodeHardState(bytes), { term: 2 ** 40, vote: "ü", commit: 3 });
  });

  test("a crash at any step leaves the old or the new state", async () => {
    let points = 0;
    for (let step = 0; step < 12; step++) {
      const fs = new FaultFs();
      const file = await HardStateFile.open(fs, "data");
      await file.save({ term: 1, vote: "a", commit: 1 });
      fs.crashAfter(fs.calls + step);
      const saving = file.save({ term: 2, vote: "b", commit: 5 }).then(() => true, () => false);
      const acknowledged = await saving;
      const tears = fs.lastUnsyncedWriteBytes() ?? 0;
      for (let torn = 0; torn <= tears; torn++) {
        points++;
        const state = (await HardStateFile.open(fs.image(torn), "data")).state;
        if (acknowledged) assert.deepEqual(state, { term: 2, vote: "b", commit: 5 });
        else assert.ok(state.term === 1 || state.term === 2, `step ${step} torn ${torn}`);
      }
    }
    assert.ok(points >= 12);
  });

  test("refuses a damaged file", async () => {
    const fs = new FaultFs();
    const file = await HardStateFile.open(fs, "data");
    await file.save({ term: 3, vote: "", commit: 0 });
    fs.corrupt("data/hardstate", 9, new Uint8Array([1]));
    await assert.rejects(() => HardStateFile.open(fs, "data"), LogCorruptionError);
    assert.throws(
      () => encodeHardState({ term: 1, vote: "x".repeat(2000), commit: 0 }),
      RangeError,
    );
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeCommand, encodeCommandEntry } from "./command_codec.ts";
import { RespSyntaxError } from "../errors.ts";

describe("command entry codec", () => {
  test("round-trips binary arguments, including empty ones", () => {
    let seed = 5;
    const next = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    for (let round = 0; round < 300; round++) {
      const args = Array.from(
        { length: 1 + next(6) },
        () => Uint8Array.from({ length: next(200) }, () => next(256)),
      );
      assert.deepEqual(decodeCommand(encodeCommandEntry(args)), args);
    }
  });

  test("entries stay intact while later ones are encoded (across slabs, small and large)", () => {
    let seed = 11;
    const next = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const kept: { args: Uint8Array[]; data: Uint8Array }[] = [];
    for (let round = 0; round < 3000; round++) {
      const large = round % 500 === 7;
      const args = Array.from(
        { length: 1 + next(4) },
        () => Uint8Array.from({ length: large ? 20_000 : next(100) }, () => next(256)),
      );
      kept.push({ args, data: encodeCommandEntry(args) });
    }
    for (const { args, data } of kept) assert.deepEqual(decodeCommand(data), args);
  });

  test("truncated or padded entries raise RespSyntaxError", () => {
    const data = encodeCommandEntry([new Uint8Array([1, 2, 3]), new Uint8Array(300)]);
    for (let cut = 0; cut < data.length; cut++) {
      assert.throws(() => decodeCommand(data.subarray(0, cut)), RespSyntaxError);
    }
    const padded = new Uint8Array(data.length + 1);
    padded.set(data);
    assert.throws(() => decodeCommand(padded), RespSyntaxError);
  });
});

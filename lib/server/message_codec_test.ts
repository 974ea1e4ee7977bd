import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeMessages, encodeMessages, MESSAGE_TYPES as TYPES } from "./message_codec.ts";
import { RespSyntaxError } from "../errors.ts";
import type { Message } from "../raft/messages.ts";

/** A small seeded generator (tests only): mulberry32. */
function random(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296 * n) | 0;
  };
}

function randomMessage(next: (n: number) => number): Message {
  const number = () => [0, 1, 127, 128, 300, 2 ** 31, 2 ** 53 - 3][next(7)]! + next(3);
  const bytes = () => Uint8Array.from({ length: next(40) }, () => next(256));
  const id = () => ["127.0.0.1:7481", "[::1]:7482", "nodé-ü", ""][next(4)]!;
  const message: Message = {
    type: TYPES[next(TYPES.length)]!,
    from: id(),
    to: id(),
    term: number(),
    index: number(),
    logTerm: number(),
    commit: number(),
    reject: next(2) === 1,
    hintIndex: number(),
    hintTerm: number(),
    context: ["", "transfer", "read-17"][next(3)]!,
    tick: number(),
    entries: Array.from({ length: next(4) }, () => ({
      index: number(),
      term: number(),
      type: next(3),
      data: bytes(),
    })),
  };
  if (next(3) === 0) {
    message.snapshot = {
      meta: {
        index: number(),
        term: number(),
        membership: { voters: [id(), id()], learners: next(2) ? [id()] : [] },
      },
      offset: number(),
      data: bytes(),
      done: next(2) === 1,
    };
  }
  return message;
}

describe("Raft message codec", () => {
  test("round-trips random batches exactly", () => {
    const next = random(7);
    for (let round = 0; round < 500; round++) {
      const batch = Array.from({ length: next(5) }, () => randomMessage(next));
      assert.deepEqual(decodeMessages(encodeMessages(batch)), batch);
    }
  });

  test("entry data decodes as views into the frame, not copies", () => {
    const next = random(3);
    const message = randomMessage(next);
    message.entries = [{ index: 1, term: 1, type: 0, data: new Uint8Array([9, 9, 9]) }];
    const frame = encodeMessages([message]);
    const [decoded] = decodeMessages(frame);
    assert.equal(decoded!.entries[0]!.data.buffer, frame.buffer);
  });

  test("every truncation of a valid batch is rejected with RespSyntaxError", () => {
    const next = random(11);
    const frame = encodeMessages([randomMessage(next), randomMessage(next)]);
    for (let cut = 0; cut < frame.length; cut++) {
      assert.throws(() => decodeMessages(frame.subarray(0, cut)), RespSyntaxError, `cut ${cut}`);
    }
  });

  test("random and mutated bytes only ever raise RespSyntaxError", () => {
    const next = random(99);
    for (let round = 0; round < 3000; round++) {
      let bytes: Uint8Array;
      if (round % 2 === 0) {
        bytes = Uint8Array.from({ length: next(64) }, () => next(256));
      } else {
        bytes = encodeMessages([randomMessage(next)]).slice();
        for (let flips = 1 + next(3); flips > 0; flips--) bytes[next(bytes.length)] = next(256);
      }
      try {
        decodeMessages(bytes);
      } catch (error) {
        assert.ok(error instanceof RespSyntaxError, String(error));
      }
    }
  });

  test("refuses to encode what it cannot represent", () => {
    const message = randomMessage(random(1));
    assert.throws(() => encodeMessages([{ ...message, term: -1 }]), RangeError);
    assert.throws(() => encodeMessages([{ ...message, index: 1.5 }]), RangeError);
  });
});

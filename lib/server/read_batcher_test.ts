import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ReadBatcher, type ReadRequestResult } from "./read_batcher.ts";
import { NotLeaderError } from "../errors.ts";

function setup(answer: ReadRequestResult = { ok: true }) {
  const contexts: string[] = [];
  let applied = 0;
  let schedules = 0;
  const batcher = new ReadBatcher({
    request: (context) => {
      contexts.push(context);
      return answer;
    },
    schedule: () => schedules++,
    applied: () => applied,
    timeoutMs: 60_000,
  });
  return {
    batcher,
    contexts,
    setApplied: (index: number) => (applied = index),
    schedules: () => schedules,
  };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("ReadBatcher", () => {
  test("reads of one turn share one read-index round", async () => {
    const { batcher, contexts, schedules } = setup();
    const reads = [batcher.wait(), batcher.wait(), batcher.wait()];
    await tick();
    assert.equal(contexts.length, 1);
    assert.equal(schedules(), 1);
    batcher.confirmed(contexts[0]!, 0);
    await Promise.all(reads);
    assert.equal(batcher.waiting, 0);
  });

  test("a confirmed read waits until the machine applied its index", async () => {
    const { batcher, contexts, setApplied } = setup();
    let done = false;
    const read = batcher.wait().then(() => (done = true));
    await tick();
    batcher.confirmed(contexts[0]!, 5);
    await tick();
    assert.equal(done, false, "released before applied reached the read index");
    setApplied(5);
    batcher.applied(5);
    await read;
    assert.equal(done, true);
  });

  test("a follower's refusal names the leader", async () => {
    const { batcher } = setup({ ok: false, reason: "notLeader", leader: "127.0.0.1:7481" });
    await assert.rejects(batcher.wait(), (error: unknown) => {
      assert.ok(error instanceof NotLeaderError);
      assert.equal(error.leader, "127.0.0.1:7481");
      return true;
    });
  });

  test("losing leadership fails reads still waiting", async () => {
    const { batcher } = setup();
    const read = batcher.wait();
    await tick();
    batcher.failAll(new NotLeaderError(undefined));
    await assert.rejects(read, NotLeaderError);
    assert.equal(batcher.waiting, 0);
  });
});

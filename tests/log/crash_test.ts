/**
 * Crash tests: a scripted sequence of appends (single and concurrent batches) and truncations
 * runs against the fault-injecting file system, which freezes before its n-th call for every n.
 * For each crash point and each tear of the last unsynced write, the log is reopened from what a
 * power loss would leave, and must hold exactly a state the script could have reached: every
 * acknowledged step, plus possibly part of the step in flight, and never a garbled entry.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SegmentedLog } from "../../lib/log/segmented_log.ts";
import type { LogEntry, SyncPolicy } from "../../lib/log/types.ts";
import { FaultFs } from "../_support/fault_fs.ts";
import { makeEntry } from "../_support/log_conformance.ts";

const DIR = "node/log";

type Step =
  | { kind: "append"; batches: LogEntry[][] }
  | { kind: "truncateBack"; index: number }
  | { kind: "truncateFront"; index: number }
  | { kind: "reset"; index: number; term: number };

interface State {
  first: number;
  baseTerm: number;
  entries: LogEntry[];
}

/** Builds the script and the model state after each step. */
function script(): { steps: Step[]; states: State[] } {
  const steps: Step[] = [];
  const states: State[] = [{ first: 1, baseTerm: 0, entries: [] }];
  let state = states[0]!;
  let term = 1;
  const next = () => state.first + state.entries.length;
  const batch = (count: number, size: number) => {
    const out: LogEntry[] = [];
    for (let i = 0; i < count; i++) out.push(makeEntry(next() + out.length, term, size, i % 3));
    return out;
  };
  const push = (step: Step, after: State) => {
    steps.push(step);
    states.push(after);
    state = after;
  };
  const append = (batches: LogEntry[][]) =>
    push({ kind: "append", batches }, { ...state, entries: [...state.entries, ...batches.flat()] });
  const appendOne = (count: number, size: number) => append([batch(count, size)]);
  const appendGroup = (sizes: number[]) => {
    const batches: LogEntry[][] = [];
    for (const count of sizes) {
      const b: LogEntry[] = [];
      for (let i = 0; i < count; i++) {
        b.push(makeEntry(next() + batches.flat().length + b.length, term, 9 + i, 0));
      }
      batches.push(b);
    }
    append(batches);
  };
  // One batch whose term changes inside it: the record that starts the new term stores it.
  const appendAcrossTerms = (parts: [count: number, term: number][]) => {
    const out: LogEntry[] = [];
    for (const [count, partTerm] of parts) {
      for (let i = 0; i < count; i++) out.push(makeEntry(next() + out.length, partTerm, 18, i % 3));
    }
    term = parts[parts.length - 1]![1];
    append([out]);
  };
  const truncateBack = (index: number) =>
    push({ kind: "truncateBack", index }, {
      ...state,
      entries: state.entries.slice(0, index - state.first + 1),
    });
  const truncateFront = (index: number) =>
    push({ kind: "truncateFront", index }, {
      first: index,
      baseTerm: index - 1 >= state.first
        ? state.entries[index - 1 - state.first]!.term
        : state.baseTerm,
      entries: state.entries.slice(index - state.first),
    });
  const reset = (index: number, resetTerm: number) =>
    push({ kind: "reset", index, term: resetTerm }, {
      first: index + 1,
      baseTerm: resetTerm,
      entries: [],
    });

  appendOne(3, 20);
  appendGroup([2, 1, 3]);
  for (let i = 0; i < 5; i++) appendOne(4, 30);
  term = 2;
  appendOne(3, 40);
  truncateBack(next() - 3);
  term = 3;
  appendGroup([1, 2]);
  truncateBack(9);
  term = 4;
  for (let i = 0; i < 4; i++) appendOne(5, 25);
  appendAcrossTerms([[2, 4], [3, 5]]);
  truncateFront(20);
  appendOne(2, 10);
  truncateFront(next() - 1);
  reset(next() + 10, 6);
  term = 7;
  appendOne(3, 15);
  truncateFront(next());
  appendOne(2, 12);
  return { steps, states };
}

async function runStep(log: SegmentedLog, step: Step, acked: Set<number>): Promise<void> {
  switch (step.kind) {
    case "append": {
      if (step.batches.length === 1) {
        // A lone batch goes the way the server's Raft loop sends it: appendNow, which writes
        // synchronously under "everysec" and "never" when nothing is queued ahead.
        const batch = step.batches[0]!;
        const pending = log.appendNow(batch);
        if (pending !== undefined) await pending;
        for (const entry of batch) acked.add(entry.index);
        return;
      }
      await Promise.all(step.batches.map(async (batch) => {
        await log.append(batch);
        for (const entry of batch) acked.add(entry.index);
      }));
      return;
    }
    case "truncateBack":
      return await log.truncateBack(step.index);
    case "truncateFront":
      return await log.truncateFront(step.index);
    case "reset":
      return await log.reset(step.index, step.term);
  }
}

/** Runs the script until the crash; returns how many steps completed and which entries acked. */
async function runUntilCrash(
  fs: FaultFs,
  policy: SyncPolicy,
  steps: Step[],
  blockingSync: boolean,
): Promise<{ done: number; acked: Set<number> }> {
  const acked = new Set<number>();
  let done = 0;
  try {
    const log = await SegmentedLog.open(fs, DIR, {
      segmentBytesMax: 400,
      sync: policy,
      blockingSync,
    });
    for (const step of steps) {
      acked.clear(); // only the step in flight matters: earlier ones completed
      await runStep(log, step, acked);
      done++;
    }
    await log.close();
  } catch (error) {
    if (!fs.crashed) throw error;
  }
  return { done, acked };
}

async function readState(log: SegmentedLog): Promise<State> {
  const first = log.firstIndex();
  return {
    first,
    baseTerm: log.term(first - 1)!,
    entries: await log.entries(first, log.lastIndex() + 1),
  };
}

function sameEntry(a: LogEntry, b: LogEntry): boolean {
  if (a.index !== b.index || a.term !== b.term || a.type !== b.type) return false;
  if (a.data.length !== b.data.length) return false;
  return a.data.every((byte, i) => byte === b.data[i]);
}

function isPrefix(actual: State, of: State): boolean {
  if (actual.first !== of.first || actual.baseTerm !== of.baseTerm) return false;
  if (actual.entries.length > of.entries.length) return false;
  return actual.entries.every((entry, i) => sameEntry(entry, of.entries[i]!));
}

function describeState(state: State): string {
  const last = state.first + state.entries.length - 1;
  return `[${state.first}..${last}] base term ${state.baseTerm}`;
}

/** Whether `actual` is a state the script could leave after a crash. */
function acceptable(
  actual: State,
  states: State[],
  steps: Step[],
  done: number,
  acked: Set<number>,
  policy: SyncPolicy,
): boolean {
  for (const entry of actual.entries) if (!Number.isSafeInteger(entry.term)) return false;
  if (policy !== "always") {
    // Nothing is promised durable, but whatever survives is a prefix of a reached state.
    return states.slice(0, done + 2).some((state) => isPrefix(actual, state));
  }
  const before = states[done]!;
  const after = states[done + 1];
  const inFlight = steps[done];
  const equal = (state: State) =>
    isPrefix(actual, state) && actual.entries.length === state.entries.length;
  if (equal(before)) return true;
  if (after === undefined || inFlight === undefined) return false;
  if (inFlight.kind !== "append") return equal(after);
  if (!isPrefix(actual, after) || actual.entries.length < before.entries.length) return false;
  const last = actual.first + actual.entries.length - 1;
  return inFlight.batches.flat().every((entry) => !acked.has(entry.index) || entry.index <= last);
}

/**
 * Crashes again at every call of the recovery itself (which repairs the directory on open):
 * the next open must still find an acceptable state. Returns the crash points exercised.
 */
async function crashDuringRecovery(
  image: FaultFs,
  policy: SyncPolicy,
  isAcceptable: (state: State) => boolean,
): Promise<number> {
  const probe = image.image();
  await (await SegmentedLog.open(probe, DIR, { segmentBytesMax: 400, sync: policy })).close();
  let points = 0;
  for (let m = 0; m < probe.calls; m++) {
    const fs = image.image();
    fs.crashAfter(m);
    try {
      await SegmentedLog.open(fs, DIR, { segmentBytesMax: 400, sync: policy });
    } catch (error) {
      if (!fs.crashed) throw error;
    }
    const tears = fs.lastUnsyncedWriteBytes() ?? 0;
    for (const torn of new Set([0, tears])) {
      points++;
      const log = await SegmentedLog.open(fs.image(torn), DIR, { segmentBytesMax: 400 });
      const state = await readState(log);
      assert.ok(isAcceptable(state), `recovery crashed at call ${m}: ${describeState(state)}`);
      await log.close();
    }
  }
  return points;
}

async function crashAll(policy: SyncPolicy, blockingSync = false): Promise<number> {
  const { steps, states } = script();
  const probe = new FaultFs();
  await runUntilCrash(probe, policy, steps, blockingSync);
  const totalCalls = probe.calls;
  let points = 0;
  for (let n = 0; n <= totalCalls; n++) {
    const fs = new FaultFs();
    fs.crashAfter(n);
    const { done, acked } = await runUntilCrash(fs, policy, steps, blockingSync);
    const tears = fs.lastUnsyncedWriteBytes() ?? 0;
    for (let torn = 0; torn <= tears; torn++) {
      points++;
      const image = fs.image(torn);
      const log = await SegmentedLog.open(image, DIR, { segmentBytesMax: 400, sync: policy });
      const actual = await readState(log);
      if (!acceptable(actual, states, steps, done, acked, policy)) {
        assert.fail(
          `crash before call ${n}, torn ${torn}/${tears}, ${done} steps done: ` +
            `got ${describeState(actual)}, expected ${describeState(states[done]!)}` +
            ` or a step towards ${describeState(states[done + 1] ?? states[done]!)}; last: ` +
            JSON.stringify(actual.entries.slice(-3).map((e) => [e.index, e.term, e.data.length])) +
            JSON.stringify(log.report),
        );
      }
      const repaired = log.report.tornBytes > 0 || log.report.completed.length > 0;
      // Recovery crashes at every 8th tear point (and the full write), to bound the run time.
      if (repaired && (torn % 8 === 0 || torn === tears)) {
        points += await crashDuringRecovery(
          fs.image(torn),
          policy,
          (state) => acceptable(state, states, steps, done, acked, policy),
        );
      }
      if (torn === tears) {
        // The recovered log takes appends and survives another clean reopen.
        const next = log.lastIndex() + 1;
        await log.append([makeEntry(next, log.term(log.lastIndex())! + 1)]);
        await log.close();
        const again = await SegmentedLog.open(image.image(), DIR, { segmentBytesMax: 400 });
        assert.equal(again.lastIndex(), next);
        await again.close();
      } else await log.close();
    }
  }
  return points;
}

describe("log crash safety", () => {
  for (const policy of ["always", "everysec", "never"] as const) {
    test(`sync "${policy}": every crash point and tear recovers a valid state`, async () => {
      const points = await crashAll(policy);
      console.log(`log crash test (${policy}): ${points} crash points exercised`);
      assert.ok(points > 1000, `${points} crash points`);
    });
  }
  test('sync "always" with blockingSync (fdatasync on the caller\'s thread): the same', async () => {
    const points = await crashAll("always", true);
    console.log(`log crash test (always, blockingSync): ${points} crash points exercised`);
    assert.ok(points > 1000, `${points} crash points`);
  });
});

#!/usr/bin/env node
// The whole test suite, as the README's test command runs it (`npm test`): static checks, then
// every test file under Deno and Bun, then the runtime-adapter and pure-module tests under Node.
// Each runner writes JUnit XML; this script totals them and ends with one line
// `N passed, N failed` (exit 1 on any failure), as CI expects.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
const results = join(root, ".test-results");
const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, NO_COLOR: "1" };

rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

/** One line per runner stage, for the summary table. */
const stages = [];

/**
 * Longest a stage may run before it is killed and counted as failed: a test that hangs (a lost
 * event, a peer that never answers) must fail the run, not hold CI past its 15 minutes. A
 * normal run takes well under a minute per stage.
 */
const STAGE_TIMEOUT_MS = 300_000;

function run(label, command, args) {
  console.log(`\n=== ${label}: ${command} ${args.join(" ")}`);
  const started = Date.now();
  const child = spawnSync(command, args, {
    cwd: root,
    env,
    stdio: "inherit",
    timeout: STAGE_TIMEOUT_MS,
    killSignal: "SIGKILL",
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const timedOut = child.error?.code === "ETIMEDOUT";
  if (timedOut) console.log(`=== ${label}: killed after ${STAGE_TIMEOUT_MS / 1000} s`);
  return { status: child.status ?? 1, seconds, error: child.error, timedOut };
}

/** A static check counts as one test: it passes when the tool exits 0. */
function check(label, command, args) {
  const { status, seconds } = run(label, command, args);
  stages.push({ label, passed: status === 0 ? 1 : 0, failed: status === 0 ? 0 : 1, seconds });
}

/** Counts <testcase> elements in a JUnit file; a case failed if it holds <failure> or <error>. */
function countJunit(file) {
  if (!existsSync(file)) return undefined;
  const xml = readFileSync(file, "utf8");
  let passed = 0, failed = 0, skipped = 0;
  const casePattern = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  const cases = [...xml.matchAll(casePattern)].map((match) => ({
    name: /\bname="([^"]*)"/.exec(match[1])?.[1] ?? "",
    body: match[3] ?? "",
  }));
  // Deno reports a describe() block as a case of its own besides its steps ("group > step"):
  // count the steps only, unless the block itself failed.
  const names = cases.map((c) => c.name);
  for (const { name, body } of cases) {
    const isGroup = names.some((other) => other.startsWith(`${name} &gt; `));
    const didFail = /<(failure|error)\b/.test(body);
    if (isGroup && !didFail) continue;
    if (didFail) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
  }
  return { passed, failed, skipped };
}

/** A test runner stage: counts come from its JUnit file; a crash with no report is a failure. */
function suite(label, command, args, junitFile) {
  const { status, seconds, timedOut } = run(label, command, args);
  const counts = timedOut ? undefined : countJunit(junitFile);
  if (counts === undefined) {
    const note = timedOut ? "timed out" : "no report";
    stages.push({ label, passed: 0, failed: 1, skipped: 0, seconds, note });
    return;
  }
  // A runner that exits non-zero with every case green (a crash between files, an unhandled
  // rejection) still fails the stage.
  const extra = status !== 0 && counts.failed === 0 ? 1 : 0;
  stages.push({ label, ...counts, failed: counts.failed + extra, seconds });
}

const only = process.argv.slice(2);
const wants = (name) => only.length === 0 || only.includes(name);

if (wants("static")) {
  check("deno fmt --check", "deno", ["fmt", "--check"]);
  check("deno lint", "deno", ["lint"]);
  // The task's own command line, run directly: inside `deno task`, `deno` may resolve to the npm
  // package's launcher rather than this binary.
  const denoJson = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
  check("deno check", "deno", denoJson.tasks.check.split(/\s+/).slice(1));
  check("deno doc --lint mod.ts", "deno", ["doc", "--lint", "mod.ts"]);
  check("deno publish --dry-run", "deno", ["publish", "--dry-run", "--allow-dirty"]);
}
if (wants("deno")) {
  const junit = join(results, "deno.xml");
  suite("deno test", "deno", ["test", "-A", "--parallel", `--junit-path=${junit}`], junit);
}
if (wants("bun")) {
  const junit = join(results, "bun.xml");
  // Bun ignores bunfig.toml's timeout for node:test cases: give it on the command line.
  suite("bun test", "bun", [
    "test",
    "--timeout=300000",
    "--reporter=junit",
    `--reporter-outfile=${junit}`,
  ], junit);
}
if (wants("node")) {
  // Node runs the adapter conformance suite and the pure modules it can load directly.
  const junit = join(results, "node.xml");
  suite("node --test", "node", [
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=junit",
    `--test-reporter-destination=${junit}`,
    "tests/runtime/**/*_test.ts",
    "adapters/**/*_test.ts",
    "lib/resp/**/*_test.ts",
    "tests/clients/**/*_test.ts",
    "tests/server/**/*_test.ts",
    "lib/server/**/*_test.ts",
    "tests/e2e/skeleton_*_test.ts",
  ], junit);
}

console.log("\n=== Summary");
let passed = 0, failed = 0, skipped = 0;
for (const stage of stages) {
  passed += stage.passed;
  failed += stage.failed;
  skipped += stage.skipped ?? 0;
  const note = stage.note ? ` (${stage.note})` : "";
  console.log(
    `${stage.label.padEnd(28)} ${String(stage.passed).padStart(5)} passed ${
      String(stage.failed).padStart(4)
    } failed ${String(stage.skipped ?? 0).padStart(3)} skipped ${
      stage.seconds.padStart(6)
    } s${note}`,
  );
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 ? 0 : 1);

/**
 * The RESP server skeleton on this runtime's real sockets (adapters/auto.ts, port 0), driven by
 * the real `redis-cli` and by raw pipelined traffic.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { createRuntime } from "../../adapters/auto.ts";
import { serve, type Server } from "../../lib/server/server.ts";
import { command, TestClient } from "../_support/test_client.ts";

const hasRedisCli = spawnSync("redis-cli", ["--version"]).status === 0;
const runtime = createRuntime();
let server: Server;

/** Runs redis-cli against the server without blocking the event loop the server runs on. */
function redisCli(args: string[], input = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "redis-cli",
      ["-h", "127.0.0.1", "-p", String(server.port), ...args],
      { timeout: 20_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`redis-cli failed: ${error.message} ${stderr}`));
        else resolve(String(stdout));
      },
    );
    child.stdin?.end(input);
  });
}

describe(`skeleton server on ${runtime.name} with redis-cli`, { skip: !hasRedisCli }, () => {
  before(async () => {
    server = await serve(runtime, { hostname: "127.0.0.1", port: 0 });
  });
  after(async () => {
    await server.close();
  });

  test("PING and PING message", async () => {
    assert.equal(await redisCli(["PING"]), "PONG\n");
    assert.equal(await redisCli(["PING", "hi there"]), "hi there\n");
  });

  test("ECHO, binary-safe", async () => {
    assert.equal(await redisCli(["ECHO", "hello world"]), "hello world\n");
    assert.equal(await redisCli(["ECHO", "a\nb"]), "a\nb\n");
  });

  test("several commands in one session, RESP3 via -3", async () => {
    const output = await redisCli(["-3"], "PING\nECHO one\nCLIENT SETNAME cli\nCLIENT GETNAME\n");
    assert.equal(output, "PONG\none\nOK\ncli\n");
  });

  test("errors come back as Redis's", async () => {
    const output = await redisCli([], "NOSUCH\nECHO\n");
    assert.equal(
      output,
      // redis-cli prints an empty line after each error when stdout is not a terminal.
      "ERR unknown command 'NOSUCH'\n\nERR wrong number of arguments for 'echo' command\n\n",
    );
  });

  test("a pipelined batch of 10,000 commands through redis-cli --pipe", async () => {
    let input = "";
    for (let i = 0; i < 10_000; i++) {
      const word = `v${i}`;
      input += i % 2 === 0
        ? `*1\r\n$4\r\nPING\r\n`
        : `*2\r\n$4\r\nECHO\r\n$${word.length}\r\n${word}\r\n`;
    }
    const output = await redisCli(["--pipe"], input);
    assert.match(output, /errors: 0, replies: 10000/);
  });

  test("raw pipelined traffic, large bulks split by the kernel, answered in order", async () => {
    const client = await TestClient.connect(runtime, server.port);
    try {
      const big = new Uint8Array(1 << 20).fill(0x61);
      const parts: Uint8Array[] = [];
      let expected = "";
      for (let i = 0; i < 2000; i++) {
        const word = i % 100 === 0 ? big : new TextEncoder().encode(`w${i}`);
        parts.push(command("ECHO", word));
        expected += `$${word.length}\r\n${i % 100 === 0 ? "a".repeat(1 << 20) : `w${i}`}\r\n`;
      }
      for (const part of parts) client.send(part);
      assert.equal(await client.read(expected.length) === expected, true);
    } finally {
      client.close();
    }
  });

  test("a protocol error answers and closes that connection only", async () => {
    const bad = await TestClient.connect(runtime, server.port);
    bad.send("PING\r\n*1\r\n$-7\r\n");
    const expected = "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n";
    assert.equal(await bad.expect(expected), expected);
    await bad.waitClosed();
    assert.equal(await redisCli(["PING"]), "PONG\n");
  });
});

/**
 * Network conformance cases for a {@linkcode Runtime}: the same cases run on every adapter.
 * Loopback only (127.0.0.1): nothing here sends traffic off the machine.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RuntimeError, type RuntimeErrorCode } from "../../lib/errors.ts";
import type { Connection, Runtime } from "../../lib/runtime.ts";
import { WRITE_HIGH_WATER_BYTES } from "../../adapters/_write_queue.ts";
import { delay, echo, listenLoopback, type Probe, probe, utf8, within } from "./_net_helpers.ts";

const MiB = 1024 * 1024;

/**
 * For the heavier cases: Bun's runner stops a `node:test` case after 5 s whatever bunfig.toml
 * says, too tight on a loaded CI machine.
 */
const SLOW = { timeout: 60_000 };

/** Asserts that `promise` rejects with a {@linkcode RuntimeError} carrying `code`. */
async function rejectsWith(promise: Promise<unknown>, code: RuntimeErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RuntimeError, `expected a RuntimeError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/** Connects to a loopback port and starts recording. */
async function dial(runtime: Runtime, port: number): Promise<Probe> {
  return probe(await runtime.connect({ hostname: "127.0.0.1", port }));
}

/** Resolves with the next connection a listener accepts (for single-connection cases). */
function acceptor(): { onConnection(conn: Connection): void; next: Promise<Connection> } {
  let resolve!: (conn: Connection) => void;
  const next = new Promise<Connection>((r) => resolve = r);
  return { onConnection: (conn) => resolve(conn), next };
}

/** Registers the network cases. */
export function describeNetworkConformance(runtime: Runtime): void {
  describe(`${runtime.name} runtime: TCP`, () => {
    test("port 0 reports the real port; addresses are host:port; echo round-trips", async () => {
      const accepted = acceptor();
      const listener = await listenLoopback(runtime, (conn) => {
        echo(conn);
        accepted.onConnection(conn);
      });
      try {
        assert.ok(listener.port > 0 && listener.port < 65536);
        const client = await dial(runtime, listener.port);
        const server = await accepted.next;
        assert.equal(client.conn.remoteAddress, `127.0.0.1:${listener.port}`);
        assert.equal(server.localAddress, `127.0.0.1:${listener.port}`);
        assert.equal(server.remoteAddress, client.conn.localAddress);
        assert.match(client.conn.localAddress, /^127\.0\.0\.1:\d+$/);
        client.conn.write(utf8("hello, "));
        client.conn.write(utf8("world"));
        await client.receivedAtLeast(12);
        assert.equal(client.text(), "hello, world");
        client.conn.end();
        await client.ended;
        assert.equal(await client.closed, undefined);
        assert.equal(client.closes, 1);
        assert.equal(client.ends, 1);
      } finally {
        await listener.close();
      }
    });

    test("IPv6 loopback addresses are bracketed as [::1]:port", async () => {
      let listener;
      try {
        listener = await runtime.listen({ hostname: "::1", port: 0 }, echo);
      } catch (error) {
        // A host without IPv6 loopback: nothing to check.
        assert.ok(error instanceof RuntimeError && error.code === "EADDRNOTAVAIL", String(error));
        return;
      }
      try {
        const client = probe(await runtime.connect({ hostname: "::1", port: listener.port }));
        assert.equal(client.conn.remoteAddress, `[::1]:${listener.port}`);
        assert.match(client.conn.localAddress, /^\[::1\]:\d+$/);
        client.conn.write(utf8("six"));
        await client.receivedAtLeast(3);
        client.conn.close();
        await client.closed;
      } finally {
        await listener.close();
      }
    });

    test("64 MiB through one connection with a pausing reader stays bounded", SLOW, async () => {
      await streamWithSlowReader(runtime);
    });

    test("peer half-close delivers end and we can still write", async () => {
      const accepted = acceptor();
      const listener = await listenLoopback(runtime, accepted.onConnection);
      try {
        const client = await dial(runtime, listener.port);
        const server = probe(await accepted.next);
        client.conn.write(utf8("question"));
        client.conn.end();
        await server.ended;
        assert.equal(server.text(), "question");
        // Half-open: the server's direction still works after the client's FIN.
        await delay(20);
        server.conn.write(utf8("late "));
        server.conn.write(utf8("answer"));
        server.conn.end();
        await client.ended;
        assert.equal(client.text(), "late answer");
        assert.equal(await client.closed, undefined);
        assert.equal(await server.closed, undefined);
        assert.equal(server.ends, 1);
        assert.equal(client.closes + server.closes, 2);
      } finally {
        await listener.close();
      }
    });

    test("a write loop that ignores our own end never starves the close event", async () => {
      const accepted = acceptor();
      const listener = await listenLoopback(runtime, accepted.onConnection);
      try {
        const client = await dial(runtime, listener.port);
        const server = probe(await accepted.next);
        client.conn.write(utf8("last words"));
        client.conn.end();
        // A buggy writer: keeps writing after end(). Writes are refused (false) and drained()
        // must yield to the event loop, or the close below could never be delivered.
        let closed = false;
        void client.closed.then(() => closed = true);
        let refused = 0;
        const loop = (async () => {
          for (let round = 0; !closed && round < 1_000_000; round++) {
            if (!client.conn.write(utf8("too late"))) {
              refused++;
              await client.conn.drained();
            }
          }
        })();
        await server.ended;
        assert.equal(server.text(), "last words");
        server.conn.end();
        await loop;
        assert.equal(closed, true);
        assert.ok(refused > 0);
        assert.equal(await client.closed, undefined);
      } finally {
        await listener.close();
      }
    });

    test("a reader whose peer resets gets close once, with ECONNRESET", async () => {
      const accepted = acceptor();
      const listener = await listenLoopback(runtime, accepted.onConnection);
      try {
        const client = await dial(runtime, listener.port);
        const server = await accepted.next;
        // The server never reads: closing with unread bytes makes the kernel send RST.
        client.conn.write(new Uint8Array(64 * 1024));
        await client.conn.drained();
        await delay(10);
        server.close();
        const error = await within(
          client.closed,
          10_000,
          () => `close after the peer's reset (ends seen: ${client.ends})`,
        );
        assert.ok(error instanceof RuntimeError, `expected ECONNRESET, got ${error}`);
        assert.equal(error.code, "ECONNRESET");
        await delay(10);
        assert.equal(client.closes, 1);
        assert.equal(client.conn.write(utf8("ignored")), false);
        assert.equal(client.conn.bufferedBytes, 0);
      } finally {
        await listener.close();
      }
    });

    test("a writer whose peer dies mid-stream closes once and never throws", async () => {
      let writerClosed!: Promise<RuntimeError | undefined>;
      let writerCloses = 0;
      let writer!: Promise<void>;
      const listener = await listenLoopback(runtime, (conn) => {
        let closed = false;
        writerClosed = new Promise((resolve) => {
          conn.start({
            data: () => {},
            end: () => {},
            close: (error) => {
              closed = true;
              writerCloses++;
              resolve(error);
            },
          });
        });
        writer = (async () => {
          const chunk = new Uint8Array(256 * 1024);
          while (!closed) if (!conn.write(chunk)) await conn.drained();
        })();
      });
      try {
        const client = await dial(runtime, listener.port);
        await client.receivedAtLeast(1 * MiB);
        client.conn.pause();
        await delay(10);
        client.conn.close();
        assert.equal(await client.closed, undefined);
        const error = await writerClosed;
        await writer;
        if (error !== undefined) {
          assert.ok(["ECONNRESET", "EPIPE"].includes(error.code), error.code);
        }
        await delay(10);
        assert.equal(writerCloses, 1);
        assert.equal(client.closes, 1);
      } finally {
        await listener.close();
      }
    });

    test("20,000 small writes arrive whole and in order", async () => {
      const listener = await listenLoopback(runtime, echo);
      try {
        const client = await dial(runtime, listener.port);
        let expected = "";
        for (let index = 0; index < 20_000; index++) {
          const message = `${index};`;
          expected += message;
          client.conn.write(utf8(message));
        }
        await client.receivedAtLeast(expected.length);
        assert.equal(client.text(), expected);
        await client.conn.drained();
        assert.equal(client.conn.bufferedBytes, 0);
        client.conn.close();
        assert.equal(await client.closed, undefined);
      } finally {
        await listener.close();
      }
    });

    test("chunks handed to data stay intact while later reads arrive (one at a time)", async () => {
      // Each message waits for its echo, so every read is small and separate: adapters that
      // fill a shared read buffer front to back must never write over bytes handed out.
      const listener = await listenLoopback(runtime, echo);
      try {
        const client = await dial(runtime, listener.port);
        let expected = "";
        for (let index = 0; index < 3_000; index++) {
          const message = `${String(index).padStart(6, "0")}:${"abcdefghijklmnopqrstuvw"}|`;
          expected += message;
          client.conn.write(utf8(message));
          await client.receivedAtLeast(expected.length);
        }
        assert.ok(expected.length > 64 * 1024, "more than one read buffer's worth");
        assert.ok(client.chunks.length >= 1_000, `${client.chunks.length} separate reads`);
        assert.equal(client.text(), expected);
        client.conn.close();
        assert.equal(await client.closed, undefined);
      } finally {
        await listener.close();
      }
    });

    test("bytes and end that arrive before start are delivered by start", async () => {
      const accepted = acceptor();
      const listener = await listenLoopback(runtime, accepted.onConnection);
      try {
        const client = await dial(runtime, listener.port);
        client.conn.write(utf8("early"));
        client.conn.end();
        const conn = await accepted.next;
        await delay(20);
        const server = probe(conn);
        await server.ended;
        assert.equal(server.text(), "early");
        server.conn.end();
        assert.equal(await server.closed, undefined);
        assert.equal(await client.closed, undefined);
      } finally {
        await listener.close();
      }
    });

    test("a throwing data handler closes only its connection, with EUNKNOWN", async () => {
      let serverClosed!: Promise<RuntimeError | undefined>;
      const listener = await listenLoopback(runtime, (conn) => {
        serverClosed = new Promise((resolve) => {
          conn.start({
            data: () => {
              throw new Error("handler bug");
            },
            end: () => {},
            close: resolve,
          });
        });
      });
      try {
        const client = await dial(runtime, listener.port);
        client.conn.write(utf8("boom"));
        const error = await serverClosed;
        assert.ok(error instanceof RuntimeError);
        assert.equal(error.code, "EUNKNOWN");
        assert.equal((error.cause as Error).message, "handler bug");
        await client.ended;
        client.conn.end();
        assert.equal(await client.closed, undefined);
        const other = await dial(runtime, listener.port);
        other.conn.close();
        await other.closed;
      } finally {
        await listener.close();
      }
    });

    test("drained resolves and bufferedBytes empties when close drops queued bytes", async () => {
      const accepted = acceptor();
      const listener = await listenLoopback(runtime, accepted.onConnection);
      try {
        const client = await dial(runtime, listener.port);
        await accepted.next;
        const chunk = new Uint8Array(1024 * 1024);
        let writes = 0;
        while (client.conn.write(chunk) && writes < 256) writes++;
        assert.ok(writes < 256, "a peer that never reads must push back");
        assert.ok(client.conn.bufferedBytes > WRITE_HIGH_WATER_BYTES);
        const drained = client.conn.drained();
        client.conn.close();
        await drained;
        await client.closed;
        assert.equal(client.conn.bufferedBytes, 0);
        assert.equal(client.conn.write(chunk), false);
      } finally {
        (await accepted.next).close();
        await listener.close();
      }
    });

    test("a peer process killed mid-stream (SIGKILL) closes our side once", SLOW, async () => {
      await peerKilled(runtime);
    });

    test("one 16 MiB write is queued whole and arrives whole", SLOW, async () => {
      const listener = await listenLoopback(runtime, echo);
      try {
        const client = await dial(runtime, listener.port);
        const big = new Uint8Array(16 * MiB);
        for (let index = 0; index < big.byteLength; index += 4096) big[index] = (index >> 12) & 255;
        assert.equal(client.conn.write(big), false);
        assert.ok(client.conn.bufferedBytes <= big.byteLength);
        await client.receivedAtLeast(big.byteLength);
        assert.deepEqual(client.bytes(), big);
        assert.equal(client.conn.bufferedBytes, 0);
        client.conn.close();
        await client.closed;
      } finally {
        await listener.close();
      }
    });

    test(
      "300 connections ended or reset at random moments each close exactly once",
      SLOW,
      async () => {
        await randomTeardowns(runtime);
      },
    );

    test("1,000 concurrent connections each round-trip", SLOW, async () => {
      await thousandConnections(runtime);
    });

    test("closing a connection that was never started reports nothing and frees it", async () => {
      const accepted = acceptor();
      const listener = await listenLoopback(runtime, accepted.onConnection);
      try {
        const client = await dial(runtime, listener.port);
        (await accepted.next).close();
        await client.ended;
        client.conn.end();
        assert.equal(await client.closed, undefined);
      } finally {
        await listener.close();
      }
    });

    test("listener.close stops accepting and keeps accepted connections", async () => {
      const accepted = acceptor();
      let accepts = 0;
      const listener = await listenLoopback(runtime, (conn) => {
        accepts++;
        echo(conn);
        accepted.onConnection(conn);
      });
      const client = await dial(runtime, listener.port);
      await accepted.next;
      await listener.close();
      try {
        const late = await runtime.connect({ hostname: "127.0.0.1", port: listener.port });
        // The port was free again and another process took it (tests run in parallel): the
        // point stands if our listener accepted nothing more.
        late.close();
        await delay(20);
        assert.equal(accepts, 1, "the closed listener accepted a connection");
      } catch (error) {
        assert.ok(error instanceof RuntimeError, `expected a RuntimeError, got ${error}`);
        assert.equal(error.code, "ECONNREFUSED", error.message);
      }
      client.conn.write(utf8("still here"));
      await client.receivedAtLeast(10);
      assert.equal(client.text(), "still here");
      client.conn.close();
      assert.equal(await client.closed, undefined);
    });

    test("misuse: a port out of range is a RangeError", async () => {
      await assert.rejects(
        runtime.listen({ hostname: "127.0.0.1", port: 65536 }, echo),
        RangeError,
      );
      await assert.rejects(runtime.listen({ hostname: "127.0.0.1", port: -1 }, echo), RangeError);
      await assert.rejects(runtime.connect({ hostname: "127.0.0.1", port: 0 }), RangeError);
      await assert.rejects(runtime.connect({ hostname: "127.0.0.1", port: 1.5 }), RangeError);
    });

    test("connect to a closed port fails with ECONNREFUSED", async () => {
      const listener = await listenLoopback(runtime, (conn) => conn.close());
      const port = listener.port;
      await listener.close();
      await rejectsWith(runtime.connect({ hostname: "127.0.0.1", port }), "ECONNREFUSED");
    });

    test("listen on a port in use fails with EADDRINUSE", async () => {
      const listener = await listenLoopback(runtime, (conn) => conn.close());
      try {
        await rejectsWith(
          runtime.listen({ hostname: "127.0.0.1", port: listener.port }, (conn) => conn.close()),
          "EADDRINUSE",
        );
      } finally {
        await listener.close();
      }
    });

    test("connect times out with ETIMEDOUT against a full accept queue", SLOW, async () => {
      await connectTimeout(runtime);
    });
  });
}

/**
 * Streams 64 MiB in 64 KiB chunks to a reader that pauses three times. Checks: every byte in
 * order; the sender's `bufferedBytes` never passes the high-water mark plus one chunk; no data
 * is delivered while paused; and the sender is held back by TCP while the reader is paused (it
 * cannot get the whole stream out: kernel buffers are far smaller than 64 MiB).
 */
async function streamWithSlowReader(runtime: Runtime): Promise<void> {
  const total = 64 * MiB;
  const chunkBytes = 64 * 1024;
  const patterns = Array.from(
    { length: 256 },
    (_, index) => new Uint8Array(chunkBytes).fill(index),
  );
  let sent = 0;
  let maxBuffered = 0;
  let received = 0;
  let mismatches = 0;
  let deliveredWhilePaused = 0;
  let paused = false;
  let sentDuringFirstPause = -1;
  const pauses: Promise<void>[] = [];
  const done = Promise.withResolvers<void>();
  const accepted = acceptor();
  const listener = await listenLoopback(runtime, accepted.onConnection);
  try {
    const client = await runtime.connect({ hostname: "127.0.0.1", port: listener.port });
    const server = await accepted.next;
    const pauseFor = async (ms: number, first: boolean): Promise<void> => {
      paused = true;
      server.pause();
      const before = sent;
      await delay(ms);
      if (first) sentDuringFirstPause = sent - before;
      paused = false;
      server.resume();
    };
    let nextPauseAt = 8 * MiB;
    server.start({
      data(chunk) {
        if (paused) deliveredWhilePaused++;
        for (let index = 0; index < chunk.byteLength; index++) {
          if (chunk[index] !== (((received + index) / chunkBytes) & 255)) mismatches++;
        }
        received += chunk.byteLength;
        if (received >= nextPauseAt && pauses.length < 3) {
          pauses.push(pauseFor(pauses.length === 0 ? 150 : 20, pauses.length === 0));
          nextPauseAt += 20 * MiB;
        }
      },
      end: () => {
        server.end();
        done.resolve();
      },
      close: () => {},
    });
    client.start({ data: () => {}, end: () => {}, close: () => {} });
    for (let index = 0; sent < total; index++) {
      const ok = client.write(patterns[index & 255]!);
      sent += chunkBytes;
      maxBuffered = Math.max(maxBuffered, client.bufferedBytes);
      if (!ok) await client.drained();
    }
    client.end();
    await done.promise;
    await Promise.all(pauses);
  } finally {
    await listener.close();
  }
  assert.equal(received, total);
  assert.equal(mismatches, 0);
  assert.equal(deliveredWhilePaused, 0);
  assert.ok(maxBuffered <= WRITE_HIGH_WATER_BYTES + chunkBytes, `buffered ${maxBuffered}`);
  assert.ok(
    sentDuringFirstPause >= 0 && sentDuringFirstPause < 48 * MiB,
    `sender pushed ${sentDuringFirstPause} bytes while the reader was paused`,
  );
}

/**
 * Connections torn down in every way at once, seeded so a failure replays: the client ends,
 * closes at once, closes while paused with unread data, or closes mid-stream; the server side
 * floods some of them. Every connection on both sides must report `close` exactly once.
 */
async function randomTeardowns(runtime: Runtime): Promise<void> {
  let seed = 0x2545f491;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const count = 300;
  const serverCloses: number[] = [];
  const serverClosed: Promise<void>[] = [];
  const listener = await listenLoopback(runtime, (conn) => {
    const index = serverCloses.push(0) - 1;
    let flood = random() < 0.5;
    let closed = false;
    // Up to 4 MiB once the client spoke, so the dialling phase stays quiet.
    const startFlood = async (): Promise<void> => {
      const chunk = new Uint8Array(64 * 1024);
      for (let sent = 0; sent < 4 * MiB && !closed; sent += chunk.byteLength) {
        if (!conn.write(chunk)) await conn.drained();
      }
    };
    serverClosed.push(
      new Promise((resolve) => {
        conn.start({
          data: (chunk) => {
            conn.write(chunk);
            if (flood) void startFlood();
            flood = false;
          },
          end: () => conn.end(),
          close: () => {
            closed = true;
            serverCloses[index]!++;
            resolve();
          },
        });
      }),
    );
  });
  try {
    const clients = await Promise.all(
      Array.from({ length: count }, () => dial(runtime, listener.port)),
    );
    await Promise.all(clients.map(async (client) => {
      const choice = random();
      client.conn.write(utf8("some bytes"));
      if (random() < 0.5) await delay(Math.floor(random() * 5));
      if (choice < 0.25) {
        client.conn.end();
      } else if (choice < 0.5) {
        client.conn.close();
      } else if (choice < 0.75) {
        client.conn.pause();
        await delay(2);
        client.conn.close();
      } else {
        await client.receivedAtLeast(1);
        client.conn.close();
      }
      await client.closed;
    }));
    await Promise.all(serverClosed);
    await delay(20);
    assert.equal(serverCloses.length, count);
    assert.deepEqual(serverCloses.filter((closes) => closes !== 1), []);
    assert.deepEqual(clients.filter((client) => client.closes !== 1).map((c) => c.closes), []);
  } finally {
    await listener.close();
  }
}

/** 1,000 connections open at once (dialled 100 at a time), each doing one round-trip. */
async function thousandConnections(runtime: Runtime): Promise<void> {
  const count = 1000;
  let acceptedCount = 0;
  const listener = await listenLoopback(runtime, (conn) => {
    acceptedCount++;
    echo(conn);
  });
  const clients: Probe[] = [];
  try {
    for (let batch = 0; batch < count; batch += 100) {
      const dials = Array.from({ length: 100 }, () => dial(runtime, listener.port));
      clients.push(...await Promise.all(dials));
    }
    clients.forEach((client, index) => client.conn.write(utf8(`ping ${index}`)));
    await Promise.all(clients.map((client, index) => {
      return client.receivedAtLeast(`ping ${index}`.length);
    }));
    clients.forEach((client, index) => assert.equal(client.text(), `ping ${index}`));
    assert.equal(acceptedCount, count);
    for (const client of clients) client.conn.end();
    const errors = await Promise.all(clients.map((client) => client.closed));
    assert.deepEqual(errors.filter((error) => error !== undefined), []);
  } finally {
    for (const client of clients) client.conn.close();
    await listener.close();
  }
}

/**
 * A child Deno process dials us and streams; we stream back; then it is killed with SIGKILL.
 * Our connection must close exactly once (quietly or with ECONNRESET/EPIPE), with no exception
 * escaping, and the listener must keep serving.
 */
async function peerKilled(runtime: Runtime): Promise<void> {
  let closes = 0;
  const serverClosed = Promise.withResolvers<RuntimeError | undefined>();
  const gotMegabyte = Promise.withResolvers<void>();
  let received = 0;
  const listener = await listenLoopback(runtime, (conn) => {
    let closed = false;
    conn.start({
      data: (chunk) => {
        received += chunk.byteLength;
        if (received >= MiB) gotMegabyte.resolve();
      },
      end: () => {},
      close: (error) => {
        closed = true;
        closes++;
        serverClosed.resolve(error);
      },
    });
    void (async () => {
      const chunk = new Uint8Array(64 * 1024);
      while (!closed) if (!conn.write(chunk)) await conn.drained();
    })();
  });
  const script = `const c = await Deno.connect({ hostname: "127.0.0.1", port: ${listener.port} });
const chunk = new Uint8Array(65536); for (;;) await c.write(chunk);`;
  const child = spawn(denoPath(), ["eval", script], { stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    await gotMegabyte.promise;
    child.kill("SIGKILL");
    await exited;
    const error = await serverClosed.promise;
    if (error !== undefined) assert.ok(["ECONNRESET", "EPIPE"].includes(error.code), error.code);
    await delay(10);
    assert.equal(closes, 1);
    const next = await dial(runtime, listener.port);
    next.conn.close();
    await next.closed;
  } finally {
    child.kill("SIGKILL");
    await listener.close();
  }
}

/** The Deno binary the dev tooling installs, used for helper processes on every runtime. */
function denoPath(): string {
  return fileURLToPath(new URL("../../node_modules/.bin/deno", import.meta.url));
}

/**
 * Provokes a connect timeout on loopback: a listener (in a child Deno process, since the port
 * always accepts) with a backlog of 0 that never accepts. Once its accept queue is full the
 * kernel drops further SYNs, so the next dial hangs until `timeoutMs`.
 */
async function connectTimeout(runtime: Runtime): Promise<void> {
  const script = `const l = Deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 0 });
console.log(l.addr.port); setInterval(() => {}, 1000);`;
  const child = spawn(denoPath(), ["eval", script], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const connections: Connection[] = [];
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once(
        "data",
        (data: Uint8Array) => resolve(Number(new TextDecoder().decode(data))),
      );
      child.once("error", reject);
    });
    let timedOut: RuntimeError | undefined;
    for (let attempt = 0; attempt < 8 && timedOut === undefined; attempt++) {
      try {
        connections.push(await runtime.connect({ hostname: "127.0.0.1", port, timeoutMs: 300 }));
      } catch (error) {
        assert.ok(error instanceof RuntimeError, String(error));
        timedOut = error;
      }
    }
    assert.ok(timedOut !== undefined, "every dial was accepted by the kernel");
    assert.equal(timedOut.code, "ETIMEDOUT");
  } finally {
    for (const conn of connections) conn.close();
    child.kill("SIGKILL");
    await exited;
  }
}

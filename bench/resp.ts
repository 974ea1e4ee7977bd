/**
 * RESP hot-path throughput: the request decoder (MB/s and commands/s for SET and GET streams,
 * fed in 64 KiB chunks as a socket would deliver them) and the reply path (Conn writes through
 * a ReplyQueue into a connection that discards bytes, flushed once per simulated turn).
 *
 *     deno run -A bench/resp.ts      bun bench/resp.ts      node bench/resp.ts
 *
 * @module
 */

import { RespDecoder } from "../lib/resp/decoder.ts";
import { ReplyQueue } from "../lib/resp/reply_queue.ts";
import type { Connection, ConnectionHandlers } from "../lib/runtime.ts";
import { createCommandTable } from "../lib/server/builtins.ts";
import { Session } from "../lib/server/session.ts";

const utf8 = new TextEncoder();
const CHUNK_BYTES = 64 * 1024;
const SECONDS = 1;

function multibulk(args: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [utf8.encode(`*${args.length}\r\n`)];
  for (const arg of args) parts.push(utf8.encode(`$${arg.length}\r\n`), arg, utf8.encode("\r\n"));
  return join(parts);
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A stream of `count` commands made by `make(i)`, cut into socket-sized chunks. */
function stream(count: number, make: (i: number) => Uint8Array): Uint8Array[] {
  const whole = join(Array.from({ length: count }, (_, i) => make(i)));
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < whole.length; at += CHUNK_BYTES) {
    chunks.push(whole.slice(at, at + CHUNK_BYTES));
  }
  return chunks;
}

interface Row {
  name: string;
  mbPerSecond: number;
  perSecond: number;
}

/** Runs `round` until SECONDS have passed; `round` returns [bytes, items] it processed. */
function measure(name: string, round: () => [number, number]): Row {
  for (let i = 0; i < 3; i++) round(); // warm up
  let bytes = 0;
  let items = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < SECONDS * 1000) {
    const [b, n] = round();
    bytes += b;
    items += n;
    elapsed = performance.now() - started;
  }
  const seconds = elapsed / 1000;
  return { name, mbPerSecond: bytes / 1e6 / seconds, perSecond: items / seconds };
}

function decodeCase(name: string, chunks: Uint8Array[]): Row {
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  return measure(name, () => {
    const decoder = new RespDecoder();
    let count = 0;
    for (const chunk of chunks) {
      decoder.push(chunk);
      while (decoder.next() !== undefined) count++;
    }
    return [bytes, count];
  });
}

/** A connection that takes every write and drops it. */
class NullConnection implements Connection {
  readonly remoteAddress = "127.0.0.1:1";
  readonly localAddress = "127.0.0.1:2";
  readonly bufferedBytes = 0;
  written = 0;
  start(_handlers: ConnectionHandlers): void {}
  write(bytes: Uint8Array): boolean {
    this.written += bytes.length;
    return true;
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  pause(): void {}
  resume(): void {}
  end(): void {}
  close(): void {}
}

/** Replies per simulated turn (a pipeline of this depth). */
const TURN_REPLIES = 1000;

function encodeCase(name: string, reply: (conn: ReturnType<ReplyQueue["begin"]>) => void): Row {
  const connection = new NullConnection();
  let pendingFlush: (() => void) | undefined;
  const queue = new ReplyQueue(connection, { scheduleFlush: (flush) => (pendingFlush = flush) });
  return measure(name, () => {
    const before = connection.written;
    for (let turn = 0; turn < 100; turn++) {
      for (let i = 0; i < TURN_REPLIES; i++) {
        const conn = queue.begin();
        reply(conn);
        conn.end();
      }
      pendingFlush?.();
      pendingFlush = undefined;
    }
    return [connection.written - before, 100 * TURN_REPLIES];
  });
}

/** The whole dispatch path: chunks of `depth` PING frames into a Session, one flush each. */
function sessionCase(name: string, depth: number): Row {
  let handlers: ConnectionHandlers | undefined;
  const connection = new NullConnection();
  connection.start = (h: ConnectionHandlers) => void (handlers = h);
  let pendingFlush: (() => void) | undefined;
  const session = new Session(connection, 1, {
    commands: createCommandTable(),
    scheduleFlush: (flush) => (pendingFlush = flush),
    decoder: {},
    outputBytesMax: 64 * 1024 * 1024,
    inflightMax: 1024,
    onError: undefined,
    onClose: () => {},
  });
  session.start();
  const frame = utf8.encode("*1\r\n$4\r\nPING\r\n");
  const chunks = Array.from({ length: 1000 }, () => join(Array(depth).fill(frame)));
  return measure(name, () => {
    for (const chunk of chunks) {
      handlers!.data(chunk);
      pendingFlush?.();
      pendingFlush = undefined;
    }
    return [chunks.length * depth * frame.length, chunks.length * depth];
  });
}

const key = utf8.encode("key:000000000042");
const small = utf8.encode("0123456789");
const large = new Uint8Array(1024).fill(0x78);
const SET = utf8.encode("SET");
const GET = utf8.encode("GET");

const rows: Row[] = [
  decodeCase("decode SET 10 B", stream(20_000, () => multibulk([SET, key, small]))),
  decodeCase("decode SET 1 KiB", stream(5_000, () => multibulk([SET, key, large]))),
  decodeCase("decode GET", stream(20_000, () => multibulk([GET, key]))),
  decodeCase("decode inline PING", stream(20_000, () => utf8.encode("PING\r\n"))),
  encodeCase("reply +OK", (conn) => conn.writeString("OK")),
  encodeCase("reply :integer", (conn) => conn.writeInt(123456)),
  encodeCase("reply bulk 10 B", (conn) => conn.writeBulk(small)),
  encodeCase("reply bulk 1 KiB", (conn) => conn.writeBulk(large)),
  encodeCase("reply bulk string 10 B", (conn) => conn.writeBulk("0123456789")),
  sessionCase("session PING, P=1", 1),
  sessionCase("session PING, P=16", 16),
];

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
console.log(`RESP hot path on ${runtime} (${SECONDS} s per case, 64 KiB chunks)`);
console.log(`${"case".padEnd(24)} ${"MB/s".padStart(10)} ${"ops/s".padStart(14)}`);
for (const row of rows) {
  console.log(
    `${row.name.padEnd(24)} ${row.mbPerSecond.toFixed(1).padStart(10)} ${
      Math.round(row.perSecond).toLocaleString("en-US").padStart(14)
    }`,
  );
}

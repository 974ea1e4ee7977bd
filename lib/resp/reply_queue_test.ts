import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Connection, ConnectionHandlers } from "../runtime.ts";
import type { Conn } from "./conn.ts";
import { ReplyQueue, type ReplyQueueOptions } from "./reply_queue.ts";
import { Prng } from "../../tests/_support/prng.ts";
import { memoryPair } from "../../tests/_support/memory_net.ts";

const text = new TextDecoder();

/** Records writes; `bufferedBytes` and `write`'s answer are set by the test. */
class FakeConnection implements Connection {
  readonly remoteAddress = "127.0.0.1:5000";
  readonly localAddress = "127.0.0.1:7481";
  bufferedBytes = 0;
  accept = true;
  writes: string[] = [];
  ended = false;
  closed = false;
  start(_handlers: ConnectionHandlers): void {}
  write(bytes: Uint8Array): boolean {
    this.writes.push(text.decode(bytes));
    this.bufferedBytes += bytes.length; // as a real socket would, until the kernel takes them
    return this.accept;
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  pause(): void {}
  resume(): void {}
  end(): void {
    this.ended = true;
  }
  close(): void {
    this.closed = true;
  }
}

/** A queue whose flushes run only when the test calls `turn()`. */
function setup(options: Partial<ReplyQueueOptions> = {}) {
  const connection = new FakeConnection();
  const tasks: (() => void)[] = [];
  const queue = new ReplyQueue(connection, {
    scheduleFlush: (flush) => tasks.push(flush),
    ...options,
  });
  const turn = () => {
    for (const task of tasks.splice(0)) task();
  };
  return { connection, queue, tasks, turn };
}

describe("ReplyQueue and Conn", () => {
  test("synchronous replies of one turn go out in one write, in order", () => {
    const { connection, queue, tasks, turn } = setup();
    for (let i = 0; i < 100; i++) {
      const conn = queue.begin();
      conn.writeInt(i);
      conn.end();
    }
    assert.equal(tasks.length, 1, "one flush scheduled for the whole turn");
    turn();
    assert.equal(connection.writes.length, 1);
    assert.equal(connection.writes[0], Array.from({ length: 100 }, (_, i) => `:${i}\r\n`).join(""));
  });

  test("a later synchronous reply waits for an earlier asynchronous one", () => {
    const { connection, queue, turn } = setup();
    const slow = queue.begin();
    const fast = queue.begin();
    fast.writeString("fast");
    fast.end();
    const slower = queue.begin();
    const last = queue.begin();
    last.writeString("last");
    last.end();
    turn();
    assert.deepEqual(connection.writes, []);
    slower.writeString("slower");
    slower.end();
    turn();
    assert.deepEqual(connection.writes, []);
    slow.writeArray(1);
    slow.writeString("slow");
    slow.end();
    turn();
    assert.deepEqual(connection.writes, ["*1\r\n+slow\r\n+fast\r\n+slower\r\n+last\r\n"]);
  });

  test("random completion orders keep command order (seeded)", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const prng = new Prng(seed);
      const { connection, queue, turn } = setup();
      const count = prng.range(1, 40);
      const conns: Conn[] = [];
      const expected: string[] = [];
      for (let i = 0; i < count; i++) conns.push(queue.begin());
      const order = conns.map((_, i) => i).sort(() => prng.next() - 0.5);
      const parts = conns.map(() => prng.range(1, 3));
      for (let i = 0; i < count; i++) {
        expected.push(`*${parts[i]}\r\n` + `:${i}\r\n`.repeat(parts[i]!));
      }
      for (const i of order) {
        conns[i]!.writeArray(parts[i]!);
        for (let p = 0; p < parts[i]!; p++) conns[i]!.writeInt(i);
        conns[i]!.end();
        if (prng.chance(0.3)) turn();
      }
      turn();
      assert.equal(connection.writes.join(""), expected.join(""), `seed ${seed}`);
      assert.equal(queue.pendingReplies, 0);
    }
  });

  test("a protocol switch applies to its own reply and later ones, not earlier ones", () => {
    const { connection, queue, turn } = setup();
    const earlier = queue.begin(); // still in flight when HELLO runs
    const hello = queue.begin();
    hello.protocol = 3;
    hello.writeMap(1);
    hello.writeBulk("proto");
    hello.writeInt(hello.protocol);
    hello.end();
    const later = queue.begin();
    later.writeNull();
    later.writeBoolean(true);
    later.end();
    earlier.writeNull(); // written after the switch, but begun before it: RESP2
    earlier.end();
    turn();
    assert.equal(connection.writes.join(""), "$-1\r\n%1\r\n$5\r\nproto\r\n:3\r\n_\r\n#t\r\n");
    assert.equal(queue.protocol, 3);
  });

  test("close() sends every reply up to this one, half-closes, and drops later ones", () => {
    const closed: string[] = [];
    const { connection, queue, turn } = setup({ onClosed: (reason) => closed.push(reason) });
    const earlier = queue.begin();
    const quit = queue.begin();
    quit.writeString("OK");
    quit.close();
    quit.end();
    assert.equal(queue.closed, true);
    const later = queue.begin();
    later.writeString("dropped");
    later.end();
    earlier.writeString("earlier");
    earlier.end();
    turn();
    assert.deepEqual(connection.writes, ["+earlier\r\n+OK\r\n"]);
    assert.equal(connection.ended, true);
    assert.deepEqual(closed, ["requested"]);
  });

  test("pending output beyond the limit closes the connection", () => {
    const closed: string[] = [];
    const { connection, queue, turn } = setup({
      outputBytesMax: 100,
      onClosed: (reason) => closed.push(reason),
    });
    const conn = queue.begin();
    conn.writeBulk("x".repeat(50));
    assert.equal(connection.closed, false);
    conn.writeBulk("y".repeat(60));
    assert.equal(connection.closed, true);
    assert.deepEqual(closed, ["overflow"]);
    conn.writeString("ignored after close");
    conn.end();
    turn();
    assert.deepEqual(connection.writes, []);
  });

  test("the connection's own unsent bytes count toward the limit", () => {
    const { connection, queue, turn } = setup({ outputBytesMax: 100 });
    const first = queue.begin();
    first.writeBulk("a".repeat(40));
    first.end();
    turn();
    connection.bufferedBytes = 90; // the peer is not reading
    const second = queue.begin();
    second.writeBulk("b".repeat(20));
    second.end();
    turn();
    assert.equal(connection.closed, true);
  });

  test("a held reply beyond the limit closes the connection too", () => {
    const { connection, queue } = setup({ outputBytesMax: 100 });
    queue.begin(); // never answers
    const held = queue.begin();
    held.writeBulk("z".repeat(200));
    assert.equal(connection.closed, true);
  });

  test("backpressure from the connection is reported", () => {
    let pressed = 0;
    const { connection, queue, turn } = setup({ onBackpressure: () => pressed++ });
    connection.accept = false;
    const conn = queue.begin();
    conn.writeString("OK");
    conn.end();
    turn();
    assert.equal(pressed, 1);
  });

  test("discard() drops a half-written reply so an error can replace it", () => {
    const { connection, queue, turn } = setup();
    const head = queue.begin();
    head.writeArray(3);
    head.writeInt(1);
    assert.equal(head.discard(), true);
    head.writeError("ERR failed");
    const held = queue.begin();
    held.writeArray(2);
    assert.equal(held.discard(), true);
    held.writeError("ERR also");
    head.end();
    held.end();
    turn();
    assert.deepEqual(connection.writes, ["-ERR failed\r\n-ERR also\r\n"]);
  });

  test("writing after end() is a programming error", () => {
    const { queue } = setup();
    const conn = queue.begin();
    conn.end();
    assert.throws(() => conn.writeString("late"), TypeError);
    assert.throws(() => conn.end(), TypeError);
  });

  test("per-connection state is shared by every Conn of the connection", () => {
    const { queue } = setup({ id: 7 });
    const a = queue.begin();
    a.context = { user: "x" };
    a.attributes.set("name", "worker");
    const b = queue.begin();
    assert.deepEqual(b.context, { user: "x" });
    assert.equal(b.attributes.get("name"), "worker");
    assert.equal(b.id, 7);
    assert.equal(b.remoteAddress, "127.0.0.1:5000");
  });

  test("over a memory connection with queueMicrotask: one write per turn", async () => {
    const [server, client] = memoryPair();
    const received: string[] = [];
    client.start({ data: (chunk) => received.push(text.decode(chunk)), end() {}, close() {} });
    server.start({ data() {}, end() {}, close() {} });
    const queue = new ReplyQueue(server, { scheduleFlush: queueMicrotask });
    const answer = (conn: Conn, i: number) => (conn.writeInt(i), conn.end());
    // Turn 1: twenty replies finishing out of order.
    const first = Array.from({ length: 20 }, () => queue.begin());
    first.forEach((conn, i) => i % 2 === 1 && answer(conn, i));
    first.forEach((conn, i) => i % 2 === 0 && answer(conn, i));
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Turn 2: ten more.
    for (let i = 20; i < 30; i++) answer(queue.begin(), i);
    await new Promise((resolve) => setTimeout(resolve, 0));
    await server.drained();
    assert.equal(server.writes, 2);
    assert.equal(received.join(""), Array.from({ length: 30 }, (_, i) => `:${i}\r\n`).join(""));
    server.close();
  });
});

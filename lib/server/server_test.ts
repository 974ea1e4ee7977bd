import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryRuntime } from "../../tests/_support/memory_net.ts";
import { command, TestClient } from "../../tests/_support/test_client.ts";
import { Prng } from "../../tests/_support/prng.ts";
import { createCommandTable } from "./builtins.ts";
import { serve, type ServeOptions, type Server } from "./server.ts";
import { SETTLE, type SettleTarget } from "./session.ts";
import type { Conn } from "../resp/conn.ts";

const servers: Server[] = [];
const clients: TestClient[] = [];

async function start(options: ServeOptions = {}, runtime = new MemoryRuntime()) {
  const server = await serve(runtime, options);
  servers.push(server);
  const connect = async () => {
    const client = await TestClient.connect(runtime, server.port);
    clients.push(client);
    return client;
  };
  return { server, connect, client: await connect() };
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
});

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("server skeleton", () => {
  test("PING, PING msg, ECHO, inline and multibulk", async () => {
    const { client } = await start();
    client.send(command("PING"));
    assert.equal(await client.expect("+PONG\r\n"), "+PONG\r\n");
    client.send(command("ping", "hello world"));
    assert.equal(await client.expect("$11\r\nhello world\r\n"), "$11\r\nhello world\r\n");
    client.send('echo "a\\r\\nb"\r\n');
    assert.equal(await client.expect("$4\r\na\r\nb\r\n"), "$4\r\na\r\nb\r\n");
    client.send(command("EcHo", new Uint8Array([0, 255])));
    assert.equal(await client.expect("$2\r\n\0\xff\r\n"), "$2\r\n\0\xff\r\n");
  });

  test("unknown commands and wrong arity get Finn's errors", async () => {
    const { client } = await start();
    const expected = "-ERR unknown command 'nosuch'\r\n" +
      "-ERR wrong number of arguments for 'echo' command\r\n" +
      "-ERR wrong number of arguments for 'ping' command\r\n" +
      "-ERR unknown command 'bad  name'\r\n";
    client.send(command("nosuch", "x"));
    client.send(command("ECHO"));
    client.send(command("PING", "a", "b"));
    client.send(command("bad\r\nname"));
    assert.equal(await client.expect(expected), expected);
  });

  test("QUIT answers +OK, then the connection closes", async () => {
    const { client } = await start();
    client.send("PING\r\nQUIT\r\nPING\r\n");
    assert.equal(await client.expect("+PONG\r\n+OK\r\n"), "+PONG\r\n+OK\r\n");
    await client.waitClosed();
    assert.equal(client.buffer, "", "nothing after QUIT's reply");
  });

  test("nothing after QUIT runs, even while an earlier reply is in flight", async () => {
    const commands = createCommandTable();
    let marks = 0;
    commands.register({
      name: "slow",
      arity: 1,
      handler: async (conn) => {
        await delay(5);
        conn.writeString("slow");
      },
    });
    commands.register({
      name: "mark",
      arity: 1,
      handler: (conn) => (marks++, conn.writeInt(marks)),
    });
    const { client } = await start({ commands });
    client.send("SLOW\r\nQUIT\r\nMARK\r\n");
    assert.equal(await client.expect("+slow\r\n+OK\r\n"), "+slow\r\n+OK\r\n");
    await client.waitClosed();
    assert.equal(marks, 0);
  });

  test("HELLO 3 switches to RESP3: a map reply, then RESP3 nulls", async () => {
    const { client } = await start();
    client.send(command("HELLO", "3", "SETNAME", "tester"));
    const map = "%7\r\n$6\r\nserver\r\n$8\r\nflotilla\r\n$7\r\nversion\r\n$5\r\n0.1.0\r\n" +
      "$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:1\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n" +
      "$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n";
    assert.equal(await client.expect(map), map);
    client.send(command("CLIENT", "GETNAME"));
    client.send(command("CLIENT", "SETNAME", ""));
    client.send(command("CLIENT", "GETNAME"));
    client.send(command("HELLO", "2"));
    const replies = "$6\r\ntester\r\n+OK\r\n_\r\n*14\r\n";
    assert.equal(await client.expect(replies), replies);
  });

  test("HELLO refuses other versions and bad options as Redis does", async () => {
    const { client } = await start();
    const expected = "-NOPROTO unsupported protocol version\r\n" +
      "-ERR Protocol version is not an integer or out of range\r\n" +
      "-ERR Syntax error in HELLO option 'bogus'\r\n" +
      "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    client.send(command("HELLO", "4"));
    client.send(command("HELLO", "three"));
    client.send(command("HELLO", "3", "bogus"));
    client.send(command("HELLO", "3", "AUTH", "alice", "secret"));
    assert.equal(await client.expect(expected), expected);
    client.send(command("HELLO", "2", "AUTH", "default", "any"));
    const head = "*14\r\n$6\r\nserver\r\n";
    assert.equal(await client.expect(head), head);
  });

  test("CLIENT ID, SETNAME, GETNAME, SETINFO and errors", async () => {
    const { connect } = await start();
    const first = clients[0]!;
    const second = await connect();
    second.send(command("CLIENT", "ID"));
    assert.equal(await second.expect(":2\r\n"), ":2\r\n");
    const expected = "$-1\r\n+OK\r\n$1\r\nw\r\n+OK\r\n" +
      "-ERR Client names cannot contain spaces, newlines or special characters.\r\n" +
      "-ERR Unrecognized option 'lib-foo'\r\n" +
      "-ERR unknown subcommand 'nope'. Try CLIENT HELP.\r\n" +
      "-ERR wrong number of arguments for 'client|getname' command\r\n" +
      "-ERR wrong number of arguments for 'client' command\r\n";
    first.send(command("CLIENT", "GETNAME"));
    first.send(command("CLIENT", "SETNAME", "w"));
    first.send(command("client", "getname"));
    first.send(command("CLIENT", "SETINFO", "LIB-NAME", "ioredis"));
    first.send(command("CLIENT", "SETNAME", "a b"));
    first.send(command("CLIENT", "SETINFO", "lib-foo", "x"));
    first.send(command("CLIENT", "nope"));
    first.send(command("CLIENT", "GETNAME", "extra"));
    first.send(command("CLIENT"));
    assert.equal(await first.expect(expected), expected);
  });

  test("COMMAND, COUNT, INFO, DOCS and LIST answer as redis-cli expects", async () => {
    const { client } = await start();
    client.send(command("COMMAND", "COUNT"));
    assert.equal(await client.expect(":6\r\n"), ":6\r\n");
    client.send(command("COMMAND", "DOCS"));
    assert.equal(await client.expect("*0\r\n"), "*0\r\n");
    client.send(command("COMMAND", "INFO", "ping", "nosuch"));
    const ping =
      "*2\r\n*10\r\n$4\r\nping\r\n:-1\r\n*2\r\n+fast\r\n+sentinel\r\n:0\r\n:0\r\n:0\r\n" +
      "*2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n$-1\r\n";
    assert.equal(await client.expect(ping), ping);
    client.send(command("COMMAND", "LIST"));
    const list = "*6\r\n$4\r\nping\r\n$4\r\necho\r\n$4\r\nquit\r\n$6\r\nclient\r\n" +
      "$5\r\nhello\r\n$7\r\ncommand\r\n";
    assert.equal(await client.expect(list), list);
    client.send(command("COMMAND", "BOGUS"));
    const bogus = "-ERR unknown subcommand 'BOGUS'. Try COMMAND HELP.\r\n";
    assert.equal(await client.expect(bogus), bogus);
    client.send(command("COMMAND"));
    assert.equal(await client.expect("*6\r\n*10\r\n$4\r\nping\r\n"), "*6\r\n*10\r\n$4\r\nping\r\n");
  });

  test("a pipelined batch with synchronous and asynchronous handlers answers in order", async () => {
    const commands = createCommandTable();
    const prng = new Prng(5);
    commands.register({
      name: "slow",
      arity: 2,
      handler: async (conn, args) => {
        const value = args[1]!.slice(); // keep the bytes past the handler's first await
        await delay(prng.int(5));
        conn.writeBulk(value);
      },
    });
    const { client } = await start({ commands });
    let batch = "";
    let expected = "";
    for (let i = 0; i < 300; i++) {
      const kind = i % 3;
      const word = `v${i}`;
      if (kind === 0) batch += `PING ${word}\r\n`;
      else if (kind === 1) batch += `SLOW ${word}\r\n`;
      else batch += `*2\r\n$4\r\nECHO\r\n$${word.length}\r\n${word}\r\n`;
      expected += `$${word.length}\r\n${word}\r\n`;
    }
    client.send(batch);
    assert.equal(await client.read(expected.length), expected);
  });

  test("handler exceptions and rejections become -ERR; the connection goes on", async () => {
    const commands = createCommandTable();
    commands.register({
      name: "boom",
      arity: 1,
      handler: (conn) => {
        conn.writeArray(2); // half a reply, discarded
        throw new Error("kaboom\nsecond line");
      },
    });
    commands.register({
      name: "reject",
      arity: 1,
      handler: async () => {
        await delay(1);
        throw new TypeError("nope");
      },
    });
    const errors: unknown[] = [];
    const { client } = await start({ commands, onError: (error) => errors.push(error) });
    client.send("BOOM\r\nREJECT\r\nPING\r\n");
    const expected = "-ERR kaboom\r\n-ERR nope\r\n+PONG\r\n";
    assert.equal(await client.expect(expected), expected);
    assert.equal(errors.length, 2);
  });

  test("a handler that fails after part of its reply went out closes the connection", async () => {
    const commands = createCommandTable();
    commands.register({
      name: "half",
      arity: 1,
      handler: async (conn) => {
        conn.writeArray(2);
        conn.writeInt(1);
        await delay(5); // the first element is flushed meanwhile
        throw new Error("lost the second element");
      },
    });
    const { client } = await start({ commands });
    client.send("HALF\r\n");
    assert.equal(await client.expect("*2\r\n:1\r\n"), "*2\r\n:1\r\n");
    await client.waitClosed();
    assert.equal(client.buffer, "");
  });

  test("a protocol error answers -ERR Protocol error, closes, and others keep working", async () => {
    const { connect } = await start();
    const bad = clients[0]!;
    const good = await connect();
    bad.send("PING\r\n*1\r\n$x\r\nPING\r\n");
    const expected = "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n";
    assert.equal(await bad.expect(expected), expected);
    await bad.waitClosed();
    assert.equal(bad.buffer, "");
    good.send(command("PING"));
    assert.equal(await good.expect("+PONG\r\n"), "+PONG\r\n");
  });

  test("a client that half-closes still gets its pipelined replies", async () => {
    const { client } = await start();
    client.send("PING\r\nECHO x\r\n");
    client.connection.end();
    assert.equal(await client.expect("+PONG\r\n$1\r\nx\r\n"), "+PONG\r\n$1\r\nx\r\n");
    await client.waitClosed();
  });

  test("a client that never reads is disconnected at the output limit", async () => {
    const { server, client } = await start({ outputBytesMax: 32 * 1024 });
    client.connection.pause();
    client.send(command("ECHO", new Uint8Array(40 * 1024)));
    await client.waitClosed();
    await delay(5);
    assert.equal(server.connections, 0);
  });

  test("reading pauses at the in-flight bound and resumes as replies end", async () => {
    const commands = createCommandTable();
    let started = 0;
    const release: (() => void)[] = [];
    commands.register({
      name: "wait",
      arity: 1,
      handler: async (conn) => {
        started++;
        await new Promise<void>((resolve) => release.push(resolve));
        conn.writeString("done");
      },
    });
    const { client } = await start({ commands, inflightMax: 2 });
    client.send("WAIT\r\nWAIT\r\nWAIT\r\nPING\r\n");
    await delay(10);
    assert.equal(started, 2);
    release.shift()!();
    await delay(10);
    assert.equal(started, 3);
    while (release.length > 0) release.shift()!();
    const expected = "+done\r\n+done\r\n+done\r\n+PONG\r\n";
    assert.equal(await client.expect(expected), expected);
  });

  test("self-settling results: in order, an error reply, and reading resumes at the bound", async () => {
    const commands = createCommandTable();
    const pending: { target: SettleTarget; conn: Conn; args: Uint8Array[]; fail: boolean }[] = [];
    commands.register({
      name: "later",
      arity: 2,
      handler: (_conn, args) => {
        const fail = new TextDecoder().decode(args[1]) === "fail";
        // A thenable the session must not await: it reports through SETTLE instead.
        const result = {
          then: () => assert.fail("the session awaited a self-settling result"),
          [SETTLE]: (target: SettleTarget, c: Conn, a: Uint8Array[]) => {
            pending.push({ target, conn: c, args: a, fail });
          },
        };
        return result as unknown as Promise<void>;
      },
    });
    const { client } = await start({ commands, inflightMax: 2 });
    client.send("LATER a\r\nLATER fail\r\nLATER c\r\nPING\r\n");
    await delay(10);
    assert.equal(pending.length, 2, "reading paused at the bound");
    const settle = (item: (typeof pending)[number]) => {
      if (item.fail) item.target.settled(item.conn, new Error("no luck"), item.args);
      else {
        item.conn.writeString(`done ${new TextDecoder().decode(item.args[1])}`);
        item.target.settled(item.conn, undefined, item.args);
      }
    };
    // Settled out of order: the replies still leave in command order.
    settle(pending[1]!);
    await delay(10);
    assert.equal(pending.length, 3, "reading resumed when one settled");
    settle(pending[2]!);
    settle(pending[0]!);
    const expected = "+done a\r\n-ERR no luck\r\n+done c\r\n+PONG\r\n";
    assert.equal(await client.expect(expected), expected);
  });

  test("close() stops the listener and drops connections", async () => {
    const runtime = new MemoryRuntime();
    const { server, client } = await start({}, runtime);
    client.send("PING\r\n");
    await client.expect("+PONG\r\n");
    assert.equal(server.connections, 1);
    await server.close();
    await client.waitClosed();
    await assert.rejects(() => runtime.connect({ hostname: "127.0.0.1", port: server.port }));
  });
});

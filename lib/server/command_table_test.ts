import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CommandTable } from "./command_table.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const noop = () => {};

describe("CommandTable.lookup", () => {
  it("finds every registered command by its bytes in any case, and nothing else", () => {
    const table = new CommandTable();
    // Enough names that some share a bucket (the index has 4 slots per command).
    const names = Array.from({ length: 300 }, (_, k) => `cmd${k.toString(36)}x`);
    for (const name of names) table.register({ name, arity: 1, handler: noop });
    for (const name of names) {
      assert.equal(table.lookup(encode(name))?.name, name);
      assert.equal(table.lookup(encode(name.toUpperCase()))?.name, name);
    }
    assert.equal(table.lookup(encode("cmd")), undefined);
    assert.equal(table.lookup(encode("cmd0xx")), undefined);
    assert.equal(table.lookup(new Uint8Array(0)), undefined);
    assert.equal(table.lookup(new Uint8Array(65).fill(0x61)), undefined);
  });

  it("follows registration, replacement and removal", () => {
    const table = new CommandTable();
    assert.equal(table.lookup(encode("get")), undefined);
    table.register({ name: "GET", arity: 2, handler: noop });
    table.register({ name: "set", arity: -3, handler: noop });
    assert.equal(table.lookup(encode("gEt"))?.arity, 2);
    table.register({ name: "get", arity: -2, handler: noop });
    assert.equal(table.lookup(encode("GET"))?.arity, -2);
    assert.equal(table.unregister("Get"), true);
    assert.equal(table.lookup(encode("get")), undefined);
    assert.equal(table.lookup(encode("SET"))?.arity, -3);
  });
});

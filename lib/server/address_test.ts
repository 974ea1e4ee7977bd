import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatAddress, parseAddress, parsePeerAddress } from "./address.ts";

describe("parseAddress", () => {
  test("accepts the forms users write", () => {
    assert.deepEqual(parseAddress("127.0.0.1:7481"), { hostname: "127.0.0.1", port: 7481 });
    assert.deepEqual(parseAddress(":7481"), { hostname: "127.0.0.1", port: 7481 });
    assert.deepEqual(parseAddress("7481"), { hostname: "127.0.0.1", port: 7481 });
    assert.deepEqual(parseAddress(":7481", "0.0.0.0"), { hostname: "0.0.0.0", port: 7481 });
    assert.deepEqual(parseAddress("localhost:1"), { hostname: "localhost", port: 1 });
    assert.deepEqual(parseAddress("[::1]:7482"), { hostname: "::1", port: 7482 });
  });

  test("rejects bad addresses with a message that quotes them", () => {
    const cases: [string, RegExp][] = [
      ["localhost", /expected host:port/],
      ["host:99999", /port must be a number/],
      ["host:", /port must be a number/],
      ["host:abc", /port must be a number/],
      ["::1:7481", /IPv6 host in brackets/],
      ["[::1]7481", /\[ipv6\]:port/],
      ["bad host:1", /bad host name/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(() => parseAddress(text), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, pattern);
        assert.ok(error.message.includes(`'${text}'`));
        return true;
      });
    }
  });

  test("formatAddress is the inverse of parseAddress", () => {
    for (const text of ["127.0.0.1:7481", "[::1]:7482", "example.org:80"]) {
      assert.equal(formatAddress(parseAddress(text)), text);
    }
  });

  test("parsePeerAddress refuses what no peer could dial, quoting the input", () => {
    assert.deepEqual(parsePeerAddress(":7482"), { hostname: "127.0.0.1", port: 7482 });
    assert.deepEqual(parsePeerAddress("[::1]:1"), { hostname: "::1", port: 1 });
    const cases: [string, RegExp][] = [
      [":0", /a peer's port must be from 1 to 65535/],
      ["0", /a peer's port must be from 1 to 65535/],
      ["0.0.0.0:7481", /'0\.0\.0\.0' is every interface/],
      ["[::]:7481", /'::' is every interface/],
      ["host:99999", /port must be a number/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(() => parsePeerAddress(text), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, pattern);
        assert.ok(error.message.includes(`'${text}'`));
        return true;
      });
    }
  });
});

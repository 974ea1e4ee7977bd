import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RuntimeError } from "../lib/errors.ts";
import { errorCodeOf, toRuntimeError } from "./_errors.ts";
import { formatAddress } from "./_address.ts";

function withCode(code: string, name = "Error"): Error {
  const error = new Error("x");
  error.name = name;
  return Object.assign(error, { code });
}

describe("errorCodeOf", () => {
  test("keeps the codes the port knows", () => {
    for (const code of ["ENOENT", "EEXIST", "ENOTEMPTY", "EADDRINUSE", "ECONNRESET", "ENOSPC"]) {
      assert.equal(errorCodeOf(withCode(code)), code);
    }
  });

  test("maps aliases and Deno error names", () => {
    assert.equal(errorCodeOf(withCode("EPERM")), "EACCES");
    assert.equal(errorCodeOf(withCode("ECONNABORTED")), "ECONNRESET");
    assert.equal(errorCodeOf(withCode("ERR_FS_EISDIR")), "EISDIR");
    const notFound = new Error("x");
    notFound.name = "NotFound";
    assert.equal(errorCodeOf(notFound), "ENOENT");
    const refused = new Error("x");
    refused.name = "ConnectionRefused";
    assert.equal(errorCodeOf(refused), "ECONNREFUSED");
  });

  test("anything else is EUNKNOWN", () => {
    assert.equal(errorCodeOf(new Error("x")), "EUNKNOWN");
    assert.equal(errorCodeOf(withCode("ENOTFOUND")), "EUNKNOWN");
    assert.equal(errorCodeOf("a string"), "EUNKNOWN");
    assert.equal(errorCodeOf(null), "EUNKNOWN");
  });
});

describe("toRuntimeError", () => {
  test("wraps with code, path and cause; passes RuntimeErrors through", () => {
    const cause = withCode("ENOENT");
    const error = toRuntimeError(cause, "open", "data/log");
    assert.ok(error instanceof RuntimeError);
    assert.equal(error.code, "ENOENT");
    assert.equal(error.path, "data/log");
    assert.equal(error.cause, cause);
    assert.match(error.message, /^Cannot open data\/log \(ENOENT\)/);
    assert.equal(toRuntimeError(error, "stat", "other"), error);
  });
});

describe("formatAddress", () => {
  test("joins host and port, bracketing IPv6", () => {
    assert.equal(formatAddress("127.0.0.1", 7481), "127.0.0.1:7481");
    assert.equal(formatAddress("::1", 7481), "[::1]:7481");
    assert.equal(formatAddress("[::1]", 7481), "[::1]:7481");
    assert.equal(formatAddress("localhost", 80), "localhost:80");
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  errorReplyText,
  UnknownCommandError,
  VerbatimReplyError,
  WrongArgumentCountError,
} from "./reply_error.ts";
import { NotLeaderError } from "../errors.ts";

describe("errorReplyText", () => {
  test("redirects to the leader in TRY or MOVED form", () => {
    assert.equal(errorReplyText(new NotLeaderError("127.0.0.1:7481"), "try"), "TRY 127.0.0.1:7481");
    assert.equal(
      errorReplyText(new NotLeaderError("127.0.0.1:7481"), "moved"),
      "MOVED 0 127.0.0.1:7481",
    );
    assert.equal(errorReplyText(new NotLeaderError(undefined), "try"), "ERR leader not known");
  });

  test("Finn's command errors", () => {
    assert.equal(
      errorReplyText(new UnknownCommandError("foo"), "try"),
      "ERR unknown command 'foo'",
    );
    assert.equal(
      errorReplyText(new WrongArgumentCountError("set"), "try"),
      "ERR wrong number of arguments for 'set' command",
    );
  });

  test("fills in the command name when the machine did not give it", () => {
    assert.equal(
      errorReplyText(new UnknownCommandError(), "try", "FOO"),
      "ERR unknown command 'FOO'",
    );
    assert.equal(
      errorReplyText(new WrongArgumentCountError(), "try", "get"),
      "ERR wrong number of arguments for 'get' command",
    );
  });

  test("keeps a message's own code word and sends only its first line", () => {
    assert.equal(errorReplyText(new Error("WRONGTYPE bad"), "try"), "WRONGTYPE bad");
    assert.equal(errorReplyText(new Error("bad\r\nINJECTED"), "try"), "ERR bad");
    assert.equal(errorReplyText("plain", "try"), "ERR plain");
    assert.equal(errorReplyText(new Error(""), "try"), "ERR unknown error");
  });

  test("sends a verbatim error's text with no code word, as Finn passes hashicorp's on", () => {
    assert.equal(
      errorReplyText(new VerbatimReplyError("peer is unknown"), "try"),
      "peer is unknown",
    );
    assert.equal(errorReplyText(new VerbatimReplyError("two\nlines"), "try"), "two");
    assert.equal(errorReplyText(new VerbatimReplyError(""), "try"), "ERR unknown error");
  });
});

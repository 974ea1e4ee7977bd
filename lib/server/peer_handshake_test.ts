import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { answerHello, checkAuth } from "./peer_handshake.ts";
import { computeProof, createNonce } from "./peer_auth.ts";

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe("peer handshake (listening side)", () => {
  test("a peer that knows the secret is authenticated, and it can check our proof", async () => {
    const clientNonce = createNonce();
    const hello = await answerHello("s3cret", [text("raft.hello"), text("n1"), clientNonce]);
    const ourProof = await computeProof("s3cret", "server", clientNonce, hello.serverNonce);
    assert.deepEqual(hello.serverProof, ourProof);
    const proof = await computeProof("s3cret", "client", clientNonce, hello.serverNonce);
    const state = await checkAuth("s3cret", hello.state, [text("raft.auth"), proof]);
    assert.deepEqual(state, { stage: "authenticated", peerId: "n1" });
  });

  test("a wrong secret, a replayed server proof or a skipped HELLO is refused", async () => {
    const clientNonce = createNonce();
    const hello = await answerHello("s3cret", [text("raft.hello"), text("n1"), clientNonce]);
    const wrong = await computeProof("guess", "client", clientNonce, hello.serverNonce);
    await assert.rejects(checkAuth("s3cret", hello.state, [text("raft.auth"), wrong]), /invalid/);
    // Reflecting our own proof back must not work: the role is part of the MAC.
    await assert.rejects(
      checkAuth("s3cret", hello.state, [text("raft.auth"), hello.serverProof]),
      /invalid/,
    );
    const proof = await computeProof("s3cret", "client", clientNonce, hello.serverNonce);
    await assert.rejects(
      checkAuth("s3cret", { stage: "none" }, [text("raft.auth"), proof]),
      /before RAFT.HELLO/,
    );
  });

  test("malformed HELLO is refused", async () => {
    await assert.rejects(answerHello("s", [text("raft.hello"), text("n1")]), /wrong number/);
    await assert.rejects(
      answerHello("s", [text("raft.hello"), text("n1"), new Uint8Array(3)]),
      /invalid handshake nonce/,
    );
  });
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { computeProof, createNonce, NONCE_BYTES, proofsEqual } from "./peer_auth.ts";

describe("peer challenge-response", () => {
  test("the same secret and nonces give the same proof", async () => {
    const client = createNonce();
    const server = createNonce();
    const a = await computeProof("secret", "client", client, server);
    const b = await computeProof("secret", "client", client, server);
    assert.equal(a.length, 32);
    assert.equal(proofsEqual(a, b), true);
  });

  test("a different secret, role or nonce changes the proof", async () => {
    const client = createNonce();
    const server = createNonce();
    const base = await computeProof("secret", "client", client, server);
    const variants = [
      await computeProof("secreT", "client", client, server),
      await computeProof("secret", "server", client, server),
      await computeProof("secret", "client", createNonce(), server),
      await computeProof("secret", "client", client, createNonce()),
    ];
    for (const variant of variants) assert.equal(proofsEqual(base, variant), false);
  });

  test("the proof never contains the secret's bytes", async () => {
    const secret = "a-long-cluster-secret-value";
    const proof = await computeProof(secret, "server", createNonce(), createNonce());
    const text = new TextDecoder("latin1").decode(proof);
    assert.equal(text.includes(secret), false);
  });

  test("nonces are fresh and sized", () => {
    const a = createNonce();
    const b = createNonce();
    assert.equal(a.length, NONCE_BYTES);
    assert.equal(proofsEqual(a, b), false);
  });

  test("an empty secret still yields a proof (no secret configured)", async () => {
    const client = createNonce();
    const server = createNonce();
    const proof = await computeProof("", "client", client, server);
    assert.equal(proof.length, 32);
    assert.equal(proofsEqual(proof, await computeProof("x", "client", client, server)), false);
  });

  test("proofsEqual rejects different lengths", () => {
    assert.equal(proofsEqual(new Uint8Array(2), new Uint8Array(3)), false);
    assert.equal(proofsEqual(new Uint8Array([7, 7]), new Uint8Array([7, 7])), true);
  });
});

/**
 * Challenge-response proof that a peer knows the cluster secret, without ever sending it.
 *
 * The handshake is mutual, so neither a rogue client nor a rogue server learns anything useful:
 * 1. the dialling peer sends its nonce;
 * 2. the listening node answers with its own nonce and `proof("server", ...)`;
 * 3. the dialling peer checks that proof, then sends `proof("client", ...)`;
 * 4. the listening node checks it and only then accepts Raft traffic on the connection.
 * The role label stops a proof from one direction being replayed in the other; fresh nonces on
 * both sides stop replay across connections. HMAC-SHA-256 through Web Crypto, which Deno, Bun
 * and Node all provide as `crypto.subtle`.
 *
 * @module
 */

/** Which side of the handshake a proof comes from. */
export type PeerRole = "client" | "server";

/** Bytes in a nonce: 128 bits of randomness make a collision across connections negligible. */
export const NONCE_BYTES = 16;

/**
 * A fresh random nonce.
 *
 * @example
 * ```ts
 * import { createNonce } from "./peer_auth.ts";
 * console.log(createNonce().length); // 16
 * ```
 */
export function createNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

const encoder = new TextEncoder();

/**
 * The proof a side sends: HMAC-SHA-256 keyed by the secret over the role and both nonces.
 *
 * @example
 * ```ts
 * import { computeProof, createNonce, proofsEqual } from "./peer_auth.ts";
 * const [client, server] = [createNonce(), createNonce()];
 * const mine = await computeProof("s3cret", "client", client, server);
 * const theirs = await computeProof("s3cret", "client", client, server);
 * console.log(proofsEqual(mine, theirs)); // true
 * ```
 */
export async function computeProof(
  secret: string,
  role: PeerRole,
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
): Promise<Uint8Array> {
  // Web Crypto refuses an empty HMAC key; with no secret configured the handshake still runs
  // (it proves nothing then, as the startup warning says) under a fixed label.
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret === "" ? "flotilla:no-cluster-secret" : secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const label = encoder.encode(`flotilla-peer-${role}:`);
  const message = new Uint8Array(label.length + clientNonce.length + serverNonce.length);
  message.set(label, 0);
  message.set(clientNonce, label.length);
  message.set(serverNonce, label.length + clientNonce.length);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

/**
 * Compares two proofs in time independent of where they differ, so timing reveals nothing.
 *
 * @example
 * ```ts
 * import { proofsEqual } from "./peer_auth.ts";
 * console.log(proofsEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))); // false
 * ```
 */
export function proofsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

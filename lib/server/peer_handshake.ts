/**
 * The listening side of the peer handshake (see `peer_auth.ts`): answers `RAFT.HELLO` with a
 * nonce and a proof, checks the `RAFT.AUTH` proof, and only then lets the connection carry Raft
 * messages. A plain client that sends Raft commands gets an error, never a state change.
 *
 * @module
 */

import { computeProof, createNonce, NONCE_BYTES, proofsEqual } from "./peer_auth.ts";

/** Where one connection stands in the handshake. */
export type PeerHandshakeState =
  | { stage: "none" }
  | { stage: "challenged"; peerId: string; clientNonce: Uint8Array; serverNonce: Uint8Array }
  | { stage: "authenticated"; peerId: string };

/** The reply to `RAFT.HELLO`: our nonce and our proof of the secret. */
export interface HelloReply {
  /** The next state for the connection. */
  state: PeerHandshakeState;
  /** Our nonce. */
  serverNonce: Uint8Array;
  /** Our proof. */
  serverProof: Uint8Array;
}

const textDecoder = new TextDecoder();

/**
 * Handles `RAFT.HELLO <peer id> <client nonce>`.
 *
 * @example
 * ```ts ignore
 * const { state, serverNonce, serverProof } = await answerHello(secret, args);
 * ```
 */
export async function answerHello(
  secret: string,
  args: readonly Uint8Array[],
): Promise<HelloReply> {
  if (args.length !== 3) throw new TypeError("wrong number of arguments for 'raft.hello' command");
  const clientNonce = args[2]!;
  if (clientNonce.length !== NONCE_BYTES) throw new TypeError("invalid handshake nonce");
  const serverNonce = createNonce();
  const serverProof = await computeProof(secret, "server", clientNonce, serverNonce);
  const peerId = textDecoder.decode(args[1]!);
  return {
    state: { stage: "challenged", peerId, clientNonce: clientNonce.slice(), serverNonce },
    serverNonce,
    serverProof,
  };
}

/**
 * Handles `RAFT.AUTH <proof>`: the authenticated state, or an error saying why not.
 *
 * @example
 * ```ts ignore
 * state = await checkAuth(secret, state, args);
 * ```
 */
export async function checkAuth(
  secret: string,
  state: PeerHandshakeState,
  args: readonly Uint8Array[],
): Promise<PeerHandshakeState> {
  if (args.length !== 2) throw new TypeError("wrong number of arguments for 'raft.auth' command");
  if (state.stage !== "challenged") throw new TypeError("RAFT.AUTH before RAFT.HELLO");
  const expected = await computeProof(secret, "client", state.clientNonce, state.serverNonce);
  if (!proofsEqual(expected, args[1]!)) {
    throw new TypeError("invalid cluster secret proof");
  }
  return { stage: "authenticated", peerId: state.peerId };
}

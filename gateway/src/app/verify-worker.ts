// Piscina worker: verifies a batch of raw signatures with node:crypto, caching parsed keys.
import type { Alg, SignatureVerifier } from '@pledgeguard/protocol';
import { nodeVerifier } from '@pledgeguard/protocol/node';

export interface VerifyTask {
  readonly alg: Alg;
  /** Cache key of the public key: deviceId:keyVersion. */
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

const verifiers = new Map<string, SignatureVerifier | null>();
const MAX_CACHED_KEYS = 50_000;

function verifierFor(task: VerifyTask): SignatureVerifier | null {
  let verifier = verifiers.get(task.keyId);
  if (verifier === undefined) {
    const made = nodeVerifier(task.alg, task.publicKey);
    verifier = made.ok ? made.value : null;
    if (verifiers.size >= MAX_CACHED_KEYS) verifiers.clear();
    verifiers.set(task.keyId, verifier);
  }
  return verifier;
}

/** 1 where the signature verifies, 0 where it does not (or the key is invalid). */
export default function verifyBatch(tasks: readonly VerifyTask[]): Uint8Array {
  const results = new Uint8Array(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!;
    const verifier = verifierFor(task);
    results[i] =
      verifier !== null &&
      verifier.alg === task.alg &&
      verifier.verify(task.message, task.signature)
        ? 1
        : 0;
  }
  return results;
}

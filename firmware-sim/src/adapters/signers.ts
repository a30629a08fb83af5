// Device signers: node:crypto (OpenSSL, ~15x faster) is the fast path for large fleets; @noble/curves
// is the reference, what constrained firmware and the browser run. Both make envelopes the gateway's
// verifier accepts (signers.test.ts).

import { createHash } from 'node:crypto';
import { keyPairFromSecret, nobleSigner, type Alg, type Signer } from '@pledgeguard/protocol';
import { nodeSigner } from '@pledgeguard/protocol/node';

export type SignerKind = 'node' | 'noble';

export function makeSigner(
  kind: SignerKind,
  alg: Alg,
  deviceId: string,
  secretKey: Uint8Array,
): Signer {
  return kind === 'node'
    ? nodeSigner(alg, deviceId, secretKey)
    : nobleSigner(alg, deviceId, secretKey);
}

/** A deterministic key from a seed (ephemeral fleets, the attacker's key in forgery scenarios). */
export function derivedKeyPair(
  alg: Alg,
  seed: number,
  label: string,
): { secretKey: Uint8Array; publicKey: Uint8Array } {
  for (let counter = 0; ; counter++) {
    const secret = createHash('sha256')
      .update(`pledgeguard-sim/${seed}/${label}/${counter}`)
      .digest();
    try {
      return keyPairFromSecret(alg, new Uint8Array(secret));
    } catch {
      // out of the curve's range (probability ~2^-128 for P-256): try the next counter
    }
  }
}

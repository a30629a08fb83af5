// Device-side signing and reference verification with @noble/curves (pure JS: runs on firmware
// simulators and in the browser). Ed25519 per RFC 8032 (strict, not ZIP-215); ECDSA per FIPS 186
// with SHA-256 and deterministic nonces (RFC 6979), raw r||s signatures.

import { fail, ok, type Result } from './codes.js';
import type { Alg } from './cose.js';
import {
  ECDSA_CURVES,
  ed25519,
  publicKeyFor,
  type SignatureVerifier,
  type Signer,
} from './curves.js';

export function nobleSigner(alg: Alg, kid: string, secretKey: Uint8Array): Signer {
  if (alg === 'EdDSA') return { alg, kid, sign: (message) => ed25519.sign(message, secretKey) };
  const curve = ECDSA_CURVES[alg];
  // lowS: true is noble's default and the protocol's rule; stated for the reader.
  return { alg, kid, sign: (message) => curve.sign(message, secretKey, { lowS: true }) };
}

/** A verifier by the standard alone: high-S ECDSA signatures are valid here (protocol rules sit in the envelope). */
export function nobleVerifier(alg: Alg, publicKey: Uint8Array): Result<SignatureVerifier> {
  try {
    if (alg === 'EdDSA') {
      ed25519.Point.fromBytes(publicKey, false);
      return ok({
        alg,
        verify: (message, signature) =>
          guard(() => ed25519.verify(signature, message, publicKey, { zip215: false })),
      });
    }
    const curve = ECDSA_CURVES[alg];
    curve.Point.fromBytes(publicKey).assertValidity();
    return ok({
      alg,
      verify: (message, signature) =>
        guard(() => curve.verify(signature, message, publicKey, { lowS: false })),
    });
  } catch (error) {
    return fail('PG_KEY_INVALID', `${alg} public key: ${(error as Error).message}`);
  }
}

/** A fresh key pair from the platform's secure random source. */
export function generateKeyPair(alg: Alg): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey =
    alg === 'EdDSA' ? ed25519.utils.randomSecretKey() : ECDSA_CURVES[alg].utils.randomSecretKey();
  return { secretKey, publicKey: publicKeyFor(alg, secretKey) };
}

/** The key pair of a given 32-byte secret key (fixtures, imported device keys). Throws on a bad key. */
export function keyPairFromSecret(
  alg: Alg,
  secretKey: Uint8Array,
): { secretKey: Uint8Array; publicKey: Uint8Array } {
  if (alg !== 'EdDSA' && !ECDSA_CURVES[alg].utils.isValidSecretKey(secretKey)) {
    throw new RangeError(`not a valid ${alg} secret key`);
  }
  if (secretKey.length !== 32) throw new RangeError('secret keys are 32 bytes');
  return { secretKey, publicKey: publicKeyFor(alg, secretKey) };
}

// noble throws on malformed signature encodings; to a verifier that is simply "does not verify".
function guard(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

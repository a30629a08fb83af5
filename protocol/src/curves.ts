// Curve facts shared by the noble (device, browser) and node:crypto (gateway) paths.

import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { fail, ok, type Result } from './codes.js';
import type { Alg } from './cose.js';

export { ed25519 };
export const ECDSA_CURVES = { ES256: p256, ES256K: secp256k1 } as const;

/** Raw signature size [bytes]: Ed25519 R||S, ECDSA r||s (IEEE P1363, the COSE form). */
export const SIGNATURE_BYTES = 64;

/** Signs the COSE ToBeSigned bytes. `kid` is the device id. */
export interface Signer {
  readonly alg: Alg;
  readonly kid: string;
  sign(message: Uint8Array): Uint8Array;
}

/** Verifies a raw signature under one public key, by the standard alone (high-S ECDSA passes). */
export interface SignatureVerifier {
  readonly alg: Alg;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * Protocol rules on the signature bytes, on top of the standard: 64 bytes, and for ECDSA low S
 * (s <= n/2), so an observer cannot re-encode a valid envelope into different valid bytes.
 */
export function checkSignatureShape(alg: Alg, signature: Uint8Array): Result<void> {
  if (signature.length !== SIGNATURE_BYTES) {
    return fail(
      'PG_SIG_MALFORMED',
      `${alg} signature is ${signature.length} bytes, expected ${SIGNATURE_BYTES}`,
    );
  }
  if (alg === 'EdDSA') return ok(undefined);
  const order = ECDSA_CURVES[alg].Point.Fn.ORDER;
  if (bytesToBigint(signature.subarray(32)) > order >> 1n) {
    return fail('PG_SIG_NON_CANONICAL', 'ECDSA s is above n/2');
  }
  return ok(undefined);
}

/** Replaces a high s by n - s in a raw r||s signature (the low-S normal form). */
export function normaliseLowS(alg: 'ES256' | 'ES256K', signature: Uint8Array): Uint8Array {
  const order = ECDSA_CURVES[alg].Point.Fn.ORDER;
  const s = bytesToBigint(signature.subarray(32));
  if (s <= order >> 1n) return signature;
  const out = Uint8Array.from(signature);
  out.set(bigintToBytes(order - s, 32), 32);
  return out;
}

/** Public key bytes for a secret key: Ed25519 32 bytes, ECDSA SEC1 compressed 33 bytes. */
export function publicKeyFor(alg: Alg, secretKey: Uint8Array): Uint8Array {
  return alg === 'EdDSA'
    ? ed25519.getPublicKey(secretKey)
    : ECDSA_CURVES[alg].getPublicKey(secretKey, true);
}

/** Affine coordinates of an ECDSA public key (33- or 65-byte SEC1), or a failure for a bad point. */
export function ecdsaPoint(
  alg: 'ES256' | 'ES256K',
  publicKey: Uint8Array,
): Result<{ x: Uint8Array; y: Uint8Array }> {
  try {
    const point = ECDSA_CURVES[alg].Point.fromBytes(publicKey);
    point.assertValidity();
    const uncompressed = point.toBytes(false);
    return ok({ x: uncompressed.subarray(1, 33), y: uncompressed.subarray(33, 65) });
  } catch (error) {
    return fail('PG_KEY_INVALID', `${alg} public key: ${(error as Error).message}`);
  }
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

export function bigintToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, value >>= 8n) out[i] = Number(value & 0xffn);
  return out;
}

// Sign a reading into an envelope; open an envelope back into a verified reading.

import { fail, ok, type Result } from './codes.js';
import {
  decodeSign1,
  encodeProtected,
  encodeReading,
  encodeSign1,
  toBeSigned,
  type Sign1,
} from './cose.js';
import { checkSignatureShape, type SignatureVerifier, type Signer } from './curves.js';
import type { Reading } from './reading.js';

/** Finds the verifier for a kid, or says why there is none (PG_DEVICE_UNKNOWN, PG_DEVICE_REVOKED). */
export type KeyResolver = (kid: string) => Result<SignatureVerifier>;

/** Encodes and signs `reading` as a COSE_Sign1 envelope. The signer's kid must be the device id. */
export function signReading(reading: Reading, signer: Signer): Uint8Array {
  if (signer.kid !== reading.deviceId) {
    throw new RangeError(`signer kid ${signer.kid} cannot sign for device ${reading.deviceId}`);
  }
  const protectedBytes = encodeProtected(signer.alg, signer.kid);
  const payloadBytes = encodeReading(reading);
  return encodeSign1(
    protectedBytes,
    payloadBytes,
    signer.sign(toBeSigned(protectedBytes, payloadBytes)),
  );
}

/** Checks the signature of a decoded envelope against one device's verifier. */
export function verifySign1(sign1: Sign1, verifier: SignatureVerifier): Result<Sign1> {
  if (verifier.alg !== sign1.alg) {
    return fail(
      'PG_ALG_MISMATCH',
      `envelope alg ${sign1.alg}, device registered with ${verifier.alg}`,
    );
  }
  const shape = checkSignatureShape(sign1.alg, sign1.signature);
  if (!shape.ok) return shape;
  if (!verifier.verify(toBeSigned(sign1.protectedBytes, sign1.payloadBytes), sign1.signature)) {
    return fail('PG_SIG_INVALID', `signature of ${sign1.kid} does not verify`);
  }
  return ok(sign1);
}

/** Decode, find the device key, verify: the whole check of one envelope. */
export function openEnvelope(bytes: Uint8Array, resolve: KeyResolver): Result<Sign1> {
  const decoded = decodeSign1(bytes);
  if (!decoded.ok) return decoded;
  const verifier = resolve(decoded.value.kid);
  if (!verifier.ok) return verifier;
  return verifySign1(decoded.value, verifier.value);
}

/** A resolver over a fixed map of kid -> verifier. */
export function resolverFromMap(verifiers: ReadonlyMap<string, SignatureVerifier>): KeyResolver {
  return (kid) => {
    const verifier = verifiers.get(kid);
    return verifier ? ok(verifier) : fail('PG_DEVICE_UNKNOWN', `no device ${kid}`);
  };
}

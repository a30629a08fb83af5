// Device signature check of one COSE_Sign1 envelope (RFC 9052 section 4.4, PROTOCOL.md sections
// 2-3). Decoding is the protocol package's strict decoder (browser-safe: cborg, no Node built-ins);
// the signature check calls @noble/curves directly so the rules are visible here:
// Ed25519 strict RFC 8032 (not ZIP-215); ECDSA over SHA-256 of Sig_structure, low S only.

import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { decodeSign1, toBeSigned, type Alg, type Code, type Reading } from '@pledgeguard/protocol';

export type SignatureCheck =
  { ok: true; alg: Alg; kid: string; reading: Reading } | { ok: false; code: Code; detail: string };

const SIGNATURE_BYTES = 64;

/**
 * Decodes `envelope`, checks that it is signed by `deviceId` with `alg`, and verifies the
 * signature under `publicKey` (Ed25519 32 bytes; SEC1 compressed or uncompressed for ECDSA).
 */
export function checkEnvelopeSignature(
  envelope: Uint8Array,
  deviceId: string,
  alg: Alg,
  publicKey: Uint8Array,
): SignatureCheck {
  const decoded = decodeSign1(envelope);
  if (!decoded.ok) return { ok: false, code: decoded.code, detail: decoded.detail };
  const sign1 = decoded.value;
  if (sign1.kid !== deviceId) {
    return { ok: false, code: 'PG_PAYLOAD_KID_MISMATCH', detail: `kid ${sign1.kid} ≠ ${deviceId}` };
  }
  if (sign1.alg !== alg) {
    return { ok: false, code: 'PG_ALG_MISMATCH', detail: `envelope ${sign1.alg}, key ${alg}` };
  }
  if (sign1.signature.length !== SIGNATURE_BYTES) {
    return { ok: false, code: 'PG_SIG_MALFORMED', detail: `${sign1.signature.length} bytes` };
  }
  const message = toBeSigned(sign1.protectedBytes, sign1.payloadBytes);
  const valid = verifyRaw(alg, message, sign1.signature, publicKey);
  if (valid === 'high-s') {
    return { ok: false, code: 'PG_SIG_NON_CANONICAL', detail: 'ECDSA s is above n/2' };
  }
  if (!valid) return { ok: false, code: 'PG_SIG_INVALID', detail: `signature of ${deviceId}` };
  return { ok: true, alg, kid: sign1.kid, reading: sign1.reading };
}

function verifyRaw(
  alg: Alg,
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean | 'high-s' {
  try {
    if (alg === 'EdDSA') return ed25519.verify(signature, message, publicKey, { zip215: false });
    const curve = alg === 'ES256' ? p256 : secp256k1;
    const order = curve.Point.Fn.ORDER;
    const s = BigInt('0x' + toHex(signature.subarray(32)));
    if (s > order >> 1n) return 'high-s';
    return curve.verify(signature, message, publicKey, { prehash: true, lowS: true });
  } catch {
    return false; // a malformed key or signature encoding simply does not verify
  }
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

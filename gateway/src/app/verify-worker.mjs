// Piscina worker: verifies a batch of raw signatures with node:crypto. Plain JavaScript with no
// imports beyond node:crypto, so each worker thread stays small (no TypeScript loader, no protocol
// package). A batch arrives as one transferred ArrayBuffer (layout in verifier-pool.ts, packBatch):
// no object per signature to clone, and each device key is parsed once per worker, by key id.
import { createPublicKey, verify } from 'node:crypto';

/** Algorithm codes of the batch layout, in this order: EdDSA, ES256, ES256K. */
const EDDSA = 0;

/** key id (assigned by the pool, never reused) -> parsed public key */
const keys = new Map();
const MAX_KEYS = 100_000;

function keyOf(id, der) {
  let key = keys.get(id);
  if (key === undefined) {
    if (keys.size >= MAX_KEYS) keys.clear();
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    keys.set(id, key);
  }
  return key;
}

/**
 * @param {ArrayBuffer} batch the packed batch (verifier-pool.ts packBatch)
 * @returns {Uint8Array} 1 where the signature verifies, 0 where it does not
 */
export default function verifyBatch(batch) {
  const bytes = new Uint8Array(batch);
  const view = new DataView(batch);
  const count = view.getUint32(0);
  const results = new Uint8Array(count);
  let at = 4;
  for (let i = 0; i < count; i++) {
    const alg = bytes[at];
    const keyId = view.getUint32(at + 1);
    const keyLength = view.getUint16(at + 5);
    const messageLength = view.getUint32(at + 7);
    const signatureLength = view.getUint16(at + 11);
    at += 13;
    const der = bytes.subarray(at, (at += keyLength));
    const message = bytes.subarray(at, (at += messageLength));
    const signature = bytes.subarray(at, (at += signatureLength));
    try {
      const key = keyOf(keyId, der);
      // ES256 and ES256K: SHA-256 and raw r||s (IEEE P1363), as COSE carries them.
      results[i] =
        alg === EDDSA
          ? verify(null, message, key, signature)
            ? 1
            : 0
          : verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature)
            ? 1
            : 0;
    } catch {
      results[i] = 0; // OpenSSL refuses some malformed inputs: that is "does not verify"
    }
  }
  return results;
}

// Piscina worker: verifies a batch of raw signatures with node:crypto. Plain JavaScript with no
// imports beyond node:crypto, so each worker thread stays small (no TypeScript loader, no protocol
// package): the main thread parses each device key once and sends the KeyObject with the task.
import { verify } from 'node:crypto';

/**
 * @param {ReadonlyArray<import('./verify-worker.d.mts').VerifyTask>} tasks
 * @returns {Uint8Array} 1 where the signature verifies, 0 where it does not
 */
export default function verifyBatch(tasks) {
  const results = new Uint8Array(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i];
    const ecdsa = task.alg !== 'EdDSA';
    try {
      // ES256 and ES256K: SHA-256 and raw r||s (IEEE P1363), as COSE carries them.
      const key = ecdsa ? { key: task.key, dsaEncoding: 'ieee-p1363' } : task.key;
      results[i] = verify(ecdsa ? 'sha256' : null, task.message, key, task.signature) ? 1 : 0;
    } catch {
      results[i] = 0; // OpenSSL refuses some malformed inputs: that is "does not verify"
    }
  }
  return results;
}

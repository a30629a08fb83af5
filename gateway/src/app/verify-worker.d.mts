/** Verifies a packed batch (verifier-pool.ts packBatch); 1 where a signature verifies, else 0. */
export default function verifyBatch(batch: ArrayBuffer): Uint8Array;

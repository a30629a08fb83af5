// What a co-signing follower reads from its own evidence log: the leaf hash and row id of the
// reading it holds under an identity, and the highest sequence it already signed for a lot.
import type Database from 'better-sqlite3';

export class CosignQueries {
  readonly #reading: Database.Statement;
  readonly #lastSigned: Database.Statement;

  constructor(db: Database.Database) {
    this.#reading = db.prepare(
      'SELECT id, leaf_hash FROM readings WHERE device_id = ? AND boot = ? AND seq = ?',
    );
    this.#lastSigned = db
      .prepare(
        'SELECT max(sequence) FROM attestations WHERE lot_key = ? AND own_signature IS NOT NULL',
      )
      .pluck();
  }

  reading(
    deviceId: string,
    boot: number,
    seq: number,
  ): { readonly id: number; readonly leafHash: Uint8Array } | undefined {
    const row = this.#reading.get(deviceId, boot, seq) as
      { id: number; leaf_hash: Buffer } | undefined;
    return row && { id: row.id, leafHash: new Uint8Array(row.leaf_hash) };
  }

  lastSignedSequence(lotKey: string): bigint | undefined {
    const value = this.#lastSigned.get(lotKey.toLowerCase()) as number | null;
    return value === null ? undefined : BigInt(value);
  }
}

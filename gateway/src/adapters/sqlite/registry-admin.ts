// Device-registry administration for the `pledgeguard devices` commands: key rotation with a key
// history (migration 3, `device_keys`), so readings signed before a rotation stay verifiable with
// the key that signed them. Shares the evidence log's open database (EvidenceStore.database).

import type Database from 'better-sqlite3';
import type { RegisteredDevice } from '../../ports/evidence-store.js';

export interface RotationResult {
  readonly deviceId: string;
  readonly previousKeyVersion: number;
  readonly keyVersion: number;
  /** True when the device was revoked before the rotation (a rotation re-activates it). */
  readonly wasRevoked: boolean;
}

export interface DeviceKeyVersion {
  readonly keyVersion: number;
  readonly alg: RegisteredDevice['alg'];
  readonly publicKey: Uint8Array;
  /** When a rotation replaced this key [ms since epoch]; undefined for the current key. */
  readonly retiredAtMs: number | undefined;
}

interface CurrentKeyRow {
  alg: RegisteredDevice['alg'];
  public_key: Uint8Array;
  key_version: number;
  revoked_at_ms: number | null;
}

/**
 * Replaces a device's key in one transaction: the old key moves to `device_keys` with its version,
 * the new one gets version + 1, and a revocation is cleared. Accepted readings are untouched, so
 * they stay valid evidence. Throws RangeError for an unknown device or an unchanged key.
 */
export function rotateDeviceKey(
  db: Database.Database,
  deviceId: string,
  alg: RegisteredDevice['alg'],
  publicKey: Uint8Array,
  nowMs: number,
): RotationResult {
  return db.transaction((): RotationResult => {
    const row = db
      .prepare(
        'SELECT alg, public_key, key_version, revoked_at_ms FROM devices WHERE device_id = ?',
      )
      .get(deviceId) as CurrentKeyRow | undefined;
    if (!row) throw new RangeError(`no device ${deviceId}`);
    if (row.alg === alg && Buffer.from(row.public_key).equals(Buffer.from(publicKey)))
      throw new RangeError(`device ${deviceId} already has this key (version ${row.key_version})`);
    db.prepare(
      'INSERT INTO device_keys (device_id, key_version, alg, public_key, retired_at_ms) VALUES (?, ?, ?, ?, ?)',
    ).run(deviceId, row.key_version, row.alg, row.public_key, nowMs);
    const keyVersion = row.key_version + 1;
    db.prepare(
      'UPDATE devices SET alg = ?, public_key = ?, key_version = ?, revoked_at_ms = NULL, revoke_reason = NULL, updated_at_ms = ? WHERE device_id = ?',
    ).run(alg, publicKey, keyVersion, nowMs, deviceId);
    return {
      deviceId,
      previousKeyVersion: row.key_version,
      keyVersion,
      wasRevoked: row.revoked_at_ms !== null,
    };
  })();
}

/** Every key the device has had, oldest first; the last one is current. */
export function deviceKeyHistory(db: Database.Database, deviceId: string): DeviceKeyVersion[] {
  const retired = db
    .prepare(
      'SELECT key_version, alg, public_key, retired_at_ms FROM device_keys WHERE device_id = ? ORDER BY key_version',
    )
    .all(deviceId) as Array<{
    key_version: number;
    alg: RegisteredDevice['alg'];
    public_key: Uint8Array;
    retired_at_ms: number;
  }>;
  const current = db
    .prepare('SELECT alg, public_key, key_version, revoked_at_ms FROM devices WHERE device_id = ?')
    .get(deviceId) as CurrentKeyRow | undefined;
  return [
    ...retired.map((row) => ({
      keyVersion: row.key_version,
      alg: row.alg,
      publicKey: new Uint8Array(row.public_key),
      retiredAtMs: row.retired_at_ms,
    })),
    ...(current
      ? [
          {
            keyVersion: current.key_version,
            alg: current.alg,
            publicKey: new Uint8Array(current.public_key),
            retiredAtMs: undefined,
          },
        ]
      : []),
  ];
}

// The device manifest: what provisioning (firmware-sim `provision`, or a real factory) hands the
// gateway so it can authenticate devices and verify their readings (PROTOCOL.md section 9).
// JSON; keys and hashes in lowercase hex. Parsing returns coded failures naming the bad field.

import { fail, ok, type Result } from './codes.js';
import { ALGS, type Alg } from './cose.js';
import { ID_PATTERN, KINDS, type ReadingKind } from './reading.js';

export const MANIFEST_VERSION = 1;

export interface ManifestDevice {
  readonly deviceId: string;
  readonly alg: Alg;
  /** Ed25519 32 bytes; P-256 / secp256k1 SEC1 compressed 33 bytes. [hex] */
  readonly publicKey: string;
  /** Kinds this device reports (heartbeat is implied for every device). */
  readonly kinds: readonly ReadingKind[];
  readonly bayId: string;
  /** The pledged lot the device watches, when it watches one. */
  readonly lotId?: string;
  /** Heartbeat period [ms]. */
  readonly heartbeatMs: number;
  /** MQTT password check: `scrypt$<N>$<r>$<p>$<salt hex>$<hash hex>` (username = deviceId). */
  readonly mqttPasswordHash: string;
}

export interface ManifestLot {
  readonly lotId: string;
  readonly bayId: string;
  readonly commodity: string;
  /** Weight of one RFID-tagged unit (pallet, bag) [g], for counting by tags. */
  readonly unitWeightGrams: string;
}

export interface DeviceManifest {
  readonly version: typeof MANIFEST_VERSION;
  readonly warehouseId: string;
  readonly devices: readonly ManifestDevice[];
  readonly lots: readonly ManifestLot[];
}

const HEX = /^(?:[0-9a-f]{2})+$/;
const PASSWORD_HASH = /^scrypt\$\d+\$\d+\$\d+\$[0-9a-f]{32,}\$[0-9a-f]{64,}$/;
const PUBLIC_KEY_BYTES: Record<Alg, readonly number[]> = {
  EdDSA: [32],
  ES256: [33, 65],
  ES256K: [33, 65],
};

/** Validates a parsed manifest JSON value. Failures name the path of the first bad field. */
export function parseManifest(value: unknown): Result<DeviceManifest> {
  const bad = (path: string, why: string) => fail('PG_MANIFEST_INVALID', `${path}: ${why}`);
  if (!isRecord(value)) return bad('$', 'must be an object');
  if (value.version !== MANIFEST_VERSION) return bad('$.version', `must be ${MANIFEST_VERSION}`);
  if (!isId(value.warehouseId)) return bad('$.warehouseId', `must match ${ID_PATTERN}`);
  if (!Array.isArray(value.devices)) return bad('$.devices', 'must be an array');
  if (!Array.isArray(value.lots)) return bad('$.lots', 'must be an array');

  const lotIds = new Set<string>();
  for (const [i, lot] of value.lots.entries()) {
    const path = `$.lots[${i}]`;
    if (!isRecord(lot)) return bad(path, 'must be an object');
    if (!isId(lot.lotId)) return bad(`${path}.lotId`, `must match ${ID_PATTERN}`);
    if (lotIds.has(lot.lotId)) return bad(`${path}.lotId`, `duplicate lot ${lot.lotId}`);
    lotIds.add(lot.lotId);
    if (!isId(lot.bayId)) return bad(`${path}.bayId`, `must match ${ID_PATTERN}`);
    if (typeof lot.commodity !== 'string' || lot.commodity.length === 0)
      return bad(`${path}.commodity`, 'must be a non-empty string');
    if (typeof lot.unitWeightGrams !== 'string' || !/^[1-9]\d{0,15}$/.test(lot.unitWeightGrams)) {
      return bad(`${path}.unitWeightGrams`, 'must be a positive integer in a string [g]');
    }
  }

  const deviceIds = new Set<string>();
  for (const [i, device] of value.devices.entries()) {
    const path = `$.devices[${i}]`;
    if (!isRecord(device)) return bad(path, 'must be an object');
    if (!isId(device.deviceId) || device.deviceId === 'gateway')
      return bad(`${path}.deviceId`, `must match ${ID_PATTERN} and not be "gateway"`);
    if (deviceIds.has(device.deviceId))
      return bad(`${path}.deviceId`, `duplicate device ${device.deviceId}`);
    deviceIds.add(device.deviceId);
    if (typeof device.alg !== 'string' || !Object.hasOwn(ALGS, device.alg))
      return bad(`${path}.alg`, `must be one of ${Object.keys(ALGS).join(', ')}`);
    const alg = device.alg as Alg;
    if (
      typeof device.publicKey !== 'string' ||
      !HEX.test(device.publicKey) ||
      !PUBLIC_KEY_BYTES[alg].includes(device.publicKey.length / 2)
    ) {
      return bad(
        `${path}.publicKey`,
        `must be lowercase hex of ${PUBLIC_KEY_BYTES[alg].join(' or ')} bytes for ${alg}`,
      );
    }
    if (
      !Array.isArray(device.kinds) ||
      device.kinds.length === 0 ||
      !device.kinds.every((k) => typeof k === 'string' && Object.hasOwn(KINDS, k))
    ) {
      return bad(`${path}.kinds`, `must be a non-empty list of ${Object.keys(KINDS).join(', ')}`);
    }
    if (!isId(device.bayId)) return bad(`${path}.bayId`, `must match ${ID_PATTERN}`);
    if (
      device.lotId !== undefined &&
      (typeof device.lotId !== 'string' || !lotIds.has(device.lotId))
    ) {
      return bad(`${path}.lotId`, 'must name a lot in $.lots');
    }
    if (!Number.isSafeInteger(device.heartbeatMs) || (device.heartbeatMs as number) < 1_000)
      return bad(`${path}.heartbeatMs`, 'must be an integer >= 1000 [ms]');
    if (
      typeof device.mqttPasswordHash !== 'string' ||
      !PASSWORD_HASH.test(device.mqttPasswordHash)
    ) {
      return bad(`${path}.mqttPasswordHash`, 'must be scrypt$N$r$p$salthex$hashhex');
    }
  }
  return ok(value as unknown as DeviceManifest);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

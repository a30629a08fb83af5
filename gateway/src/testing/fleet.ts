// Test fleet: devices with real keys, a manifest the gateway imports, and signed envelopes.
// Used by gateway tests and benchmarks; not part of the shipped gateway.
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  generateKeyPair,
  nobleSigner,
  signReading,
  type Alg,
  type DeviceManifest,
  type Reading,
  type ReadingKind,
  type Signer,
} from '@pledgeguard/protocol';
import { hashMqttPassword, nodeSigner } from '@pledgeguard/protocol/node';

export interface FleetDevice {
  readonly deviceId: string;
  readonly alg: Alg;
  readonly kind: ReadingKind;
  readonly bayId: string;
  readonly password: string;
  readonly signer: Signer;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface Fleet {
  readonly warehouseId: string;
  readonly devices: FleetDevice[];
  readonly manifest: DeviceManifest;
}

const FAST_SALT = new Uint8Array(16);

export function makeFleet(
  count: number,
  options: { warehouseId?: string; alg?: Alg; kind?: ReadingKind; fastSigner?: boolean } = {},
): Fleet {
  const warehouseId = options.warehouseId ?? 'wh-1';
  const alg = options.alg ?? 'EdDSA';
  const kind = options.kind ?? 'weight';
  const devices: FleetDevice[] = Array.from({ length: count }, (_, i) => {
    const deviceId = `dev-${String(i).padStart(5, '0')}`;
    const { secretKey, publicKey } = generateKeyPair(alg);
    return {
      deviceId,
      alg,
      kind,
      bayId: `B-${String(i % 100).padStart(2, '0')}`,
      password: `pw-${deviceId}`,
      signer: options.fastSigner
        ? nodeSigner(alg, deviceId, secretKey)
        : nobleSigner(alg, deviceId, secretKey),
      publicKey,
      secretKey,
    };
  });
  // One password hash for all test devices would let any device log in as any other: salt per device.
  const manifest: DeviceManifest = {
    version: 1,
    warehouseId,
    lots: [],
    devices: devices.map((device, i) => ({
      deviceId: device.deviceId,
      alg: device.alg,
      publicKey: bytesToHex(device.publicKey),
      kinds: [device.kind, 'door', 'tamper'],
      bayId: device.bayId,
      heartbeatMs: 60_000,
      mqttPasswordHash: hashMqttPassword(device.password, saltFor(i)),
    })),
  };
  return { warehouseId, devices, manifest };
}

function saltFor(index: number): Uint8Array {
  const salt = Uint8Array.from(FAST_SALT);
  new DataView(salt.buffer).setUint32(0, index);
  return salt;
}

/** A plausible reading of `device` at `seq`: noisy weight around 1,000 t, one second apart. */
export function readingOf(
  device: FleetDevice,
  seq: number,
  nowMs: number,
  overrides: Partial<Reading> = {},
): Reading {
  const noise = BigInt((mix(seq, device.deviceId) % 2_001) - 1_000);
  return {
    deviceId: device.deviceId,
    boot: 1,
    seq,
    deviceTimeMs: nowMs,
    kind: device.kind,
    value: device.kind === 'weight' ? 1_000_000_000n + noise : 20_000n + noise,
    bayId: device.bayId,
    firmware: '1.0.0',
    ...overrides,
  };
}

export function envelopeOf(
  device: FleetDevice,
  seq: number,
  nowMs: number,
  overrides: Partial<Reading> = {},
): Uint8Array {
  return signReading(readingOf(device, seq, nowMs, overrides), device.signer);
}

/** Integer hash (murmur3 finaliser) of seq and device id: pseudo-random noise that never repeats a trace. */
function mix(seq: number, deviceId: string): number {
  let h = Math.imul(seq + 1, 0x9e3779b1);
  for (let i = 0; i < deviceId.length; i++) h = Math.imul(h ^ deviceId.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

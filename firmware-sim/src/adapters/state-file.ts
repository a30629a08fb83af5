// Per-device secret state files: `<stateDir>/devices/<deviceId>.json`, mode 0600. They hold what
// stays on the device (secret key, MQTT password) and the boot counter, which must never repeat:
// it is incremented and written (atomically, rename) before the device signs anything.

import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ID_PATTERN, keyPairFromSecret } from '@pledgeguard/protocol';
import { countersAfterBoot } from '../identity.js';
import { DEVICE_TYPES } from '../core/sensors.js';

const hex = z.string().regex(/^(?:[0-9a-f]{2})+$/, 'lowercase hex');

export const deviceStateSchema = z.strictObject({
  version: z.literal(1),
  deviceId: z.string().regex(ID_PATTERN),
  type: z.enum(DEVICE_TYPES),
  bayId: z.string().regex(ID_PATTERN),
  lotId: z.string().regex(ID_PATTERN).optional(),
  alg: z.enum(['EdDSA', 'ES256', 'ES256K']),
  /** 32-byte secret key. Never leaves the device. */
  secretKey: hex,
  publicKey: hex,
  /** MQTT password (username = deviceId); the manifest holds only its scrypt hash. */
  mqttPassword: z.string().min(16),
  heartbeatMs: z.number().int().min(1000),
  /** Boot counter of the last start; null before the first. */
  lastBoot: z.number().int().min(0).max(4_294_967_295).nullable(),
});

export type DeviceState = z.output<typeof deviceStateSchema>;

export function stateDirOf(root: string): string {
  return join(root, 'devices');
}

export function statePath(root: string, deviceId: string): string {
  return join(stateDirOf(root), `${deviceId}.json`);
}

export function writeDeviceState(root: string, state: DeviceState): void {
  mkdirSync(stateDirOf(root), { recursive: true, mode: 0o700 });
  const path = statePath(root, state.deviceId);
  const temp = `${path}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

export function readDeviceState(root: string, deviceId: string): DeviceState {
  const path = statePath(root, deviceId);
  const parsed = deviceStateSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new Error(`bad device state file ${path}: ${z.prettifyError(parsed.error)}`);
  const keys = keyPairFromSecret(parsed.data.alg, Buffer.from(parsed.data.secretKey, 'hex'));
  if (Buffer.from(keys.publicKey).toString('hex') !== parsed.data.publicKey) {
    throw new Error(`bad device state file ${path}: publicKey does not match secretKey`);
  }
  return parsed.data;
}

export function listDeviceStates(root: string): DeviceState[] {
  let names: string[];
  try {
    names = readdirSync(stateDirOf(root));
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => readDeviceState(root, name.slice(0, -'.json'.length)));
}

/** Starts a device: increments and persists its boot counter, returning the new boot. */
export function bootDevice(root: string, state: DeviceState): { boot: number; state: DeviceState } {
  const persisted = state.lastBoot === null ? undefined : { boot: state.lastBoot, nextSeq: 0 };
  const { boot } = countersAfterBoot(persisted);
  if (boot > 4_294_967_295) throw new RangeError(`${state.deviceId}: boot counter exhausted`);
  const next = { ...state, lastBoot: boot };
  writeDeviceState(root, next);
  return { boot, state: next };
}

// Provisioning: a key pair and an MQTT password per device, kept in the device's secret state file,
// and the public half in a DeviceManifest (PROTOCOL.md section 9) for the gateway to import.
// The manifest is checked with the protocol's own parseManifest before it is written.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateKeyPair,
  parseManifest,
  type DeviceManifest,
  type ManifestDevice,
} from '@pledgeguard/protocol';
import { hashMqttPassword } from '@pledgeguard/protocol/node';
import type { Scenario } from '../core/scenario-schema.js';
import { KINDS_OF_TYPE } from '../core/sensors.js';
import {
  readDeviceState,
  statePath,
  writeDeviceState,
  type DeviceState,
} from '../adapters/state-file.js';
import { newMqttPassword } from './fleet.js';

export interface ProvisionResult {
  readonly manifest: DeviceManifest;
  readonly manifestPath: string;
  readonly created: number;
  readonly kept: number;
}

/** Provisions every device of `scenario` under `outDir`; existing state files keep their keys. */
export function provisionScenario(
  scenario: Scenario,
  outDir: string,
  onProgress?: (done: number) => void,
): ProvisionResult {
  mkdirSync(outDir, { recursive: true });
  let created = 0;
  let kept = 0;
  const devices: ManifestDevice[] = scenario.devices.map((spec, i) => {
    let state: DeviceState;
    if (existsSync(statePath(outDir, spec.deviceId))) {
      state = readDeviceState(outDir, spec.deviceId);
      if (state.alg !== spec.alg)
        throw new Error(
          `${spec.deviceId}: state file has ${state.alg}, scenario wants ${spec.alg}; delete it to re-key`,
        );
      kept++;
    } else {
      const keys = generateKeyPair(spec.alg);
      state = {
        version: 1,
        deviceId: spec.deviceId,
        type: spec.type,
        bayId: spec.bayId,
        ...(spec.lotId === undefined ? {} : { lotId: spec.lotId }),
        alg: spec.alg,
        secretKey: Buffer.from(keys.secretKey).toString('hex'),
        publicKey: Buffer.from(keys.publicKey).toString('hex'),
        mqttPassword: newMqttPassword(),
        heartbeatMs: spec.heartbeat,
        lastBoot: null,
      };
      writeDeviceState(outDir, state);
      created++;
    }
    onProgress?.(i + 1);
    return {
      deviceId: spec.deviceId,
      alg: spec.alg,
      publicKey: state.publicKey,
      kinds: [...KINDS_OF_TYPE[spec.type]],
      bayId: spec.bayId,
      ...(spec.lotId === undefined ? {} : { lotId: spec.lotId }),
      heartbeatMs: spec.heartbeat,
      mqttPasswordHash: hashMqttPassword(state.mqttPassword),
    };
  });
  const manifest = {
    version: 1 as const,
    warehouseId: scenario.warehouseId,
    lots: scenario.lots.map((lot) => ({
      lotId: lot.lotId,
      bayId: lot.bayId,
      commodity: lot.commodity,
      unitWeightGrams: lot.unitWeightGrams,
    })),
    devices,
  };
  const checked = parseManifest(manifest);
  if (!checked.ok) throw new Error(`provision produced an invalid manifest: ${checked.detail}`);
  const manifestPath = join(outDir, 'manifest.json');
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest: checked.value, manifestPath, created, kept };
}

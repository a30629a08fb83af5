// Device identities for a run: from provisioned state files (boot counter incremented and persisted
// before any reading is signed), or ephemeral ones derived from the seed (benchmarks, brokers
// without authentication; nothing persisted, boot 0).

import type { Scenario } from '../core/scenario-schema.js';
import { bootDevice, readDeviceState } from '../adapters/state-file.js';
import { derivedKeyPair } from '../adapters/signers.js';
import type { DeviceIdentity } from './fleet.js';

export function bootIdentities(scenario: Scenario, stateRoot: string): Map<string, DeviceIdentity> {
  const identities = new Map<string, DeviceIdentity>();
  for (const spec of scenario.devices) {
    let state;
    try {
      state = readDeviceState(stateRoot, spec.deviceId);
    } catch (error) {
      throw new Error(
        `device ${spec.deviceId}: no usable state file under ${stateRoot} (run provision first): ${(error as Error).message}`,
        { cause: error },
      );
    }
    const { boot } = bootDevice(stateRoot, state);
    identities.set(spec.deviceId, {
      deviceId: spec.deviceId,
      alg: state.alg,
      secretKey: new Uint8Array(Buffer.from(state.secretKey, 'hex')),
      mqttPassword: state.mqttPassword,
      boot,
    });
  }
  return identities;
}

export function ephemeralIdentities(scenario: Scenario): Map<string, DeviceIdentity> {
  const identities = new Map<string, DeviceIdentity>();
  for (const spec of scenario.devices) {
    const keys = derivedKeyPair(spec.alg, scenario.seed, spec.deviceId);
    identities.set(spec.deviceId, {
      deviceId: spec.deviceId,
      alg: spec.alg,
      secretKey: keys.secretKey,
      mqttPassword: 'ephemeral',
      boot: 0,
    });
  }
  return identities;
}

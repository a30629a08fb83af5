// Shared test fixtures: a small provisioned fleet in a temp dir, and an evidence checker that
// verifies envelopes and checks identity (deviceId, boot, seq) the way a gateway would.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openEnvelope,
  resolverFromMap,
  type DeviceManifest,
  type Reading,
  type SignatureVerifier,
} from '@pledgeguard/protocol';
import { nodeVerifier } from '@pledgeguard/protocol/node';
import { parseScenario, type Scenario, type ScenarioInput } from '../core/scenario-schema.js';
import { provisionScenario } from '../app/provision.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function smallScenario(overrides: Partial<ScenarioInput> = {}): Scenario {
  const parsed = parseScenario({
    name: 'test-fleet',
    description: 'three devices for transport tests',
    seed: 4242,
    warehouseId: 'wh-test',
    duration: '30d',
    timeScale: 50,
    lots: [
      {
        lotId: 'LOT-1',
        bayId: 'B-01',
        commodity: 'copper cathode',
        pallets: 100,
        unitWeightGrams: '1000000',
      },
    ],
    devices: [
      {
        deviceId: 'lc-1',
        type: 'load-cell',
        bayId: 'B-01',
        lotId: 'LOT-1',
        period: '5s',
        heartbeat: '60s',
      },
      {
        deviceId: 'door-1',
        type: 'door',
        bayId: 'B-01',
        lotId: 'LOT-1',
        period: '10s',
        heartbeat: '60s',
        alg: 'ES256',
      },
      {
        deviceId: 'temp-1',
        type: 'temperature',
        bayId: 'B-01',
        lotId: 'LOT-1',
        period: '10s',
        heartbeat: '60s',
        alg: 'ES256K',
      },
    ],
    expect: {},
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.scenario;
}

export function provisionTemp(scenario: Scenario): { dir: string; manifest: DeviceManifest } {
  const dir = tempDir('pg-fleet-');
  const { manifest } = provisionScenario(scenario, dir);
  return { dir, manifest };
}

export interface EvidenceReport {
  readonly verified: Reading[];
  readonly invalid: number;
  readonly redeliveries: number;
  readonly equivocations: number;
  /** device -> boot -> sorted distinct seqs */
  readonly seqs: Map<string, Map<number, number[]>>;
}

/** Verifies every envelope like a gateway and groups identities. */
export function checkEvidence(
  manifest: DeviceManifest,
  envelopes: readonly Uint8Array[],
): EvidenceReport {
  const verifiers = new Map<string, SignatureVerifier>();
  for (const device of manifest.devices) {
    const verifier = nodeVerifier(device.alg, new Uint8Array(Buffer.from(device.publicKey, 'hex')));
    if (!verifier.ok) throw new Error(verifier.detail);
    verifiers.set(device.deviceId, verifier.value);
  }
  const resolve = resolverFromMap(verifiers);
  const seen = new Map<string, string>();
  const verified: Reading[] = [];
  let invalid = 0;
  let redeliveries = 0;
  let equivocations = 0;
  const seqs = new Map<string, Map<number, number[]>>();
  for (const envelope of envelopes) {
    const opened = openEnvelope(envelope, resolve);
    if (!opened.ok) {
      invalid++;
      continue;
    }
    const r = opened.value.reading;
    const identity = `${r.deviceId}/${r.boot}/${r.seq}`;
    const hex = Buffer.from(envelope).toString('hex');
    const before = seen.get(identity);
    if (before !== undefined) {
      if (before === hex) redeliveries++;
      else equivocations++;
      continue;
    }
    seen.set(identity, hex);
    verified.push(r);
    const boots = seqs.get(r.deviceId) ?? new Map<number, number[]>();
    seqs.set(r.deviceId, boots);
    boots.set(r.boot, [...(boots.get(r.boot) ?? []), r.seq]);
  }
  for (const boots of seqs.values()) for (const list of boots.values()) list.sort((a, b) => a - b);
  return { verified, invalid, redeliveries, equivocations, seqs };
}

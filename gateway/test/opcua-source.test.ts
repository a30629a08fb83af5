// OPC UA source against the firmware simulator's PLC (a real node-opcua server), over
// SignAndEncrypt/Basic256Sha256: an unknown server certificate is refused and listed until an
// operator approves it; signed readings then reach the evidence log with full assurance and plain
// values are labelled channel assurance; after a PLC restart, data flows again by itself.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlcServer } from '../../firmware-sim/src/adapters/opcua-plc.js';
import { EvidenceStore } from '../src/adapters/sqlite/evidence-store.js';
import { OpcuaSource } from '../src/adapters/opcua/source.js';
import { IngestPipeline } from '../src/app/ingest.js';
import { VerifierPool } from '../src/app/verifier-pool.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../src/core/plausibility.js';
import { DEFAULT_SKEW_POLICY } from '../src/core/skew.js';
import { readingOf, envelopeOf, makeFleet } from '../src/testing/fleet.js';
import { freePort } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'pg-opcua-source-'));
const fleet = makeFleet(2, { fastSigner: true });
const log = pino({ level: 'silent' });
let port: number;
let plc: PlcServer;
let store: EvidenceStore;
let pool: VerifierPool;
let ingest: IngestPipeline;
const sources: OpcuaSource[] = [];

async function startPlc(): Promise<PlcServer> {
  const server = new PlcServer({ port, pkiDir: join(dir, 'plc-pki'), security: 'sign-encrypt' });
  await server.start(fleet.devices.map((device) => device.deviceId));
  return server;
}

function source(): OpcuaSource {
  const created = new OpcuaSource({
    endpointUrl: plc.endpointUrl,
    warehouseId: fleet.warehouseId,
    deviceIds: fleet.devices.map((device) => device.deviceId),
    security: 'sign-encrypt',
    pkiDir: join(dir, 'gateway-pki'),
    silenceRebuildMs: 3_000,
    ingest: (topic, payload) => ingest.submit({ topic, payload, source: 'opcua' }),
    log,
  });
  sources.push(created);
  return created;
}

/** Publishes readings seq from..to-1 of every device on the PLC, spaced beyond the sampling interval. */
async function publish(from: number, to: number): Promise<void> {
  for (let seq = from; seq < to; seq++) {
    for (const device of fleet.devices)
      plc.update(readingOf(device, seq, Date.now()), envelopeOf(device, seq, Date.now()));
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  port = await freePort();
  plc = await startPlc();
  writeFileSync(join(dir, 'unused'), '');
  store = new EvidenceStore(join(dir, 'evidence.db'));
  store.importManifest(fleet.manifest, Date.now());
  pool = new VerifierPool({ threads: 0 });
  ingest = new IngestPipeline({
    warehouseId: fleet.warehouseId,
    store,
    pool,
    clock: { nowMs: () => Date.now() },
    skew: DEFAULT_SKEW_POLICY,
    plausibility: DEFAULT_PLAUSIBILITY_POLICY,
  });
}, 60_000);

afterAll(async () => {
  for (const created of sources) await created.stop();
  await plc.stop();
  await pool.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('OPC UA source', () => {
  it('refuses an unknown server certificate, lists it, and connects once an operator approves it', async () => {
    const first = source();
    await expect(first.start()).rejects.toThrow(/rejected server certificates: [0-9a-f]{40}/);
    const rejected = first.rejectedCertificates();
    expect(rejected).toHaveLength(1);
    await first.approveCertificate(rejected[0]!.thumbprint);
    await first.stop();
    await source().start();
  }, 60_000);

  it('ingests signed readings with full assurance and keeps plain values as channel assurance', async () => {
    await publish(0, 4);
    await until(() => store.readingCount() >= 8, 20_000);
    for (const device of fleet.devices)
      expect(store.identities(device.deviceId).map((id) => id.seq)).toEqual([0, 1, 2, 3]);
    const active = sources.at(-1)!;
    const latest = readingOf(fleet.devices[0]!, 3, 0).value;
    await until(
      () => active.channelValues.get(fleet.devices[0]!.deviceId)?.value === latest,
      5_000,
    );
    expect(active.channelValues.get(fleet.devices[0]!.deviceId)).toMatchObject({
      assurance: 'channel',
      value: latest,
    });
  }, 60_000);

  it('resumes by itself after the PLC restarts', async () => {
    await plc.stop();
    plc = await startPlc();
    // Keep publishing until the gateway's watchdog or reconnect brings the subscription back.
    let seq = 4;
    const deadline = Date.now() + 40_000;
    while (store.identities(fleet.devices[0]!.deviceId).length <= 4 && Date.now() < deadline)
      await publish(seq, ++seq);
    expect(store.identities(fleet.devices[0]!.deviceId).length).toBeGreaterThan(4);
    expect(store.quarantine().filter((row) => row.code !== 'PG_REPLAYED')).toEqual([]);
  }, 60_000);
});

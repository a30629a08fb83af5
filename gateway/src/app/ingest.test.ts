// The ingest pipeline against a real SQLite evidence log: every verdict, in order, committed once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceTopic, generateKeyPair, nobleSigner, signReading } from '@pledgeguard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../core/plausibility.js';
import { DEFAULT_SKEW_POLICY } from '../core/skew.js';
import { envelopeOf, makeFleet, type Fleet } from '../testing/fleet.js';
import { IngestPipeline } from './ingest.js';
import { VerifierPool } from './verifier-pool.js';

const NOW = 1_795_000_000_000;
let dir: string;
let store: EvidenceStore;
let pool: VerifierPool;
let fleet: Fleet;
let clockMs: number;

function pipeline() {
  return new IngestPipeline({
    warehouseId: fleet.warehouseId,
    store,
    pool,
    clock: { nowMs: () => clockMs },
    skew: DEFAULT_SKEW_POLICY,
    plausibility: DEFAULT_PLAUSIBILITY_POLICY,
  });
}

const topicOf = (deviceId: string, kind: 'reading' | 'birth' | 'death' = 'reading') =>
  deviceTopic(fleet.warehouseId, deviceId, kind);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pg-ingest-'));
  store = new EvidenceStore(join(dir, 'evidence.db'));
  pool = new VerifierPool({ threads: 0 });
  fleet = makeFleet(3);
  store.importManifest(fleet.manifest, NOW);
  clockMs = NOW;
});

afterEach(async () => {
  store.close();
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IngestPipeline verdicts', () => {
  it('accepts a valid reading and records it once, with its mark', async () => {
    const ingest = pipeline();
    const [device] = fleet.devices;
    const outcome = await ingest.submit({
      topic: topicOf(device!.deviceId),
      payload: envelopeOf(device!, 0, NOW),
      source: 'mqtt',
    });
    expect(outcome).toEqual({ outcome: 'accepted', deviceId: device!.deviceId, gap: false });
    expect(store.readingCount()).toBe(1);
    expect(store.marks().get(device!.deviceId)).toEqual({ boot: 1, seq: 0, deviceTimeMs: NOW });
  });

  it('counts a redelivery of the same bytes once, and flags different bytes for the same identity as equivocation', async () => {
    const ingest = pipeline();
    const device = fleet.devices[0]!;
    const first = envelopeOf(device, 5, NOW);
    const other = envelopeOf(device, 5, NOW, { value: 1_000_000_500n });
    const outcomes = await Promise.all(
      [first, first, other].map((payload) =>
        ingest.submit({ topic: topicOf(device.deviceId), payload, source: 'mqtt' }),
      ),
    );
    expect(outcomes.map((o) => (o.outcome === 'quarantined' ? o.code : o.outcome))).toEqual([
      'accepted',
      'duplicate',
      'PG_EQUIVOCATION',
    ]);
    expect(store.readingCount()).toBe(1);
    // After a restart the redelivery is still recognised from the log.
    const again = await pipeline().submit({
      topic: topicOf(device.deviceId),
      payload: first,
      source: 'mqtt',
    });
    expect(again.outcome).toBe('duplicate');
  });

  it('rejects an old reading that was never accepted as a replay', async () => {
    const ingest = pipeline();
    const device = fleet.devices[0]!;
    await ingest.submit({
      topic: topicOf(device.deviceId),
      payload: envelopeOf(device, 10, NOW),
      source: 'mqtt',
    });
    const replay = await ingest.submit({
      topic: topicOf(device.deviceId),
      payload: envelopeOf(device, 4, NOW - 6_000),
      source: 'mqtt',
    });
    expect(replay).toMatchObject({ outcome: 'quarantined', code: 'PG_REPLAYED' });
  });

  it('marks a skipped sequence number as an evidence gap', async () => {
    const ingest = pipeline();
    const device = fleet.devices[0]!;
    await ingest.submit({
      topic: topicOf(device.deviceId),
      payload: envelopeOf(device, 0, NOW),
      source: 'mqtt',
    });
    const next = await ingest.submit({
      topic: topicOf(device.deviceId),
      payload: envelopeOf(device, 3, NOW + 3_000),
      source: 'mqtt',
    });
    expect(next).toEqual({ outcome: 'accepted', deviceId: device.deviceId, gap: true });
    expect(ingest.stats.gaps).toBe(1);
  });

  it('quarantines each kind of bad input with its own code and keeps the bytes', async () => {
    const ingest = pipeline();
    const [a, b] = fleet.devices as [Fleet['devices'][0], Fleet['devices'][0]];
    const forger = nobleSigner('EdDSA', a.deviceId, generateKeyPair('EdDSA').secretKey);
    const stranger = nobleSigner('EdDSA', 'dev-99999', generateKeyPair('EdDSA').secretKey);
    const cases: Array<[string, Uint8Array, string]> = [
      [topicOf(a.deviceId), Uint8Array.of(0xd2, 0x84), 'PG_CBOR_MALFORMED'],
      [
        topicOf(a.deviceId),
        signReading(
          {
            deviceId: a.deviceId,
            boot: 1,
            seq: 1,
            deviceTimeMs: NOW,
            kind: 'weight',
            value: 1_000_000_000n,
            bayId: a.bayId,
            firmware: '1',
          },
          forger,
        ),
        'PG_SIG_INVALID',
      ],
      [
        topicOf('dev-99999'),
        signReading(
          {
            deviceId: 'dev-99999',
            boot: 1,
            seq: 1,
            deviceTimeMs: NOW,
            kind: 'weight',
            value: 1n,
            bayId: 'B-00',
            firmware: '1',
          },
          stranger,
        ),
        'PG_DEVICE_UNKNOWN',
      ],
      [topicOf(b.deviceId), envelopeOf(a, 2, NOW), 'PG_TOPIC_MISMATCH'],
      [deviceTopic('wh-other', a.deviceId, 'reading'), envelopeOf(a, 3, NOW), 'PG_TOPIC_MISMATCH'],
      [topicOf(a.deviceId), envelopeOf(a, 4, NOW + 3_600_000), 'PG_CLOCK_SKEW'],
      [
        topicOf(a.deviceId),
        envelopeOf(a, 5, NOW, { value: 9_000_000_000n }),
        'PG_IMPLAUSIBLE_RANGE',
      ],
      [topicOf(a.deviceId), envelopeOf(a, 6, NOW, { bayId: 'B-99' }), 'PG_DEVICE_MISMATCH'],
      [
        topicOf(a.deviceId),
        envelopeOf(a, 7, NOW, { kind: 'humidity', value: 500n }),
        'PG_DEVICE_MISMATCH',
      ],
    ];
    const outcomes = await Promise.all(
      cases.map(([topic, payload]) => ingest.submit({ topic, payload, source: 'mqtt' })),
    );
    expect(outcomes.map((o) => (o.outcome === 'quarantined' ? o.code : o.outcome))).toEqual(
      cases.map(([, , code]) => code),
    );
    const stored = store.quarantine();
    expect(stored.map((row) => row.code)).toEqual(cases.map(([, , code]) => code));
    expect(
      stored.every(
        (row, i) => Buffer.compare(Buffer.from(row.envelope), Buffer.from(cases[i]![1])) === 0,
      ),
    ).toBe(true);
    expect(store.readingCount()).toBe(0);
  });

  it('refuses a revoked device, and accepts it again after a key rotation', async () => {
    const device = fleet.devices[1]!;
    store.revokeDevice(device.deviceId, 'stolen', NOW);
    const ingest = pipeline();
    expect(
      await ingest.submit({
        topic: topicOf(device.deviceId),
        payload: envelopeOf(device, 0, NOW),
        source: 'mqtt',
      }),
    ).toMatchObject({ code: 'PG_DEVICE_REVOKED' });
    const fresh = generateKeyPair('EdDSA');
    store.rotateKey(device.deviceId, 'EdDSA', fresh.publicKey, NOW);
    ingest.reloadRegistry();
    const rotated = { ...device, signer: nobleSigner('EdDSA', device.deviceId, fresh.secretKey) };
    expect(
      await ingest.submit({
        topic: topicOf(device.deviceId),
        payload: envelopeOf(device, 1, NOW),
        source: 'mqtt',
      }),
    ).toMatchObject({ code: 'PG_SIG_INVALID' });
    expect(
      await ingest.submit({
        topic: topicOf(device.deviceId),
        payload: envelopeOf(rotated, 2, NOW),
        source: 'mqtt',
      }),
    ).toMatchObject({ outcome: 'accepted' });
  });

  it('accepts quarantined readings when replayed after the device key is fixed in the registry', async () => {
    const { replayQuarantine } = await import('./quarantine-replay.js');
    const device = fleet.devices[2]!;
    const real = generateKeyPair('EdDSA');
    const rekeyed = { ...device, signer: nobleSigner('EdDSA', device.deviceId, real.secretKey) };
    const ingest = pipeline();
    // The device was re-keyed in the field but the registry still holds the old key.
    for (let seq = 0; seq < 3; seq++) {
      const outcome = await ingest.submit({
        topic: topicOf(device.deviceId),
        payload: envelopeOf(rekeyed, seq, NOW - 10_000 + seq * 1_000),
        source: 'mqtt',
      });
      expect(outcome).toMatchObject({ code: 'PG_SIG_INVALID' });
    }
    store.rotateKey(device.deviceId, 'EdDSA', real.publicKey, NOW);
    const summary = await replayQuarantine(store, ingest, { nowMs: () => NOW });
    expect(summary).toEqual({ replayed: 3, outcomes: { accepted: 3 } });
    expect(store.identities(device.deviceId).map((id) => id.seq)).toEqual([0, 1, 2]);
    expect(store.quarantine({ unresolved: true })).toEqual([]);
    // Replaying again finds nothing left to do.
    expect(await replayQuarantine(store, ingest, { nowMs: () => NOW })).toEqual({
      replayed: 0,
      outcomes: {},
    });
  });

  it('treats the death message as advisory, never as evidence', async () => {
    const outcome = await pipeline().submit({
      topic: topicOf(fleet.devices[0]!.deviceId, 'death'),
      payload: Uint8Array.of(0xa0),
      source: 'mqtt',
    });
    expect(outcome.outcome).toBe('ignored');
    expect(store.readingCount() + store.quarantine().length).toBe(0);
  });
});

describe('IngestPipeline robustness', () => {
  it('answers random and mutated messages on any topic with an outcome or a catalogued code, never a throw', async () => {
    const fc = (await import('fast-check')).default;
    const { isCode } = await import('@pledgeguard/protocol');
    const ingest = pipeline();
    const device = fleet.devices[0]!;
    const valid = envelopeOf(device, 1_000, NOW);
    const topicArb = fc.oneof(
      fc.constant(topicOf(device.deviceId)),
      fc.constant(topicOf(device.deviceId, 'birth')),
      fc.string({ maxLength: 60 }),
      fc.constantFrom(
        'pg/v1',
        'pg/v1/wh-1/gateway/gw/status',
        'pg/v1/wh-1//reading',
        'pg/v1/wh-1/dev-00000/reading/extra',
      ),
    );
    const payloadArb = fc.oneof(
      fc.uint8Array({ maxLength: 1_500 }),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
        const mutated = Uint8Array.from(valid);
        mutated[at % mutated.length] = byte;
        return mutated;
      }),
    );
    await fc.assert(
      fc.asyncProperty(topicArb, payloadArb, async (topic, payload) => {
        const outcome = await ingest.submit({ topic, payload, source: 'mqtt' });
        if (outcome.outcome === 'quarantined') expect(isCode(outcome.code)).toBe(true);
        else expect(['accepted', 'duplicate', 'ignored']).toContain(outcome.outcome);
      }),
      { numRuns: Number(process.env.PG_FUZZ_RUNS ?? 1_000) },
    );
    expect(ingest.healthy).toBe(true);
  });
});

describe('IngestPipeline ordering on a worker pool', () => {
  it('judges readings in arrival order although two workers verify them in parallel', async () => {
    await pool.close();
    pool = new VerifierPool({ threads: 2, batchSize: 16 });
    const ingest = pipeline();
    // Devices interleaved as a broker delivers them; each device's readings in order.
    const payloads = Array.from({ length: 300 }, (_, seq) =>
      fleet.devices.map((device) => ({
        device,
        payload: envelopeOf(device, seq, NOW - 300_000 + seq * 1_000),
      })),
    ).flat();
    const outcomes = await Promise.all(
      payloads.map(({ device, payload }) =>
        ingest.submit({ topic: topicOf(device.deviceId), payload, source: 'mqtt' }),
      ),
    );
    expect(outcomes.filter((o) => o.outcome !== 'accepted')).toEqual([]);
    expect(store.readingCount()).toBe(900);
    for (const device of fleet.devices)
      expect(store.identities(device.deviceId).map((id) => id.seq)).toEqual(
        Array.from({ length: 300 }, (_, i) => i),
      );
  });
});

describe('Merkle epochs over the evidence log', () => {
  it('seals accepted readings into an epoch whose inclusion proofs verify', async () => {
    const { verifyInclusion, leafHash } = await import('../core/merkle.js');
    const ingest = pipeline();
    const device = fleet.devices[2]!;
    for (let seq = 0; seq < 37; seq++)
      await ingest.submit({
        topic: topicOf(device.deviceId),
        payload: envelopeOf(device, seq, NOW - 40_000 + seq * 1_000),
        source: 'mqtt',
      });
    const epoch = store.closeEpoch(NOW)!;
    expect(epoch.leafCount).toBe(37);
    expect(store.closeEpoch(NOW)).toBeUndefined();
    const proof = store.proof(device.deviceId, 1, 21)!;
    expect(proof.root).toEqual(epoch.root);
    expect(
      verifyInclusion(
        leafHash(proof.envelope),
        proof.index,
        proof.treeSize,
        proof.proof,
        proof.root,
      ),
    ).toBe(true);
    // A reading accepted after the seal has no proof until the next epoch, which holds only it.
    await ingest.submit({
      topic: topicOf(device.deviceId),
      payload: envelopeOf(device, 37, NOW - 2_000),
      source: 'mqtt',
    });
    expect(store.proof(device.deviceId, 1, 37)).toBeUndefined();
    const next = store.closeEpoch(NOW)!;
    expect(next).toMatchObject({ epoch: epoch.epoch + 1, leafCount: 1 });
    expect(store.proof(device.deviceId, 1, 37)).toMatchObject({ epoch: next.epoch, treeSize: 1 });
    expect(store.proof(device.deviceId, 1, 21)).toMatchObject({ epoch: epoch.epoch, treeSize: 37 });
  });

  it('seals a backlog larger than the epoch bound as several epochs, oldest first, none lost', async () => {
    const { verifyInclusion, leafHash } = await import('../core/merkle.js');
    const ingest = pipeline();
    const device = fleet.devices[1]!;
    for (let seq = 0; seq < 25; seq++)
      await ingest.submit({
        topic: topicOf(device.deviceId),
        payload: envelopeOf(device, seq, NOW - 40_000 + seq * 1_000),
        source: 'mqtt',
      });
    const sealed = [];
    for (let epoch = store.closeEpoch(NOW, 10); epoch; epoch = store.closeEpoch(NOW, 10))
      sealed.push(epoch);
    expect(sealed.map((epoch) => epoch.leafCount)).toEqual([10, 10, 5]);
    expect(sealed[1]!.firstReadingId).toBe(sealed[0]!.lastReadingId + 1);
    expect(sealed[2]!.firstReadingId).toBe(sealed[1]!.lastReadingId + 1);
    // A reading of the second epoch proves against that epoch's root.
    const proof = store.proof(device.deviceId, 1, 14)!;
    expect(proof.epoch).toBe(sealed[1]!.epoch);
    expect(proof.treeSize).toBe(10);
    expect(
      verifyInclusion(leafHash(proof.envelope), proof.index, 10, proof.proof, sealed[1]!.root),
    ).toBe(true);
  });
});

// The lot series is downsampled in SQL: 100,000 readings of a lot's load cells answer with at most
// `points` buckets, whose min/max/last agree with the raw readings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcceptedItem } from '../../ports/evidence-store.js';
import { LOT_ID, NOW_MS, makeFixture, startServer, type Fixture } from './test-fixture.js';

const READINGS = 100_000;
const STEP_MS = 1_000;
const START_MS = NOW_MS - READINGS * STEP_MS;

let fixture: Fixture;
let url: string;
let close: () => Promise<void>;

/** The load cell's value at reading i: a slow ramp with a dip, so buckets differ. */
const valueAt = (i: number) =>
  1_000_000_000n + BigInt(i % 1_000) - (i > 50_000 && i < 50_100 ? 500_000n : 0n);

beforeAll(async () => {
  fixture = await makeFixture();
  const device = fixture.fleet.devices[0]!; // the lot's load cell
  // Seeded through the real EvidenceStore commit (the ingest pipeline's write path); envelopes are
  // placeholders here because the series reads only the indexed columns.
  for (let start = 0; start < READINGS; start += 10_000) {
    const items: AcceptedItem[] = [];
    for (let i = start; i < start + 10_000; i++)
      items.push({
        outcome: 'accepted',
        deviceId: device.deviceId,
        boot: 1,
        seq: i,
        deviceTimeMs: START_MS + i * STEP_MS,
        kind: 'weight',
        value: valueAt(i),
        bayId: device.bayId,
        envelope: Uint8Array.of(i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff),
        receivedAtMs: START_MS + i * STEP_MS,
        source: 'mqtt',
        gap: false,
      });
    fixture.store.commit(items);
  }
  const server = await startServer(fixture);
  url = server.url;
  close = () => server.app.close();
}, 60_000);

afterAll(async () => {
  await close();
  await fixture.close();
});

async function series(query: string) {
  const response = await fetch(`${url}/api/v1/lots/${LOT_ID}/series?${query}`, {
    headers: { authorization: `Bearer ${fixture.token['bank-viewer']}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as {
    points: Array<{ tMs: number; minGrams: string; maxGrams: string; lastGrams: string }>;
  };
}

describe('lot series downsampling', () => {
  it('returns at most `points` buckets for 100,000 readings, each agreeing with the raw values', async () => {
    const startedMs = performance.now();
    const { points } = await series(`fromMs=${START_MS}&toMs=${NOW_MS}&points=600`);
    const elapsedMs = performance.now() - startedMs;
    expect(points.length).toBeLessThanOrEqual(600);
    expect(points.length).toBeGreaterThan(590);
    expect(elapsedMs).toBeLessThan(2_000);
    // Check every bucket against the raw readings it covers.
    const bucketMs = Math.ceil((NOW_MS - START_MS + 1) / 600);
    for (const point of points) {
      const first = Math.max(0, Math.ceil((point.tMs - START_MS) / STEP_MS));
      const last = Math.min(
        READINGS - 1,
        Math.floor((point.tMs + bucketMs - 1 - START_MS) / STEP_MS),
      );
      const values = Array.from({ length: last - first + 1 }, (_, k) => valueAt(first + k));
      expect(BigInt(point.minGrams)).toBe(values.reduce((a, b) => (b < a ? b : a)));
      expect(BigInt(point.maxGrams)).toBe(values.reduce((a, b) => (b > a ? b : a)));
      expect(BigInt(point.lastGrams)).toBe(values[values.length - 1]);
    }
    expect(points.some((point) => BigInt(point.minGrams) < 999_600_000n)).toBe(true); // the dip shows
  });

  it('never exceeds `points` whatever the range, and defaults to the last 24 h of data', async () => {
    for (const points of [1, 7, 100, 5_000]) {
      const answer = await series(`fromMs=${START_MS}&toMs=${NOW_MS}&points=${points}`);
      expect(answer.points.length).toBeLessThanOrEqual(points);
    }
    const recent = await series('points=50');
    expect(recent.points.length).toBeLessThanOrEqual(50);
    expect(recent.points[0]!.tMs).toBeGreaterThanOrEqual(NOW_MS - STEP_MS - 86_400_000);
  });
});

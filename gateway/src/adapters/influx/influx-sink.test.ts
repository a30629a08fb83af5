// The InfluxDB sink against a real influxd (Debian's influxdb 1.6, started here on a free loopback
// port), fed by the real ingest pipeline, evidence store and spool. No influxd: the suite fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { deviceTopic, signReading, type Reading } from '@pledgeguard/protocol';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway } from '../../app/gateway.js';
import { IngestPipeline } from '../../app/ingest.js';
import { SeriesForwarder } from '../../app/series-forwarder.js';
import { VerifierPool } from '../../app/verifier-pool.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../../core/plausibility.js';
import { configSchema } from '../../config.js';
import { DEFAULT_SKEW_POLICY } from '../../core/skew.js';
import {
  readingPoint,
  type SeriesPoint,
  type TimeSeriesSink,
} from '../../ports/time-series-sink.js';
import { Influxd } from '../../testing/influxd.js';
import { makeFleet, readingOf, type Fleet, type FleetDevice } from '../../testing/fleet.js';
import { EvidenceStore } from '../sqlite/evidence-store.js';
import { InfluxSink } from './influx-sink.js';

const NOW = 1_795_000_000_000;
/** The gateway clock runs a little ahead of the readings, which are one second apart. */
const CLOCK_MS = NOW + 3_600_000;

let influxd: Influxd;
/** Why influxd did not start; every test then fails with it (counted as failed, never skipped). */
let influxdMissing: Error | undefined;
let dir: string;
let database: string;
let databaseCounter = 0;
let fleet: Fleet;
let logLines: Array<Record<string, unknown>>;
/** The forwarder's clock, for the age of the oldest spooled point. */
let forwarderNowMs: number;
const closers: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  try {
    influxd = await Influxd.start();
  } catch (error) {
    influxdMissing = error as Error;
  }
});

afterAll(async () => {
  await influxd?.destroy();
});

beforeEach(async () => {
  if (influxdMissing) throw influxdMissing;
  await influxd.resume();
  dir = mkdtempSync(join(tmpdir(), 'pg-influx-'));
  database = `pg_test_${++databaseCounter}`;
  const base = makeFleet(3);
  // Device 0 watches a lot: its points carry the lot tag.
  fleet = {
    ...base,
    manifest: {
      ...base.manifest,
      lots: [
        {
          lotId: 'LOT-7',
          bayId: base.devices[0]!.bayId,
          commodity: 'copper cathode',
          unitWeightGrams: '1000000',
        },
      ],
      devices: base.manifest.devices.map((device, i) =>
        i === 0 ? { ...device, lotId: 'LOT-7' } : device,
      ),
    },
  };
  logLines = [];
  forwarderNowMs = CLOCK_MS;
});

afterEach(async () => {
  if (influxdMissing) return;
  for (const close of closers.splice(0).reverse()) await close();
  rmSync(dir, { recursive: true, force: true });
});

function logger() {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'debug' }, sink).child({ component: 'influx' });
}

function openStore(maxPoints = 100_000): EvidenceStore {
  const store = new EvidenceStore(join(dir, 'evidence.db'), { spool: { maxPoints } });
  closers.push(() => store.close());
  return store;
}

function influxSink(): InfluxSink {
  return new InfluxSink({
    host: '127.0.0.1',
    port: influxd.port,
    database,
    requestTimeoutMs: 2_000,
    log: logger(),
  });
}

/** Records the points of every acknowledged write, in acknowledgement order. */
function recording(inner: TimeSeriesSink): TimeSeriesSink & { acknowledged: SeriesPoint[] } {
  const acknowledged: SeriesPoint[] = [];
  return {
    acknowledged,
    async write(points) {
      await inner.write(points);
      acknowledged.push(...points);
    },
    close: () => inner.close(),
  };
}

function forwarder(store: EvidenceStore, sink: TimeSeriesSink, batchSize = 100) {
  const forward = new SeriesForwarder({
    spool: store.spool!,
    sink,
    clock: { nowMs: () => forwarderNowMs },
    log: logger(),
    batchSize,
    retryInitialMs: 20,
    retryMaxMs: 200,
    idlePollMs: 100,
  });
  forward.start();
  closers.push(() => forward.stop());
  return forward;
}

async function ingestInto(store: EvidenceStore) {
  store.importManifest(fleet.manifest, NOW);
  const pool = new VerifierPool({ threads: 0 });
  const ingest = new IngestPipeline({
    warehouseId: fleet.warehouseId,
    store,
    pool,
    clock: { nowMs: () => CLOCK_MS },
    skew: DEFAULT_SKEW_POLICY,
    plausibility: DEFAULT_PLAUSIBILITY_POLICY,
  });
  closers.push(async () => {
    await ingest.drain();
    await pool.close();
  });
  return async (device: FleetDevice, seq: number, overrides: Partial<Reading> = {}) => {
    const reading = readingOf(device, seq, NOW + seq * 1_000, overrides);
    const outcome = await ingest.submit({
      topic: deviceTopic(fleet.warehouseId, device.deviceId, 'reading'),
      payload: signReading(reading, device.signer),
      source: 'mqtt',
    });
    expect(outcome.outcome).toBe('accepted');
    return reading;
  };
}

/** Sends seqs [from, to) of every device, interleaved, in order. */
async function sendRange(send: Awaited<ReturnType<typeof ingestInto>>, from: number, to: number) {
  for (let seq = from; seq < to; seq++)
    await Promise.all(fleet.devices.map((device) => send(device, seq)));
}

async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function query<T>(sink: InfluxSink, sql: string): Promise<T[]> {
  return (await sink.client.query(sql, { database, precision: 'ms' })) as unknown as T[];
}

async function countsPerDevice(sink: InfluxSink): Promise<Record<string, number>> {
  const rows = await query<{ device: string; count: number }>(
    sink,
    'SELECT count(value) FROM reading GROUP BY device',
  );
  return Object.fromEntries(rows.map((row) => [row.device, row.count]));
}

describe('InfluxDB sink', () => {
  it('delivers readings with exact integer values, device-time timestamps and the right tags', async () => {
    const store = openStore();
    const sink = influxSink();
    const forward = forwarder(store, sink);
    const send = await ingestInto(store);
    const [withLot, plain] = fleet.devices as [FleetDevice, FleetDevice];
    const sent = [
      await send(withLot, 0, { value: 4_999_999_999n }),
      await send(withLot, 1, { value: 4_999_999_001n }),
      await send(plain, 0, { kind: 'door', value: 1n }),
      await send(plain, 1, { value: -999_999n }),
    ];
    await until(() => forward.status().depthPoints === 0, 'the spool to drain');

    const rows = await query<Record<string, unknown>>(
      sink,
      'SELECT value, seq, device, kind, bay, boot, lot FROM reading',
    );
    const got = rows
      .map((row) => ({
        timeMs: (row.time as Date).getTime(),
        value: row.value,
        seq: row.seq,
        device: row.device,
        kind: row.kind,
        bay: row.bay,
        boot: row.boot,
        lot: row.lot,
      }))
      .sort((a, b) => a.timeMs - b.timeMs || String(a.device).localeCompare(String(b.device)));
    const expected = sent
      .map((reading) => ({
        timeMs: reading.deviceTimeMs,
        value: Number(reading.value),
        seq: reading.seq,
        device: reading.deviceId,
        kind: reading.kind,
        bay: reading.bayId,
        boot: String(reading.boot),
        lot: reading.deviceId === withLot.deviceId ? 'LOT-7' : null,
      }))
      .sort((a, b) => a.timeMs - b.timeMs || a.device.localeCompare(b.device));
    expect(got).toEqual(expected);

    // Stored as integers, not floats.
    const fieldTypes = await query<{ fieldKey: string; fieldType: string }>(
      sink,
      'SHOW FIELD KEYS FROM reading',
    );
    expect(Object.fromEntries(fieldTypes.map((row) => [row.fieldKey, row.fieldType]))).toEqual({
      seq: 'integer',
      value: 'integer',
    });
    expect(store.spool!.depth()).toBe(0);
  });

  it('writes the protocol extremes exactly, and lot metrics as integers', async () => {
    const store = openStore();
    const sink = influxSink();
    const forward = forwarder(store, sink);
    const device = fleet.devices[1]!;
    const extremes = [-1_000_000_000_000n, 1_000_000_000_000n, 4_294_967_295n];
    await sink.write(
      extremes.map((value, seq) =>
        readingPoint({ ...readingOf(device, seq, NOW + seq * 1_000), value }),
      ),
    );
    forward.writeLotMetric(
      'LOT-7',
      { quantityGrams: 9_007_199_254_740_991n, flags: 5n, itemCount: 0n },
      NOW,
    );
    await until(() => forward.status().depthPoints === 0, 'the lot metric to be forwarded');

    const values = await query<{ value: number }>(sink, 'SELECT value FROM reading');
    expect(values.map((row) => BigInt(row.value))).toEqual(extremes);
    const metrics = await query<Record<string, unknown>>(
      sink,
      'SELECT quantityGrams, flags, itemCount, lot FROM lot_metrics',
    );
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({
      quantityGrams: 9_007_199_254_740_991,
      flags: 5,
      itemCount: 0,
    });
    expect((metrics[0]!.time as Date).getTime()).toBe(NOW);
    const types = await query<{ fieldType: string }>(sink, 'SHOW FIELD KEYS FROM lot_metrics');
    expect(types.map((row) => row.fieldType)).toEqual(['integer', 'integer', 'integer']);

    expect(() => forward.writeLotMetric('LOT-7', { quantityGrams: 2n ** 53n }, NOW)).toThrow(
      RangeError,
    );
    expect(() =>
      forward.writeLotMetric('LOT-7', { weight: 1.5 as unknown as bigint }, NOW),
    ).toThrow(TypeError);
  });

  it('stores a reading written twice once, and never merges two different readings', async () => {
    const sink = influxSink();
    const device = fleet.devices[0]!;
    const reading = readingOf(device, 7, NOW);
    await sink.write([readingPoint(reading)]);
    await sink.write([readingPoint(reading), readingPoint(reading)]);
    // Same device millisecond, different identities: another seq, another boot (seq restarts).
    await sink.write([
      readingPoint({ ...reading, seq: 8, value: reading.value + 1n }),
      readingPoint({ ...reading, boot: 2, seq: 7, value: reading.value + 2n }),
      readingPoint({ ...reading, boot: 2, seq: 0, value: reading.value + 3n }),
    ]);
    const rows = await query<{ time: Date; value: number; seq: number; boot: string }>(
      sink,
      'SELECT value, seq, boot FROM reading',
    );
    const identities = rows.map((row) => `${row.boot}/${row.seq}`).sort();
    expect(identities).toEqual(['1/7', '1/8', '2/0', '2/7']);
    expect(rows.every((row) => row.time.getTime() === NOW)).toBe(true);
  });

  it('keeps accepting during an outage and backfills complete, in order, without duplicates', async () => {
    const store = openStore();
    const inner = influxSink();
    const sink = recording(inner);
    const forward = forwarder(store, sink, 64);
    const send = await ingestInto(store);

    await sendRange(send, 0, 50);
    await until(() => forward.status().depthPoints === 0, 'the first readings to arrive');

    await influxd.halt();
    await sendRange(send, 50, 250); // every submit resolves 'accepted' while Influx is down
    expect(store.readingCount()).toBe(750);
    await until(() => forward.status().failedWrites >= 2, 'failed writes to be retried');
    forwarderNowMs = CLOCK_MS + 5_000;
    expect(forward.status()).toMatchObject({ depthPoints: 600, oldestAgeMs: 5_000 });
    expect(
      logLines.some((line) => line.msg === 'influx unreachable; spooling points and retrying'),
    ).toBe(true);

    await influxd.resume();
    await until(() => forward.status().depthPoints === 0, 'the backfill', 20_000);
    expect(forward.status().failedWrites).toBe(0);

    // Acknowledged in order: each device's seqs are exactly 0..249, once each, ascending.
    for (const device of fleet.devices) {
      const seqs = sink.acknowledged
        .filter((point) => point.tags.device === device.deviceId)
        .map((point) => Number(point.fields.seq));
      expect(seqs).toEqual(Array.from({ length: 250 }, (_, seq) => seq));
    }
    // Stored complete and once per series.
    expect(await countsPerDevice(inner)).toEqual(
      Object.fromEntries(fleet.devices.map((device) => [device.deviceId, 250])),
    );
    const stored = await query<{ seq: number }>(
      inner,
      `SELECT seq FROM reading WHERE device = '${fleet.devices[2]!.deviceId}'`,
    );
    expect(stored.map((row) => row.seq)).toEqual(Array.from({ length: 250 }, (_, seq) => seq));
  });

  it('keeps the spool across a gateway restart and forwards it afterwards', async () => {
    await influxd.halt();
    const first = openStore();
    const send = await ingestInto(first);
    await sendRange(send, 0, 20);
    for (const close of closers.splice(0).reverse()) await close(); // the gateway stops

    const store = openStore(); // and starts again on the same evidence database
    expect(store.readingCount()).toBe(60);
    expect(store.spool!.depth()).toBe(60);
    await influxd.resume();
    const sink = influxSink();
    const forward = forwarder(store, sink);
    await until(() => forward.status().depthPoints === 0, 'the spooled readings to arrive');
    expect(await countsPerDevice(sink)).toEqual(
      Object.fromEntries(fleet.devices.map((device) => [device.deviceId, 20])),
    );
  });

  it('re-sends a batch whose acknowledgement was lost without duplicating it', async () => {
    const store = openStore();
    const inner = influxSink();
    let lose = 2;
    // Influx stores the batch, but the gateway never hears back (twice): it must send it again.
    const flaky: TimeSeriesSink = {
      async write(points) {
        await inner.write(points);
        if (lose-- > 0) throw new Error('connection reset after write');
      },
      close: () => inner.close(),
    };
    const forward = forwarder(store, flaky, 16);
    const send = await ingestInto(store);
    await sendRange(send, 0, 30);
    await until(() => forward.status().depthPoints === 0, 'the spool to drain');
    expect(await countsPerDevice(inner)).toEqual(
      Object.fromEntries(fleet.devices.map((device) => [device.deviceId, 30])),
    );
  });

  it('is wired into the gateway when the config has an influx section, and only then', async () => {
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(fleet.manifest));
    const base = {
      warehouseId: fleet.warehouseId,
      dataDir: dir,
      manifest: join(dir, 'manifest.json'),
      mqtt: { embedded: { enabled: false } },
      verify: { threads: 0 },
      http: { host: '127.0.0.1', port: 0 },
    };
    const clock = { nowMs: () => CLOCK_MS };
    const silent = pino({ level: 'silent' });
    const without = await startGateway(
      { ...configSchema.parse(base), baseDir: dir },
      silent,
      clock,
    );
    expect(without.series).toBeUndefined();
    expect(without.store.spool).toBeUndefined();
    await without.stop();

    const config = configSchema.parse({
      ...base,
      influx: { port: influxd.port, database, batchSize: 10, maxSpoolRows: 1_000 },
    });
    const gateway = await startGateway({ ...config, baseDir: dir }, silent, clock);
    closers.push(() => gateway.stop());
    const device = fleet.devices[0]!;
    for (let seq = 0; seq < 25; seq++) {
      const outcome = await gateway.ingest.submit({
        topic: deviceTopic(fleet.warehouseId, device.deviceId, 'reading'),
        payload: signReading(readingOf(device, seq, NOW + seq * 1_000), device.signer),
        source: 'mqtt',
      });
      expect(outcome.outcome).toBe('accepted');
    }
    gateway.series!.writeLotMetric('LOT-7', { quantityGrams: 25_000_000_000n }, NOW);
    await until(() => gateway.series!.status().depthPoints === 0, 'the gateway to forward');
    expect(await countsPerDevice(influxSink())).toEqual({ [device.deviceId]: 25 });
    expect(gateway.series!.status()).toMatchObject({ forwardedPoints: 26, droppedPoints: 0 });
  });
});

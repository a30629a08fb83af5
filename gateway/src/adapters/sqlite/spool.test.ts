// The time-series spool in the evidence database: order, bound, and the shared transaction.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AcceptedItem } from '../../ports/evidence-store.js';
import { lotMetricPoint, readingPoint } from '../../ports/time-series-sink.js';
import { makeFleet, readingOf } from '../../testing/fleet.js';
import { EvidenceStore } from './evidence-store.js';
import { MIGRATIONS } from './schema.js';

const NOW = 1_795_000_000_000;
const fleet = makeFleet(2);
let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pg-spool-'));
  path = join(dir, 'evidence.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function accepted(seq: number, deviceIndex = 0): AcceptedItem {
  const device = fleet.devices[deviceIndex]!;
  const reading = readingOf(device, seq, NOW + seq * 1_000);
  return {
    outcome: 'accepted',
    ...reading,
    envelope: Uint8Array.of(seq, deviceIndex),
    receivedAtMs: NOW + 10_000 + seq,
    source: 'mqtt',
    gap: false,
  };
}

describe('SqliteSeriesSpool', () => {
  it('spools accepted readings in the evidence commit, in order, with their lot', () => {
    const store = new EvidenceStore(path, { spool: { maxPoints: 100 } });
    store.importManifest(
      {
        ...fleet.manifest,
        lots: [{ lotId: 'LOT-1', bayId: 'B-00', commodity: 'zinc', unitWeightGrams: '1' }],
        devices: fleet.manifest.devices.map((device, i) =>
          i === 0 ? { ...device, lotId: 'LOT-1' } : device,
        ),
      },
      NOW,
    );
    const appends: number[] = [];
    store.spool!.onAppend(() => appends.push(store.spool!.depth()));
    const items = [accepted(0), accepted(0, 1), accepted(1)];
    store.commit(items);
    expect(appends).toEqual([3]);
    expect(store.spool!.peek(10).map((entry) => entry.point)).toEqual([
      readingPoint(items[0]!, 'LOT-1'),
      readingPoint(items[1]!),
      readingPoint(items[2]!, 'LOT-1'),
    ]);
    expect(store.spool!.oldestEnqueuedAtMs()).toBe(NOW + 10_000);
    store.close();
  });

  it('spools nothing when the evidence commit rolls back', () => {
    const store = new EvidenceStore(path, { spool: { maxPoints: 100 } });
    store.commit([accepted(0)]);
    // The same identity again violates UNIQUE (device_id, boot, seq): the whole batch fails.
    expect(() => store.commit([accepted(1), accepted(0)])).toThrow(/UNIQUE/);
    expect(store.spool!.depth()).toBe(1);
    expect(store.readingCount()).toBe(1);
    store.close();
  });

  it('drops the oldest points beyond its bound and tells the overflow listener', () => {
    const store = new EvidenceStore(path, { spool: { maxPoints: 10 } });
    const overflows: Array<[number, number]> = [];
    store.spool!.onOverflow((dropped, max) => overflows.push([dropped, max]));
    store.commit(Array.from({ length: 8 }, (_, seq) => accepted(seq)));
    store.commit(Array.from({ length: 7 }, (_, seq) => accepted(seq + 8)));
    expect(store.spool!.depth()).toBe(10);
    expect(overflows).toEqual([[5, 10]]);
    expect(store.spool!.droppedTotal).toBe(5);
    const seqs = store.spool!.peek(100).map((entry) => entry.point.fields.seq);
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i + 5)));
    store.close();
  });

  it('removes acknowledged ranges and keeps the rest across a reopen', () => {
    let store = new EvidenceStore(path, { spool: { maxPoints: 100 } });
    store.commit(Array.from({ length: 6 }, (_, seq) => accepted(seq)));
    store.spool!.enqueue([lotMetricPoint('LOT-1', { quantityGrams: -5n }, NOW)], NOW + 1);
    const head = store.spool!.peek(4);
    store.spool!.remove(head[0]!.id, head[3]!.id);
    store.close();
    store = new EvidenceStore(path, { spool: { maxPoints: 100 } });
    const rest = store.spool!.peek(100).map((entry) => entry.point);
    expect(rest).toEqual([
      readingPoint(accepted(4)),
      readingPoint(accepted(5)),
      lotMetricPoint('LOT-1', { quantityGrams: -5n }, NOW),
    ]);
    expect(store.spool!.depth()).toBe(3);
    store.close();
  });

  it('adds the spool table to an evidence database created before it existed', () => {
    const old = new Database(path);
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    old.close();
    const store = new EvidenceStore(path, { spool: { maxPoints: 5 } });
    store.commit([accepted(0)]);
    expect(store.spool!.depth()).toBe(1);
    store.close();
  });

  it('spools nothing unless asked', () => {
    const store = new EvidenceStore(path);
    store.commit([accepted(0)]);
    expect(store.spool).toBeUndefined();
    store.close();
    const reopened = new EvidenceStore(path, { spool: { maxPoints: 5 } });
    expect(reopened.spool!.depth()).toBe(0);
    reopened.close();
  });
});

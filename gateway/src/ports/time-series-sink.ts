// Time-series sink (ARCHITECTURE.md section 4): readings and per-lot metrics for charts and
// analytics. The sink may be down; points wait in a durable spool and are forwarded in order.
//
// Point identity: a time-series database keeps one point per (measurement, tag set, timestamp)
// and a rewrite replaces it, so a point's identity must be the reading's identity, no more and no
// less. See readingPoint for how (deviceId, boot, seq) maps onto tags and timestamp.
import type { ReadingKind } from '@pledgeguard/protocol';

export interface SeriesPoint {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Integer fields only: quantities are never floats. */
  readonly fields: Readonly<Record<string, bigint>>;
  /** [ns since Unix epoch] */
  readonly timeNs: bigint;
}

export interface TimeSeriesSink {
  /** Resolves once the sink has stored every point; rejects with SinkWriteError otherwise. */
  write(points: readonly SeriesPoint[]): Promise<void>;
  close(): Promise<void>;
}

/** A failed write. `permanent`: the sink refused the points themselves, so a retry cannot help. */
export class SinkWriteError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SinkWriteError';
  }
}

/** A spooled point with its forwarding order. */
export interface SpooledPoint {
  readonly id: number;
  readonly point: SeriesPoint;
}

/** Durable FIFO of points not yet acknowledged by the sink (SQLite, beside the evidence log). */
export interface SeriesSpool {
  enqueue(points: readonly SeriesPoint[], enqueuedAtMs: number): void;
  /** The oldest `limit` points, in enqueue order. */
  peek(limit: number): SpooledPoint[];
  /** Removes the points with ids in [firstId, lastId]: the sink acknowledged them. */
  remove(firstId: number, lastId: number): void;
  /** Points waiting. */
  depth(): number;
  /** When the oldest waiting point was enqueued [ms since epoch]; undefined when empty. */
  oldestEnqueuedAtMs(): number | undefined;
  /** Calls `listener` after points were appended (and committed); returns an unsubscribe. */
  onAppend(listener: () => void): () => void;
  /** Calls `listener` when the bound dropped the oldest points; returns an unsubscribe. */
  onOverflow(listener: (droppedPoints: number, maxPoints: number) => void): () => void;
}

export const READING_MEASUREMENT = 'reading';
export const LOT_METRICS_MEASUREMENT = 'lot_metrics';

const NS_PER_MS = 1_000_000n;
/** Sub-millisecond timestamp digits that carry the sequence number. */
const SEQ_SLOTS = 1_000_000;

export interface ReadingForSeries {
  readonly deviceId: string;
  readonly boot: number;
  readonly seq: number;
  /** [ms since epoch], device clock */
  readonly deviceTimeMs: number;
  readonly kind: ReadingKind;
  /** In the kind's unit (PROTOCOL.md section 3). */
  readonly value: bigint;
  readonly bayId: string;
}

/**
 * A reading as a point of measurement `reading`.
 *
 * Identity (device, boot, seq) without a series per reading: tags are device, kind, bay, boot (and
 * lot when known); the timestamp is the device time in ms, with seq mod 10^6 in the sub-millisecond
 * nanosecond digits: timeNs = deviceTimeMs * 10^6 + seq mod 10^6. So
 * - a re-sent reading has the same tags and timestamp and overwrites itself;
 * - two readings of one device and boot differ in seq, so their timestamps differ unless one
 *   device produced 10^6 readings within the same millisecond of device time (its clock may step
 *   back at most the skew policy's maxStepBackMs, 2 s by default: 500,000 readings/s);
 * - boot is a tag because seq restarts at 0 on every boot while the clock need not move on.
 * Putting seq in a tag instead would make every reading its own series: InfluxDB 1.x holds the
 * series index in memory and refuses writes past max-series-per-database (10^6 by default).
 * Truncating the timestamp to ms gives the device time back; seq is also a field.
 */
export function readingPoint(reading: ReadingForSeries, lotId?: string): SeriesPoint {
  return {
    measurement: READING_MEASUREMENT,
    tags: {
      device: reading.deviceId,
      kind: reading.kind,
      bay: reading.bayId,
      boot: String(reading.boot),
      ...(lotId !== undefined ? { lot: lotId } : {}),
    },
    fields: { value: reading.value, seq: BigInt(reading.seq) },
    timeNs: BigInt(reading.deviceTimeMs) * NS_PER_MS + BigInt(reading.seq % SEQ_SLOTS),
  };
}

const FIELD_NAME = /^[a-z][A-Za-z0-9]{0,63}$/;
/** Integers a JSON reader and the influx client carry exactly. */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A per-lot metric point (measurement `lot_metrics`, tag `lot`), e.g.
 * `{ quantityGrams: 1_000_000_000n, flags: 0n }`. Field names are camelCase with their unit.
 * The identity is (lot, timeMs): writing the same lot and time again replaces those fields.
 */
export function lotMetricPoint(
  lotId: string,
  fields: Readonly<Record<string, bigint>>,
  timeMs: number,
): SeriesPoint {
  if (lotId.length === 0) throw new RangeError('lotId: must not be empty');
  if (!Number.isSafeInteger(timeMs) || timeMs < 0)
    throw new RangeError(`timeMs: expected ms since epoch, got ${timeMs}`);
  const names = Object.keys(fields);
  if (names.length === 0) throw new RangeError('fields: at least one field is required');
  for (const name of names) {
    const value = fields[name];
    if (!FIELD_NAME.test(name)) throw new RangeError(`fields.${name}: expected a camelCase name`);
    if (typeof value !== 'bigint') throw new TypeError(`fields.${name}: expected a bigint`);
    if (value > MAX_EXACT || value < -MAX_EXACT)
      throw new RangeError(`fields.${name}: ${value} is beyond ±(2^53-1)`);
  }
  return {
    measurement: LOT_METRICS_MEASUREMENT,
    tags: { lot: lotId },
    fields: { ...fields },
    timeNs: BigInt(timeMs) * NS_PER_MS,
  };
}

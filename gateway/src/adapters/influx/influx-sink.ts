// InfluxDB 1.x sink (npm `influx`, HTTP /write with line protocol), for Debian's influxdb 1.6.
// The v2 client (@influxdata/influxdb-client) does not work here: its endpoints start at 1.8.
//
// Every field is written with the client's INTEGER type (line protocol `123i`): quantities stay
// integers. Timestamps go at nanosecond precision because readingPoint carries seq in the
// sub-millisecond digits (see ports/time-series-sink.ts for the identity rule).
import { FieldType, InfluxDB, type IPoint } from 'influx';
import type { Logger } from 'pino';
import {
  SinkWriteError,
  type SeriesPoint,
  type TimeSeriesSink,
} from '../../ports/time-series-sink.js';

export interface InfluxSinkOptions {
  readonly host: string;
  readonly port: number;
  readonly protocol?: 'http' | 'https';
  readonly database: string;
  readonly username?: string;
  readonly password?: string;
  /** One HTTP request's deadline. [ms] */
  readonly requestTimeoutMs?: number;
  readonly log: Logger;
}

/** The client's host pool would disable a failing host for up to 10 s: retries are ours instead. */
const NO_BACKOFF = {
  getDelay: () => 0,
  next() {
    return NO_BACKOFF;
  },
  reset() {
    return NO_BACKOFF;
  },
};

export class InfluxSink implements TimeSeriesSink {
  readonly database: string;
  readonly #client: InfluxDB;
  readonly #log: Logger;
  /** Field and tag names declared to the client per measurement (its schema refuses others). */
  readonly #schemas = new Map<string, { fields: Set<string>; tags: Set<string> }>();
  #databaseReady = false;

  constructor(options: InfluxSinkOptions) {
    this.database = options.database;
    this.#log = options.log;
    this.#client = new InfluxDB({
      host: options.host,
      port: options.port,
      protocol: options.protocol ?? 'http',
      database: options.database,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      pool: {
        maxRetries: 0,
        requestTimeout: options.requestTimeoutMs ?? 10_000,
        backoff: NO_BACKOFF,
      },
    });
  }

  /** The underlying client, for queries (tests, tools). */
  get client(): InfluxDB {
    return this.#client;
  }

  async write(points: readonly SeriesPoint[]): Promise<void> {
    const writable = points.filter((point) => this.#exact(point));
    if (writable.length === 0) return;
    for (const point of writable) this.#declare(point);
    try {
      if (!this.#databaseReady) await this.#ensureDatabase();
      await this.#client.writePoints(writable.map(toInfluxPoint), { precision: 'n' });
    } catch (error) {
      throw translate(error, () => (this.#databaseReady = false));
    }
  }

  async close(): Promise<void> {
    // The client keeps no connections open between requests (http.Agent defaults).
  }

  async #ensureDatabase(): Promise<void> {
    // CREATE DATABASE is idempotent in InfluxDB 1.x.
    await this.#client.createDatabase(this.database);
    this.#databaseReady = true;
    this.#log.info({ database: this.database }, 'influx database ready');
  }

  /** Declares every field as INTEGER (and the tags) to the client's schema for the measurement. */
  #declare(point: SeriesPoint): void {
    let schema = this.#schemas.get(point.measurement);
    const fieldNames = Object.keys(point.fields);
    const tagNames = Object.keys(point.tags);
    if (
      schema &&
      fieldNames.every((name) => schema!.fields.has(name)) &&
      tagNames.every((name) => schema!.tags.has(name))
    )
      return;
    schema ??= { fields: new Set(), tags: new Set() };
    for (const name of fieldNames) schema.fields.add(name);
    for (const name of tagNames) schema.tags.add(name);
    this.#schemas.set(point.measurement, schema);
    this.#client.addSchema({
      measurement: point.measurement,
      database: this.database,
      fields: Object.fromEntries([...schema.fields].map((name) => [name, FieldType.INTEGER])),
      tags: [...schema.tags],
    });
  }

  /** The client writes integers through Number: beyond 2^53 they would not stay exact. */
  #exact(point: SeriesPoint): boolean {
    const safe = Object.values(point.fields).every(
      (value) =>
        value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER),
    );
    if (!safe)
      this.#log.error(
        { measurement: point.measurement, tags: point.tags, timeNs: String(point.timeNs) },
        'point not written: an integer field is beyond ±(2^53-1)',
      );
    return safe;
  }
}

function toInfluxPoint(point: SeriesPoint): IPoint {
  return {
    measurement: point.measurement,
    tags: { ...point.tags },
    fields: Object.fromEntries(
      Object.entries(point.fields).map(([name, value]) => [name, Number(value)]),
    ),
    timestamp: point.timeNs.toString(),
  };
}

/**
 * Foreign errors, translated once. HTTP 400 means InfluxDB refused the points themselves (parse
 * error, field type conflict; on a partial write the valid points were stored): permanent.
 * Anything else (down, timeout, 5xx, auth, missing database) may heal: retry.
 */
function translate(error: unknown, onMissingDatabase: () => void): SinkWriteError {
  const status = (error as { res?: { statusCode?: number } }).res?.statusCode;
  const message = (error as Error).message ?? String(error);
  if (status === 404 || /database not found/i.test(message)) onMissingDatabase();
  return new SinkWriteError(
    `influx write failed${status !== undefined ? ` (HTTP ${status})` : ''}: ${message}`,
    status === 400,
    { cause: error },
  );
}

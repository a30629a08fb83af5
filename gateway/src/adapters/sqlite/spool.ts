// The time-series spool: points waiting for the sink, in the evidence database so that a reading
// is spooled in the same transaction as its evidence commit (nothing lost on a crash).
//
// Rows are only ever appended (new id = max id + 1) and removed from the head (acknowledged or
// dropped), so the waiting ids form one contiguous range: depth = max(id) - min(id) + 1, two
// index lookups instead of a count over the table on every commit.
//
// Bound: past `maxPoints` the oldest points are dropped. That loses chart data, never evidence:
// the evidence log keeps every accepted reading, and a spool can be refilled from it.
import type Database from 'better-sqlite3';
import type { SeriesPoint, SeriesSpool, SpooledPoint } from '../../ports/time-series-sink.js';

export interface SpoolOptions {
  /** Largest number of waiting points; the oldest are dropped beyond it. */
  readonly maxPoints: number;
}

interface SpoolRow {
  id: number;
  measurement: string;
  tags: string;
  fields: string;
  time_ns: bigint;
}

export class SqliteSeriesSpool implements SeriesSpool {
  readonly maxPoints: number;
  readonly #db: Database.Database;
  readonly #statements;
  readonly #appendListeners = new Set<() => void>();
  readonly #overflowListeners = new Set<(dropped: number, max: number) => void>();
  /** Dropped inside a transaction that has not committed yet. */
  #pendingDropped = 0;
  #pendingAppend = false;
  /** Points dropped by the bound since this process opened the spool. */
  droppedTotal = 0;

  constructor(db: Database.Database, options: SpoolOptions) {
    if (!Number.isSafeInteger(options.maxPoints) || options.maxPoints < 1)
      throw new RangeError(`maxPoints: expected a positive integer, got ${options.maxPoints}`);
    this.maxPoints = options.maxPoints;
    this.#db = db;
    this.#statements = {
      insert: db.prepare(
        `INSERT INTO series_spool (measurement, tags, fields, time_ns, enqueued_at_ms)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      peek: db
        .prepare(
          'SELECT id, measurement, tags, fields, time_ns FROM series_spool ORDER BY id LIMIT ?',
        )
        .safeIntegers(true),
      remove: db.prepare('DELETE FROM series_spool WHERE id BETWEEN ? AND ?'),
      bounds: db.prepare('SELECT min(id) AS first, max(id) AS last FROM series_spool'),
      oldest: db.prepare('SELECT enqueued_at_ms FROM series_spool ORDER BY id LIMIT 1').pluck(),
    };
  }

  /**
   * Appends points. Called inside the evidence commit's transaction (or alone, as its own
   * implicit transaction); call `afterCommit` once the transaction committed.
   */
  append(points: readonly SeriesPoint[], enqueuedAtMs: number): void {
    // A new transaction: whatever a rolled-back one left pending never happened.
    this.#pendingDropped = 0;
    this.#pendingAppend = false;
    if (points.length === 0) return;
    const s = this.#statements;
    for (const point of points) {
      s.insert.run(
        point.measurement,
        JSON.stringify(point.tags),
        JSON.stringify(point.fields, (_key, value: unknown) =>
          typeof value === 'bigint' ? value.toString() : value,
        ),
        point.timeNs,
        enqueuedAtMs,
      );
    }
    this.#pendingAppend = true;
    const excess = this.depth() - this.maxPoints;
    if (excess > 0) {
      const { first } = s.bounds.get() as { first: number };
      s.remove.run(first, first + excess - 1);
      this.#pendingDropped = excess;
    }
  }

  /** Tells listeners about what the committed transaction appended or dropped. */
  afterCommit(): void {
    const dropped = this.#pendingDropped;
    const appended = this.#pendingAppend;
    this.#pendingDropped = 0;
    this.#pendingAppend = false;
    if (dropped > 0) {
      this.droppedTotal += dropped;
      for (const listener of this.#overflowListeners) listener(dropped, this.maxPoints);
    }
    if (appended) for (const listener of this.#appendListeners) listener();
  }

  /** The transaction rolled back: nothing was appended or dropped. */
  afterRollback(): void {
    this.#pendingDropped = 0;
    this.#pendingAppend = false;
  }

  /** Appends points in a transaction of their own (lot metrics; readings come with the evidence). */
  enqueue(points: readonly SeriesPoint[], enqueuedAtMs: number): void {
    try {
      this.#db.transaction(() => this.append(points, enqueuedAtMs))();
    } catch (error) {
      this.afterRollback();
      throw error;
    }
    this.afterCommit();
  }

  peek(limit: number): SpooledPoint[] {
    const rows = this.#statements.peek.all(limit) as Array<Omit<SpoolRow, 'id'> & { id: bigint }>;
    return rows.map((row) => ({
      id: Number(row.id),
      point: {
        measurement: row.measurement,
        tags: JSON.parse(row.tags) as Record<string, string>,
        fields: Object.fromEntries(
          Object.entries(JSON.parse(row.fields) as Record<string, string>).map(([name, value]) => [
            name,
            BigInt(value),
          ]),
        ),
        timeNs: row.time_ns,
      },
    }));
  }

  remove(firstId: number, lastId: number): void {
    this.#statements.remove.run(firstId, lastId);
  }

  depth(): number {
    const { first, last } = this.#statements.bounds.get() as {
      first: number | null;
      last: number | null;
    };
    return first === null || last === null ? 0 : last - first + 1;
  }

  oldestEnqueuedAtMs(): number | undefined {
    return (this.#statements.oldest.get() as number | undefined) ?? undefined;
  }

  onAppend(listener: () => void): () => void {
    this.#appendListeners.add(listener);
    return () => this.#appendListeners.delete(listener);
  }

  onOverflow(listener: (droppedPoints: number, maxPoints: number) => void): () => void {
    this.#overflowListeners.add(listener);
    return () => this.#overflowListeners.delete(listener);
  }
}

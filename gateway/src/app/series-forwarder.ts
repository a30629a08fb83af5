// Drains the time-series spool into the sink: batches in spool order, one at a time, removed only
// once the sink acknowledged them. While the sink is down the spool grows (up to its bound) and the
// forwarder retries with capped exponential backoff; when the sink is back it backfills in order.
// A batch the sink refuses as such (HTTP 400) would block the spool forever: it is dropped with an
// error log; the evidence log still holds those readings.
import type { Logger } from 'pino';
import type { Clock } from '../ports/clock.js';
import {
  SinkWriteError,
  lotMetricPoint,
  type SeriesSpool,
  type TimeSeriesSink,
} from '../ports/time-series-sink.js';

export interface SeriesForwarderOptions {
  readonly spool: SeriesSpool;
  readonly sink: TimeSeriesSink;
  readonly clock: Clock;
  /** Child logger { component: 'influx' }. */
  readonly log: Logger;
  /** Points per write. */
  readonly batchSize: number;
  /** First retry delay after a failed write. [ms] */
  readonly retryInitialMs?: number;
  /** Retry delay cap. [ms] */
  readonly retryMaxMs?: number;
  /** Idle re-check of the spool, should a wake-up be missed. [ms] */
  readonly idlePollMs?: number;
  /** Shortest interval between two "spool full" warnings. [ms] */
  readonly overflowWarnEveryMs?: number;
}

export interface ForwarderStatus {
  /** Points waiting in the spool. */
  readonly depthPoints: number;
  /** Age of the oldest waiting point; 0 when the spool is empty. [ms] */
  readonly oldestAgeMs: number;
  /** Points the sink acknowledged since start. */
  readonly forwardedPoints: number;
  /** Points dropped since start: by the spool bound, or refused by the sink. */
  readonly droppedPoints: number;
  /** Consecutive failed writes; 0 while the sink is healthy. */
  readonly failedWrites: number;
}

export class SeriesForwarder {
  readonly #options: SeriesForwarderOptions;
  readonly #unsubscribe: Array<() => void> = [];
  #running: Promise<void> | undefined;
  #stopping = false;
  #idle = false;
  #wake: (() => void) | undefined;
  #forwardedPoints = 0;
  #droppedPoints = 0;
  #failedWrites = 0;
  #lastOverflowWarnMs = -Infinity;
  #droppedSinceWarn = 0;

  constructor(options: SeriesForwarderOptions) {
    if (!Number.isSafeInteger(options.batchSize) || options.batchSize < 1)
      throw new RangeError(`batchSize: expected a positive integer, got ${options.batchSize}`);
    this.#options = options;
  }

  start(): void {
    if (this.#running) throw new TypeError('SeriesForwarder already started');
    const { spool } = this.#options;
    this.#unsubscribe.push(
      spool.onAppend(() => {
        if (this.#idle) this.#wake?.();
      }),
      spool.onOverflow((dropped, maxPoints) => this.#overflowed(dropped, maxPoints)),
    );
    this.#running = this.#run();
  }

  /** Stops after the write in progress; what is unsent stays in the spool for the next start. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await this.#options.sink.close();
  }

  /** Spools a per-lot metric (measurement lot_metrics); throws RangeError/TypeError on bad input. */
  writeLotMetric(lotId: string, fields: Readonly<Record<string, bigint>>, timeMs: number): void {
    this.#options.spool.enqueue(
      [lotMetricPoint(lotId, fields, timeMs)],
      this.#options.clock.nowMs(),
    );
  }

  status(): ForwarderStatus {
    const { spool, clock } = this.#options;
    const oldest = spool.oldestEnqueuedAtMs();
    return {
      depthPoints: spool.depth(),
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, clock.nowMs() - oldest),
      forwardedPoints: this.#forwardedPoints,
      droppedPoints: this.#droppedPoints,
      failedWrites: this.#failedWrites,
    };
  }

  async #run(): Promise<void> {
    const { spool, sink, log, batchSize } = this.#options;
    while (!this.#stopping) {
      const batch = spool.peek(batchSize);
      if (batch.length === 0) {
        this.#idle = true;
        await this.#sleep(this.#options.idlePollMs ?? 1_000);
        this.#idle = false;
        continue;
      }
      const firstId = batch[0]!.id;
      const lastId = batch[batch.length - 1]!.id;
      try {
        await sink.write(batch.map((entry) => entry.point));
      } catch (error) {
        if (error instanceof SinkWriteError && error.permanent) {
          spool.remove(firstId, lastId);
          this.#droppedPoints += batch.length;
          log.error(
            { err: error.message, firstId, lastId, points: batch.length },
            'influx refused a batch; dropped from the spool (the evidence log keeps the readings)',
          );
          continue;
        }
        this.#failedWrites++;
        const delayMs = this.#retryDelayMs();
        const fields = { err: (error as Error).message, depthPoints: spool.depth(), delayMs };
        if (this.#failedWrites === 1)
          log.warn(fields, 'influx unreachable; spooling points and retrying');
        else log.debug({ ...fields, failedWrites: this.#failedWrites }, 'influx still unreachable');
        await this.#sleep(delayMs);
        continue;
      }
      spool.remove(firstId, lastId);
      this.#forwardedPoints += batch.length;
      if (this.#failedWrites > 0) {
        log.info(
          { failedWrites: this.#failedWrites, depthPoints: spool.depth() },
          'influx reachable again; backfilling the spool in order',
        );
        this.#failedWrites = 0;
      }
    }
  }

  /** Capped exponential backoff: initial, 2x, 4x, ... up to the cap. */
  #retryDelayMs(): number {
    const initialMs = this.#options.retryInitialMs ?? 250;
    const maxMs = this.#options.retryMaxMs ?? 30_000;
    return Math.min(maxMs, initialMs * 2 ** Math.min(30, this.#failedWrites - 1));
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  #overflowed(dropped: number, maxPoints: number): void {
    this.#droppedPoints += dropped;
    this.#droppedSinceWarn += dropped;
    const nowMs = this.#options.clock.nowMs();
    if (nowMs - this.#lastOverflowWarnMs < (this.#options.overflowWarnEveryMs ?? 10_000)) return;
    this.#options.log.warn(
      { droppedPoints: this.#droppedSinceWarn, maxPoints },
      'influx spool full: dropping the oldest points (the evidence log keeps every reading)',
    );
    this.#lastOverflowWarnMs = nowMs;
    this.#droppedSinceWarn = 0;
  }
}

// Physical plausibility of a device's value stream: range, maximum rate of change, and the
// signature of a faked signal, a perfectly flat or exactly repeating trace where a real sensor is
// noisy (DOMAIN.md "Sensor cheats"). Pure: the caller keeps the per-device history between calls.

import type { ReadingKind } from '@pledgeguard/protocol';

export interface KindLimits {
  readonly minValue: bigint;
  readonly maxValue: bigint;
  /** Largest believable change per second of device time, in the kind's unit; undefined: no limit. */
  readonly maxChangePerS?: bigint;
  /** The sensor is noisy: a flat or repeated trace over `traceWindow` readings is implausible. */
  readonly noisy: boolean;
}

export interface PlausibilityPolicy {
  readonly kinds: Readonly<Record<ReadingKind, KindLimits>>;
  /** Readings in the window examined for flat and repeated traces; 0 disables both checks. */
  readonly traceWindow: number;
  /** Readings of history kept to find a repeated trace. */
  readonly historyLength: number;
}

export const DEFAULT_PLAUSIBILITY_POLICY: PlausibilityPolicy = {
  kinds: {
    // A forklift moves a 1 t pallet in seconds; 5 t/s is beyond any real handling.
    weight: {
      minValue: -1_000_000n,
      maxValue: 5_000_000_000n,
      maxChangePerS: 5_000_000n,
      noisy: true,
    },
    count: { minValue: 0n, maxValue: 1_000_000n, maxChangePerS: 100n, noisy: false },
    // An open door moves the air of a bay by a few degrees a minute, not by 0.5 degC a second.
    temperature: { minValue: -40_000n, maxValue: 70_000n, maxChangePerS: 500n, noisy: true },
    humidity: { minValue: 0n, maxValue: 1_000n, maxChangePerS: 50n, noisy: true },
    door: { minValue: 0n, maxValue: 1n, noisy: false },
    tamper: { minValue: 0n, maxValue: 1n, noisy: false },
    'rfid-event': { minValue: -1n, maxValue: 1n, noisy: false },
    heartbeat: { minValue: 0n, maxValue: 4_294_967_295n, noisy: false },
  },
  traceWindow: 30,
  historyLength: 240,
};

/**
 * Largest magnitude a traced value may have: values are kept as doubles (no allocation per reading)
 * and differences of two of them stay exact below 2^53. No sensor reports 4.5e15 of its unit, so a
 * larger value is out of range whatever the policy says.
 */
const MAX_TRACE_MAGNITUDE = 2n ** 52n;

/**
 * Recent values of one device and kind, oldest first: the last `capacity` values, which
 * checkPlausibility updates in place. The caller keeps one per device and kind between calls.
 * Doubles in one preallocated buffer rather than a fresh array of bigints per reading: this runs
 * for every reading, thousands a second, and the copies were most of the gateway's garbage.
 */
export class TraceHistory {
  readonly #capacity: number;
  /**
   * Twice the capacity: values are appended at #end and the window is [#start, #end); when #end
   * reaches the end, the newest values move to the front (one copy every `capacity` pushes), so
   * reads need no modulo.
   */
  readonly #buffer: Float64Array;
  #start = 0;
  #end = 0;
  #lastValue: bigint | undefined;
  #lastDeviceTimeMs: number | undefined;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity: expected a positive integer, got ${capacity}`);
    this.#capacity = capacity;
    this.#buffer = new Float64Array(2 * capacity);
  }

  /** Values held, at most the capacity. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** The i-th value held, 0 the oldest. */
  at(i: number): number {
    return this.#buffer[this.#start + i]!;
  }

  get lastValue(): bigint | undefined {
    return this.#lastValue;
  }

  get lastDeviceTimeMs(): number | undefined {
    return this.#lastDeviceTimeMs;
  }

  /** Appends a value (|value| ≤ 2^52), dropping the oldest when full. */
  push(value: bigint, deviceTimeMs: number): void {
    if (this.#end === this.#buffer.length) {
      this.#buffer.copyWithin(0, this.#end - (this.#capacity - 1), this.#end);
      this.#start = 0;
      this.#end = this.#capacity - 1;
    }
    this.#buffer[this.#end++] = Number(value);
    if (this.#end - this.#start > this.#capacity) this.#start++;
    this.#lastValue = value;
    this.#lastDeviceTimeMs = deviceTimeMs;
  }
}

export type PlausibilityCode =
  'PG_IMPLAUSIBLE_RANGE' | 'PG_IMPLAUSIBLE_RATE' | 'PG_IMPLAUSIBLE_FLAT';

export type PlausibilityVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: PlausibilityCode; readonly detail: string };

const PLAUSIBLE: PlausibilityVerdict = { ok: true };

/**
 * Judges one value against the limits of its kind and the device's history, and records the value
 * in `history` unless it is out of range: a sudden but possible jump is the new level of the trace,
 * while an impossible value would only poison the rate check of the next reading.
 */
export function checkPlausibility(
  kind: ReadingKind,
  value: bigint,
  deviceTimeMs: number,
  history: TraceHistory,
  policy: PlausibilityPolicy,
): PlausibilityVerdict {
  const limits = policy.kinds[kind];
  // An impossible value says nothing about the signal: it stays out of the history.
  const min = limits.minValue > -MAX_TRACE_MAGNITUDE ? limits.minValue : -MAX_TRACE_MAGNITUDE;
  const max = limits.maxValue < MAX_TRACE_MAGNITUDE ? limits.maxValue : MAX_TRACE_MAGNITUDE;
  if (value < min || value > max)
    return {
      ok: false,
      code: 'PG_IMPLAUSIBLE_RANGE',
      detail: `${kind} ${value} outside [${min}, ${max}]`,
    };
  const previous = history.lastValue;
  const previousDeviceTimeMs = history.lastDeviceTimeMs;
  history.push(value, deviceTimeMs);
  if (
    limits.maxChangePerS !== undefined &&
    previous !== undefined &&
    previousDeviceTimeMs !== undefined
  ) {
    // Change per second over at least one second, so bursts of readings are judged fairly.
    const elapsedMs = BigInt(Math.max(1_000, deviceTimeMs - previousDeviceTimeMs));
    const change = value > previous ? value - previous : previous - value;
    if (change * 1_000n > limits.maxChangePerS * elapsedMs) {
      return {
        ok: false,
        code: 'PG_IMPLAUSIBLE_RATE',
        detail: `${kind} changed by ${change} in ${elapsedMs} ms`,
      };
    }
  }
  if (limits.noisy && policy.traceWindow > 1) {
    const trace = fakedTrace(history, policy.traceWindow);
    if (trace) return { ok: false, code: 'PG_IMPLAUSIBLE_FLAT', detail: `${kind}: ${trace}` };
  }
  return PLAUSIBLE;
}

/**
 * A description of the faked-signal pattern that ends the history, or undefined: the last `window`
 * values are all equal, or their successive differences repeat, exactly, a stretch seen earlier.
 */
export function fakedTrace(history: TraceHistory, window: number): string | undefined {
  const n = history.length;
  if (n < window) return undefined;
  const newest = history.at(n - 1);
  let flat = true;
  for (let i = n - window; i < n - 1 && flat; i++) flat = history.at(i) === newest;
  if (flat) return `${window} identical values`;
  // Differences d[j] = v[j+1] - v[j], j < n - 1; exact, values being at most 2^52 in magnitude.
  const delta = (j: number) => history.at(j + 1) - history.at(j);
  const deltas = n - 1;
  const tailStart = deltas - (window - 1);
  // Search earlier, non-overlapping stretches of the same length.
  for (let start = 0; start + 2 * (window - 1) <= deltas; start++) {
    let same = true;
    for (let i = 0; i < window - 1 && same; i++) same = delta(start + i) === delta(tailStart + i);
    if (same) return `the last ${window} values repeat the noise of an earlier stretch exactly`;
  }
  return undefined;
}

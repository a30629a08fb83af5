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

/** Recent values of one device and kind, oldest first. */
export interface TraceHistory {
  readonly values: readonly bigint[];
  readonly lastDeviceTimeMs?: number;
}

export const EMPTY_HISTORY: TraceHistory = { values: [] };

export type PlausibilityCode =
  'PG_IMPLAUSIBLE_RANGE' | 'PG_IMPLAUSIBLE_RATE' | 'PG_IMPLAUSIBLE_FLAT';

export type PlausibilityVerdict =
  | { readonly ok: true; readonly history: TraceHistory }
  | {
      readonly ok: false;
      readonly code: PlausibilityCode;
      readonly detail: string;
      readonly history: TraceHistory;
    };

/**
 * Judges one value against the limits of its kind and the device's history. The returned history
 * includes the value unless it is out of range: a sudden but possible jump is the new level of the
 * trace, while an impossible value would only poison the rate check of the next reading.
 */
export function checkPlausibility(
  kind: ReadingKind,
  value: bigint,
  deviceTimeMs: number,
  history: TraceHistory,
  policy: PlausibilityPolicy,
): PlausibilityVerdict {
  const limits = policy.kinds[kind];
  const next = append(history, value, deviceTimeMs, policy.historyLength);
  // An impossible value says nothing about the signal: it stays out of the history.
  if (value < limits.minValue || value > limits.maxValue) {
    return {
      ok: false,
      code: 'PG_IMPLAUSIBLE_RANGE',
      detail: `${kind} ${value} outside [${limits.minValue}, ${limits.maxValue}]`,
      history,
    };
  }
  const previous = history.values.at(-1);
  if (
    limits.maxChangePerS !== undefined &&
    previous !== undefined &&
    history.lastDeviceTimeMs !== undefined
  ) {
    // Change per second over at least one second, so bursts of readings are judged fairly.
    const elapsedMs = BigInt(Math.max(1_000, deviceTimeMs - history.lastDeviceTimeMs));
    const change = value > previous ? value - previous : previous - value;
    if (change * 1_000n > limits.maxChangePerS * elapsedMs) {
      return {
        ok: false,
        code: 'PG_IMPLAUSIBLE_RATE',
        detail: `${kind} changed by ${change} in ${elapsedMs} ms`,
        history: next,
      };
    }
  }
  if (limits.noisy && policy.traceWindow > 1) {
    const trace = fakedTrace(next.values, policy.traceWindow);
    if (trace)
      return { ok: false, code: 'PG_IMPLAUSIBLE_FLAT', detail: `${kind}: ${trace}`, history: next };
  }
  return { ok: true, history: next };
}

function append(
  history: TraceHistory,
  value: bigint,
  deviceTimeMs: number,
  historyLength: number,
): TraceHistory {
  const values =
    history.values.length >= historyLength
      ? history.values.slice(1 - historyLength)
      : history.values.slice();
  values.push(value);
  return { values, lastDeviceTimeMs: deviceTimeMs };
}

/**
 * A description of the faked-signal pattern that ends the history, or undefined: the last `window`
 * values are all equal, or their successive differences repeat, exactly, a stretch seen earlier.
 */
export function fakedTrace(values: readonly bigint[], window: number): string | undefined {
  if (values.length < window) return undefined;
  const recent = values.slice(-window);
  if (recent.every((value) => value === recent[0])) return `${window} identical values`;
  const deltas = differences(values);
  const tailStart = deltas.length - (window - 1);
  // Search earlier, non-overlapping stretches of the same length.
  for (let start = 0; start + 2 * (window - 1) <= deltas.length; start++) {
    let same = true;
    for (let i = 0; i < window - 1 && same; i++) same = deltas[start + i] === deltas[tailStart + i];
    if (same) return `the last ${window} values repeat the noise of an earlier stretch exactly`;
  }
  return undefined;
}

function differences(values: readonly bigint[]): bigint[] {
  const out: bigint[] = [];
  for (let i = 1; i < values.length; i++) out.push(values[i]! - values[i - 1]!);
  return out;
}

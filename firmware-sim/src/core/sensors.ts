// Sensor physics (pure, deterministic from each device's Rng): what a device of each type reads
// from its bay at a warehouse time. Real load cells are noisy (DOMAIN.md: a perfectly repeated
// trace is itself a signal), so every analogue value carries Gaussian noise from the device's own
// seeded stream; faults (bias, drift) are parameters a scenario switches on.

import type { ReadingKind } from '@pledgeguard/protocol';
import { bayGoodsGrams, palletEpc, type BayState } from './bay.js';
import type { Rng } from './rng.js';

export const DEVICE_TYPES = [
  'load-cell',
  'rfid-reader',
  'temperature',
  'humidity',
  'door',
  'tamper',
] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** What each device type reports besides heartbeats (goes into the manifest's `kinds`). */
export const KINDS_OF_TYPE: Record<DeviceType, readonly ReadingKind[]> = {
  'load-cell': ['weight'],
  'rfid-reader': ['rfid-event', 'count'],
  temperature: ['temperature'],
  humidity: ['humidity'],
  door: ['door'],
  tamper: ['tamper'],
};

export interface SensorParams {
  /** Load cell: standard deviation of noise [g]. */
  readonly noiseGrams: number;
  /** Load cell: platform dead weight, subtracted by the firmware's tare [g]. */
  readonly tareGrams: bigint;
  /** Load cell: slow drift [g per hour of warehouse time]. */
  readonly driftGramsPerHour: number;
  /** Temperature: bay baseline [milli-degC] and day/night swing amplitude [milli-degC]. */
  readonly baseMilliC: number;
  readonly swingMilliC: number;
  readonly noiseMilliC: number;
  /** Humidity: baseline and noise [per-mille RH]. */
  readonly basePerMille: number;
  readonly noisePerMille: number;
}

export const DEFAULT_PARAMS: SensorParams = {
  noiseGrams: 20_000, // ~0.002% of a 1,000 t lot: a good industrial weighbridge
  tareGrams: 2_500_000n,
  driftGramsPerHour: 0,
  baseMilliC: 18_000,
  swingMilliC: 3_000,
  noiseMilliC: 80,
  basePerMille: 550,
  noisePerMille: 6,
};

/** Mutable per-device sensor state. */
export interface SensorState {
  /** Bias applied after a junction-box event [g] (scenario-controlled). */
  biasGrams: bigint;
  /** Last door/tamper value reported (edge detection). */
  lastBinary: number;
  /** RFID: tags the reader last saw in its zone (slot -> 1). */
  seen: Uint8Array | undefined;
  /** Warehouse time the device started [ms] (drift origin). */
  readonly startedAtMs: number;
}

export function createSensorState(
  type: DeviceType,
  bay: BayState,
  startedAtMs: number,
): SensorState {
  return {
    biasGrams: 0n,
    lastBinary:
      type === 'door' ? Number(bay.doorOpen) : type === 'tamper' ? Number(bay.tamperOpen) : -1,
    seen: type === 'rfid-reader' ? bay.present.slice() : undefined,
    startedAtMs,
  };
}

/** One measured value before it is stamped with identity and signed. */
export interface Sample {
  readonly kind: ReadingKind;
  readonly value: bigint;
  readonly tag?: Uint8Array;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Periodic measurement. Door and tamper report their state; an RFID reader reports the tag
 * movements since its last look, then its count.
 */
export function samplePeriodic(
  type: DeviceType,
  params: SensorParams,
  state: SensorState,
  bay: BayState,
  rng: Rng,
  warehouseMs: number,
): Sample[] {
  switch (type) {
    case 'load-cell': {
      const driftGrams = (params.driftGramsPerHour * (warehouseMs - state.startedAtMs)) / HOUR_MS;
      const noise = Math.round(rng.normal() * params.noiseGrams + driftGrams);
      // The firmware subtracts its stored tare from the gross platform reading.
      const grossGrams = bayGoodsGrams(bay) + params.tareGrams + state.biasGrams + BigInt(noise);
      return [{ kind: 'weight', value: grossGrams - params.tareGrams }];
    }
    case 'temperature': {
      const phase = (2 * Math.PI * (warehouseMs % DAY_MS)) / DAY_MS;
      const milliC =
        params.baseMilliC -
        params.swingMilliC * Math.cos(phase) + // coldest at midnight, warmest at noon
        bay.temperatureOffsetMilliC +
        rng.normal() * params.noiseMilliC;
      return [{ kind: 'temperature', value: BigInt(Math.round(milliC)) }];
    }
    case 'humidity': {
      const perMille =
        params.basePerMille + bay.humidityOffsetPerMille + rng.normal() * params.noisePerMille;
      return [
        { kind: 'humidity', value: BigInt(Math.min(1000, Math.max(0, Math.round(perMille)))) },
      ];
    }
    case 'door':
    case 'tamper': {
      const value = type === 'door' ? Number(bay.doorOpen) : Number(bay.tamperOpen);
      state.lastBinary = value;
      return [{ kind: type, value: BigInt(value) }];
    }
    case 'rfid-reader': {
      const events = sampleChange(type, state, bay);
      events.push({ kind: 'count', value: BigInt(bay.presentCount) });
      return events;
    }
  }
}

/** Edge-triggered measurement right after the bay changed: only door, tamper and RFID react. */
export function sampleChange(type: DeviceType, state: SensorState, bay: BayState): Sample[] {
  if (type === 'door' || type === 'tamper') {
    const value = type === 'door' ? Number(bay.doorOpen) : Number(bay.tamperOpen);
    if (value === state.lastBinary) return [];
    state.lastBinary = value;
    return [{ kind: type, value: BigInt(value) }];
  }
  if (type !== 'rfid-reader' || state.seen === undefined) return [];
  const events: Sample[] = [];
  const seen = state.seen;
  for (let slot = 0; slot < seen.length; slot++) {
    const now = bay.present[slot]!;
    if (now === seen[slot]) continue;
    seen[slot] = now;
    events.push({
      kind: 'rfid-event',
      value: now === 1 ? 1n : -1n,
      tag: palletEpc(bay.bayId, slot),
    });
  }
  return events;
}

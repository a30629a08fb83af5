// A generated steady-state fleet (no scenario file): N devices in bays of six (load cell, RFID
// reader, temperature, humidity, door, tamper), one 1,000 t copper lot per bay (DOMAIN.md), for
// `run --devices N` and the 10,000-device benchmark.

import type { ScenarioInput } from './scenario-schema.js';
import { DEVICE_TYPES } from './sensors.js';

export interface SteadyOptions {
  readonly devices: number;
  /** Measurement period [warehouse ms]; 1,000 = 1 Hz. */
  readonly periodMs: number;
  readonly heartbeatMs: number;
  readonly seed: number;
  readonly warehouseId: string;
  readonly durationMs: number;
  readonly palletsPerLot?: number;
}

export function deviceIdOf(index: number): string {
  return `dev-${String(index).padStart(5, '0')}`;
}

export function steadyScenario(options: SteadyOptions): ScenarioInput {
  const bays = Math.ceil(options.devices / DEVICE_TYPES.length);
  const seconds = (ms: number) => `${Math.max(1, Math.round(ms / 1000))}s`;
  const lots = Array.from({ length: bays }, (_, bay) => ({
    lotId: `LOT-${bay + 1}`,
    bayId: `B-${String(bay + 1).padStart(4, '0')}`,
    commodity: 'copper cathode',
    pallets: options.palletsPerLot ?? 1000,
    unitWeightGrams: '1000000',
  }));
  const devices = Array.from({ length: options.devices }, (_, index) => {
    const lot = lots[Math.floor(index / DEVICE_TYPES.length)]!;
    return {
      deviceId: deviceIdOf(index),
      type: DEVICE_TYPES[index % DEVICE_TYPES.length]!,
      bayId: lot.bayId,
      lotId: lot.lotId,
      period: options.periodMs % 1000 === 0 ? seconds(options.periodMs) : `${options.periodMs}ms`,
      heartbeat: seconds(options.heartbeatMs),
    };
  });
  return {
    name: 'steady-generated',
    description: `${options.devices} devices in steady state`,
    seed: options.seed,
    warehouseId: options.warehouseId,
    duration: seconds(options.durationMs),
    timeScale: 1,
    lots,
    devices,
    expect: { noVerdicts: ['PG_SIG_INVALID', 'PG_REPLAYED'] },
  };
}

// Test fixtures for the custody core: a lot like the simulator's (load cell, RFID reader, door,
// tamper, temperature, humidity on one bay) and a reading factory that numbers readings per device.
// Envelopes are stand-in bytes unique per identity: the core hashes them and never decodes them.
import type { ReadingKind } from '@pledgeguard/protocol';
import type { LotDefinition, LotDevice, LotPolicy, ReadingRef } from './types.js';

export const TEST_POLICY: LotPolicy = {
  tareGrams: 0n,
  medianWindow: 5,
  disagreementToleranceBps: 200,
  dropToleranceBps: 50,
  missedBeats: 3,
  temperature: { min: -10_000n, max: 30_000n },
  humidity: { max: 700n },
  excursionMs: 30 * 60_000,
  maxEvidence: 256,
};

export const HEARTBEAT_MS = 60_000;
export const T0 = 1_795_000_000_000;

export const SIM_DEVICES: LotDevice[] = [
  { deviceId: 'lc-1', kinds: ['weight'], heartbeatMs: HEARTBEAT_MS },
  { deviceId: 'rfid-1', kinds: ['rfid-event', 'count'], heartbeatMs: HEARTBEAT_MS },
  { deviceId: 'door-1', kinds: ['door'], heartbeatMs: HEARTBEAT_MS },
  { deviceId: 'tamper-1', kinds: ['tamper'], heartbeatMs: HEARTBEAT_MS },
  { deviceId: 'temp-1', kinds: ['temperature'], heartbeatMs: HEARTBEAT_MS },
  { deviceId: 'hum-1', kinds: ['humidity'], heartbeatMs: HEARTBEAT_MS },
];

export function lotDefinition(
  overrides: Partial<Omit<LotDefinition, 'policy'>> & { policy?: Partial<LotPolicy> } = {},
): LotDefinition {
  return {
    lotId: 'LOT-7',
    bayId: 'B-07',
    commodity: 'copper cathode',
    unitWeightGrams: 1_000_000n,
    devices: SIM_DEVICES,
    ...overrides,
    policy: { ...TEST_POLICY, ...overrides.policy },
  };
}

/** Makes readings with contiguous (boot, seq) per device. */
export class ReadingFactory {
  readonly #seq = new Map<string, number>();

  make(
    deviceId: string,
    kind: ReadingKind,
    value: bigint,
    atMs: number,
    options: { gap?: boolean; skip?: number } = {},
  ): ReadingRef {
    const seq = (this.#seq.get(deviceId) ?? -1) + 1 + (options.skip ?? 0);
    this.#seq.set(deviceId, seq);
    const text = `${deviceId}/0/${seq}/${kind}/${value}/${atMs}`;
    return {
      deviceId,
      boot: 0,
      seq,
      kind,
      value,
      deviceTimeMs: atMs,
      receivedAtMs: atMs,
      envelope: new TextEncoder().encode(text),
      gap: options.gap ?? (options.skip ?? 0) > 0,
    };
  }
}

// Device firmware (pure): stamps measurements with identity (deviceId, boot, seq) and the device
// clock, per PROTOCOL.md sections 3-4. The clock may be skewed on purpose (a scenario fault); seq
// only ever increases within a boot, and the boot counter comes from the persisted state file.

import type { Reading } from '@pledgeguard/protocol';
import type { Sample } from './sensors.js';

export interface FirmwareState {
  readonly deviceId: string;
  readonly bayId: string;
  readonly firmware: string;
  readonly boot: number;
  nextSeq: number;
  /** Warehouse time of this boot [ms]: heartbeats report uptime from here. */
  readonly bootedAtMs: number;
  /** Added to the device clock [ms]: 0 for an honest device. */
  clockOffsetMs: number;
}

export const FIRMWARE_VERSION = 'sim-1.0.0';

export function bootFirmware(
  deviceId: string,
  bayId: string,
  boot: number,
  bootedAtMs: number,
  firmware = FIRMWARE_VERSION,
): FirmwareState {
  return { deviceId, bayId, firmware, boot, nextSeq: 0, bootedAtMs, clockOffsetMs: 0 };
}

/** Stamps one sample with the next seq. */
export function stampReading(fw: FirmwareState, sample: Sample, warehouseMs: number): Reading {
  if (fw.nextSeq >= Number.MAX_SAFE_INTEGER)
    throw new RangeError('sequence space exhausted; reboot');
  const reading: Reading = {
    deviceId: fw.deviceId,
    boot: fw.boot,
    seq: fw.nextSeq++,
    deviceTimeMs: Math.max(0, Math.round(warehouseMs + fw.clockOffsetMs)),
    kind: sample.kind,
    value: sample.value,
    bayId: fw.bayId,
    firmware: fw.firmware,
  };
  return sample.tag === undefined ? reading : { ...reading, tag: sample.tag };
}

/** A heartbeat reading: value = seconds of uptime. Birth messages are heartbeats too. */
export function heartbeatSample(fw: FirmwareState, warehouseMs: number): Sample {
  return {
    kind: 'heartbeat',
    value: BigInt(Math.max(0, Math.floor((warehouseMs - fw.bootedAtMs) / 1000))),
  };
}

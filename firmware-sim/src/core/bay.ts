// The physical truth of one warehouse bay (pure): which pallets are present, door, junction box,
// climate offsets. Scenario events change it; sensors observe it with their own noise and faults.
// Pallet i of a bay has a fixed RFID EPC, so enter/exit events name real tags.

import { hashString } from './rng.js';

export interface BayState {
  readonly bayId: string;
  /** 1 where pallet slot i holds a pallet. */
  readonly present: Uint8Array;
  presentCount: number;
  /** Weight of one pallet [g]. */
  readonly palletGrams: bigint;
  doorOpen: boolean;
  /** Junction box / enclosure opened (what tamper switches in the bay see). */
  tamperOpen: boolean;
  /** Added to every temperature sensor of the bay [milli-degC] (excursions). */
  temperatureOffsetMilliC: number;
  /** Added to every humidity sensor of the bay [per-mille RH]. */
  humidityOffsetPerMille: number;
}

export function createBay(
  bayId: string,
  pallets: number,
  palletGrams: bigint,
  slots = pallets,
): BayState {
  if (!Number.isSafeInteger(pallets) || pallets < 0 || slots < pallets)
    throw new RangeError('pallets');
  const present = new Uint8Array(slots);
  present.fill(1, 0, pallets);
  return {
    bayId,
    present,
    presentCount: pallets,
    palletGrams,
    doorOpen: false,
    tamperOpen: false,
    temperatureOffsetMilliC: 0,
    humidityOffsetPerMille: 0,
  };
}

export function bayGoodsGrams(bay: BayState): bigint {
  return BigInt(bay.presentCount) * bay.palletGrams;
}

/** Removes up to `count` pallets, highest slots first (the ones nearest the door). */
export function removePallets(bay: BayState, count: number): number {
  let removed = 0;
  for (let i = bay.present.length - 1; i >= 0 && removed < count; i--) {
    if (bay.present[i] === 1) {
      bay.present[i] = 0;
      removed++;
    }
  }
  bay.presentCount -= removed;
  return removed;
}

/** Adds up to `count` pallets into free slots, lowest first. */
export function addPallets(bay: BayState, count: number): number {
  let added = 0;
  for (let i = 0; i < bay.present.length && added < count; i++) {
    if (bay.present[i] === 0) {
      bay.present[i] = 1;
      added++;
    }
  }
  bay.presentCount += added;
  return added;
}

/** The 96-bit EPC of pallet slot `slot` in a bay (header 0x30 as SGTIN-96, bay hash, serial). */
export function palletEpc(bayId: string, slot: number): Uint8Array {
  const epc = new Uint8Array(12);
  const view = new DataView(epc.buffer);
  epc[0] = 0x30;
  view.setUint32(1, hashString(bayId));
  view.setUint32(8, slot);
  return epc;
}

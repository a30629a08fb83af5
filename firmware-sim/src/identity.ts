// Reading identity on the device side (PROTOCOL.md section 4): the boot counter goes up by one on
// every start and is persisted; seq restarts at 0 with each boot and strictly increases.

export interface DeviceCounters {
  readonly boot: number;
  readonly nextSeq: number;
}

/** Counters after a (re)start, from what the state file held (undefined on first start). */
export function countersAfterBoot(persisted: DeviceCounters | undefined): DeviceCounters {
  return { boot: persisted === undefined ? 0 : persisted.boot + 1, nextSeq: 0 };
}

/** Takes the next sequence number. */
export function takeSeq(counters: DeviceCounters): { seq: number; counters: DeviceCounters } {
  if (counters.nextSeq >= Number.MAX_SAFE_INTEGER)
    throw new RangeError('sequence space exhausted; reboot');
  return { seq: counters.nextSeq, counters: { ...counters, nextSeq: counters.nextSeq + 1 } };
}

// Per-device replay high-water mark (PROTOCOL.md section 4): (boot, seq) must strictly increase.
// A jump in seq, or a boot more than one ahead, is accepted but reported as an evidence gap.

export interface ReadingId {
  readonly boot: number;
  readonly seq: number;
}

export type ReplayVerdict =
  | { readonly ok: true; readonly gap: boolean }
  | { readonly ok: false; readonly code: 'PG_REPLAYED' };

export function checkReplay(last: ReadingId | undefined, reading: ReadingId): ReplayVerdict {
  if (last === undefined) return { ok: true, gap: false };
  if (reading.boot > last.boot)
    return { ok: true, gap: reading.boot > last.boot + 1 || reading.seq > 0 };
  if (reading.boot < last.boot || reading.seq <= last.seq)
    return { ok: false, code: 'PG_REPLAYED' };
  return { ok: true, gap: reading.seq > last.seq + 1 };
}

// Replays quarantined readings through the ingest pipeline after the cause is fixed: a device
// registered late (PG_DEVICE_UNKNOWN), a key rotated in the registry (PG_SIG_INVALID,
// PG_ALG_MISMATCH, PG_KEY_INVALID). Each quarantine row is resolved with the new outcome; a
// reading that fails again stays in quarantine (as a new row) with its current code.

import type { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import type { Clock } from '../ports/clock.js';
import type { IngestOutcome, IngestPipeline } from './ingest.js';

/** Codes a registry fix can cure. Replay, skew or plausibility verdicts are final. */
export const REPLAYABLE_CODES = [
  'PG_DEVICE_UNKNOWN',
  'PG_SIG_INVALID',
  'PG_ALG_MISMATCH',
  'PG_KEY_INVALID',
] as const;

export interface ReplaySummary {
  readonly replayed: number;
  readonly outcomes: Record<string, number>;
}

export async function replayQuarantine(
  store: EvidenceStore,
  ingest: IngestPipeline,
  clock: Clock,
  filter: { deviceId?: string; code?: (typeof REPLAYABLE_CODES)[number] } = {},
): Promise<ReplaySummary> {
  ingest.reloadRegistry();
  const codes = filter.code ? [filter.code] : REPLAYABLE_CODES;
  const rows = codes.flatMap((code) =>
    store.quarantine({
      code,
      unresolved: true,
      limit: 100_000,
      ...(filter.deviceId ? { deviceId: filter.deviceId } : {}),
    }),
  );
  // Oldest first: replay checks need each device's readings in their original order.
  rows.sort((a, b) => a.id - b.id);
  const outcomes: Record<string, number> = {};
  for (const row of rows) {
    const outcome = await ingest.submit({
      topic: row.topic,
      payload: row.envelope,
      source: 'replay',
    });
    const label = describe(outcome);
    outcomes[label] = (outcomes[label] ?? 0) + 1;
    store.resolveQuarantine(row.id, `replayed: ${label}`, clock.nowMs());
  }
  return { replayed: rows.length, outcomes };
}

function describe(outcome: IngestOutcome): string {
  return outcome.outcome === 'quarantined' ? outcome.code : outcome.outcome;
}

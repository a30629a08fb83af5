// The `custody` section of the gateway config (docs/custody.md): the attestation policy, the lot
// policy defaults (DOMAIN.md figures) and per-lot overrides. Merged into config.ts as `custody`;
// every field has a default, so `custodyConfigSchema.parse({})` is a working configuration.
import { z } from 'zod';
import { ID_PATTERN } from '@pledgeguard/protocol';
import type { AttestPolicy } from '../core/custody/policy.js';
import type { LotPolicy } from '../core/custody/types.js';

/** Grams as a decimal string (may exceed 2^53) or a safe integer. */
const grams = z
  .union([z.string().regex(/^\d+$/, 'must be a decimal string of grams'), z.number().int().min(0)])
  .transform((value) => BigInt(value));
const bps = z.number().int().min(0).max(10_000);
const ms = z.number().int().min(0);

/** Lot policy fields; every one optional in a per-lot override. */
const lotPolicyShape = {
  /** Subtracted from the sum of the load cells' net weights. [g] */
  tareGrams: grams,
  /** Readings per load cell in the robust (median) estimate. */
  medianWindow: z.number().int().min(1).max(101),
  /** Weight vs RFID figures beyond this share of the larger one: sensor disagreement. [bps] */
  disagreementToleranceBps: bps,
  /** A fall beyond this share of the reference quantity is a drop. [bps] */
  dropToleranceBps: bps,
  /**
   * A release order is confirmed only within this share of its target (quantity before minus
   * released); keep it below the loan's quantityToleranceBps. Default dropToleranceBps / 2. [bps]
   */
  releaseMatchBps: bps,
  /**
   * Weight and count observations in a row that must show the release target (and the doors
   * closed) before the release is confirmed: the drop has settled. Default medianWindow.
   */
  releaseSettleReadings: z.number().int().min(1).max(101),
  /** A device is offline after heartbeatMs x missedBeats without an accepted reading. */
  missedBeats: z.number().int().min(1),
  /** Temperature limits [milli-degC]; omit a side for no limit. */
  temperature: z
    .object({ minMilliC: z.number().int().optional(), maxMilliC: z.number().int().optional() })
    .strict(),
  /** Relative humidity limits [per-mille]; omit a side for no limit. */
  humidity: z
    .object({
      minPerMille: z.number().int().min(0).max(1_000).optional(),
      maxPerMille: z.number().int().min(0).max(1_000).optional(),
    })
    .strict(),
  /** Outside the limits for at least this long (device time) is a quality excursion. [ms] */
  excursionMs: ms,
};

const LOT_DEFAULTS = {
  medianWindow: 5,
  disagreementToleranceBps: 200,
  dropToleranceBps: 50,
  missedBeats: 3,
  // A dry general-goods warehouse; perishables set their own limits per lot.
  temperature: { minMilliC: -10_000, maxMilliC: 30_000 },
  humidity: { maxPerMille: 700 },
  excursionMs: 30 * 60_000,
};

export const custodyConfigSchema = z
  .object({
    /** Time-driven flags (offline deadlines, excursion durations) are evaluated this often. [ms] */
    tickMs: z.number().int().min(10).default(1_000),
    /** Readings per device read back from the evidence log after a restart. */
    restoreReadingsPerDevice: z.number().int().min(1).default(64),
    attest: z
      .object({
        /** Longest time between two attestations of a lot. [ms] */
        heartbeatMs: z.number().int().min(1_000).default(60_000),
        /** A quantity move beyond this attests at once. [bps of the last attested quantity] */
        deviationBps: bps.default(50),
        /**
         * validUntil = observedAt + validForS. Longer than the chain outages to ride out: an
         * attestation queued during an outage can land only while still valid (15 min covers
         * a 10-minute outage). A silent gateway still shows: the loan counts custody stale after
         * validUntil. [s]
         */
        validForS: z.number().int().min(1).default(900),
        /** Shortest time between two attestations of a lot, except on a flag change. [ms] */
        minIntervalMs: ms.default(0),
        /** Readings in one evidence set (the latest ones are kept). */
        maxEvidence: z.number().int().min(1).max(65_536).default(256),
      })
      .strict()
      .prefault({}),
    /** Live receipts above the sensed quantity by more than this raise over-receipted. [bps] */
    reconcileToleranceBps: bps.default(50),
    /** Lot policy for every lot without an override. */
    defaults: z
      .object({
        tareGrams: lotPolicyShape.tareGrams.prefault('0'),
        medianWindow: lotPolicyShape.medianWindow.default(LOT_DEFAULTS.medianWindow),
        disagreementToleranceBps: lotPolicyShape.disagreementToleranceBps.default(
          LOT_DEFAULTS.disagreementToleranceBps,
        ),
        dropToleranceBps: lotPolicyShape.dropToleranceBps.default(LOT_DEFAULTS.dropToleranceBps),
        /**
         * A release order is confirmed only within this share of its target (quantity before
         * minus released); keep it below the loan's quantityToleranceBps. Default
         * dropToleranceBps / 2. [bps]
         */
        releaseMatchBps: lotPolicyShape.releaseMatchBps.optional(),
        /**
         * Weight and count observations in a row that must show the release target (and the
         * doors closed) before the release is confirmed: the drop has settled. Default
         * medianWindow.
         */
        releaseSettleReadings: lotPolicyShape.releaseSettleReadings.optional(),
        missedBeats: lotPolicyShape.missedBeats.default(LOT_DEFAULTS.missedBeats),
        temperature: lotPolicyShape.temperature.default(LOT_DEFAULTS.temperature),
        humidity: lotPolicyShape.humidity.default(LOT_DEFAULTS.humidity),
        excursionMs: lotPolicyShape.excursionMs.default(LOT_DEFAULTS.excursionMs),
      })
      .strict()
      .prefault({}),
    /** Per-lot overrides, keyed by lot id: `lots: { LOT-12: { temperature: { maxMilliC: 25000 } } }`. */
    lots: z
      .record(z.string().regex(ID_PATTERN), z.object(lotPolicyShape).partial().strict())
      .default({}),
  })
  .strict();

export type CustodyConfig = z.output<typeof custodyConfigSchema>;

export function attestPolicyOf(config: CustodyConfig): AttestPolicy {
  const { heartbeatMs, deviationBps, validForS, minIntervalMs } = config.attest;
  return { heartbeatMs, deviationBps, validForS, minIntervalMs };
}

/** The lot policy of `lotId`: its override over the defaults. */
export function lotPolicyOf(config: CustodyConfig, lotId: string): LotPolicy {
  const merged = { ...config.defaults, ...config.lots[lotId] };
  const side = (key: 'min' | 'max', value: number | undefined) =>
    value === undefined ? {} : { [key]: BigInt(value) };
  return {
    tareGrams: merged.tareGrams,
    medianWindow: merged.medianWindow,
    disagreementToleranceBps: merged.disagreementToleranceBps,
    dropToleranceBps: merged.dropToleranceBps,
    ...(merged.releaseMatchBps !== undefined ? { releaseMatchBps: merged.releaseMatchBps } : {}),
    ...(merged.releaseSettleReadings !== undefined
      ? { releaseSettleReadings: merged.releaseSettleReadings }
      : {}),
    missedBeats: merged.missedBeats,
    temperature: {
      ...side('min', merged.temperature.minMilliC),
      ...side('max', merged.temperature.maxMilliC),
    },
    humidity: {
      ...side('min', merged.humidity.minPerMille),
      ...side('max', merged.humidity.maxPerMille),
    },
    excursionMs: merged.excursionMs,
    maxEvidence: config.attest.maxEvidence,
  };
}

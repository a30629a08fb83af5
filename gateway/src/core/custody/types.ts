// Shapes the custody core shares (docs/custody.md "Lot model"): readings as the core sees them,
// a lot's definition and policy, the events a lot model observes, and the status it reports.
// Flag bits mirror contracts/src/eip712.ts `CustodyFlag` (libraries/CustodyFlags.sol); a test
// holds the two equal, so the core stays free of ethers and browser-safe.
import type { Code, ReadingKind } from '@pledgeguard/protocol';

export const CustodyFlag = {
  tamper: 1 << 0,
  offline: 1 << 1,
  evidenceGap: 1 << 2,
  unexplainedDrop: 1 << 3,
  sensorDisagreement: 1 << 4,
  qualityExcursion: 1 << 5,
  replayAttempt: 1 << 6,
  clockSkew: 1 << 7,
} as const;
export type CustodyFlagName = keyof typeof CustodyFlag;
export const CUSTODY_FLAG_NAMES = Object.keys(CustodyFlag) as CustodyFlagName[];

/** Flag names of a bitset, in bit order. */
export function flagNames(flags: number): CustodyFlagName[] {
  return CUSTODY_FLAG_NAMES.filter((name) => (flags & CustodyFlag[name]) !== 0);
}

/** One accepted reading, as the evidence log holds it. Identity: (deviceId, boot, seq). */
export interface ReadingRef {
  readonly deviceId: string;
  readonly boot: number;
  readonly seq: number;
  readonly kind: ReadingKind;
  readonly value: bigint;
  /** Device clock at measurement [ms since epoch]; passed the skew check. */
  readonly deviceTimeMs: number;
  /** Gateway clock at arrival [ms since epoch]. */
  readonly receivedAtMs: number;
  /** The raw COSE_Sign1 bytes: the evidence, and the Merkle leaf. */
  readonly envelope: Uint8Array;
  /** Evidence was missing before this reading (sequence or boot skipped). */
  readonly gap: boolean;
  /** SQLite row id, when known (restored readings); the service looks the others up. */
  readonly readingId?: number;
}

/** Orders readings by (deviceId, boot, seq): the leaf order of evidence trees. */
export function compareReadings(a: ReadingRef, b: ReadingRef): number {
  if (a.deviceId !== b.deviceId) return a.deviceId < b.deviceId ? -1 : 1;
  if (a.boot !== b.boot) return a.boot - b.boot;
  return a.seq - b.seq;
}

export const readingKey = (r: {
  readonly deviceId: string;
  readonly boot: number;
  readonly seq: number;
}): string => `${r.deviceId}/${r.boot}/${r.seq}`;

export interface LotDevice {
  readonly deviceId: string;
  readonly kinds: readonly ReadingKind[];
  /** Heartbeat period the device promises [ms]. */
  readonly heartbeatMs: number;
}

/** Limits of a quality excursion, in the reading kind's unit; undefined: no limit on that side. */
export interface QualityLimits {
  readonly min?: bigint;
  readonly max?: bigint;
}

export interface LotPolicy {
  /** Subtracted from the sum of the load cells' net weights [g]. */
  readonly tareGrams: bigint;
  /** Readings per load cell in the median (robust to single spikes). */
  readonly medianWindow: number;
  /** Weight and RFID figures disagree beyond this share of the larger one [bps]. */
  readonly disagreementToleranceBps: number;
  /** A fall beyond this share of the reference quantity is a drop [bps]. */
  readonly dropToleranceBps: number;
  /**
   * A release order is confirmed only with the quantity within this share of its target
   * (quantity before - released) [bps of quantity before]. Keep it below the loan's
   * quantityToleranceBps, which finalizeRelease checks the confirmed figure against; default
   * dropToleranceBps / 2.
   */
  readonly releaseMatchBps?: number;
  /**
   * The drop has settled when the last this many weight and count observations all showed the
   * target (weight within releaseMatchBps, the RFID figure unchanged) and the doors are closed;
   * default medianWindow.
   */
  readonly releaseSettleReadings?: number;
  /** A device is offline after heartbeatMs x missedBeats without an accepted reading. */
  readonly missedBeats: number;
  /** Temperature limits [milli-degC]. */
  readonly temperature: QualityLimits;
  /** Relative humidity limits [per-mille]. */
  readonly humidity: QualityLimits;
  /** Outside the limits for at least this long (device time) is an excursion [ms]. */
  readonly excursionMs: number;
  /** Flag-raising readings kept for the next evidence set (the latest ones). */
  readonly maxEvidence: number;
}

export interface LotDefinition {
  readonly lotId: string;
  readonly bayId: string;
  readonly commodity: string;
  /** Weight of one RFID-tagged unit (pallet) [g]. */
  readonly unitWeightGrams: bigint;
  readonly devices: readonly LotDevice[];
  readonly policy: LotPolicy;
}

export type ReleaseOrderStatus = 'ordered' | 'shipped' | 'cancelled' | 'finalized';

/** A release order's state change, as the chain listener reads it (ReleaseOrdered/Shipped/...). */
export interface ReleaseOrderUpdate {
  readonly orderId: bigint;
  readonly status: ReleaseOrderStatus;
  /** Ordered quantity [g] (ReleaseOrdered). */
  readonly grams?: bigint;
  /** The attested quantity when the order was made [g] (ReleaseOrdered's quantityBeforeGrams). */
  readonly quantityBeforeGrams?: bigint;
  /** The confirmed quantity after the release [g] (ReleaseFinalized's attestedGrams). */
  readonly attestedGrams?: bigint;
}

export type LotEvent =
  | { readonly type: 'reading'; readonly reading: ReadingRef }
  | {
      /** An authentic reading of a lot device refused by ingest (replay, equivocation, clock). */
      readonly type: 'rejection';
      readonly deviceId: string;
      readonly code: Code;
      readonly detail: string;
      readonly atMs: number;
    }
  | { readonly type: 'release-order'; readonly update: ReleaseOrderUpdate };

export interface FlagReason {
  readonly flag: CustodyFlagName;
  readonly deviceId?: string;
  readonly detail: string;
}

export interface LotStatus {
  readonly lotId: string;
  /** What the attestation would carry [g]: the weight figure when there is one, else RFID. */
  readonly quantityGrams: bigint;
  /** False until every load cell (or, without load cells, every RFID reader) has reported. */
  readonly quantityKnown: boolean;
  readonly weightGrams?: bigint;
  readonly rfidGrams?: bigint;
  /** CustodyFlag bitset. */
  readonly flags: number;
  readonly reasons: readonly FlagReason[];
  readonly offlineDevices: readonly string[];
  /** The readings this status rests on, in priority order (lot-model.ts): cap with selectEvidence. */
  readonly evidence: readonly ReadingRef[];
  /** The open release order the observed drop matches (to be confirmed), if any. */
  readonly releaseOrderId?: bigint;
  /** Model revision this status was taken at; markAttested clears what this revision carried. */
  readonly revision: number;
}

/** What an attestation carried, as the lot model needs to know it back. */
export interface AttestedSnapshot {
  readonly revision: number;
  readonly sequence: bigint;
  readonly observedAtMs: number;
  readonly quantityGrams: bigint;
  readonly flags: number;
  readonly releaseOrderId?: bigint;
}

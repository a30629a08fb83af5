// What the ingest pipeline needs from durable storage (SQLite in production).
import type { Alg, Code, ReadingKind } from '@pledgeguard/protocol';

export interface RegisteredDevice {
  readonly deviceId: string;
  readonly alg: Alg;
  readonly publicKey: Uint8Array;
  /** Increments on every key rotation; verifier caches key on (deviceId, keyVersion). */
  readonly keyVersion: number;
  readonly kinds: readonly ReadingKind[];
  readonly bayId: string;
  readonly lotId?: string;
  readonly heartbeatMs: number;
  readonly mqttPasswordHash: string;
  readonly revoked: boolean;
}

/** Replay high-water mark of one device. */
export interface DeviceMark {
  readonly boot: number;
  readonly seq: number;
  /** Device time of the last reading whose clock passed the skew check; the step-back reference. */
  readonly deviceTimeMs?: number;
}

export interface AcceptedItem {
  readonly outcome: 'accepted';
  readonly deviceId: string;
  readonly boot: number;
  readonly seq: number;
  readonly deviceTimeMs: number;
  readonly kind: ReadingKind;
  readonly value: bigint;
  readonly bayId: string;
  readonly envelope: Uint8Array;
  readonly receivedAtMs: number;
  readonly source: string;
  /** The reading skipped sequence numbers or boots: evidence is missing before it. */
  readonly gap: boolean;
}

export interface QuarantinedItem {
  readonly outcome: 'quarantined';
  readonly code: Code;
  readonly detail: string;
  readonly topic: string;
  readonly envelope: Uint8Array;
  readonly receivedAtMs: number;
  readonly source: string;
  /** Identity when the envelope decoded. */
  readonly deviceId?: string;
  readonly boot?: number;
  readonly seq?: number;
  /** Set when the device signature verified: the reading is authentic and moves the mark. */
  readonly authenticMark?: DeviceMark;
}

export type CommitItem = AcceptedItem | QuarantinedItem;

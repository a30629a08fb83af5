// The port the API routes read and act through. sqlite-data.ts implements it over the evidence
// log (readings, devices, quarantine, epochs, marks) and the custody/chain tables of migration 2;
// tests and other deployments may implement it otherwise. Shapes are the response schemas'.
import type { Static } from 'typebox';
import type {
  AlertSchema,
  AttestationSchema,
  CertificateSchema,
  DeviceSchema,
  EvidenceSchema,
  InfoSchema,
  LoanDetailSchema,
  LoanSchema,
  LotSchema,
  QuarantineSchema,
  ReadingSchema,
  ReplaySchema,
  SeriesSchema,
} from './schemas.js';

export type ApiInfo = Static<typeof InfoSchema>;
export type LoanView = Static<typeof LoanSchema>;
export type LoanDetail = Static<typeof LoanDetailSchema>;
export type LotView = Static<typeof LotSchema>;
export type LotSeries = Static<typeof SeriesSchema>;
export type AttestationView = Static<typeof AttestationSchema>;
export type AlertView = Static<typeof AlertSchema>;
export type EvidenceView = Static<typeof EvidenceSchema>;
export type ReadingView = Static<typeof ReadingSchema>;
export type DeviceView = Static<typeof DeviceSchema>;
export type QuarantineView = Static<typeof QuarantineSchema>;
export type ReplayView = Static<typeof ReplaySchema>;
export type CertificateView = Static<typeof CertificateSchema>;

export interface SeriesRange {
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
  /** Upper bound on the buckets returned. */
  readonly points: number;
}

export interface QuarantineFilter {
  readonly code?: string | undefined;
  readonly deviceId?: string | undefined;
  readonly limit: number;
  readonly beforeId?: number | undefined;
}

/**
 * Outcome of an action on a resource: the new view, or why not (mapped to 404/409/503 by the
 * routes). `message` is for the operator.
 */
export type ActionResult<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly reason: 'not-found' | 'conflict' | 'unavailable';
      readonly message: string;
    };

/** Loans, lots and attestations: the custody and chain half. */
export interface CustodyData {
  info(): ApiInfo;
  loans(): LoanView[];
  loan(loanId: string): LoanDetail | undefined;
  lots(): LotView[];
  /** Undefined for an unknown lot. */
  lotSeries(lotId: string, range: SeriesRange): LotSeries | undefined;
  lotAttestations(lotId: string, limit: number): AttestationView[] | undefined;
  lotAlerts(lotId: string, limit: number): AlertView[] | undefined;
}

/** Raw evidence: signed envelopes, Merkle proofs. */
export interface EvidenceData {
  evidence(attestationId: number): EvidenceView | undefined;
  reading(readingId: number): ReadingView | undefined;
}

/** The device registry and what it refused. */
export interface RegistryData {
  devices(): DeviceView[];
  device(deviceId: string): DeviceView | undefined;
  revokeDevice(deviceId: string, reason: string): ActionResult<DeviceView>;
  quarantine(filter: QuarantineFilter): QuarantineView[];
  replayQuarantine(id: number): Promise<ActionResult<ReplayView>>;
}

/** The OPC UA client's trust list. */
export interface CertificateData {
  certificates(): CertificateView[];
  approveCertificate(thumbprint: string): Promise<ActionResult<CertificateView>>;
}

export type ApiData = CustodyData & EvidenceData & RegistryData & CertificateData;

/** The custody engine's live view of a lot, when it runs (else the last attestation is shown). */
export interface LiveLotStatus {
  readonly quantityGrams: bigint;
  readonly flags: number;
}

/** Co-signing handler (app/cosign.ts), built by the integrator: answers a peer's proposal. */
export type CosignHandler = (
  body: unknown,
  peer: { readonly tokenName: string },
) => Promise<{ readonly statusCode: number; readonly body: Record<string, unknown> }>;

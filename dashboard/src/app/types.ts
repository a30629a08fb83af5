// Shapes of the gateway HTTP API (docs/api.md): bigints as decimal strings, times in ms unless `S`.

export type LoanState = 'Active' | 'MarginCall' | 'Defaulted' | 'Enforced' | 'Closed';

export interface Info {
  warehouseId: string;
  gatewayId: string;
  chainId: string | number;
  rpcUrl: string;
  contracts: {
    custodyOracle: string;
    inventoryLoan: string;
    warehouseReceipt: string;
    priceFeeds: Record<string, string>;
  };
}

export interface Loan {
  loanId: string;
  receiptId: string;
  lotId: string;
  bayId: string;
  lotKey: string;
  lender: string;
  borrower: string;
  commodity: string;
  principal: string;
  debt: string;
  state: LoanState;
  frozen: boolean;
  /** Last LTV a chain event reported; null before the first. */
  ltvBps: number | string | null;
  maxLtvBps: number | string;
  marginCallLtvBps: number | string;
  defaultLtvBps: number | string;
  cureDeadlineS: number | null;
}

export interface LotAttestationSummary {
  id: string | number;
  sequence: string;
  quantityGrams: string;
  flags: number;
  observedAtS: number;
  txHash: string | null;
  status: string;
}

export interface Lot {
  lotId: string;
  bayId: string;
  commodity: string;
  quantityGrams: string;
  receiptGrams: string | null;
  flags: number;
  flagNames: string[];
  unverified: boolean;
  lastAttestation: LotAttestationSummary | null;
}

export interface SeriesPoint {
  tMs: number;
  minGrams: string | number;
  maxGrams: string | number;
  lastGrams: string | number;
}

export interface Series {
  points: SeriesPoint[];
  thresholds: { receiptGrams: string | null; [name: string]: string | null | undefined };
  events: { tMs: number; kind: string; detail: string }[];
}

export interface Attestation {
  id: string | number;
  sequence: string;
  quantityGrams: string;
  flags: number;
  flagNames: string[];
  readingsRoot: string;
  observedAtS: number;
  validUntilS: number;
  releaseOrderId: string;
  status: string;
  txHash: string | null;
  blockNumber: number | null;
  signers: string[];
}

export interface Alert {
  id: string | number;
  atMs: number;
  kind: string;
  detail: string;
  deviceId: string | null;
  clearedAtMs: number | null;
}

export interface Device {
  deviceId: string;
  kinds: string[];
  bayId: string;
  lotId: string | null;
  alg: string;
  publicKeyHex: string;
  keyVersion: number;
  revoked: boolean;
  lastSeenMs: number | null;
  online: boolean;
  heartbeatMs: number;
  rejections: Record<string, number>;
}

export interface QuarantineItem {
  id: string | number;
  receivedAtMs: number;
  code: string;
  detail: string;
  topic: string;
  deviceId: string | null;
  boot: number | null;
  seq: number | null;
  authentic: boolean;
  resolvedAtMs: number | null;
  resolution: string | null;
}

export interface Certificate {
  thumbprint: string;
  subject: string;
  status: 'trusted' | 'rejected';
  notAfterMs: number;
  expiresInDays: number;
}

export interface ApiError {
  code: string;
  message: string;
}

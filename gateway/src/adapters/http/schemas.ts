// TypeBox schemas of the API's resources: the routes validate and serialise with them, the
// OpenAPI document (/docs) is generated from them, and api-data.ts derives its types from them.
// Conventions (docs/api.md): bigints as decimal strings, `...Ms` unix ms, `...S` unix s, hex 0x.
import { Type, type TSchema } from 'typebox';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const Decimal = (description?: string) =>
  Type.String({ pattern: '^-?[0-9]+$', ...(description ? { description } : {}) });
export const Hex = (description?: string) =>
  Type.String({ pattern: '^0x[0-9a-fA-F]*$', ...(description ? { description } : {}) });

export const LOAN_STATES = ['Active', 'MarginCall', 'Defaulted', 'Enforced', 'Closed'] as const;
export const ATTESTATION_STATUSES = [
  'pending',
  'submitted',
  'confirmed',
  'superseded',
  'refused',
  'cosigned',
] as const;

export const InfoSchema = Type.Object({
  warehouseId: Type.String(),
  gatewayId: Type.String(),
  chainId: Type.Integer({ description: '0 when the gateway runs without a chain' }),
  rpcUrl: Type.String({ description: 'read-only JSON-RPC for browsers; empty without a chain' }),
  contracts: Type.Object({
    custodyOracle: Type.String(),
    inventoryLoan: Type.String(),
    warehouseReceipt: Type.String(),
    priceFeeds: Type.Record(Type.String(), Type.String()),
  }),
});

export const LoanSchema = Type.Object({
  loanId: Decimal(),
  receiptId: Decimal(),
  lotId: Type.String(),
  bayId: Type.String(),
  lotKey: Type.String(),
  lender: Type.String(),
  borrower: Type.String(),
  commodity: Type.String(),
  principal: Decimal('[token units]'),
  debt: Decimal('[token units]'),
  state: Type.Union([
    Type.Literal('Active'),
    Type.Literal('MarginCall'),
    Type.Literal('Defaulted'),
    Type.Literal('Enforced'),
    Type.Literal('Closed'),
  ]),
  frozen: Type.Boolean(),
  ltvBps: Nullable(Type.Integer()),
  maxLtvBps: Type.Integer(),
  marginCallLtvBps: Type.Integer(),
  defaultLtvBps: Type.Integer(),
  cureDeadlineS: Nullable(Type.Integer()),
});

export const ChainEventSchema = Type.Object({
  name: Type.String(),
  atS: Type.Integer(),
  txHash: Type.String(),
  blockNumber: Type.Integer(),
  args: Type.Record(Type.String(), Type.Unknown()),
});

export const LoanDetailSchema = Type.Intersect([
  LoanSchema,
  Type.Object({
    ltvHistory: Type.Array(Type.Object({ atS: Type.Integer(), ltvBps: Type.Integer() })),
    events: Type.Array(ChainEventSchema),
  }),
]);

export const LastAttestationSchema = Type.Object({
  id: Type.Integer(),
  sequence: Decimal(),
  quantityGrams: Decimal('[g]'),
  flags: Type.Integer(),
  observedAtS: Type.Integer(),
  txHash: Nullable(Type.String()),
  status: Type.String(),
});

export const LotSchema = Type.Object({
  lotId: Type.String(),
  bayId: Type.String(),
  commodity: Type.String(),
  quantityGrams: Decimal('[g]'),
  receiptGrams: Nullable(Decimal('[g]')),
  flags: Type.Integer(),
  flagNames: Type.Array(Type.String()),
  unverified: Type.Boolean(),
  lastAttestation: Nullable(LastAttestationSchema),
});

export const SeriesQuery = Type.Object({
  fromMs: Type.Optional(Type.Integer({ minimum: 0 })),
  toMs: Type.Optional(Type.Integer({ minimum: 0 })),
  points: Type.Integer({ minimum: 1, maximum: 5_000, default: 600 }),
});

export const SeriesSchema = Type.Object({
  points: Type.Array(
    Type.Object({
      tMs: Type.Integer(),
      minGrams: Decimal(),
      maxGrams: Decimal(),
      lastGrams: Decimal(),
    }),
  ),
  thresholds: Type.Object({ receiptGrams: Nullable(Decimal('[g]')) }),
  events: Type.Array(
    Type.Object({ tMs: Type.Integer(), kind: Type.String(), detail: Type.String() }),
  ),
});

export const AttestationSchema = Type.Object({
  id: Type.Integer(),
  sequence: Decimal(),
  quantityGrams: Decimal('[g]'),
  flags: Type.Integer(),
  flagNames: Type.Array(Type.String()),
  readingsRoot: Type.String(),
  observedAtS: Type.Integer(),
  validUntilS: Type.Integer(),
  releaseOrderId: Decimal(),
  status: Type.String({ description: ATTESTATION_STATUSES.join(' | ') }),
  txHash: Nullable(Type.String()),
  blockNumber: Nullable(Type.Integer()),
  signers: Type.Array(Type.String()),
});

export const AlertSchema = Type.Object({
  id: Type.Integer(),
  atMs: Type.Integer(),
  kind: Type.String(),
  detail: Type.String(),
  deviceId: Nullable(Type.String()),
  clearedAtMs: Nullable(Type.Integer()),
});

export const EvidenceSchema = Type.Object({
  attestation: Type.Intersect([
    AttestationSchema,
    Type.Object({
      lotKey: Type.String(),
      warehouseId: Decimal('uint64 warehouse number on chain'),
      bayIdBytes32: Hex(),
      lotIdBytes32: Hex(),
    }),
  ]),
  chain: Type.Object({
    chainId: Type.Integer(),
    custodyOracle: Type.String(),
    txHash: Nullable(Type.String()),
    blockNumber: Nullable(Type.Integer()),
  }),
  readings: Type.Array(
    Type.Object({
      readingId: Type.Integer(),
      deviceId: Type.String(),
      alg: Type.Union([Type.Literal('EdDSA'), Type.Literal('ES256'), Type.Literal('ES256K')]),
      publicKeyHex: Hex(),
      envelopeHex: Hex(),
      leafIndex: Type.Integer(),
      proof: Type.Array(Hex()),
    }),
  ),
  leafCount: Type.Integer(),
});

export const ReadingSchema = Type.Object({
  readingId: Type.Integer(),
  deviceId: Type.String(),
  boot: Type.Integer(),
  seq: Type.Integer(),
  kind: Type.String(),
  value: Decimal('in the unit of the kind (PROTOCOL.md section 3)'),
  deviceTimeMs: Type.Integer(),
  envelopeHex: Hex(),
  epoch: Nullable(Type.Integer()),
  epochProof: Nullable(
    Type.Object({
      root: Hex(),
      leafIndex: Type.Integer(),
      leafCount: Type.Integer(),
      proof: Type.Array(Hex()),
    }),
  ),
  attestations: Type.Array(Type.Integer()),
});

export const DeviceSchema = Type.Object({
  deviceId: Type.String(),
  kinds: Type.Array(Type.String()),
  bayId: Type.String(),
  lotId: Nullable(Type.String()),
  alg: Type.String(),
  publicKeyHex: Hex(),
  keyVersion: Type.Integer(),
  revoked: Type.Boolean(),
  lastSeenMs: Nullable(Type.Integer()),
  online: Type.Boolean(),
  heartbeatMs: Type.Integer(),
  rejections: Type.Record(Type.String(), Type.Integer()),
});

export const QuarantineQuery = Type.Object({
  code: Type.Optional(Type.String({ pattern: '^PG_[A-Z0-9_]+$' })),
  deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  limit: Type.Integer({ minimum: 1, maximum: 1_000, default: 100 }),
  beforeId: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const QuarantineSchema = Type.Object({
  id: Type.Integer(),
  receivedAtMs: Type.Integer(),
  code: Type.String(),
  detail: Type.String(),
  topic: Type.String(),
  deviceId: Nullable(Type.String()),
  boot: Nullable(Type.Integer()),
  seq: Nullable(Type.Integer()),
  authentic: Type.Boolean(),
  resolvedAtMs: Nullable(Type.Integer()),
  resolution: Nullable(Type.String()),
});

export const ReplaySchema = Type.Object({
  id: Type.Integer(),
  outcome: Type.Union([
    Type.Literal('accepted'),
    Type.Literal('duplicate'),
    Type.Literal('quarantined'),
    Type.Literal('ignored'),
  ]),
  code: Nullable(Type.String()),
  detail: Nullable(Type.String()),
  resolution: Type.String(),
});

export const CertificateSchema = Type.Object({
  thumbprint: Type.String(),
  subject: Type.String(),
  status: Type.Union([Type.Literal('trusted'), Type.Literal('rejected')]),
  notAfterMs: Type.Integer(),
  expiresInDays: Type.Integer(),
});

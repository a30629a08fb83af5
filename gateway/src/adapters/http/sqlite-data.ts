// The API's data port (api-data.ts) over the evidence log: the real EvidenceStore for devices,
// quarantine, readings and epochs; plain SQL over the migration-2 tables for attestations, alerts
// and chain events (docs/custody.md). Chain tables empty -> empty lists, never errors.
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { bytesToHex } from '@noble/hashes/utils.js';
import { plainBytes } from '@pledgeguard/protocol';
import { inclusionProof } from '../../core/merkle.js';
import { REPLAYABLE_CODES } from '../../app/quarantine-replay.js';
import type { IngestPipeline } from '../../app/ingest.js';
import type { Clock } from '../../ports/clock.js';
import type { EvidenceStore } from '../sqlite/evidence-store.js';
import type {
  ActionResult,
  AlertView,
  ApiData,
  ApiInfo,
  AttestationView,
  CertificateView,
  DeviceView,
  EvidenceView,
  LiveLotStatus,
  LoanDetail,
  LoanView,
  LotSeries,
  LotView,
  QuarantineFilter,
  QuarantineView,
  ReadingView,
  ReplayView,
  SeriesRange,
} from './api-data.js';
import {
  foldChainEvents,
  labelBytes32,
  labelText,
  lotKeyOf,
  type ChainView,
  type LoanState,
  type StoredChainEvent,
} from './chain-view.js';

export interface SqliteApiDataOptions {
  readonly store: EvidenceStore;
  readonly info: ApiInfo;
  /** The chain's uint64 number of this warehouse (config chain.warehouseNumber). */
  readonly warehouseNumber: bigint;
  readonly clock: Clock;
  /** Needed by quarantine replay and to apply revocations at once; replay answers 503 without it. */
  readonly ingest?: Pick<IngestPipeline, 'submit' | 'reloadRegistry'>;
  /** The custody engine's live lot view, when it runs. */
  readonly liveLotStatus?: (lotId: string) => LiveLotStatus | undefined;
  /** OPC UA client PKI folder (trusted/, rejected/); no certificates without it. */
  readonly opcuaPkiDir?: string;
  /** Heartbeats a device may miss before it shows offline. */
  readonly missedBeats?: number;
}

/** Bit names of the CustodyFlag bitset (contracts/src/eip712.ts), by bit. */
export const FLAG_NAMES = [
  'tamper',
  'offline',
  'evidenceGap',
  'unexplainedDrop',
  'sensorDisagreement',
  'qualityExcursion',
  'replayAttempt',
  'clockSkew',
] as const;
const UNVERIFIED_FLAGS = 0b110; // offline | evidenceGap
const DAY_MS = 86_400_000;

export function flagNames(flags: number): string[] {
  return FLAG_NAMES.filter((_, bit) => (flags & (1 << bit)) !== 0);
}

const hex = (bytes: Uint8Array) => `0x${bytesToHex(bytes)}`;

interface AttestationRow {
  id: number;
  warehouse_id: string;
  bay_id: string;
  lot_id: string;
  lot_key: string;
  sequence: number;
  quantity_grams: string;
  flags: number;
  readings_root: string;
  observed_at_s: number;
  valid_until_s: number;
  release_order_id: string;
  signatures: string;
  status: string;
  tx_hash: string | null;
  block_number: number | null;
}

interface LotRow {
  lot_id: string;
  bay_id: string;
  commodity: string;
  unit_weight_grams: string;
}

export class SqliteApiData implements ApiData {
  readonly #options: SqliteApiDataOptions;
  readonly #db: Database.Database;
  #chainCache: { stamp: string; view: ChainView } | undefined;

  constructor(options: SqliteApiDataOptions) {
    this.#options = options;
    this.#db = options.store.database;
  }

  info(): ApiInfo {
    return this.#options.info;
  }

  // ---- chain view (loans, receipts) ----

  #chain(): ChainView {
    // Refold only when the listener stored or removed events since the last call.
    const stamp = JSON.stringify(
      this.#db
        .prepare('SELECT max(id) AS id, count(*) AS n, sum(removed) AS r FROM chain_events')
        .get(),
    );
    if (this.#chainCache?.stamp === stamp) return this.#chainCache.view;
    const rows = this.#db
      .prepare(
        `SELECT id, block_number, tx_hash, contract, name, args, block_time_s FROM chain_events
         WHERE removed = 0 ORDER BY block_number, log_index`,
      )
      .all() as Array<{
      id: number;
      block_number: number;
      tx_hash: string;
      contract: string;
      name: string;
      args: string;
      block_time_s: number;
    }>;
    const events: StoredChainEvent[] = rows.map((row) => ({
      id: row.id,
      blockNumber: row.block_number,
      txHash: row.tx_hash,
      contract: row.contract,
      name: row.name,
      args: parseArgs(row.args),
      blockTimeS: row.block_time_s,
    }));
    const view = foldChainEvents(events);
    this.#chainCache = { stamp, view };
    return view;
  }

  #loanView(loan: LoanState, chain: ChainView): LoanView {
    const receipt = chain.receipts.get(loan.receiptId);
    return {
      loanId: loan.loanId,
      receiptId: loan.receiptId,
      lotId: receipt ? labelText(receipt.lotIdBytes32) : '',
      bayId: receipt ? labelText(receipt.bayIdBytes32) : '',
      lotKey: receipt?.lotKey ?? '',
      lender: loan.lender,
      borrower: loan.borrower,
      commodity: receipt ? labelText(receipt.commodityBytes32) : '',
      principal: loan.principal.toString(),
      debt: loan.debt.toString(),
      state: loan.state,
      frozen: loan.frozen,
      ltvBps: loan.ltvBps,
      maxLtvBps: loan.maxLtvBps,
      marginCallLtvBps: loan.marginCallLtvBps,
      defaultLtvBps: loan.defaultLtvBps,
      cureDeadlineS: loan.cureDeadlineS,
    };
  }

  /** Loans whose receipt is on this warehouse (or whose receipt the listener has not seen). */
  #ownLoans(chain: ChainView): LoanState[] {
    const warehouse = this.#options.warehouseNumber.toString();
    return [...chain.loans.values()].filter((loan) => {
      const receipt = chain.receipts.get(loan.receiptId);
      return !receipt || receipt.warehouseId === warehouse;
    });
  }

  loans(): LoanView[] {
    const chain = this.#chain();
    return this.#ownLoans(chain).map((loan) => this.#loanView(loan, chain));
  }

  loan(loanId: string): LoanDetail | undefined {
    const chain = this.#chain();
    const loan = chain.loans.get(loanId);
    if (!loan) return undefined;
    return {
      ...this.#loanView(loan, chain),
      ltvHistory: loan.ltvHistory.map((point) => ({ ...point })),
      events: loan.events.map((event) => ({
        name: event.name,
        atS: event.blockTimeS,
        txHash: event.txHash,
        blockNumber: event.blockNumber,
        args: event.args,
      })),
    };
  }

  // ---- lots ----

  #lot(lotId: string): LotRow | undefined {
    return this.#db.prepare('SELECT * FROM lots WHERE lot_id = ?').get(lotId) as LotRow | undefined;
  }

  #lotKey(lot: LotRow): string {
    return lotKeyOf(this.#options.warehouseNumber, lot.bay_id, lot.lot_id);
  }

  /** Sum of the live (not delivered) receipts on the lot; null without one. */
  #receiptGrams(lot: LotRow, chain: ChainView): bigint | null {
    const key = this.#lotKey(lot).toLowerCase();
    let total: bigint | null = null;
    for (const receipt of chain.receipts.values())
      if (!receipt.delivered && receipt.lotKey.toLowerCase() === key)
        total = (total ?? 0n) + receipt.quantityGrams;
    return total;
  }

  lots(): LotView[] {
    const chain = this.#chain();
    const rows = this.#db.prepare('SELECT * FROM lots ORDER BY lot_id').all() as LotRow[];
    const last = this.#db.prepare(
      'SELECT * FROM attestations WHERE lot_id = ? ORDER BY sequence DESC LIMIT 1',
    );
    return rows.map((lot) => {
      const attestation = last.get(lot.lot_id) as AttestationRow | undefined;
      const live = this.#options.liveLotStatus?.(lot.lot_id);
      const flags = live?.flags ?? attestation?.flags ?? 0;
      const receiptGrams = this.#receiptGrams(lot, chain);
      return {
        lotId: lot.lot_id,
        bayId: lot.bay_id,
        commodity: lot.commodity,
        quantityGrams: (live?.quantityGrams ?? attestation?.quantity_grams ?? '0').toString(),
        receiptGrams: receiptGrams === null ? null : receiptGrams.toString(),
        flags,
        flagNames: flagNames(flags),
        unverified: (flags & UNVERIFIED_FLAGS) !== 0 || !attestation,
        lastAttestation: attestation
          ? {
              id: attestation.id,
              sequence: String(attestation.sequence),
              quantityGrams: attestation.quantity_grams,
              flags: attestation.flags,
              observedAtS: attestation.observed_at_s,
              txHash: attestation.tx_hash,
              status: attestation.status,
            }
          : null,
      };
    });
  }

  /** The lot's load cells: devices of the lot, or of its bay without a lot, that report weight. */
  #loadCells(lot: LotRow): string[] {
    const rows = this.#db
      .prepare(
        `SELECT device_id, kinds FROM devices
         WHERE lot_id = ? OR (lot_id IS NULL AND bay_id = ?) ORDER BY device_id`,
      )
      .all(lot.lot_id, lot.bay_id) as Array<{ device_id: string; kinds: string }>;
    return rows
      .filter((row) => (JSON.parse(row.kinds) as string[]).includes('weight'))
      .map((row) => row.device_id);
  }

  lotSeries(lotId: string, range: SeriesRange): LotSeries | undefined {
    const lot = this.#lot(lotId);
    if (!lot) return undefined;
    const chain = this.#chain();
    const receiptGrams = this.#receiptGrams(lot, chain);
    const thresholds = { receiptGrams: receiptGrams === null ? null : receiptGrams.toString() };
    const devices = this.#loadCells(lot);
    const latestTime = this.#db
      .prepare(`SELECT max(device_time_ms) FROM readings WHERE device_id = ? AND kind = 'weight'`)
      .pluck();
    const toMs =
      range.toMs ??
      devices
        .map((device) => latestTime.get(device) as number | null)
        .reduce<number | undefined>((a, b) => (b === null ? a : Math.max(a ?? b, b)), undefined);
    if (toMs === undefined) return { points: [], thresholds, events: [] };
    const fromMs = Math.min(range.fromMs ?? toMs - DAY_MS, toMs);
    const bucketMs = Math.max(1, Math.ceil((toMs - fromMs + 1) / range.points));
    // One range scan of the covering index (migration 4) per device and bucket: no temporary
    // B-tree, so 1,000,000 readings answer in about half a second. Summed over the lot's cells.
    const spread = this.#db.prepare(
      `SELECT min(value) AS lo, max(value) AS hi, count(*) AS n FROM readings
       WHERE device_id = ? AND kind = 'weight' AND device_time_ms >= ? AND device_time_ms < ?`,
    );
    const latest = this.#db
      .prepare(
        `SELECT value FROM readings WHERE device_id = ? AND kind = 'weight'
         AND device_time_ms >= ? AND device_time_ms < ? ORDER BY device_time_ms DESC LIMIT 1`,
      )
      .pluck();
    const points: LotSeries['points'] = [];
    for (let startMs = fromMs; startMs <= toMs; startMs += bucketMs) {
      const endMs = Math.min(startMs + bucketMs, toMs + 1);
      let lo = 0n;
      let hi = 0n;
      let last = 0n;
      let any = false;
      for (const device of devices) {
        const row = spread.get(device, startMs, endMs) as { lo: number; hi: number; n: number };
        if (row.n === 0) continue;
        any = true;
        lo += BigInt(row.lo);
        hi += BigInt(row.hi);
        last += BigInt(latest.get(device, startMs, endMs) as number);
      }
      if (any)
        points.push({
          tMs: startMs,
          minGrams: lo.toString(),
          maxGrams: hi.toString(),
          lastGrams: last.toString(),
        });
    }
    return { points, thresholds, events: this.#seriesEvents(lot, chain, fromMs, toMs) };
  }

  #seriesEvents(lot: LotRow, chain: ChainView, fromMs: number, toMs: number) {
    const events: Array<{ tMs: number; kind: string; detail: string }> = [];
    const attestations = this.#db
      .prepare(
        `SELECT sequence, quantity_grams, flags, observed_at_s FROM attestations
         WHERE lot_id = ? AND observed_at_s BETWEEN ? AND ? ORDER BY sequence LIMIT 1000`,
      )
      .all(lot.lot_id, Math.floor(fromMs / 1_000), Math.ceil(toMs / 1_000)) as Array<
      Pick<AttestationRow, 'sequence' | 'quantity_grams' | 'flags' | 'observed_at_s'>
    >;
    for (const row of attestations)
      events.push({
        tMs: row.observed_at_s * 1_000,
        kind: 'attestation',
        detail: `seq ${row.sequence}, flags ${row.flags}${row.flags ? ` (${flagNames(row.flags).join(', ')})` : ''}, ${row.quantity_grams} g`,
      });
    const alerts = this.#db
      .prepare(
        'SELECT at_ms, kind, detail FROM alerts WHERE lot_id = ? AND at_ms BETWEEN ? AND ? ORDER BY id LIMIT 1000',
      )
      .all(lot.lot_id, fromMs, toMs) as Array<{ at_ms: number; kind: string; detail: string }>;
    for (const row of alerts) events.push({ tMs: row.at_ms, kind: row.kind, detail: row.detail });
    const key = this.#lotKey(lot).toLowerCase();
    for (const loan of chain.loans.values()) {
      if (chain.receipts.get(loan.receiptId)?.lotKey.toLowerCase() !== key) continue;
      for (const event of loan.events) {
        const tMs = event.blockTimeS * 1_000;
        if (tMs >= fromMs && tMs <= toMs)
          events.push({ tMs, kind: event.name, detail: `loan ${loan.loanId}` });
      }
    }
    return events.sort((a, b) => a.tMs - b.tMs);
  }

  lotAttestations(lotId: string, limit: number): AttestationView[] | undefined {
    if (!this.#lot(lotId)) return undefined;
    const rows = this.#db
      .prepare('SELECT * FROM attestations WHERE lot_id = ? ORDER BY sequence DESC LIMIT ?')
      .all(lotId, limit) as AttestationRow[];
    return rows.map(attestationView);
  }

  lotAlerts(lotId: string, limit: number): AlertView[] | undefined {
    if (!this.#lot(lotId)) return undefined;
    const rows = this.#db
      .prepare('SELECT * FROM alerts WHERE lot_id = ? ORDER BY id DESC LIMIT ?')
      .all(lotId, limit) as Array<{
      id: number;
      at_ms: number;
      kind: string;
      detail: string;
      device_id: string | null;
      cleared_at_ms: number | null;
    }>;
    return rows.map((row) => ({
      id: row.id,
      atMs: row.at_ms,
      kind: row.kind,
      detail: row.detail,
      deviceId: row.device_id,
      clearedAtMs: row.cleared_at_ms,
    }));
  }

  // ---- evidence ----

  evidence(attestationId: number): EvidenceView | undefined {
    const row = this.#db.prepare('SELECT * FROM attestations WHERE id = ?').get(attestationId) as
      AttestationRow | undefined;
    if (!row) return undefined;
    const leaves = this.#db
      .prepare(
        `SELECT e.position, r.id, r.device_id, r.envelope, r.leaf_hash, r.received_at_ms
         FROM attestation_evidence e JOIN readings r ON r.id = e.reading_id
         WHERE e.attestation_id = ? ORDER BY e.position`,
      )
      .all(attestationId) as Array<{
      position: number;
      id: number;
      device_id: string;
      envelope: Uint8Array;
      leaf_hash: Uint8Array;
      received_at_ms: number;
    }>;
    const hashes = leaves.map((leaf) => plainBytes(leaf.leaf_hash));
    const { info } = this.#options;
    return {
      attestation: {
        ...attestationView(row),
        lotKey: row.lot_key,
        warehouseId: this.#options.warehouseNumber.toString(),
        bayIdBytes32: labelBytes32(row.bay_id),
        lotIdBytes32: labelBytes32(row.lot_id),
      },
      chain: {
        chainId: info.chainId,
        custodyOracle: info.contracts.custodyOracle,
        txHash: row.tx_hash,
        blockNumber: row.block_number,
      },
      readings: leaves.map((leaf, index) => {
        const key = this.#keyAt(leaf.device_id, leaf.received_at_ms);
        return {
          readingId: leaf.id,
          deviceId: leaf.device_id,
          alg: key.alg,
          publicKeyHex: hex(key.publicKey),
          envelopeHex: hex(plainBytes(leaf.envelope)),
          leafIndex: index,
          proof: inclusionProof(hashes, index).map(hex),
        };
      }),
      leafCount: hashes.length,
    };
  }

  /** The device key in force when a reading arrived: a retired key from the history, else the current one. */
  #keyAt(
    deviceId: string,
    receivedAtMs: number,
  ): { alg: 'EdDSA' | 'ES256' | 'ES256K'; publicKey: Uint8Array } {
    const retired = this.#db
      .prepare(
        `SELECT alg, public_key FROM device_keys WHERE device_id = ? AND retired_at_ms > ?
         ORDER BY key_version LIMIT 1`,
      )
      .get(deviceId, receivedAtMs) as
      { alg: 'EdDSA' | 'ES256' | 'ES256K'; public_key: Uint8Array } | undefined;
    if (retired) return { alg: retired.alg, publicKey: plainBytes(retired.public_key) };
    const device = this.#options.store.device(deviceId);
    return {
      alg: (device?.alg ?? 'EdDSA') as 'EdDSA' | 'ES256' | 'ES256K',
      publicKey: device?.publicKey ?? new Uint8Array(),
    };
  }

  reading(readingId: number): ReadingView | undefined {
    const row = this.#db
      .prepare(
        'SELECT id, device_id, boot, seq, kind, value, device_time_ms, envelope FROM readings WHERE id = ?',
      )
      .get(readingId) as
      | {
          id: number;
          device_id: string;
          boot: number;
          seq: number;
          kind: string;
          value: number;
          device_time_ms: number;
          envelope: Uint8Array;
        }
      | undefined;
    if (!row) return undefined;
    const proof = this.#options.store.proof(row.device_id, row.boot, row.seq);
    const attestations = this.#db
      .prepare(
        'SELECT attestation_id FROM attestation_evidence WHERE reading_id = ? ORDER BY attestation_id',
      )
      .pluck()
      .all(readingId) as number[];
    return {
      readingId: row.id,
      deviceId: row.device_id,
      boot: row.boot,
      seq: row.seq,
      kind: row.kind,
      value: String(row.value),
      deviceTimeMs: row.device_time_ms,
      envelopeHex: hex(plainBytes(row.envelope)),
      epoch: proof?.epoch ?? null,
      epochProof: proof
        ? {
            root: hex(proof.root),
            leafIndex: proof.index,
            leafCount: proof.treeSize,
            proof: proof.proof.map(hex),
          }
        : null,
      attestations,
    };
  }

  // ---- devices and quarantine ----

  #deviceViews(deviceIds?: readonly string[]): DeviceView[] {
    const { store, clock } = this.#options;
    const missedBeats = this.#options.missedBeats ?? 3;
    const all = store.devices();
    const devices = deviceIds ? all.filter((d) => deviceIds.includes(d.deviceId)) : all;
    const lastSeen = this.#db
      .prepare(
        'SELECT received_at_ms FROM readings WHERE device_id = ? ORDER BY boot DESC, seq DESC LIMIT 1',
      )
      .pluck();
    const rejections = new Map<string, Record<string, number>>();
    const counts = this.#db
      .prepare(
        `SELECT device_id, code, count(*) AS n FROM quarantine WHERE device_id IS NOT NULL
         ${deviceIds ? `AND device_id IN (${deviceIds.map(() => '?').join(', ')})` : ''}
         GROUP BY device_id, code`,
      )
      .all(...(deviceIds ?? [])) as Array<{ device_id: string; code: string; n: number }>;
    for (const row of counts)
      rejections.set(row.device_id, { ...rejections.get(row.device_id), [row.code]: row.n });
    const nowMs = clock.nowMs();
    return devices.map((device) => {
      const lastSeenMs = (lastSeen.get(device.deviceId) as number | undefined) ?? null;
      return {
        deviceId: device.deviceId,
        kinds: [...device.kinds],
        bayId: device.bayId,
        lotId: device.lotId ?? null,
        alg: device.alg,
        publicKeyHex: hex(device.publicKey),
        keyVersion: device.keyVersion,
        revoked: device.revoked,
        lastSeenMs,
        online:
          !device.revoked &&
          lastSeenMs !== null &&
          nowMs - lastSeenMs <= device.heartbeatMs * missedBeats,
        heartbeatMs: device.heartbeatMs,
        rejections: rejections.get(device.deviceId) ?? {},
      };
    });
  }

  devices(): DeviceView[] {
    return this.#deviceViews();
  }

  device(deviceId: string): DeviceView | undefined {
    return this.#deviceViews([deviceId])[0];
  }

  revokeDevice(deviceId: string, reason: string): ActionResult<DeviceView> {
    const device = this.#options.store.device(deviceId);
    if (!device) return { ok: false, reason: 'not-found', message: `device ${deviceId} not found` };
    if (device.revoked)
      return { ok: false, reason: 'conflict', message: `device ${deviceId} is already revoked` };
    this.#options.store.revokeDevice(deviceId, reason, this.#options.clock.nowMs());
    this.#options.ingest?.reloadRegistry();
    return { ok: true, value: this.device(deviceId)! };
  }

  quarantine(filter: QuarantineFilter): QuarantineView[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.code !== undefined) {
      where.push('code = ?');
      params.push(filter.code);
    }
    if (filter.deviceId !== undefined) {
      where.push('device_id = ?');
      params.push(filter.deviceId);
    }
    if (filter.beforeId !== undefined) {
      where.push('id < ?');
      params.push(filter.beforeId);
    }
    const rows = this.#db
      .prepare(
        `SELECT id, received_at_ms, code, detail, topic, device_id, boot, seq, authentic, resolved_at_ms, resolution
         FROM quarantine ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...params, filter.limit) as Array<Record<string, unknown>>;
    return rows.map(quarantineView);
  }

  async replayQuarantine(id: number): Promise<ActionResult<ReplayView>> {
    const row = this.#db
      .prepare('SELECT code, topic, envelope, resolved_at_ms FROM quarantine WHERE id = ?')
      .get(id) as
      | { code: string; topic: string; envelope: Uint8Array; resolved_at_ms: number | null }
      | undefined;
    if (!row) return { ok: false, reason: 'not-found', message: `quarantine row ${id} not found` };
    if (row.resolved_at_ms !== null)
      return { ok: false, reason: 'conflict', message: `quarantine row ${id} is already resolved` };
    if (!(REPLAYABLE_CODES as readonly string[]).includes(row.code))
      return {
        ok: false,
        reason: 'conflict',
        message: `${row.code} is a final verdict; only ${REPLAYABLE_CODES.join(', ')} replay`,
      };
    const { ingest, store, clock } = this.#options;
    if (!ingest)
      return { ok: false, reason: 'unavailable', message: 'no ingest pipeline to replay into' };
    ingest.reloadRegistry();
    const outcome = await ingest.submit({
      topic: row.topic,
      payload: plainBytes(row.envelope),
      source: 'replay',
    });
    const label = outcome.outcome === 'quarantined' ? outcome.code : outcome.outcome;
    const resolution = `replayed: ${label}`;
    store.resolveQuarantine(id, resolution, clock.nowMs());
    return {
      ok: true,
      value: {
        id,
        outcome: outcome.outcome,
        code: outcome.outcome === 'quarantined' ? outcome.code : null,
        detail: 'detail' in outcome ? outcome.detail : null,
        resolution,
      },
    };
  }

  // ---- OPC UA certificates ----

  certificates(): CertificateView[] {
    const pkiDir = this.#options.opcuaPkiDir;
    if (!pkiDir) return [];
    const nowMs = this.#options.clock.nowMs();
    return [
      ...readCertificates(join(pkiDir, 'trusted', 'certs'), 'trusted', nowMs),
      ...readCertificates(join(pkiDir, 'rejected'), 'rejected', nowMs),
    ];
  }

  async approveCertificate(thumbprint: string): Promise<ActionResult<CertificateView>> {
    const pkiDir = this.#options.opcuaPkiDir;
    if (!pkiDir) return { ok: false, reason: 'unavailable', message: 'no OPC UA PKI configured' };
    const wanted = thumbprint.toLowerCase();
    const rejected = this.certificates().find(
      (cert) => cert.status === 'rejected' && cert.thumbprint === wanted,
    );
    if (!rejected)
      return {
        ok: false,
        reason: 'not-found',
        message: `no rejected certificate with thumbprint ${thumbprint}`,
      };
    // node-opcua is large: load it only when an operator approves a certificate.
    const { approveCertificate } = await import('../opcua/trust.js');
    await approveCertificate(undefined, pkiDir, wanted);
    return { ok: true, value: { ...rejected, status: 'trusted' } };
  }
}

function readCertificates(
  folder: string,
  status: 'trusted' | 'rejected',
  nowMs: number,
): CertificateView[] {
  let files: string[];
  try {
    files = readdirSync(folder).filter((file) => /\.(der|pem)$/.test(file));
  } catch {
    return [];
  }
  return files.flatMap((file) => {
    try {
      const certificate = new X509Certificate(readFileSync(join(folder, file)));
      const notAfterMs = Date.parse(certificate.validTo);
      return [
        {
          thumbprint: certificate.fingerprint.replaceAll(':', '').toLowerCase(),
          subject: certificate.subject,
          status,
          notAfterMs,
          expiresInDays: Math.floor((notAfterMs - nowMs) / DAY_MS),
        },
      ];
    } catch {
      return []; // not a certificate: node-opcua keeps other files beside them
    }
  });
}

function attestationView(row: AttestationRow): AttestationView {
  let signers: string[];
  try {
    signers = (JSON.parse(row.signatures) as Array<{ signer: string }>).map((s) => s.signer);
  } catch {
    signers = [];
  }
  return {
    id: row.id,
    sequence: String(row.sequence),
    quantityGrams: row.quantity_grams,
    flags: row.flags,
    flagNames: flagNames(row.flags),
    readingsRoot: row.readings_root,
    observedAtS: row.observed_at_s,
    validUntilS: row.valid_until_s,
    releaseOrderId: row.release_order_id,
    status: row.status,
    txHash: row.tx_hash,
    blockNumber: row.block_number,
    signers,
  };
}

function quarantineView(row: Record<string, unknown>): QuarantineView {
  return {
    id: row.id as number,
    receivedAtMs: row.received_at_ms as number,
    code: row.code as string,
    detail: row.detail as string,
    topic: row.topic as string,
    deviceId: row.device_id as string | null,
    boot: row.boot as number | null,
    seq: row.seq as number | null,
    authentic: row.authentic === 1,
    resolvedAtMs: row.resolved_at_ms as number | null,
    resolution: row.resolution as string | null,
  };
}

function parseArgs(json: string): Record<string, unknown> {
  try {
    const value = JSON.parse(json) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  } catch {
    return {};
  }
}

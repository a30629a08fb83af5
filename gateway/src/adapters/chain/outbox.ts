// The attestation outbox (docs/custody.md, "Durable state"): every attestation this gateway makes
// or co-signs is written to SQLite first, in one transaction with its evidence set, and only then
// submitted. Rows move pending -> submitted -> confirmed, or to superseded (the chain already holds
// this lot at a later sequence) or refused. (lot_key, sequence) is unique, so enqueueing the same
// attestation twice (a restart, a peer's duplicate proposal) returns the existing row.
import type Database from 'better-sqlite3';
import { compareAddresses, label, lotKey, type Attestation } from '@pledgeguard/contracts/eip712';
import { packSignatures } from '@pledgeguard/contracts/eip712';
import type { Clock } from '../../ports/clock.js';

export type AttestationStatus =
  'pending' | 'submitted' | 'confirmed' | 'superseded' | 'refused' | 'cosigned';

export interface CollectedSignature {
  /** 0x address of the gateway that signed. */
  readonly signer: string;
  /** 0x 65-byte r||s||v EIP-712 signature. */
  readonly signature: string;
}

/** What the custody service decided to attest: the lot as text ids plus the signed fields. */
export interface AttestationDraft {
  /** The gateway's warehouse id (text); on chain the configured warehouse number. */
  readonly warehouseId: string;
  /** Bay and lot ids as text (on chain `label(text)`), or already as 0x bytes32. */
  readonly bayId: string;
  readonly lotId: string;
  /** 0x keccak256(abi.encode(uint64, bytes32, bytes32)). */
  readonly lotKey: string;
  /** Strictly increasing per lot (observedAt [ms]). */
  readonly sequence: bigint;
  readonly quantityGrams: bigint; // [g]
  readonly flags: number;
  readonly readingsRoot: string; // 0x bytes32
  readonly observedAtS: bigint; // [unix s]
  readonly validUntilS: bigint; // [unix s]
  readonly releaseOrderId: bigint; // 0n when none
  /** 'self', or the peer gateway id whose proposal this gateway co-signed. */
  readonly proposer?: string;
}

export interface OutboxRow extends AttestationDraft {
  readonly id: number;
  readonly proposer: string;
  readonly ownSignature: string | null;
  /** Every signature collected so far, own included, in ascending signer order. */
  readonly signatures: readonly CollectedSignature[];
  readonly status: AttestationStatus;
  readonly txHash: string | null;
  readonly nonce: number | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly blockNumber: number | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export interface EnqueueResult {
  readonly id: number;
  /** False when (lot key, sequence) was already in the outbox (signatures merged). */
  readonly created: boolean;
}

interface Row {
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
  proposer: string;
  own_signature: string | null;
  signatures: string;
  status: AttestationStatus;
  tx_hash: string | null;
  nonce: number | null;
  attempts: number;
  last_error: string | null;
  block_number: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/** A text id as its on-chain bytes32 (`label`), or the id itself when it already is one. */
export function chainId32(id: string): string {
  return BYTES32.test(id) ? id.toLowerCase() : label(id);
}

/** The struct CustodyOracle verifies, for `row` of warehouse number `warehouseNumber`. */
export function toChainAttestation(row: AttestationDraft, warehouseNumber: bigint): Attestation {
  const bayId = chainId32(row.bayId);
  const lotId = chainId32(row.lotId);
  const key = lotKey(warehouseNumber, bayId, lotId);
  if (key !== row.lotKey.toLowerCase())
    throw new RangeError(
      `attestation for lot ${row.lotId}: lot key ${row.lotKey} is not that of warehouse ${warehouseNumber}, bay ${row.bayId} (${key})`,
    );
  return {
    warehouseId: warehouseNumber,
    bayId,
    lotId,
    sequence: row.sequence,
    quantityGrams: row.quantityGrams,
    flags: row.flags,
    readingsRoot: row.readingsRoot,
    observedAt: row.observedAtS,
    validUntil: row.validUntilS,
    releaseOrderId: row.releaseOrderId,
  };
}

/** The signatures as CustodyOracle wants them: concatenated in ascending signer order. */
export function packedSignatures(row: Pick<OutboxRow, 'signatures'>): string {
  return packSignatures(sortSignatures(row.signatures).map((entry) => entry.signature));
}

function sortSignatures(list: readonly CollectedSignature[]): CollectedSignature[] {
  const bySigner = new Map<string, CollectedSignature>();
  for (const entry of list) bySigner.set(entry.signer.toLowerCase(), entry);
  return [...bySigner.values()].sort((a, b) => compareAddresses(a.signer, b.signer));
}

function toSafeInteger(value: bigint, field: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0)
    throw new RangeError(`${field}: expected a non-negative safe integer, got ${value}`);
  return number;
}

export class AttestationOutbox {
  readonly #db: Database.Database;
  readonly #clock: Clock;
  readonly #statements;

  /** `db` is the evidence log's database (EvidenceStore.database): migration 2 made the tables. */
  constructor(db: Database.Database, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
    this.#statements = {
      insert: db.prepare(
        `INSERT INTO attestations (warehouse_id, bay_id, lot_id, lot_key, sequence, quantity_grams, flags,
           readings_root, observed_at_s, valid_until_s, release_order_id, proposer, own_signature, signatures,
           status, created_at_ms, updated_at_ms)
         VALUES (@warehouseId, @bayId, @lotId, @lotKey, @sequence, @quantityGrams, @flags, @readingsRoot,
           @observedAtS, @validUntilS, @releaseOrderId, @proposer, @ownSignature, @signatures, @status, @nowMs, @nowMs)
         ON CONFLICT (lot_key, sequence) DO NOTHING`,
      ),
      insertEvidence: db.prepare(
        'INSERT INTO attestation_evidence (attestation_id, position, reading_id) VALUES (?, ?, ?)',
      ),
      byKey: db.prepare('SELECT * FROM attestations WHERE lot_key = ? AND sequence = ?'),
      byId: db.prepare('SELECT * FROM attestations WHERE id = ?'),
      evidence: db
        .prepare(
          'SELECT reading_id FROM attestation_evidence WHERE attestation_id = ? ORDER BY position',
        )
        .pluck(),
      setSignatures: db.prepare(
        'UPDATE attestations SET signatures = ?, updated_at_ms = ? WHERE id = ?',
      ),
      byStatus: db.prepare('SELECT * FROM attestations WHERE status = ? ORDER BY id'),
      byLot: db.prepare(
        'SELECT * FROM attestations WHERE lot_key = ? OR lot_id = ? ORDER BY sequence DESC LIMIT ?',
      ),
      byTx: db.prepare('SELECT * FROM attestations WHERE tx_hash = ? ORDER BY id'),
      submitted: db.prepare(
        `UPDATE attestations SET status = 'submitted', tx_hash = @txHash, nonce = @nonce,
           attempts = attempts + 1, block_number = NULL, updated_at_ms = @nowMs WHERE id = @id`,
      ),
      mined: db.prepare(
        `UPDATE attestations SET tx_hash = @txHash, block_number = @blockNumber, last_error = NULL,
           updated_at_ms = @nowMs WHERE id = @id AND status = 'submitted'`,
      ),
      settle: db.prepare(
        `UPDATE attestations SET status = @status, tx_hash = coalesce(@txHash, tx_hash),
           block_number = coalesce(@blockNumber, block_number), last_error = coalesce(@lastError, last_error),
           updated_at_ms = @nowMs WHERE id = @id`,
      ),
      landed: db.prepare(
        `UPDATE attestations SET status = 'submitted', tx_hash = @txHash, block_number = @blockNumber,
           updated_at_ms = @nowMs WHERE id = @id AND status IN ('pending', 'submitted')`,
      ),
      requeue: db.prepare(
        `UPDATE attestations SET status = 'pending', tx_hash = NULL, nonce = NULL, block_number = NULL,
           last_error = coalesce(@lastError, last_error), updated_at_ms = @nowMs
         WHERE id = @id AND status IN ('pending', 'submitted')`,
      ),
      error: db.prepare('UPDATE attestations SET last_error = ?, updated_at_ms = ? WHERE id = ?'),
      promote: db.prepare(
        `UPDATE attestations SET status = 'pending', updated_at_ms = @nowMs
         WHERE id = @id AND status = 'cosigned'`,
      ),
      latestSettled: db.prepare(
        `SELECT * FROM attestations WHERE lot_key = ? AND status = 'confirmed' ORDER BY sequence DESC LIMIT 1`,
      ),
    };
  }

  /**
   * Stores a draft with its evidence reading ids (in leaf order) and signatures, in one
   * transaction. Idempotent on (lot key, sequence): a second call with the same signed fields
   * merges new signatures (and makes a co-signed row this gateway's own, `pending`); one with
   * other signed fields throws.
   */
  enqueue(
    draft: AttestationDraft,
    evidenceReadingIds: readonly number[],
    ownSignature: CollectedSignature | undefined,
    signatures: readonly CollectedSignature[] = [],
    status: 'pending' | 'cosigned' = 'pending',
  ): EnqueueResult {
    const all = sortSignatures(ownSignature ? [ownSignature, ...signatures] : signatures);
    const sequence = toSafeInteger(draft.sequence, 'sequence');
    return this.#db.transaction((): EnqueueResult => {
      const nowMs = this.#clock.nowMs();
      const info = this.#statements.insert.run({
        warehouseId: draft.warehouseId,
        bayId: draft.bayId,
        lotId: draft.lotId,
        lotKey: draft.lotKey.toLowerCase(),
        sequence,
        quantityGrams: draft.quantityGrams.toString(),
        flags: draft.flags,
        readingsRoot: draft.readingsRoot,
        observedAtS: toSafeInteger(draft.observedAtS, 'observedAtS'),
        validUntilS: toSafeInteger(draft.validUntilS, 'validUntilS'),
        releaseOrderId: draft.releaseOrderId.toString(),
        proposer: draft.proposer ?? 'self',
        ownSignature: ownSignature?.signature ?? null,
        signatures: JSON.stringify(all),
        status,
        nowMs,
      });
      if (info.changes === 1) {
        const id = Number(info.lastInsertRowid);
        evidenceReadingIds.forEach((readingId, position) =>
          this.#statements.insertEvidence.run(id, position, readingId),
        );
        return { id, created: true };
      }
      const existing = this.#statements.byKey.get(draft.lotKey.toLowerCase(), sequence) as Row;
      // Signatures over other content must never join this row (they would make it revert).
      if (!sameSignedFields(existing, draft))
        throw new RangeError(
          `enqueue: lot ${draft.lotId} sequence ${draft.sequence} is already attestation ${existing.id} with other content`,
        );
      this.#mergeSignatures(existing, all);
      // Our own attestation, identical to a peer's we co-signed first (same observation ms): we
      // submit it too, else every gateway may wait for another; the oracle lands it once.
      if (status === 'pending' && existing.status === 'cosigned')
        this.#statements.promote.run({ id: existing.id, nowMs });
      return { id: existing.id, created: false };
    })();
  }

  /** Adds a peer's signature (idempotent per signer). Returns the row's signature count. */
  addSignature(id: number, entry: CollectedSignature): number {
    return this.#db.transaction(() => {
      const row = this.#statements.byId.get(id) as Row | undefined;
      if (!row) throw new RangeError(`addSignature: no attestation ${id}`);
      return this.#mergeSignatures(row, [entry]);
    })();
  }

  #mergeSignatures(row: Row, added: readonly CollectedSignature[]): number {
    const current = JSON.parse(row.signatures) as CollectedSignature[];
    const merged = sortSignatures([...current, ...added]);
    if (merged.length !== current.length)
      this.#statements.setSignatures.run(JSON.stringify(merged), this.#clock.nowMs(), row.id);
    return merged.length;
  }

  /** Rows waiting to be submitted, in enqueue order. */
  pending(): OutboxRow[] {
    return (this.#statements.byStatus.all('pending') as Row[]).map(fromRow);
  }

  /** Rows with a transaction sent and not yet confirmed (mined or not), in enqueue order. */
  submitted(): OutboxRow[] {
    return (this.#statements.byStatus.all('submitted') as Row[]).map(fromRow);
  }

  byId(id: number): (OutboxRow & { readonly evidenceReadingIds: number[] }) | undefined {
    const row = this.#statements.byId.get(id) as Row | undefined;
    if (!row) return undefined;
    return { ...fromRow(row), evidenceReadingIds: this.#statements.evidence.all(id) as number[] };
  }

  /** A lot's attestations by lot key or lot id, newest sequence first. */
  byLot(lot: string, limit = 100): OutboxRow[] {
    return (this.#statements.byLot.all(lot.toLowerCase(), lot, limit) as Row[]).map(fromRow);
  }

  byTxHash(txHash: string): OutboxRow[] {
    return (this.#statements.byTx.all(txHash.toLowerCase()) as Row[]).map(fromRow);
  }

  /** The lot's confirmed attestation with the highest sequence. */
  latestConfirmed(lotKeyHex: string): OutboxRow | undefined {
    const row = this.#statements.latestSettled.get(lotKeyHex.toLowerCase()) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Write-ahead: `ids` go out in transaction `txHash` with `nonce` (recorded before sending). */
  markSubmitted(ids: readonly number[], txHash: string, nonce: number): void {
    const nowMs = this.#clock.nowMs();
    this.#db.transaction(() => {
      for (const id of ids)
        this.#statements.submitted.run({ id, txHash: txHash.toLowerCase(), nonce, nowMs });
    })();
  }

  /** The transaction carrying `ids` was mined in `blockNumber`; confirmation depth still pending. */
  markMined(ids: readonly number[], txHash: string, blockNumber: number): void {
    const nowMs = this.#clock.nowMs();
    this.#db.transaction(() => {
      for (const id of ids)
        this.#statements.mined.run({ id, txHash: txHash.toLowerCase(), blockNumber, nowMs });
    })();
  }

  /** Found on chain (e.g. submitted by a peer) in `blockNumber`; confirmation depth still pending. */
  markLanded(id: number, txHash: string, blockNumber: number): void {
    this.#statements.landed.run({
      id,
      txHash: txHash.toLowerCase(),
      blockNumber,
      nowMs: this.#clock.nowMs(),
    });
  }

  markConfirmed(ids: readonly number[], txHash?: string, blockNumber?: number): void {
    this.#settle(ids, 'confirmed', txHash, blockNumber, undefined);
  }

  /** The chain holds a later sequence for the lot: this attestation will never land. */
  markSuperseded(ids: readonly number[], reason: string): void {
    this.#settle(ids, 'superseded', undefined, undefined, reason);
  }

  /** Refused for good (co-signing refusal, or a revert no retry can fix), with the reason. */
  markRefused(ids: readonly number[], reason: string): void {
    this.#settle(ids, 'refused', undefined, undefined, reason);
  }

  /** Back to pending (its transaction was dropped or replaced without it landing). */
  requeue(ids: readonly number[], reason?: string): void {
    const nowMs = this.#clock.nowMs();
    this.#db.transaction(() => {
      for (const id of ids) this.#statements.requeue.run({ id, lastError: reason ?? null, nowMs });
    })();
  }

  recordError(ids: readonly number[], error: string): void {
    const nowMs = this.#clock.nowMs();
    this.#db.transaction(() => {
      for (const id of ids) this.#statements.error.run(error, nowMs, id);
    })();
  }

  #settle(
    ids: readonly number[],
    status: AttestationStatus,
    txHash: string | undefined,
    blockNumber: number | undefined,
    lastError: string | undefined,
  ): void {
    const nowMs = this.#clock.nowMs();
    this.#db.transaction(() => {
      for (const id of ids)
        this.#statements.settle.run({
          id,
          status,
          txHash: txHash?.toLowerCase() ?? null,
          blockNumber: blockNumber ?? null,
          lastError: lastError ?? null,
          nowMs,
        });
    })();
  }
}

/** The row and the draft sign the same attestation (the lot and sequence already match). */
function sameSignedFields(row: Row, draft: AttestationDraft): boolean {
  return (
    BigInt(row.quantity_grams) === draft.quantityGrams &&
    row.flags === draft.flags &&
    row.readings_root.toLowerCase() === draft.readingsRoot.toLowerCase() &&
    BigInt(row.observed_at_s) === draft.observedAtS &&
    BigInt(row.valid_until_s) === draft.validUntilS &&
    BigInt(row.release_order_id) === draft.releaseOrderId
  );
}

function fromRow(row: Row): OutboxRow {
  return {
    id: row.id,
    warehouseId: row.warehouse_id,
    bayId: row.bay_id,
    lotId: row.lot_id,
    lotKey: row.lot_key,
    sequence: BigInt(row.sequence),
    quantityGrams: BigInt(row.quantity_grams),
    flags: row.flags,
    readingsRoot: row.readings_root,
    observedAtS: BigInt(row.observed_at_s),
    validUntilS: BigInt(row.valid_until_s),
    releaseOrderId: BigInt(row.release_order_id),
    proposer: row.proposer,
    ownSignature: row.own_signature,
    signatures: JSON.parse(row.signatures) as CollectedSignature[],
    status: row.status,
    txHash: row.tx_hash,
    nonce: row.nonce,
    attempts: row.attempts,
    lastError: row.last_error,
    blockNumber: row.block_number,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
  };
}

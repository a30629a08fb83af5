// Reads the custody service needs from the evidence log (schema.ts migrations 0 and 2): lots,
// reading row ids for evidence sets, recent readings and refusals to rebuild lot state after a
// restart, the last attestation per lot, and open release orders. Read-only; takes the evidence
// store's open database so it shares its connection.
import type Database from 'better-sqlite3';
import { plainBytes, type ReadingKind } from '@pledgeguard/protocol';
import type { ReadingRef } from '../../core/custody/types.js';

export interface LotRow {
  readonly lotId: string;
  readonly bayId: string;
  readonly commodity: string;
  readonly unitWeightGrams: bigint;
}

export interface AttestationRow {
  readonly lotId: string;
  readonly bayId: string;
  readonly lotKey: string;
  readonly sequence: bigint;
  readonly quantityGrams: bigint;
  readonly flags: number;
  readonly observedAtS: number;
  readonly releaseOrderId: bigint;
  readonly status: string;
}

export interface ReleaseOrderRow {
  readonly orderId: bigint;
  readonly lotKey: string | null;
  readonly grams: bigint;
  readonly status: 'ordered' | 'shipped' | 'finalized' | 'cancelled';
}

export interface RejectionRow {
  readonly deviceId: string;
  readonly code: string;
  readonly detail: string;
  readonly receivedAtMs: number;
}

/** Read with safeIntegers: every INTEGER column is a bigint (value may exceed 2^53). */
interface ReadingRow {
  id: bigint;
  device_id: string;
  boot: bigint;
  seq: bigint;
  kind: ReadingKind;
  value: bigint;
  device_time_ms: bigint;
  received_at_ms: bigint;
  gap: bigint;
  envelope: Uint8Array;
}

const READING_COLUMNS =
  'id, device_id, boot, seq, kind, value, device_time_ms, received_at_ms, gap, envelope';

function toReading(row: ReadingRow): ReadingRef {
  return {
    deviceId: row.device_id,
    boot: Number(row.boot),
    seq: Number(row.seq),
    kind: row.kind,
    value: row.value,
    deviceTimeMs: Number(row.device_time_ms),
    receivedAtMs: Number(row.received_at_ms),
    envelope: plainBytes(row.envelope),
    gap: row.gap === 1n,
    readingId: Number(row.id),
  };
}

export class CustodyQueries {
  readonly #statements;

  constructor(db: Database.Database) {
    this.#statements = {
      lots: db.prepare(
        'SELECT lot_id, bay_id, commodity, unit_weight_grams FROM lots ORDER BY lot_id',
      ),
      readingId: db
        .prepare('SELECT id FROM readings WHERE device_id = ? AND boot = ? AND seq = ?')
        .pluck(),
      recent: db
        .prepare(
          `SELECT ${READING_COLUMNS} FROM readings WHERE device_id = ? ORDER BY boot DESC, seq DESC LIMIT ?`,
        )
        .safeIntegers(true),
      latestOfKind: db
        .prepare(
          `SELECT ${READING_COLUMNS} FROM readings WHERE device_id = ? AND kind = ? ORDER BY boot DESC, seq DESC LIMIT 1`,
        )
        .safeIntegers(true),
      lastAttestation: db.prepare(
        `SELECT lot_id, bay_id, lot_key, sequence, quantity_grams, flags, observed_at_s, release_order_id, status
         FROM attestations WHERE lot_id = ? AND bay_id = ? AND status <> 'refused'
         ORDER BY sequence DESC LIMIT 1`,
      ),
      openOrders: db.prepare(
        `SELECT order_id, lot_key, grams, status FROM release_orders WHERE status IN ('ordered', 'shipped')`,
      ),
      order: db.prepare(
        'SELECT order_id, lot_key, grams, status FROM release_orders WHERE order_id = ?',
      ),
      rejections: db.prepare(
        `SELECT device_id, code, detail, received_at_ms FROM quarantine
         WHERE device_id = ? AND received_at_ms > ?
           AND (code IN ('PG_REPLAYED', 'PG_EQUIVOCATION') OR code LIKE 'PG_CLOCK_%')
         ORDER BY id DESC LIMIT ?`,
      ),
    };
  }

  lots(): LotRow[] {
    const rows = this.#statements.lots.all() as Array<{
      lot_id: string;
      bay_id: string;
      commodity: string;
      unit_weight_grams: string;
    }>;
    return rows.map((row) => ({
      lotId: row.lot_id,
      bayId: row.bay_id,
      commodity: row.commodity,
      unitWeightGrams: BigInt(row.unit_weight_grams),
    }));
  }

  /** SQLite row id of an accepted reading. */
  readingId(deviceId: string, boot: number, seq: number): number | undefined {
    return this.#statements.readingId.get(deviceId, boot, seq) as number | undefined;
  }

  /**
   * The last `limit` accepted readings of a device plus its latest of each kind, in identity order:
   * what a lot model needs to rebuild medians, counts and device states.
   */
  recentReadings(deviceId: string, kinds: readonly string[], limit: number): ReadingRef[] {
    const s = this.#statements;
    const rows = new Map<bigint, ReadingRow>();
    for (const row of s.recent.all(deviceId, limit) as ReadingRow[]) rows.set(row.id, row);
    for (const kind of [...kinds, 'heartbeat']) {
      const row = s.latestOfKind.get(deviceId, kind) as ReadingRow | undefined;
      if (row) rows.set(row.id, row);
    }
    return [...rows.values()].map(toReading).sort((a, b) => a.boot - b.boot || a.seq - b.seq);
  }

  /** The latest attestation of a lot that was not refused (made, co-signed or pending). */
  lastAttestation(lotId: string, bayId: string): AttestationRow | undefined {
    const row = this.#statements.lastAttestation.get(lotId, bayId) as
      | {
          lot_id: string;
          bay_id: string;
          lot_key: string;
          sequence: number;
          quantity_grams: string;
          flags: number;
          observed_at_s: number;
          release_order_id: string;
          status: string;
        }
      | undefined;
    return (
      row && {
        lotId: row.lot_id,
        bayId: row.bay_id,
        lotKey: row.lot_key,
        sequence: BigInt(row.sequence),
        quantityGrams: BigInt(row.quantity_grams),
        flags: row.flags,
        observedAtS: row.observed_at_s,
        releaseOrderId: BigInt(row.release_order_id),
        status: row.status,
      }
    );
  }

  openReleaseOrders(): ReleaseOrderRow[] {
    return (this.#statements.openOrders.all() as OrderRecord[]).map(toOrder);
  }

  releaseOrder(orderId: bigint): ReleaseOrderRow | undefined {
    const row = this.#statements.order.get(orderId.toString()) as OrderRecord | undefined;
    return row && toOrder(row);
  }

  /** Authentic replay, equivocation and clock refusals of a device after `sinceMs`, oldest first. */
  rejectionsSince(deviceId: string, sinceMs: number, limit: number): RejectionRow[] {
    const rows = this.#statements.rejections.all(deviceId, sinceMs, limit) as Array<{
      device_id: string;
      code: string;
      detail: string;
      received_at_ms: number;
    }>;
    return rows.reverse().map((row) => ({
      deviceId: row.device_id,
      code: row.code,
      detail: row.detail,
      receivedAtMs: row.received_at_ms,
    }));
  }
}

interface OrderRecord {
  order_id: string;
  lot_key: string | null;
  grams: string;
  status: ReleaseOrderRow['status'];
}

function toOrder(row: OrderRecord): ReleaseOrderRow {
  return {
    orderId: BigInt(row.order_id),
    lotKey: row.lot_key,
    grams: BigInt(row.grams),
    status: row.status,
  };
}

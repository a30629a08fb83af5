// The evidence log: SQLite (better-sqlite3, WAL) holding raw signed envelopes, verdicts, the device
// registry, replay high-water marks, quarantine and Merkle epochs. It is the gateway's durable
// state: a batch of verdicts commits in one transaction, and only then are readings acknowledged.

import { createHash, hash } from 'node:crypto';
import Database from 'better-sqlite3';
import { hexToBytes } from '@noble/hashes/utils.js';
import {
  MAX_ENVELOPE_BYTES,
  equalBytes,
  plainBytes as plain,
  type DeviceManifest,
  type ReadingKind,
} from '@pledgeguard/protocol';
import {
  LEAF_PREFIX,
  MerkleAccumulator,
  NODE_PREFIX,
  inclusionProof,
  type NodeHasher,
} from '../../core/merkle.js';
import type { CommitItem, DeviceMark, RegisteredDevice } from '../../ports/evidence-store.js';
import { readingPoint } from '../../ports/time-series-sink.js';
import { MIGRATIONS } from './schema.js';
import { SqliteSeriesSpool } from './spool.js';

/**
 * Largest Merkle epoch: sealing and inclusion proofs read a whole epoch, so its size bounds their
 * time and memory. 65,536 leaves are about 7 s of a busy gateway (9,000 readings/s) and 18 h of
 * a single 1 Hz device.
 */
export const DEFAULT_MAX_EPOCH_LEAVES = 65_536;

export interface EvidenceStoreOptions {
  /** SQLite synchronous mode: FULL survives power loss, NORMAL only a process crash. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** When set, accepted readings are also spooled for the time-series sink, in the same transaction. */
  readonly spool?: { readonly maxPoints: number };
}

export interface ImportSummary {
  readonly added: number;
  readonly unchanged: number;
  readonly updated: number;
}

export interface QuarantineRow {
  readonly id: number;
  readonly receivedAtMs: number;
  readonly code: string;
  readonly detail: string;
  readonly topic: string;
  readonly deviceId: string | null;
  readonly boot: number | null;
  readonly seq: number | null;
  readonly envelope: Uint8Array;
  readonly source: string;
  readonly resolvedAtMs: number | null;
  readonly resolution: string | null;
}

export interface EpochRow {
  readonly epoch: number;
  readonly firstReadingId: number;
  readonly lastReadingId: number;
  readonly leafCount: number;
  readonly root: Uint8Array;
  readonly closedAtMs: number;
}

export interface InclusionProof {
  readonly readingId: number;
  readonly epoch: number;
  readonly index: number;
  readonly treeSize: number;
  readonly leaf: Uint8Array;
  readonly proof: Uint8Array[];
  readonly root: Uint8Array;
  readonly envelope: Uint8Array;
}

interface DeviceRow {
  device_id: string;
  alg: RegisteredDevice['alg'];
  public_key: Uint8Array;
  key_version: number;
  kinds: string;
  bay_id: string;
  lot_id: string | null;
  heartbeat_ms: number;
  mqtt_password_hash: string;
  revoked_at_ms: number | null;
}

/** Rows per multi-row reading INSERT, largest first; the last must be 1. */
const READING_ROWS = [64, 16, 4, 1];
const READING_COLUMNS = 12;

export class EvidenceStore {
  readonly #db: Database.Database;
  readonly #statements;
  /** Points waiting for the time-series sink; undefined unless options.spool was given. */
  readonly spool: SqliteSeriesSpool | undefined;

  constructor(path: string, options: EvidenceStoreOptions = {}) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.#db.pragma('foreign_keys = ON');
    this.#migrate();
    const db = this.#db;
    this.#statements = {
      // Accepted readings go in multi-row INSERTs with positional parameters: one statement step
      // per READING_ROWS rows instead of one per row, and no parameter object per reading.
      insertReadings: READING_ROWS.map((rows) =>
        db.prepare(
          `INSERT INTO readings (device_id, boot, seq, device_time_ms, kind, value, bay_id, received_at_ms, source, gap, envelope, leaf_hash)
           VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        ),
      ),
      insertQuarantine: db.prepare(
        `INSERT INTO quarantine (received_at_ms, code, detail, topic, device_id, boot, seq, envelope, source, authentic)
         VALUES (@receivedAtMs, @code, @detail, @topic, @deviceId, @boot, @seq, @envelope, @source, @authentic)`,
      ),
      upsertMark: db.prepare(
        `INSERT INTO marks (device_id, boot, seq, device_time_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET boot = excluded.boot, seq = excluded.seq, device_time_ms = coalesce(excluded.device_time_ms, marks.device_time_ms)
         WHERE excluded.boot > marks.boot OR (excluded.boot = marks.boot AND excluded.seq > marks.seq)`,
      ),
      findEnvelope: db
        .prepare(
          `SELECT envelope FROM readings WHERE device_id = @deviceId AND boot = @boot AND seq = @seq
           UNION ALL SELECT envelope FROM quarantine WHERE device_id = @deviceId AND boot = @boot AND seq = @seq AND authentic = 1 LIMIT 1`,
        )
        .pluck(),
      device: db.prepare('SELECT * FROM devices WHERE device_id = ?'),
      devices: db.prepare('SELECT * FROM devices ORDER BY device_id'),
      marks: db.prepare('SELECT device_id, boot, seq, device_time_ms FROM marks'),
      lotOf: db.prepare('SELECT lot_id FROM devices WHERE device_id = ?').pluck(),
    };
    this.spool = options.spool ? new SqliteSeriesSpool(db, options.spool) : undefined;
  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    for (const [index, sql] of MIGRATIONS.entries()) {
      if (index < version) continue;
      this.#db.transaction(() => {
        this.#db.exec(sql);
        this.#db.pragma(`user_version = ${index + 1}`);
      })();
    }
  }

  /** The open database, for the other stores that share the evidence log's file and transactions. */
  get database(): Database.Database {
    return this.#db;
  }

  close(): void {
    this.#db.close();
  }

  // ---- device registry ----

  /** Adds the manifest's devices. A known device with a different key is refused: rotate it instead. */
  importManifest(manifest: DeviceManifest, nowMs: number): ImportSummary {
    let added = 0;
    let unchanged = 0;
    let updated = 0;
    const insert = this.#db.prepare(
      `INSERT INTO devices (device_id, warehouse_id, alg, public_key, key_version, kinds, bay_id, lot_id, heartbeat_ms, mqtt_password_hash, updated_at_ms)
       VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
    );
    const update = this.#db.prepare(
      `UPDATE devices SET kinds = ?, bay_id = ?, lot_id = ?, heartbeat_ms = ?, mqtt_password_hash = ?, updated_at_ms = ? WHERE device_id = ?`,
    );
    this.#db.transaction(() => {
      for (const device of manifest.devices) {
        const existing = this.#statements.device.get(device.deviceId) as DeviceRow | undefined;
        const publicKey = hexToBytes(device.publicKey);
        const kinds = JSON.stringify(device.kinds);
        if (!existing) {
          insert.run(
            device.deviceId,
            manifest.warehouseId,
            device.alg,
            publicKey,
            kinds,
            device.bayId,
            device.lotId ?? null,
            device.heartbeatMs,
            device.mqttPasswordHash,
            nowMs,
          );
          added++;
          continue;
        }
        if (existing.alg !== device.alg || !equalBytes(existing.public_key, publicKey)) {
          throw new RangeError(
            `device ${device.deviceId} is registered with another key: use rotateKey`,
          );
        }
        const same =
          existing.kinds === kinds &&
          existing.bay_id === device.bayId &&
          existing.lot_id === (device.lotId ?? null) &&
          existing.heartbeat_ms === device.heartbeatMs &&
          existing.mqtt_password_hash === device.mqttPasswordHash;
        if (same) unchanged++;
        else {
          update.run(
            kinds,
            device.bayId,
            device.lotId ?? null,
            device.heartbeatMs,
            device.mqttPasswordHash,
            nowMs,
            device.deviceId,
          );
          updated++;
        }
      }
      const lot = this.#db.prepare(
        `INSERT INTO lots (lot_id, bay_id, commodity, unit_weight_grams) VALUES (?, ?, ?, ?)
         ON CONFLICT (lot_id) DO UPDATE SET bay_id = excluded.bay_id, commodity = excluded.commodity, unit_weight_grams = excluded.unit_weight_grams`,
      );
      for (const entry of manifest.lots)
        lot.run(entry.lotId, entry.bayId, entry.commodity, entry.unitWeightGrams);
    })();
    return { added, unchanged, updated };
  }

  /** Revokes a device key: its readings are refused from now on (PG_DEVICE_REVOKED). */
  revokeDevice(deviceId: string, reason: string, nowMs: number): void {
    const changes = this.#db
      .prepare(
        'UPDATE devices SET revoked_at_ms = ?, revoke_reason = ?, updated_at_ms = ? WHERE device_id = ? AND revoked_at_ms IS NULL',
      )
      .run(nowMs, reason, nowMs, deviceId).changes;
    if (changes === 0) throw new RangeError(`no active device ${deviceId}`);
  }

  /** Replaces a device key (and un-revokes it); the key version increments. */
  rotateKey(
    deviceId: string,
    alg: RegisteredDevice['alg'],
    publicKey: Uint8Array,
    nowMs: number,
  ): number {
    const row = this.#statements.device.get(deviceId) as DeviceRow | undefined;
    if (!row) throw new RangeError(`no device ${deviceId}`);
    const keyVersion = row.key_version + 1;
    this.#db
      .prepare(
        'UPDATE devices SET alg = ?, public_key = ?, key_version = ?, revoked_at_ms = NULL, revoke_reason = NULL, updated_at_ms = ? WHERE device_id = ?',
      )
      .run(alg, publicKey, keyVersion, nowMs, deviceId);
    return keyVersion;
  }

  device(deviceId: string): RegisteredDevice | undefined {
    const row = this.#statements.device.get(deviceId) as DeviceRow | undefined;
    return row && toDevice(row);
  }

  devices(): RegisteredDevice[] {
    return (this.#statements.devices.all() as DeviceRow[]).map(toDevice);
  }

  // ---- replay marks and evidence ----

  marks(): Map<string, DeviceMark> {
    const rows = this.#statements.marks.all() as Array<{
      device_id: string;
      boot: number;
      seq: number;
      device_time_ms: number | null;
    }>;
    return new Map(
      rows.map((row) => [
        row.device_id,
        {
          boot: row.boot,
          seq: row.seq,
          ...(row.device_time_ms !== null ? { deviceTimeMs: row.device_time_ms } : {}),
        },
      ]),
    );
  }

  /** The stored envelope of an authentic reading (accepted or quarantined), for redelivery and equivocation checks. */
  findEnvelope(deviceId: string, boot: number, seq: number): Uint8Array | undefined {
    const bytes = this.#statements.findEnvelope.get({ deviceId, boot, seq }) as
      Uint8Array | undefined;
    return bytes && plain(bytes);
  }

  /** Writes a batch of verdicts in one transaction (group commit). Throws if the disk refuses. */
  commit(items: readonly CommitItem[]): void {
    const s = this.#statements;
    // One mark write per device per batch: the last (highest) identity wins.
    const marks = new Map<string, DeviceMark>();
    this.#db.transaction(() => {
      this.#spoolAccepted(items);
      // Row values of accepted readings not yet inserted, in item order (reading ids follow it).
      const rows: unknown[] = [];
      for (const item of items) {
        if (item.outcome === 'accepted') {
          rows.push(
            item.deviceId,
            item.boot,
            item.seq,
            item.deviceTimeMs,
            item.kind,
            item.value,
            item.bayId,
            item.receivedAtMs,
            item.source,
            item.gap ? 1 : 0,
            item.envelope,
            leafHashFast(item.envelope),
          );
          marks.set(item.deviceId, item);
        } else {
          s.insertQuarantine.run({
            receivedAtMs: item.receivedAtMs,
            code: item.code,
            detail: item.detail,
            topic: item.topic,
            deviceId: item.deviceId ?? null,
            boot: item.boot ?? null,
            seq: item.seq ?? null,
            envelope: item.envelope,
            source: item.source,
            authentic: item.authenticMark ? 1 : 0,
          });
          if (item.deviceId !== undefined && item.authenticMark) {
            const previous = marks.get(item.deviceId);
            // A skewed reading keeps the last good device time as the step-back reference.
            const deviceTimeMs = item.authenticMark.deviceTimeMs ?? previous?.deviceTimeMs;
            marks.set(item.deviceId, {
              ...item.authenticMark,
              ...(deviceTimeMs !== undefined ? { deviceTimeMs } : {}),
            });
          }
        }
      }
      this.#insertReadings(rows);
      for (const [deviceId, mark] of marks)
        s.upsertMark.run(deviceId, mark.boot, mark.seq, mark.deviceTimeMs ?? null);
    })();
    this.spool?.afterCommit();
  }

  /** Inserts readings from flat row values (READING_COLUMNS per row), largest statements first. */
  #insertReadings(values: unknown[]): void {
    let at = 0;
    for (const [index, rows] of READING_ROWS.entries()) {
      const statement = this.#statements.insertReadings[index]!;
      const width = rows * READING_COLUMNS;
      for (; values.length - at >= width; at += width)
        statement.run(at === 0 && values.length === width ? values : values.slice(at, at + width));
    }
  }

  /** Spools the accepted readings as time-series points (inside the commit's transaction). */
  #spoolAccepted(items: readonly CommitItem[]): void {
    if (!this.spool) return;
    const lots = new Map<string, string | undefined>();
    const points = [];
    let enqueuedAtMs = Infinity;
    for (const item of items) {
      if (item.outcome !== 'accepted') continue;
      if (!lots.has(item.deviceId))
        lots.set(
          item.deviceId,
          (this.#statements.lotOf.get(item.deviceId) as string | null | undefined) ?? undefined,
        );
      points.push(readingPoint(item, lots.get(item.deviceId)));
      enqueuedAtMs = Math.min(enqueuedAtMs, item.receivedAtMs);
    }
    this.spool.append(points, enqueuedAtMs);
  }

  readingCount(): number {
    return this.#db.prepare('SELECT count(*) FROM readings').pluck().get() as number;
  }

  /** Identities of accepted readings of a device, in order: (boot, seq) pairs. */
  identities(deviceId: string): Array<{ boot: number; seq: number }> {
    return this.#db
      .prepare('SELECT boot, seq FROM readings WHERE device_id = ? ORDER BY boot, seq')
      .all(deviceId) as Array<{ boot: number; seq: number }>;
  }

  latestReadings(limit: number): Array<{
    id: number;
    deviceId: string;
    boot: number;
    seq: number;
    kind: ReadingKind;
    value: bigint;
    receivedAtMs: number;
  }> {
    const rows = this.#db
      .prepare(
        'SELECT id, device_id, boot, seq, kind, value, received_at_ms FROM readings ORDER BY id DESC LIMIT ?',
      )
      .safeIntegers(false)
      .all(limit) as Array<{
      id: number;
      device_id: string;
      boot: number;
      seq: number;
      kind: ReadingKind;
      value: number;
      received_at_ms: number;
    }>;
    return rows.map((row) => ({
      id: row.id,
      deviceId: row.device_id,
      boot: row.boot,
      seq: row.seq,
      kind: row.kind,
      value: BigInt(row.value),
      receivedAtMs: row.received_at_ms,
    }));
  }

  // ---- quarantine ----

  quarantine(
    filter: { code?: string; deviceId?: string; unresolved?: boolean; limit?: number } = {},
  ): QuarantineRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.code) {
      where.push('code = ?');
      params.push(filter.code);
    }
    if (filter.deviceId) {
      where.push('device_id = ?');
      params.push(filter.deviceId);
    }
    if (filter.unresolved) where.push('resolved_at_ms IS NULL');
    const sql = `SELECT * FROM quarantine ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...params, filter.limit ?? 1_000) as Array<
      Record<string, unknown>
    >;
    return rows.map((row) => ({
      id: row.id as number,
      receivedAtMs: row.received_at_ms as number,
      code: row.code as string,
      detail: row.detail as string,
      topic: row.topic as string,
      deviceId: row.device_id as string | null,
      boot: row.boot as number | null,
      seq: row.seq as number | null,
      envelope: plain(row.envelope as Uint8Array),
      source: row.source as string,
      resolvedAtMs: row.resolved_at_ms as number | null,
      resolution: row.resolution as string | null,
    }));
  }

  quarantineCounts(): Record<string, number> {
    const rows = this.#db
      .prepare('SELECT code, count(*) AS n FROM quarantine GROUP BY code')
      .all() as Array<{ code: string; n: number }>;
    return Object.fromEntries(rows.map((row) => [row.code, row.n]));
  }

  resolveQuarantine(id: number, resolution: string, nowMs: number): void {
    this.#db
      .prepare('UPDATE quarantine SET resolved_at_ms = ?, resolution = ? WHERE id = ?')
      .run(nowMs, resolution, id);
  }

  // ---- Merkle epochs ----

  /**
   * Seals the oldest accepted readings not yet in an epoch, at most `maxLeaves` of them, into a new
   * epoch; undefined when there are none. The root is computed while the rows stream past, so memory
   * does not grow with the epoch; a caller with a backlog calls again (leafCount === maxLeaves).
   */
  closeEpoch(nowMs: number, maxLeaves: number = DEFAULT_MAX_EPOCH_LEAVES): EpochRow | undefined {
    if (!Number.isSafeInteger(maxLeaves) || maxLeaves < 1)
      throw new RangeError(`maxLeaves: expected a positive integer, got ${maxLeaves}`);
    return this.#db.transaction(() => {
      // An epoch is an id range (schema migration 5): the readings after the last sealed one.
      const sealed = this.#db
        .prepare('SELECT epoch, last_reading_id FROM epochs ORDER BY epoch DESC LIMIT 1')
        .raw()
        .get() as [number, number] | undefined;
      const accumulator = new MerkleAccumulator(nodeHashFast);
      let first: number | undefined;
      let last = 0;
      const rows = this.#db
        .prepare('SELECT id, leaf_hash FROM readings WHERE id > ? ORDER BY id LIMIT ?')
        .raw()
        .iterate(sealed?.[1] ?? 0, maxLeaves) as IterableIterator<[number, Uint8Array]>;
      for (const [id, leaf] of rows) {
        first ??= id;
        last = id;
        accumulator.add(plain(leaf));
      }
      if (first === undefined) return undefined;
      const root = plain(accumulator.root());
      const epoch = (sealed?.[0] ?? 0) + 1;
      const leafCount = accumulator.size;
      this.#db
        .prepare(
          'INSERT INTO epochs (epoch, first_reading_id, last_reading_id, leaf_count, root, closed_at_ms) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(epoch, first, last, leafCount, root, nowMs);
      return {
        epoch,
        firstReadingId: first,
        lastReadingId: last,
        leafCount,
        root,
        closedAtMs: nowMs,
      };
    })();
  }

  epochs(): EpochRow[] {
    const rows = this.#db.prepare('SELECT * FROM epochs ORDER BY epoch').all() as Array<
      Record<string, unknown>
    >;
    return rows.map(toEpoch);
  }

  /** Inclusion proof of an accepted reading in its sealed epoch; undefined until the epoch closes. */
  proof(deviceId: string, boot: number, seq: number): InclusionProof | undefined {
    const reading = this.#db
      .prepare('SELECT id, envelope FROM readings WHERE device_id = ? AND boot = ? AND seq = ?')
      .get(deviceId, boot, seq) as { id: number; envelope: Uint8Array } | undefined;
    if (reading === undefined) return undefined;
    const epoch = this.epochOf(reading.id);
    if (!epoch) return undefined;
    const leaves = this.#db
      .prepare('SELECT id, leaf_hash FROM readings WHERE id BETWEEN ? AND ? ORDER BY id')
      .raw()
      .all(epoch.firstReadingId, epoch.lastReadingId) as Array<[number, Uint8Array]>;
    const index = leaves.findIndex(([id]) => id === reading.id);
    const hashes = leaves.map(([, leaf]) => plain(leaf));
    return {
      readingId: reading.id,
      epoch: epoch.epoch,
      index,
      treeSize: hashes.length,
      leaf: hashes[index]!,
      proof: inclusionProof(hashes, index, nodeHashFast).map(plain),
      root: epoch.root,
      envelope: plain(reading.envelope),
    };
  }

  /** The sealed epoch holding a reading id (epochs are id ranges); undefined until it is sealed. */
  epochOf(readingId: number): EpochRow | undefined {
    const row = this.#db
      .prepare('SELECT * FROM epochs WHERE last_reading_id >= ? ORDER BY last_reading_id LIMIT 1')
      .get(readingId) as Record<string, unknown> | undefined;
    return row && (row.first_reading_id as number) <= readingId ? toEpoch(row) : undefined;
  }
}

function toEpoch(row: Record<string, unknown>): EpochRow {
  return {
    epoch: row.epoch as number,
    firstReadingId: row.first_reading_id as number,
    lastReadingId: row.last_reading_id as number,
    leafCount: row.leaf_count as number,
    root: plain(row.root as Uint8Array),
    closedAtMs: row.closed_at_ms as number,
  };
}

function toDevice(row: DeviceRow): RegisteredDevice {
  return {
    deviceId: row.device_id,
    alg: row.alg,
    publicKey: new Uint8Array(row.public_key),
    keyVersion: row.key_version,
    kinds: JSON.parse(row.kinds) as ReadingKind[],
    bayId: row.bay_id,
    ...(row.lot_id !== null ? { lotId: row.lot_id } : {}),
    heartbeatMs: row.heartbeat_ms,
    mqttPasswordHash: row.mqtt_password_hash,
    revoked: row.revoked_at_ms !== null,
  };
}

// Hash inputs are assembled in one scratch buffer for node:crypto's one-shot hash: about half the
// cost of a Hash object per leaf or node, and both run once per reading.
const leafScratch = Buffer.alloc(1 + MAX_ENVELOPE_BYTES);
leafScratch.set(LEAF_PREFIX);
const nodeScratch = Buffer.alloc(65);
nodeScratch.set(NODE_PREFIX);

/** core/merkle.ts leafHash on node:crypto (several times faster than pure JS on the commit path). */
export function leafHashFast(envelope: Uint8Array): Uint8Array {
  if (envelope.length >= leafScratch.length)
    return createHash('sha256').update(LEAF_PREFIX).update(envelope).digest();
  leafScratch.set(envelope, 1);
  return hash('sha256', leafScratch.subarray(0, 1 + envelope.length), 'buffer');
}

/** core/merkle.ts nodeHash on node:crypto: sealing a 65,536-leaf epoch hashes as many nodes. */
export const nodeHashFast: NodeHasher = (left, right) => {
  if (left.length !== 32 || right.length !== 32)
    return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 33);
  return hash('sha256', nodeScratch, 'buffer');
};

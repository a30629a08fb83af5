// The alerts table (migration 2): custody flag changes, receipt reconciliation failures and
// co-signing disagreements, kept for the API's alert timelines.
import type Database from 'better-sqlite3';

export interface AlertRecord {
  /** [ms since epoch], warehouse clock */
  readonly atMs: number;
  readonly lotId?: string;
  readonly deviceId?: string;
  /** flag-raised, flag-cleared, over-receipted, cosign-refused, cosign-disagreement */
  readonly kind: string;
  readonly detail: string;
}

export class AlertLog {
  readonly #insert: Database.Statement;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(
      'INSERT INTO alerts (at_ms, lot_id, device_id, kind, detail) VALUES (?, ?, ?, ?, ?)',
    );
  }

  /** Stores the alert; returns its id. */
  record(alert: AlertRecord): number {
    const info = this.#insert.run(
      alert.atMs,
      alert.lotId ?? null,
      alert.deviceId ?? null,
      alert.kind,
      alert.detail,
    );
    return Number(info.lastInsertRowid);
  }
}

// API tokens: 256-bit random values, shown once; only their SHA-256 is stored (`api_tokens`,
// migration 2). A token carries one role; revoking sets revoked_at_ms and keeps the row.
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

export const API_ROLES = ['bank-viewer', 'auditor', 'operator-admin', 'gateway-peer'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export interface ApiTokenInfo {
  readonly id: number;
  readonly name: string;
  readonly role: ApiRole;
  readonly createdAtMs: number;
  readonly revokedAtMs: number | null;
}

/** The principal a valid token authenticates. */
export interface ApiPrincipal {
  readonly tokenId: number;
  readonly name: string;
  readonly role: ApiRole;
}

const TOKEN_PREFIX = 'pg_';
const TOKEN_PATTERN = /^pg_[0-9a-f]{64}$/;

/** Hex SHA-256 of a token: what the table stores and config bootstrap entries carry. */
export function tokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function isApiRole(value: unknown): value is ApiRole {
  return typeof value === 'string' && (API_ROLES as readonly string[]).includes(value);
}

interface TokenRow {
  id: number;
  name: string;
  role: string;
  token_hash: string;
  created_at_ms: number;
  revoked_at_ms: number | null;
}

export class ApiTokenStore {
  readonly #db: Database.Database;
  readonly #byHash;

  /** `db` is the evidence log's open database (EvidenceStore.database); migrations already ran. */
  constructor(db: Database.Database) {
    this.#db = db;
    this.#byHash = db.prepare(
      'SELECT id, name, role, revoked_at_ms FROM api_tokens WHERE token_hash = ?',
    );
  }

  /** Mints a token for `name` with `role`; the returned token is not stored and cannot be shown again. */
  create(name: string, role: ApiRole, nowMs: number): { token: string; info: ApiTokenInfo } {
    if (!isApiRole(role)) throw new TypeError(`role must be one of ${API_ROLES.join(', ')}`);
    if (name.length === 0 || name.length > 64) throw new RangeError('name must be 1-64 characters');
    const token = TOKEN_PREFIX + randomBytes(32).toString('hex');
    const info = this.#insert(name, role, tokenSha256(token), nowMs);
    return { token, info };
  }

  /** Adds a token minted elsewhere by its SHA-256 (config bootstrap); false when the name exists. */
  importHash(name: string, role: ApiRole, sha256: string, nowMs: number): boolean {
    if (!/^[0-9a-f]{64}$/.test(sha256))
      throw new RangeError('sha256 must be 64 lowercase hex digits');
    if (this.#db.prepare('SELECT 1 FROM api_tokens WHERE name = ?').get(name)) return false;
    this.#insert(name, role, sha256, nowMs);
    return true;
  }

  #insert(name: string, role: ApiRole, hash: string, nowMs: number): ApiTokenInfo {
    const id = Number(
      this.#db
        .prepare(
          'INSERT INTO api_tokens (name, role, token_hash, created_at_ms) VALUES (?, ?, ?, ?)',
        )
        .run(name, role, hash, nowMs).lastInsertRowid,
    );
    return { id, name, role, createdAtMs: nowMs, revokedAtMs: null };
  }

  list(): ApiTokenInfo[] {
    const rows = this.#db.prepare('SELECT * FROM api_tokens ORDER BY id').all() as TokenRow[];
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      role: row.role as ApiRole,
      createdAtMs: row.created_at_ms,
      revokedAtMs: row.revoked_at_ms,
    }));
  }

  /** Revokes the token named `name`; false when there is no active token of that name. */
  revoke(name: string, nowMs: number): boolean {
    return (
      this.#db
        .prepare('UPDATE api_tokens SET revoked_at_ms = ? WHERE name = ? AND revoked_at_ms IS NULL')
        .run(nowMs, name).changes > 0
    );
  }

  /** The principal of an active token; undefined for a malformed, unknown or revoked token. */
  authenticate(token: string): ApiPrincipal | undefined {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const row = this.#byHash.get(tokenSha256(token)) as
      Pick<TokenRow, 'id' | 'name' | 'role' | 'revoked_at_ms'> | undefined;
    if (!row || row.revoked_at_ms !== null || !isApiRole(row.role)) return undefined;
    return { tokenId: row.id, name: row.name, role: row.role };
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { generateKeyPair } from '@pledgeguard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leafHash, merkleRoot, nodeHash, verifyInclusion } from '../../core/merkle.js';
import { makeFleet } from '../../testing/fleet.js';
import { EvidenceStore, leafHashFast, nodeHashFast } from './evidence-store.js';
import { MIGRATIONS } from './schema.js';

let dir: string;
let store: EvidenceStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pg-store-'));
  store = new EvidenceStore(join(dir, 'evidence.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('EvidenceStore', () => {
  it('hashes leaves on the node:crypto commit path exactly as the pure core does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1_100 }), (bytes) => {
        expect(new Uint8Array(leafHashFast(bytes))).toEqual(leafHash(bytes));
      }),
    );
  });

  it('hashes Merkle nodes on node:crypto exactly as the pure core does', () => {
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(hash, hash, (left, right) => {
        expect(new Uint8Array(nodeHashFast(left, right))).toEqual(nodeHash(left, right));
      }),
    );
  });

  it('imports a manifest idempotently and refuses a silent key change', () => {
    const fleet = makeFleet(3);
    expect(store.importManifest(fleet.manifest, 1)).toEqual({ added: 3, unchanged: 0, updated: 0 });
    expect(store.importManifest(fleet.manifest, 2)).toEqual({ added: 0, unchanged: 3, updated: 0 });
    const other = makeFleet(1);
    expect(() => store.importManifest(other.manifest, 3)).toThrow(
      /registered with another key: use rotateKey/,
    );
  });

  it('rotates a key with a new version and clears a revocation', () => {
    const fleet = makeFleet(1);
    store.importManifest(fleet.manifest, 1);
    const id = fleet.devices[0]!.deviceId;
    store.revokeDevice(id, 'lost', 2);
    expect(store.device(id)?.revoked).toBe(true);
    expect(store.rotateKey(id, 'EdDSA', generateKeyPair('EdDSA').publicKey, 3)).toBe(2);
    expect(store.device(id)).toMatchObject({ revoked: false, keyVersion: 2 });
  });

  it('keeps its data across a reopen (schema migrations run once)', () => {
    store.importManifest(makeFleet(2).manifest, 1);
    store.close();
    store = new EvidenceStore(join(dir, 'evidence.db'));
    expect(store.devices()).toHaveLength(2);
  });

  it('keeps the proofs of epochs sealed before epochs became id ranges (migration 5)', () => {
    store.close();
    const path = join(dir, 'old.db');
    // An evidence log as the gateway kept it before migration 5: the epoch column set on sealed rows.
    const old = new Database(path);
    for (const sql of MIGRATIONS.slice(0, 5)) old.exec(sql);
    old.pragma('user_version = 5');
    const envelopes = Array.from({ length: 6 }, (_, i) => Uint8Array.of(0xd2, i, 0xff - i));
    const insert = old.prepare(
      `INSERT INTO readings (device_id, boot, seq, device_time_ms, kind, value, bay_id, received_at_ms, source, gap, envelope, leaf_hash, epoch)
       VALUES ('lc-1', 1, ?, 0, 'weight', 0, 'B-1', 0, 'mqtt', 0, ?, ?, ?)`,
    );
    envelopes.forEach((envelope, i) =>
      insert.run(i, envelope, leafHashFast(envelope), i < 4 ? 1 : null),
    );
    const oldRoot = merkleRoot(envelopes.slice(0, 4).map(leafHash));
    old
      .prepare(
        'INSERT INTO epochs (epoch, first_reading_id, last_reading_id, leaf_count, root, closed_at_ms) VALUES (1, 1, 4, 4, ?, 0)',
      )
      .run(oldRoot);
    old.close();

    store = new EvidenceStore(path);
    const proof = store.proof('lc-1', 1, 2)!;
    expect(proof).toMatchObject({ epoch: 1, readingId: 3, index: 2, treeSize: 4 });
    expect(verifyInclusion(leafHash(envelopes[2]!), 2, 4, proof.proof, oldRoot)).toBe(true);
    expect(store.proof('lc-1', 1, 4)).toBeUndefined();
    // The next seal takes exactly the readings the old log had not sealed.
    expect(store.closeEpoch(1)).toMatchObject({
      epoch: 2,
      firstReadingId: 5,
      lastReadingId: 6,
      leafCount: 2,
      root: merkleRoot(envelopes.slice(4).map(leafHash)),
    });
    expect(store.proof('lc-1', 1, 5)).toMatchObject({ epoch: 2, index: 1, treeSize: 2 });
  });
});

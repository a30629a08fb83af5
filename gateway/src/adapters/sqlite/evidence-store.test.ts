import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { generateKeyPair } from '@pledgeguard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leafHash } from '../../core/merkle.js';
import { makeFleet } from '../../testing/fleet.js';
import { EvidenceStore, leafHashFast } from './evidence-store.js';

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
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(new Uint8Array(leafHashFast(bytes))).toEqual(leafHash(bytes));
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
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { label, lotKey } from '@pledgeguard/contracts/eip712';
import { EvidenceStore } from '../sqlite/evidence-store.js';
import {
  AttestationOutbox,
  packedSignatures,
  toChainAttestation,
  type AttestationDraft,
} from './outbox.js';

const dir = mkdtempSync(join(tmpdir(), 'pg-outbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let store: EvidenceStore;
let outbox: AttestationOutbox;
let nowMs = 1_000;
let n = 0;
beforeEach(() => {
  store = new EvidenceStore(join(dir, `e${n++}.db`), { synchronous: 'NORMAL' });
  outbox = new AttestationOutbox(store.database, { nowMs: () => nowMs });
});

const draft = (lot: string, sequence: bigint): AttestationDraft => ({
  warehouseId: 'wh-1',
  bayId: 'B-1',
  lotId: lot,
  lotKey: lotKey(7n, label('B-1'), label(lot)),
  sequence,
  quantityGrams: 2n ** 60n, // beyond 2^53: stored as text
  flags: 0x21,
  readingsRoot: `0x${'ab'.repeat(32)}`,
  observedAtS: 1_700_000_000n,
  validUntilS: 1_700_007_200n,
  releaseOrderId: 3n,
});
const sig = (signer: string, byte: string) => ({ signer, signature: `0x${byte.repeat(65)}` });
const LOW = '0x1000000000000000000000000000000000000000';
const HIGH = '0xf000000000000000000000000000000000000000';

describe('attestation outbox', () => {
  it('round-trips every field, and the chain struct rebuilds the lot key', () => {
    const { id, created } = outbox.enqueue(draft('L-1', 5n), [], sig(HIGH, '02'), [sig(LOW, '01')]);
    expect(created).toBe(true);
    const row = outbox.byId(id)!;
    expect(row).toMatchObject({
      ...draft('L-1', 5n),
      status: 'pending',
      proposer: 'self',
      attempts: 0,
    });
    expect(row.signatures.map((entry) => entry.signer)).toEqual([LOW, HIGH]); // ascending signers
    expect(packedSignatures(row)).toBe(`0x${'01'.repeat(65)}${'02'.repeat(65)}`);
    expect(toChainAttestation(row, 7n)).toMatchObject({ warehouseId: 7n, lotId: label('L-1') });
    expect(() => toChainAttestation(row, 8n)).toThrow(RangeError);
  });

  it('is idempotent on (lot key, sequence): one row, signatures merged once per signer', () => {
    const first = outbox.enqueue(draft('L-1', 5n), [], sig(HIGH, '02'));
    const again = outbox.enqueue(draft('L-1', 5n), [], sig(HIGH, '02'), [sig(LOW, '01')]);
    expect(again).toEqual({ id: first.id, created: false });
    expect(outbox.addSignature(first.id, sig(LOW, '01'))).toBe(2);
    expect(outbox.pending()).toHaveLength(1);
  });

  it('moves pending -> submitted -> mined -> confirmed and answers the API queries', () => {
    const a = outbox.enqueue(draft('L-1', 1n), [], sig(LOW, '01')).id;
    const b = outbox.enqueue(draft('L-2', 1n), [], sig(LOW, '01')).id;
    const c = outbox.enqueue(draft('L-1', 2n), [], sig(LOW, '01')).id;
    expect(outbox.pending().map((row) => row.id)).toEqual([a, b, c]);
    outbox.markSubmitted([a, b], '0xAB', 4);
    expect(outbox.pending().map((row) => row.id)).toEqual([c]);
    expect(outbox.byTxHash('0xab').map((row) => row.id)).toEqual([a, b]);
    outbox.markMined([a, b], '0xcd', 10);
    nowMs = 2_000;
    outbox.markConfirmed([a, b], '0xcd', 10);
    expect(outbox.byId(a)).toMatchObject({
      status: 'confirmed',
      txHash: '0xcd',
      blockNumber: 10,
      nonce: 4,
      attempts: 1,
      updatedAtMs: 2_000,
    });
    expect(outbox.latestConfirmed(draft('L-1', 1n).lotKey)?.id).toBe(a);
    expect(outbox.byLot('L-1').map((row) => row.sequence)).toEqual([2n, 1n]);
    outbox.markSuperseded([c], 'chain holds sequence 9');
    expect(outbox.byId(c)).toMatchObject({
      status: 'superseded',
      lastError: 'chain holds sequence 9',
    });
    outbox.requeue([a]); // a confirmed row never goes back
    expect(outbox.byId(a)?.status).toBe('confirmed');
  });

  it('stores the evidence set in leaf order with the attestation, in one transaction', () => {
    const ids = store.database.prepare('SELECT 1').pluck().get();
    expect(ids).toBe(1);
    // reading ids must exist (foreign key): an unknown one rolls the whole enqueue back
    expect(() => outbox.enqueue(draft('L-9', 1n), [424242], undefined)).toThrow();
    expect(outbox.byLot('L-9')).toEqual([]);
    const { id } = outbox.enqueue(draft('L-9', 1n), [], undefined);
    expect(outbox.byId(id)?.evidenceReadingIds).toEqual([]);
  });
});

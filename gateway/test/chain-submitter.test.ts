// The chain submitter against a real anvil: attestations land in order and once, whatever happens
// between the outbox and the chain (resubmission, a peer landing it first, a stuck transaction, an
// outage of the RPC connection).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendAndWait } from '@pledgeguard/contracts/chain';
import { startTcpProxy } from '../src/testing/tcp-proxy.js';
import { toChainAttestation, packedSignatures } from '../src/adapters/chain/outbox.js';
import { createChainWorld, type ChainWorld } from './chain-world.js';

/** How long the outage test keeps the RPC connection cut. [ms] */
const OUTAGE_MS = Number(process.env.PG_TEST_OUTAGE_MS ?? 3_000);

let cw: ChainWorld;
beforeAll(async () => {
  cw = await createChainWorld();
}, 60_000);
afterAll(async () => cw.close());

const seqOf = (events: Array<{ lotKey: string; sequence: bigint }>, key: string) =>
  events.filter((event) => event.lotKey === key.toLowerCase()).map((event) => event.sequence);

describe('attestation submitter', () => {
  it('lands every queued attestation once, in sequence order per lot, batching lots', async () => {
    const ids: number[] = [];
    const lotA = await cw.draft('B-01', 'LOT-A', 1n);
    const lotB = await cw.draft('B-02', 'LOT-B', 1n);
    for (let sequence = 1n; sequence <= 4n; sequence++) {
      ids.push(await cw.enqueue({ ...lotA, sequence }));
      ids.push(await cw.enqueue({ ...lotB, sequence: sequence * 10n }));
    }
    const submitter = cw.submitter();
    submitter.start();
    await cw.until(() => ids.every((id) => cw.outbox.byId(id)?.status === 'confirmed'));
    await submitter.stop();
    const events = await cw.attested();
    expect(seqOf(events, lotA.lotKey)).toEqual([1n, 2n, 3n, 4n]);
    expect(seqOf(events, lotB.lotKey)).toEqual([10n, 20n, 30n, 40n]);
    const transactions = new Set(events.map((event) => event.txHash));
    expect(transactions.size).toBe(4); // two lots per attestBatch
    for (const id of ids) expect(cw.outbox.byId(id)?.blockNumber).toBeGreaterThan(0);
  });

  it('enqueueing the same (lot, sequence) twice keeps one row and merges signatures', async () => {
    const draft = await cw.draft('B-09', 'LOT-DUP', 5n);
    const first = cw.outbox.enqueue(draft, [], undefined, []);
    const second = cw.outbox.enqueue(draft, [], { signer: cw.key.address, signature: '0x01' });
    expect(second).toEqual({ id: first.id, created: false });
    expect(cw.outbox.byId(first.id)?.signatures).toHaveLength(1);
    cw.outbox.markRefused([first.id], 'test row');
  });

  it('a resubmission of an attestation already on chain confirms it instead of landing it twice', async () => {
    const draft = await cw.draft('B-03', 'LOT-C', 7n);
    const id = await cw.enqueue(draft);
    let submitter = cw.submitter();
    submitter.start();
    await cw.until(() => cw.outbox.byId(id)?.status === 'confirmed');
    await submitter.stop();
    // a restart that lost the outcome: the row is pending again
    cw.store.database
      .prepare(
        "UPDATE attestations SET status = 'pending', tx_hash = NULL, block_number = NULL WHERE id = ?",
      )
      .run(id);
    // and a peer submits the next one first, from another account
    const next = await cw.draft('B-03', 'LOT-C', 8n);
    const nextId = await cw.enqueue(next);
    const row = cw.outbox.byId(nextId)!;
    await sendAndWait(
      cw.world.oracle
        .connect(cw.world.keeper)
        .attest(toChainAttestation(row, 7n), packedSignatures(row)),
    );
    // and an older one arrives late: the chain already holds a later sequence
    const late = await cw.enqueue({ ...draft, sequence: 6n });
    submitter = cw.submitter();
    submitter.start();
    await cw.until(() =>
      [id, nextId, late].every(
        (rowId) => !['pending', 'submitted'].includes(cw.outbox.byId(rowId)!.status),
      ),
    );
    await submitter.stop();
    expect(cw.outbox.byId(id)?.status).toBe('confirmed');
    expect(cw.outbox.byId(nextId)?.status).toBe('confirmed');
    expect(cw.outbox.byId(late)?.status).toBe('superseded');
    expect(seqOf(await cw.attested(), draft.lotKey)).toEqual([7n, 8n]);
  });

  it('a transaction not mined within stuckAfterMs is re-sent with higher fees and lands once', async () => {
    const provider = cw.world.provider;
    await provider.send('evm_setAutomine', [false]);
    try {
      const marketFee = (await provider.getFeeData()).maxFeePerGas!; // what the first send pays
      const draft = await cw.draft('B-04', 'LOT-D', 1n);
      const id = await cw.enqueue(draft);
      const submitter = cw.submitter({ stuckAfterMs: 300 });
      submitter.start();
      await cw.until(() => (cw.outbox.byId(id)?.attempts ?? 0) >= 3);
      const row = cw.outbox.byId(id)!;
      expect(row.status).toBe('submitted');
      await provider.send('evm_mine', []);
      await cw.until(() => cw.outbox.byId(id)?.status === 'confirmed');
      await submitter.stop();
      const events = (await cw.attested()).filter((event) => event.lotKey === draft.lotKey);
      expect(events).toHaveLength(1);
      const mined = await provider.getTransaction(events[0]!.txHash);
      expect(mined!.nonce).toBe(row.nonce);
      const first = await provider.getBlock(await provider.getBlockNumber());
      expect(first!.transactions).toHaveLength(1); // only one of the same-nonce sends was mined
      expect(mined!.maxFeePerGas! > (marketFee * 3n) / 2n).toBe(true); // two bumps of 25% or more
    } finally {
      await provider.send('evm_setAutomine', [true]);
    }
  });

  it('confirms only at the confirmation depth, and re-sends a transaction a reorg dropped before it', async () => {
    const provider = cw.world.provider;
    const confirmed: number[][] = [];
    const submitter = cw.submitter({
      confirmations: 3,
      onConfirmed: (rows) => confirmed.push(rows.map((row) => row.id)),
    });
    submitter.start();
    const draft = await cw.draft('B-08', 'LOT-G', 1n);
    const fork = (await provider.send('evm_snapshot', [])) as string;
    const id = await cw.enqueue(draft);
    await cw.until(() => cw.outbox.byId(id)?.blockNumber !== null);
    const firstBlock = cw.outbox.byId(id)!.blockNumber!;
    await provider.send('evm_mine', []);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(cw.outbox.byId(id)?.status).toBe('submitted'); // 2 of 3 blocks
    await provider.send('evm_revert', [fork]); // the block holding it is gone
    await cw.until(async () => {
      await provider.send('evm_mine', []); // blocks keep coming: depth is reached again
      return cw.outbox.byId(id)?.status === 'confirmed';
    });
    await submitter.stop();
    const row = cw.outbox.byId(id)!;
    expect(row.blockNumber).not.toBe(firstBlock);
    expect(row.attempts).toBe(2);
    expect(confirmed).toEqual([[id]]);
    expect(seqOf(await cw.attested(), draft.lotKey)).toEqual([1n]);
  });

  it(`with the RPC connection cut for ${OUTAGE_MS} ms, queued attestations land afterwards in order, none twice`, async () => {
    const proxy = await startTcpProxy('127.0.0.1', cw.world.anvil.port);
    try {
      const submitter = cw.submitter({ rpcUrl: proxy.url, batchSize: 3 });
      submitter.start();
      const lots = [await cw.draft('B-05', 'LOT-E', 1n), await cw.draft('B-06', 'LOT-F', 1n)];
      const ids: number[] = [await cw.enqueue(lots[0]!)];
      await cw.until(() => cw.outbox.byId(ids[0]!)?.status === 'confirmed');
      proxy.cut();
      const outageEnds = Date.now() + OUTAGE_MS;
      let sequence = 2n;
      while (Date.now() < outageEnds) {
        for (const lot of lots) ids.push(await cw.enqueue({ ...lot, sequence }));
        submitter.wake();
        sequence += 1n;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      expect(cw.outbox.pending().length + cw.outbox.submitted().length).toBeGreaterThan(4);
      proxy.restore();
      await cw.until(() => ids.every((id) => cw.outbox.byId(id)?.status === 'confirmed'), 40_000);
      await submitter.stop();
      const events = await cw.attested();
      const expected = (from: bigint) =>
        Array.from({ length: Number(sequence - from) }, (_, i) => from + BigInt(i));
      expect(seqOf(events, lots[0]!.lotKey)).toEqual(expected(1n));
      expect(seqOf(events, lots[1]!.lotKey)).toEqual(expected(2n));
    } finally {
      await proxy.close();
    }
  }, 60_000);
});

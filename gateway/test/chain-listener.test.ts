// The chain listener and keeper against a real anvil: followed events and release orders, a reorg
// (evm_snapshot / evm_revert, then a different branch), and the keeper turning a price drop or a
// landed attestation into the loan's reaction (DOMAIN.md scenario 1 figures).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendAndWait } from '@pledgeguard/contracts/chain';
import { label } from '@pledgeguard/contracts/eip712';
import { TONNE, USD, usdPerTonne } from '../../contracts/test/fixture.js';
import { EvidenceStore } from '../src/adapters/sqlite/evidence-store.js';
import {
  ChainListener,
  type ChainEvent,
  type CustodyAttestedEvent,
  type PriceUpdatedEvent,
  type ReleaseOrderUpdate,
} from '../src/adapters/chain/listener.js';
import { chainConfigSchema } from '../src/app/chain-config.js';
import { ChainFeeder } from '../src/app/chain-feeder.js';
import { chainProvider } from '../src/adapters/chain/rpc.js';
import { systemClock } from '../src/ports/clock.js';
import { createChainWorld, type ChainWorld } from './chain-world.js';

let cw: ChainWorld;
const stores: EvidenceStore[] = [];
beforeAll(async () => {
  cw = await createChainWorld();
}, 60_000);
afterAll(async () => {
  for (const store of stores) store.close();
  await cw.close();
});
beforeEach(async () => cw.world.snapshot());
afterEach(async () => cw.world.revert());

/** A fresh evidence log per test: the chain is reverted between tests, the log must be too. */
function freshStore(): EvidenceStore {
  const store = new EvidenceStore(join(mkdtempSync(join(cw.dir, 'db-')), 'evidence.db'), {
    synchronous: 'NORMAL',
  });
  stores.push(store);
  return store;
}

function contracts() {
  const deployed = cw.world.contracts.deployment.contracts;
  return {
    custodyOracle: deployed.custodyOracle,
    inventoryLoan: deployed.inventoryLoan,
    warehouseReceipt: deployed.warehouseReceipt,
    priceFeeds: deployed.priceFeeds,
  };
}

function recordingListener(store: EvidenceStore) {
  const seen = {
    events: [] as ChainEvent[],
    releases: [] as ReleaseOrderUpdate[],
    custody: [] as CustodyAttestedEvent[],
    prices: [] as PriceUpdatedEvent[],
    reorgs: [] as Array<{ ancestorBlock: number; removed: readonly ChainEvent[] }>,
  };
  const listener = new ChainListener({
    db: store.database,
    provider: chainProvider(cw.world.anvil.rpcUrl, cw.world.anvil.chainId),
    contracts: contracts(),
    fromBlock: 0,
    clock: systemClock,
    log: cw.log,
    handlers: {
      onEvent: (event) => seen.events.push(event),
      onReleaseOrder: (update) => seen.releases.push(update),
      onCustodyAttested: (event) => seen.custody.push(event),
      onPriceUpdated: (event) => seen.prices.push(event),
      onReorg: (info) => seen.reorgs.push(info),
    },
  });
  return { listener, seen };
}

const releaseRow = (store: EvidenceStore, orderId: string) =>
  store.database.prepare('SELECT * FROM release_orders WHERE order_id = ?').get(orderId) as
    { status: string; grams: string; lot_key: string; loan_id: string } | undefined;

describe('chain listener', () => {
  it('stores followed events and feeds release orders, custody and price updates', async () => {
    const store = freshStore();
    const { listener, seen } = recordingListener(store);
    const { loanId, target } = await cw.world.copperLoan();
    await sendAndWait(cw.world.loans.connect(cw.world.borrower).repay(loanId, 1_890_000n * USD));
    await sendAndWait(
      cw.world.loans.connect(cw.world.borrower).requestRelease(loanId, 300n * TONNE),
    );
    await sendAndWait(cw.world.loans.connect(cw.world.warehouse).markShipped(1n));
    expect(await listener.poll()).toBe(true);

    expect(seen.releases.map((update) => update.status)).toEqual(['ordered', 'shipped']);
    // The order's quantity before is the chain's, so the gateway measures the drop as finalize does.
    const [ordered] = await cw.world.loans.queryFilter(cw.world.loans.filters.ReleaseOrdered());
    expect(seen.releases[0]!.quantityBeforeGrams).toBe(ordered!.args.quantityBeforeGrams);
    expect(seen.releases[1]).toMatchObject({
      orderId: 1n,
      loanId,
      lotKey: target.key.toLowerCase(),
      grams: 300n * TONNE,
    });
    expect(releaseRow(store, '1')).toMatchObject({ status: 'shipped', grams: '300000000' });
    expect(seen.custody.at(-1)).toMatchObject({
      lotKey: target.key.toLowerCase(),
      quantityGrams: 1000n * TONNE,
    });
    expect(seen.prices.at(-1)).toMatchObject({
      commodity: label('COPPER'),
      commodityName: 'COPPER',
      answer: usdPerTonne(9000),
    });
    const names = seen.events.map((event) => event.name);
    expect(names).toEqual(expect.arrayContaining(['LoanOpened', 'ReceiptIssued', 'LoanDrawn']));
    const head = await cw.world.provider.getBlock('latest');
    expect(listener.cursor()).toEqual({ blockNumber: head!.number, blockHash: head!.hash });
    expect(await listener.poll()).toBe(false); // nothing new: nothing re-delivered
  });

  it('after a reorg, marks the dropped branch removed, re-reads the new one and keeps a correct cursor', async () => {
    const store = freshStore();
    const { listener, seen } = recordingListener(store);
    const { loanId } = await cw.world.copperLoan();
    await sendAndWait(cw.world.loans.connect(cw.world.borrower).repay(loanId, 1_890_000n * USD));
    await sendAndWait(
      cw.world.loans.connect(cw.world.borrower).requestRelease(loanId, 300n * TONNE),
    );
    await listener.poll();
    const provider = cw.world.provider;
    const fork = (await provider.send('evm_snapshot', [])) as string;
    await sendAndWait(cw.world.loans.connect(cw.world.warehouse).markShipped(1n));
    await cw.world.setPrice(usdPerTonne(8000));
    await listener.poll();
    expect(releaseRow(store, '1')?.status).toBe('shipped');
    const before = listener.cursor()!;

    await provider.send('evm_revert', [fork]); // the branch with the shipment and USD 8,000 is gone
    await cw.world.setPrice(usdPerTonne(8500));
    for (let i = 0; i < 3; i++) await provider.send('evm_mine', []);
    const replaced = await provider.getBlock(before.blockNumber);
    expect(replaced!.hash).not.toBe(before.blockHash);
    await listener.poll();

    expect(seen.reorgs).toHaveLength(1);
    expect(seen.reorgs[0]!.removed.map((event) => event.name)).toEqual(
      expect.arrayContaining(['ReleaseShipped', 'AnswerUpdated']),
    );
    expect(releaseRow(store, '1')?.status).toBe('ordered');
    const rows = store.database
      .prepare(
        "SELECT json_extract(args, '$.current') AS answer, removed FROM chain_events WHERE name = 'AnswerUpdated' ORDER BY id",
      )
      .all() as Array<{ answer: string; removed: number }>;
    expect(rows).toEqual([
      { answer: usdPerTonne(9000).toString(), removed: 0 },
      { answer: usdPerTonne(8000).toString(), removed: 1 },
      { answer: usdPerTonne(8500).toString(), removed: 0 },
    ]);
    expect(seen.prices.at(-1)?.answer).toBe(usdPerTonne(8500));
    const head = await provider.getBlock('latest');
    expect(listener.cursor()).toEqual({ blockNumber: head!.number, blockHash: head!.hash });
  });
});

describe('keeper', () => {
  async function startFeeder(): Promise<ChainFeeder> {
    const config = chainConfigSchema.parse({
      rpcUrl: cw.world.anvil.rpcUrl,
      chainId: cw.world.anvil.chainId,
      contracts: contracts(),
      warehouseNumber: 7,
      confirmations: 1,
      submitPollMs: 50,
      listenPollMs: 50,
    });
    const feeder = new ChainFeeder({
      config,
      db: freshStore().database,
      baseDir: cw.dir,
      clock: systemClock,
      log: cw.log,
      key: cw.key,
    });
    feeder.start();
    return feeder;
  }

  async function eventsOf(name: 'MarginCalled' | 'CustodyBreachRecorded', loanId: bigint) {
    const filter = cw.world.loans.filters[name](loanId);
    return cw.world.loans.queryFilter(filter, 0, 'latest');
  }

  it('turns a price drop to USD 7,920/t into MarginCalled at 79.55% (DOMAIN.md scenario 1)', async () => {
    const { loanId } = await cw.world.copperLoan();
    const feeder = await startFeeder();
    try {
      await cw.until(() => feeder.listener.cursor() !== undefined);
      await cw.world.setPrice(usdPerTonne(7920)); // 9,000 x 0.88
      await cw.until(async () => (await eventsOf('MarginCalled', loanId)).length > 0);
      const [called] = await eventsOf('MarginCalled', loanId);
      expect(called!.args[1]).toBe(7955n); // ltvBps
      expect(await cw.world.loanState(loanId)).toBe(2); // MarginCall
    } finally {
      await feeder.stop();
    }
  });

  it('pokes the loans on a lot once its attestation lands: a 40 t drop records a shortfall', async () => {
    const { loanId, target } = await cw.world.copperLoan();
    const feeder = await startFeeder();
    try {
      const draft = await cw.draft('B-07', 'LOT-1', 1_000n, 960n * TONNE);
      expect(draft.lotKey).toBe(target.key.toLowerCase());
      await feeder.attest(draft, []);
      await cw.until(async () => (await eventsOf('CustodyBreachRecorded', loanId)).length > 0);
      const [breach] = await eventsOf('CustodyBreachRecorded', loanId);
      expect(breach!.args[1]).toBe(2n); // cause: Shortfall
    } finally {
      await feeder.stop();
    }
  });

  it('leaves closed loans alone', async () => {
    const { loanId, target } = await cw.world.copperLoan();
    await sendAndWait(cw.world.loans.connect(cw.world.borrower).repay(loanId, 6_300_000n * USD));
    const feeder = await startFeeder();
    try {
      await cw.until(() => feeder.keeper!.loans().some((loan) => loan.state === 'Closed'));
      expect(await feeder.keeper!.afterAttestation(target.key)).toEqual([]);
      expect(await feeder.keeper!.afterPriceUpdate(label('COPPER'))).toEqual([]);
    } finally {
      await feeder.stop();
    }
  });
});

import fc from 'fast-check';
import type { JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilHandle } from '@pledgeguard/contracts/anvil';
import { anvilAccount, connect, sendAndWait } from '@pledgeguard/contracts/chain';
import { ChainClock, nextChainTimeS } from './chain-clock.js';

const FUTURE_TOLERANCE_S = 300; // CustodyOracle: observedAt <= block time + 300 s

describe('nextChainTimeS', () => {
  it('never sets below the last block nor repeats or undercuts its last setting', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4e12 }),
        fc.integer({ min: 0, max: 4e9 }),
        fc.option(fc.integer({ min: 0, max: 4e9 }), { nil: undefined }),
        (warehouseMs, lastBlockS, lastSetS) => {
          const next = nextChainTimeS(warehouseMs, lastBlockS, lastSetS);
          if (next === undefined) {
            expect(lastSetS).toBeDefined();
            expect(Math.max(Math.floor(warehouseMs / 1000), lastBlockS)).toBeLessThanOrEqual(
              lastSetS!,
            );
            return;
          }
          expect(next).toBeGreaterThanOrEqual(lastBlockS);
          if (lastSetS !== undefined) expect(next).toBeGreaterThan(lastSetS);
          if (Math.floor(warehouseMs / 1000) >= lastBlockS)
            expect(next).toBe(Math.floor(warehouseMs / 1000));
        },
      ),
    );
  });
});

describe('ChainClock on anvil', () => {
  let anvil: AnvilHandle;
  let provider: JsonRpcProvider;
  beforeAll(async () => {
    anvil = await startAnvil();
    provider = connect(anvil.rpcUrl, anvil.chainId);
  });
  afterAll(async () => anvil?.stop());

  it('at 1440x, block timestamps follow warehouse time within the oracle tolerance and never go backwards', async () => {
    const timeScale = 1440;
    const wallStartMs = Date.now();
    const startMs = wallStartMs + 3_600_000; // the story starts an hour ahead of the chain
    const warehouseNowMs = () => startMs + (Date.now() - wallStartMs) * timeScale;
    const clock = new ChainClock({ provider, warehouseNowMs, tickMs: 50 });
    await clock.start();
    const sender = anvilAccount(provider, 0);
    const samples: { blockS: number; sentWarehouseS: number; minedWarehouseS: number }[] = [];
    try {
      const endMs = Date.now() + 1_500;
      while (Date.now() < endMs) {
        const sentWarehouseS = warehouseNowMs() / 1000;
        const receipt = await sendAndWait(sender.sendTransaction({ to: sender.address }));
        const block = await provider.getBlock(receipt.blockNumber);
        samples.push({
          blockS: block!.timestamp,
          sentWarehouseS,
          minedWarehouseS: warehouseNowMs() / 1000,
        });
        await new Promise((r) => setTimeout(r, 15));
      }
    } finally {
      clock.stop();
    }
    expect(samples.length).toBeGreaterThan(20);
    expect(clock.stats.sets).toBeGreaterThan(10);
    for (let i = 1; i < samples.length; i++)
      expect(samples[i]!.blockS).toBeGreaterThanOrEqual(samples[i - 1]!.blockS);
    for (const sample of samples) {
      // An attestation observed when the transaction was sent is never too far in the future.
      expect(sample.sentWarehouseS - sample.blockS).toBeLessThan(FUTURE_TOLERANCE_S);
      // The chain never runs ahead of the warehouse.
      expect(sample.blockS).toBeLessThanOrEqual(Math.ceil(sample.minedWarehouseS));
    }
    // Over 1.5 wall seconds the chain moved about 36 warehouse minutes.
    const advancedS = samples.at(-1)!.blockS - samples[0]!.blockS;
    expect(advancedS).toBeGreaterThan(1_000);
  });

  it('sync() before a transaction puts its block at the warehouse time, never earlier than the last block', async () => {
    const latest = (await provider.getBlock('latest'))!.timestamp;
    let warehouseMs = (latest - 10_000) * 1000; // behind the chain: must not pull it back
    const clock = new ChainClock({ provider, warehouseNowMs: () => warehouseMs });
    const sender = anvilAccount(provider, 1);
    expect(await clock.sync()).toBe(latest);
    let receipt = await sendAndWait(sender.sendTransaction({ to: sender.address }));
    expect((await provider.getBlock(receipt.blockNumber))!.timestamp).toBeGreaterThanOrEqual(
      latest,
    );
    warehouseMs = (latest + 50_000) * 1000;
    await clock.sync();
    receipt = await sendAndWait(sender.sendTransaction({ to: sender.address }));
    const blockS = (await provider.getBlock(receipt.blockNumber))!.timestamp;
    expect(blockS - (latest + 50_000)).toBeGreaterThanOrEqual(0);
    expect(blockS - (latest + 50_000)).toBeLessThanOrEqual(2);
  });
});

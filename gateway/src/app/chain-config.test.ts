import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chainConfigSchema, resolveChain } from './chain-config.js';

const dir = mkdtempSync(join(tmpdir(), 'pg-chain-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const A = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;

describe('chain config', () => {
  it('reads contracts, chain id and start block from a contracts:deploy file relative to the config', () => {
    writeFileSync(
      join(dir, 'deployment.json'),
      JSON.stringify({
        chainId: '31337',
        deployedAtBlock: 12,
        contracts: {
          custodyOracle: A(1),
          warehouseReceipt: A(2),
          inventoryLoan: A(3),
          settlementToken: A(4),
          priceFeeds: { COPPER: A(5) },
        },
      }),
    );
    const config = chainConfigSchema.parse({
      rpcUrl: 'http://127.0.0.1:8545',
      deployment: 'deployment.json',
      warehouseNumber: '7',
    });
    expect(config).toMatchObject({
      warehouseNumber: 7n,
      confirmations: 2,
      keyEnv: 'PG_GATEWAY_CHAIN_KEY',
    });
    expect(resolveChain(config, dir)).toEqual({
      chainId: 31337,
      fromBlock: 12,
      contracts: {
        custodyOracle: A(1),
        warehouseReceipt: A(2),
        inventoryLoan: A(3),
        priceFeeds: { COPPER: A(5) },
      },
    });
  });

  it('refuses a config naming neither a deployment nor contracts, or a bad value, saying which', () => {
    const missing = chainConfigSchema.safeParse({ rpcUrl: 'http://x', warehouseNumber: 1 });
    expect(missing.success).toBe(false);
    expect(missing.error?.issues[0]?.path).toEqual(['contracts']);
    const bad = chainConfigSchema.safeParse({
      rpcUrl: 'ws://x',
      warehouseNumber: 1,
      contracts: { custodyOracle: A(1), warehouseReceipt: A(2), inventoryLoan: 'nope' },
    });
    expect(bad.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'contracts.inventoryLoan',
      'rpcUrl',
    ]);
    const inline = chainConfigSchema.parse({
      rpcUrl: 'http://x',
      warehouseNumber: 1,
      contracts: { custodyOracle: A(1), warehouseReceipt: A(2), inventoryLoan: A(3) },
    });
    expect(() => resolveChain(inline, dir)).toThrow(/chainId/);
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilHandle } from './anvil.js';
import {
  TransactionRevertedError,
  anvilAccount,
  connect,
  decodeRevert,
  sendAndWait,
  waitForReceipt,
} from './chain.js';
import { deployPledgeGuard, type Deployed } from './deploy.js';
import { label } from './eip712.js';
import { ROLES } from './roles.js';

let anvil: AnvilHandle;
let deployed: Deployed;
const provider = () => connect(anvil.rpcUrl, anvil.chainId);

beforeAll(async () => {
  anvil = await startAnvil();
  const admin = anvilAccount(provider(), 0);
  deployed = await deployPledgeGuard(admin, {
    lenders: [anvilAccount(provider(), 1).address],
    auditors: [anvilAccount(provider(), 2).address],
    priceReporters: [anvilAccount(provider(), 3).address],
    gatewaySets: [
      { warehouseId: 4n, gateways: [anvilAccount(provider(), 5).address], threshold: 1 },
    ],
  });
}, 60_000);
afterAll(async () => anvil.stop());

describe('deployPledgeGuard', () => {
  it('wires the contracts and grants every configured role', async () => {
    const { warehouseReceipt, inventoryLoan, custodyOracle, priceFeeds, deployment } = deployed;
    expect(
      await warehouseReceipt.hasRole(ROLES.lienManager, deployment.contracts.inventoryLoan),
    ).toBe(true);
    expect(await inventoryLoan.hasRole(ROLES.lender, anvilAccount(provider(), 1).address)).toBe(
      true,
    );
    expect(await inventoryLoan.hasRole(ROLES.auditor, anvilAccount(provider(), 2).address)).toBe(
      true,
    );
    expect(
      await priceFeeds.COPPER!.hasRole(ROLES.priceReporter, anvilAccount(provider(), 3).address),
    ).toBe(true);
    expect(await custodyOracle.isGateway(4n, anvilAccount(provider(), 5).address)).toBe(true);
    expect((await inventoryLoan.getPriceSource(label('COPPER'))).heartbeatSeconds).toBe(
      26n * 3600n,
    );
    expect(await inventoryLoan.custodyOracle()).toBe(deployment.contracts.custodyOracle);
    expect(deployment.chainId).toBe('31337');
  });
});

describe('chain helpers', () => {
  it('sendAndWait throws TransactionRevertedError, with the replayed reason, for a mined revert', async () => {
    const outsider = anvilAccount(provider(), 9);
    // an explicit gas limit skips estimation, so the reverting call is mined
    const send = deployed.custodyOracle
      .connect(outsider)
      .setMaxValidity(3600, { gasLimit: 100_000 });
    const error = await sendAndWait(send).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionRevertedError);
    expect(decodeRevert(error)?.name).toBe('AccessControlUnauthorizedAccount');
    expect((error as Error).message).toMatch(/\(AccessControlUnauthorizedAccount\)$/);
  });

  it('decodeRevert names the custom error and its arguments from an estimation failure', async () => {
    const error = await deployed.custodyOracle.setMaxValidity(1).catch((e: unknown) => e);
    expect(decodeRevert(error)).toEqual({
      name: 'CustodyMaxValidityOutOfBounds',
      args: [1n, 60n, 604800n],
    });
  });

  it('waitForReceipt gives up after its timeout', async () => {
    await expect(waitForReceipt(provider(), `0x${'ab'.repeat(32)}`, 200)).rejects.toThrow(
      /no receipt/,
    );
  });
});

describe('deploy CLI', () => {
  it('deploys on its own anvil and writes the deployment file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pg-deploy-'));
    const out = path.join(dir, 'deployment.json');
    try {
      const script = fileURLToPath(new URL('../scripts/deploy.ts', import.meta.url));
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', script, '--anvil', '--out', out],
          { stdio: 'ignore' },
        );
        child.once('exit', resolve);
      });
      expect(code).toBe(0);
      const deployment = JSON.parse(await readFile(out, 'utf8')) as {
        contracts: Record<string, unknown>;
      };
      expect(Object.keys(deployment.contracts).sort()).toEqual([
        'custodyOracle',
        'inventoryLoan',
        'priceFeeds',
        'settlementToken',
        'warehouseReceipt',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

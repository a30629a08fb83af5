import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAnvil, type AnvilHandle } from '@pledgeguard/contracts/anvil';
import { anvilAccount, connect } from '@pledgeguard/contracts/chain';
import { CustodyOracle__factory } from '@pledgeguard/contracts/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveKey } from './deploy.js';
import { runPledgeguard } from './testing.js';

let anvil: AnvilHandle;
let dir: string;
beforeAll(async () => {
  [anvil, dir] = [await startAnvil(), mkdtempSync(join(tmpdir(), 'pg-deploy-'))];
}, 60_000);
afterAll(async () => {
  await anvil?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pledgeguard deploy', () => {
  it('deploys with the key from the environment, registers the gateway set and writes the deployment file', async () => {
    const provider = connect(anvil.rpcUrl, anvil.chainId);
    const deployer = anvilAccount(provider, 0);
    const gateway = anvilAccount(provider, 5).address;
    const out = join(dir, 'deployment.json');
    const result = await runPledgeguard(
      [
        'deploy',
        '--rpc',
        anvil.rpcUrl,
        '--key',
        'env:TEST_DEPLOYER_KEY',
        '--out',
        out,
        '--warehouse-number',
        '7',
        '--gateway',
        gateway,
      ],
      { env: { TEST_DEPLOYER_KEY: deployer.privateKey }, timeoutMs: 90_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/deploying from 0x[0-9a-fA-F]{40} to chain 31337/);
    expect(result.stderr).toMatch(/\d+ transactions in \d+ s/);
    expect(result.stdout).toContain(`deployment file: ${out}`);
    const deployment = JSON.parse(readFileSync(out, 'utf8')) as {
      chainId: string;
      admin: string;
      contracts: { custodyOracle: string };
    };
    expect(deployment).toMatchObject({ chainId: '31337', admin: deployer.address });
    const oracle = CustodyOracle__factory.connect(deployment.contracts.custodyOracle, provider);
    expect(await oracle.isGateway(7n, gateway)).toBe(true);
    provider.destroy();
  }, 90_000);

  it('refuses a missing key, a malformed key and a gateway without its warehouse (exit 2)', async () => {
    expect(() => resolveKey('env:NOPE_NOT_SET', {})).toThrow(/set NOPE_NOT_SET/);
    expect(() => resolveKey('0x1234', {})).toThrow(/32 bytes of hex/);
    expect(resolveKey(undefined, { PG_DEPLOYER_PRIVATE_KEY: 'ab'.repeat(32) })).toBe(
      `0x${'ab'.repeat(32)}`,
    );
    const result = await runPledgeguard([
      'deploy',
      '--rpc',
      anvil.rpcUrl,
      '--key',
      `0x${'ab'.repeat(32)}`,
      '--gateway',
      '0x00000000000000000000000000000000000000a1',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--warehouse-number and --gateway go together');
  });
});

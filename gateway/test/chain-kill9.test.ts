// kill -9 of a process submitting the outbox, at an arbitrary instant and with a transaction in
// the node's mempool, then a restart: every attestation lands exactly once, in order per lot.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WAREHOUSE_ID } from '../../contracts/test/fixture.js';
import { createChainWorld, type ChainWorld } from './chain-world.js';
import { repoRoot } from './harness.js';

let cw: ChainWorld;
const children: ChildProcess[] = [];
beforeAll(async () => {
  cw = await createChainWorld();
}, 60_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await cw.close();
});

function spawnSubmitter(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'gateway/test/chain-submitter-child.ts')],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        PG_CHILD: JSON.stringify({
          dbPath: cw.dbPath,
          rpcUrl: cw.world.anvil.rpcUrl,
          chainId: cw.world.anvil.chainId,
          oracleAddress: cw.world.contracts.deployment.contracts.custodyOracle,
          warehouseNumber: WAREHOUSE_ID.toString(),
          keyHex: cw.keyHex,
          batchSize: 1,
        }),
      },
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (process.env.PG_TEST_LOG) process.stderr.write(chunk);
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`submitter child exited with ${code}`)));
  });
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const count = (status: string) =>
  (
    cw.store.database
      .prepare('SELECT count(*) AS n FROM attestations WHERE status = ?')
      .get(status) as { n: number }
  ).n;

describe('submitter crash safety', () => {
  it('lands each pending attestation exactly once across kill -9 and restart', async () => {
    const lots = [await cw.draft('B-11', 'LOT-K1', 1n), await cw.draft('B-12', 'LOT-K2', 1n)];
    const ids: number[] = [];
    for (let sequence = 1n; sequence <= 20n; sequence++)
      for (const lot of lots) ids.push(await cw.enqueue({ ...lot, sequence }));

    // 1: killed at an arbitrary instant while the outbox drains
    let child = await spawnSubmitter();
    await cw.until(() => count('confirmed') >= 6);
    await kill9(child);
    expect(count('confirmed')).toBeLessThan(ids.length);

    // 2: killed with its transaction in the mempool (no automine), restarted before it is mined
    const provider = cw.world.provider;
    child = await spawnSubmitter();
    await provider.send('evm_setAutomine', [false]);
    try {
      await cw.until(async () => {
        const pool = (await provider.send('txpool_content', [])) as {
          pending: Record<string, unknown>;
        };
        return Object.keys(pool.pending).length > 0;
      });
      await kill9(child);
      expect(count('submitted')).toBeGreaterThan(0);
      child = await spawnSubmitter();
      await new Promise((resolve) => setTimeout(resolve, 300)); // it adopts the transaction
      await provider.send('evm_mine', []);
    } finally {
      await provider.send('evm_setAutomine', [true]);
    }
    await cw.until(() => count('confirmed') === ids.length, 40_000);
    await kill9(child);

    const events = await cw.attested();
    for (const lot of lots) {
      const sequences = events
        .filter((event) => event.lotKey === lot.lotKey)
        .map((event) => event.sequence);
      expect(sequences).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i + 1)));
    }
    expect(count('superseded') + count('refused') + count('pending')).toBe(0);
  }, 60_000);
});

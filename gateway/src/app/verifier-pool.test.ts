import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type Alg } from '@pledgeguard/protocol';
import { nodeSigner, publicKeyObject } from '@pledgeguard/protocol/node';
import { VerifierPool, type VerifyTask } from './verifier-pool.js';

const pools = [
  new VerifierPool({ threads: 0, batchSize: 8 }),
  new VerifierPool({ threads: 2, batchSize: 8 }),
];
afterAll(() => Promise.all(pools.map((pool) => pool.close())));

function task(alg: Alg, index: number, forged: boolean): VerifyTask {
  const { secretKey, publicKey } = generateKeyPair(alg);
  const message = new TextEncoder().encode(`message ${index} `.repeat(1 + (index % 7)));
  const signature = nodeSigner(alg, `d-${index}`, secretKey).sign(message);
  if (forged) signature[index % signature.length]! ^= 1;
  const key = publicKeyObject(alg, publicKey);
  if (!key.ok) throw new Error(key.detail);
  return { alg, key: key.value, message, signature };
}

describe('VerifierPool', () => {
  const algs: Alg[] = ['EdDSA', 'ES256', 'ES256K'];
  const tasks = Array.from({ length: 61 }, (_, i) => ({
    forged: i % 3 === 1,
    task: task(algs[i % 3]!, i, i % 3 === 1),
  }));

  for (const pool of pools)
    it(`returns each signature's own verdict across packed batches (${pool.threads} threads)`, async () => {
      const verdicts = await Promise.all(tasks.map(({ task }) => pool.verify(task)));
      expect(verdicts).toEqual(tasks.map(({ forged }) => !forged));
    });

  it('verifies against the key of the task, not a key cached for an earlier task', async () => {
    const pool = pools[1]!;
    const first = task('EdDSA', 1, false);
    const second = task('EdDSA', 2, false);
    // The message of one device with the key of another must fail, in either order.
    expect(await pool.verify({ ...first, key: second.key })).toBe(false);
    expect(await pool.verify(first)).toBe(true);
    expect(await pool.verify({ ...second, key: first.key })).toBe(false);
    expect(await pool.verify(second)).toBe(true);
  });

  it('keeps the keys of two pools on the calling thread apart (they share one key cache)', async () => {
    const first = new VerifierPool({ threads: 0 });
    const second = new VerifierPool({ threads: 0 });
    const a = task('EdDSA', 3, false);
    const b = task('EdDSA', 4, false);
    expect(await first.verify(a)).toBe(true);
    expect(await second.verify(b)).toBe(true);
    await Promise.all([first.close(), second.close()]);
  });
});

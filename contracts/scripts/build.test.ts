import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { build } from './build.js';

const contractsRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory()
        ? listFiles(full, base)
        : Promise.resolve([path.relative(base, full)]);
    }),
  );
  return nested.flat().sort();
}

describe('committed build output', () => {
  it('rebuilding the Solidity sources yields byte-identical artifacts and TypeChain bindings', async () => {
    const outRoot = await mkdtemp(path.join(tmpdir(), 'pg-build-'));
    try {
      await build(outRoot);
      for (const dir of ['artifacts', 'types']) {
        const fresh = await listFiles(path.join(outRoot, dir));
        const committed = await listFiles(path.join(contractsRoot, dir));
        expect(committed, `${dir}/ file list (run npm run contracts:build)`).toEqual(fresh);
        for (const file of fresh) {
          const [a, b] = await Promise.all([
            readFile(path.join(outRoot, dir, file), 'utf8'),
            readFile(path.join(contractsRoot, dir, file), 'utf8'),
          ]);
          expect(b, `${dir}/${file} is stale: run npm run contracts:build`).toBe(a);
        }
      }
    } finally {
      await rm(outRoot, { recursive: true, force: true });
    }
  }, 120_000);
});

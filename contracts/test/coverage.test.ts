// Guards the rule "every custom error is asserted by name": each error declared in a PledgeGuard
// ABI must appear as an expectRevert target in these suites.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ARTIFACT_ABIS } from '../src/abis.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** OpenZeppelin errors our flows cannot reach (ERC-20/721 internals, constructor-only EIP-712 name checks). */
const UNREACHABLE_BY_DESIGN =
  /^(ERC20|ERC721|AccessControlBadConfirmation|ReentrancyGuardReentrantCall|SafeERC20|ExpectedPause|ECDSA|InvalidShortString|StringTooLong)/;

describe('custom error coverage', () => {
  it('every PledgeGuard custom error is asserted by name in a contracts test', async () => {
    const sources = await Promise.all(
      (await readdir(here))
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => readFile(path.join(here, f), 'utf8')),
    );
    const asserted = sources.join('\n');
    const errors = new Set(
      Object.values(ARTIFACT_ABIS).flatMap((abi) =>
        (abi as readonly { type: string; name?: string }[])
          .filter((f) => f.type === 'error')
          .map((f) => f.name!),
      ),
    );
    const missing = [...errors]
      .filter((name) => !UNREACHABLE_BY_DESIGN.test(name))
      .filter((name) => !asserted.includes(`'${name}'`));
    expect(missing).toEqual([]);
  });
});

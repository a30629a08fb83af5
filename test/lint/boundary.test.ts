// The architecture's boundary rule (STYLE.md rule 1) is enforced by lint: a core file that does
// I/O, reads the environment or the clock, or imports an adapter is reported.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const BOUNDARY_RULES = [
  'no-restricted-imports',
  'no-restricted-globals',
  'no-restricted-properties',
  'no-restricted-syntax',
];

async function boundaryMessages(fixture: string, asPath: string) {
  const eslint = new ESLint({ cwd: root });
  const code = readFileSync(new URL(`../fixtures/boundary/${fixture}`, import.meta.url), 'utf8');
  const [result] = await eslint.lintText(code, { filePath: `${root}/${asPath}` });
  return (result?.messages ?? []).filter(
    (m) => m.ruleId !== null && BOUNDARY_RULES.includes(m.ruleId),
  );
}

describe('core boundary rule', () => {
  it('reports fs, net, child_process, adapter and package imports, process.env and the clock in gateway/src/core', async () => {
    const messages = await boundaryMessages(
      'core-violations.ts',
      'gateway/src/core/boundary-fixture.ts',
    );
    const lines = [...new Set(messages.map((m) => m.line))].sort((a, b) => a - b);
    // import node:fs, net, node:child_process, ../adapters, mqtt; process.env; Date.now
    expect(lines).toEqual([2, 3, 4, 5, 6, 8, 9]);
    expect(messages.every((m) => m.message.includes('PG boundary'))).toBe(true);
  });

  it('lets pure core code that uses ports through', async () => {
    expect(await boundaryMessages('core-clean.ts', 'gateway/src/core/clean-fixture.ts')).toEqual(
      [],
    );
  });

  it('applies only to the core: the same imports are allowed in an adapter', async () => {
    expect(await boundaryMessages('core-violations.ts', 'gateway/src/adapters/fixture.ts')).toEqual(
      [],
    );
  });
});

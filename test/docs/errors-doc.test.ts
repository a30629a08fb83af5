import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderErrorsDoc } from '../../scripts/errors-doc.js';

describe('docs/errors.md', () => {
  it('matches the code catalogue (run `npm run docs:errors` after changing codes.ts)', () => {
    expect(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')).toBe(
      renderErrorsDoc(),
    );
  });
});

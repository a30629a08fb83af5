import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FALLBACK_MEANINGS, configRows, renderConfigDoc } from '../../scripts/config-doc.js';

describe('docs/config-reference.md', () => {
  it('matches the config schema (run `npm run docs:config` after changing gateway/src/config.ts)', () => {
    expect(readFileSync(new URL('../../docs/config-reference.md', import.meta.url), 'utf8')).toBe(
      renderConfigDoc(),
    );
  });

  it('explains every key, and its fallback meanings name only keys that exist', () => {
    const rows = configRows();
    const keys = new Set(rows.map((row) => row.key.replaceAll('`', '')));
    for (const key of Object.keys(FALLBACK_MEANINGS)) expect(keys, key).toContain(key);
    for (const row of rows) expect(row.meaning, `${row.key} has no meaning`).not.toBe('');
  });
});

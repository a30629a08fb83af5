import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { SOLC_VERSION } from './index.js';

describe('compiler pin', () => {
  it('installs exactly the pinned solc version', () => {
    const require = createRequire(import.meta.url);
    const solc = require('solc') as { version(): string };
    expect(solc.version().startsWith(`${SOLC_VERSION}+`)).toBe(true);
  });
});

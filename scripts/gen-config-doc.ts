// `npm run docs:config`: regenerates docs/config-reference.md from the gateway config schema.
import { writeFileSync } from 'node:fs';
import { renderConfigDoc } from './config-doc.js';

writeFileSync(new URL('../docs/config-reference.md', import.meta.url), renderConfigDoc());
console.log('wrote docs/config-reference.md');

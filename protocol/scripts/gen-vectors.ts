// `npm run vectors`: regenerates protocol/vectors/cose-vectors.json.
import { writeFileSync } from 'node:fs';
import { buildVectors, serialise } from './vectors.js';

const target = new URL('../vectors/cose-vectors.json', import.meta.url);
const file = buildVectors();
writeFileSync(target, serialise(file));
console.log(`wrote ${file.vectors.length} vectors to ${target.pathname}`);

#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (equivalent to `node --import tsx src/main.ts`).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');

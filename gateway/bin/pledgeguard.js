#!/usr/bin/env node
// The pledgeguard CLI, run through tsx (equivalent to `node --import tsx src/cli/main.ts`).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

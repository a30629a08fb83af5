#!/usr/bin/env node
// A solc command line for forge, backed by the pinned npm solc (wasm): no native solc exists here
// and forge must not download one (PLATFORM.md). Answers `--version` and compiles
// `--standard-json` from stdin; imports forge did not inline are read from disk.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const solc = require('solc');

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(
    `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`,
  );
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('solc-wrapper: only --version and --standard-json are supported\n');
  process.exit(2);
}
const basePath = args.includes('--base-path')
  ? args[args.indexOf('--base-path') + 1]
  : process.cwd();
const input = fs.readFileSync(0, 'utf8');
const findImport = (importPath) => {
  for (const candidate of [importPath, path.join(basePath, importPath)]) {
    try {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    } catch {
      // try the next candidate
    }
  }
  return { error: `solc-wrapper: not found: ${importPath}` };
};
process.stdout.write(solc.compile(input, { import: findImport }));

// Runs the forge suite in contracts/forge (invariants + handler reach test) offline, with the
// pinned npm solc behind forge/solc-wrapper.mjs and HOME in a temp dir (PLATFORM.md).
// Usage: node --import tsx contracts/scripts/invariants.ts [--runs 1000] [--depth 100]
//        (npm run contracts:invariants -- --runs 1000): a longer campaign than CI's.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const forgeRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../forge');

export interface ForgeRunOptions {
  /** Invariant runs (sequences) per invariant; CI uses a bounded count. */
  runs: number;
  /** Calls per sequence. */
  depth: number;
}

export interface ForgeRunResult {
  ok: boolean;
  passed: string[];
  failed: string[];
  output: string;
  durationMs: number;
}

function forgeBinary(): string {
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  if (!arch) throw new RangeError(`forge: unsupported architecture ${process.arch}`);
  const require = createRequire(import.meta.url);
  const pkg = require.resolve(`@foundry-rs/forge-${process.platform}-${arch}/package.json`);
  return path.join(path.dirname(pkg), 'bin', 'forge');
}

/** Runs `forge test` in contracts/forge and reports which tests passed and failed. */
export async function runForge(options: ForgeRunOptions): Promise<ForgeRunResult> {
  const home = await mkdtemp(path.join(tmpdir(), 'pg-forge-home-'));
  const started = Date.now();
  try {
    const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const child = spawn(forgeBinary(), ['test', '--color', 'never'], {
        cwd: forgeRoot,
        env: {
          ...process.env,
          HOME: home,
          FOUNDRY_OFFLINE: 'true',
          FOUNDRY_INVARIANT_RUNS: String(options.runs),
          FOUNDRY_INVARIANT_DEPTH: String(options.depth),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, text }));
    });
    // forge prints `[PASS] name() (...)`; a failure prints `[FAIL: reason]`, the shrunk sequence,
    // then the name on a later line: every test named but not passed has failed.
    const passed = [...output.text.matchAll(/\[PASS\] (\w+)\(/g)].map((m) => m[1]!);
    const named = new Set(
      [...output.text.matchAll(/\b((?:invariant|test)_\w+)\(\)/g)].map((m) => m[1]!),
    );
    return {
      ok: output.code === 0,
      passed,
      failed: [...named].filter((name) => !passed.includes(name)),
      output: output.text,
      durationMs: Date.now() - started,
    };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '256' }, depth: { type: 'string', default: '50' } },
  });
  const result = await runForge({ runs: Number(values.runs), depth: Number(values.depth) });
  console.log(result.output);
  console.log(
    `forge: ${result.passed.length} passed, ${result.failed.length} failed in ${result.durationMs} ms`,
  );
  process.exitCode = result.ok ? 0 : 1;
}

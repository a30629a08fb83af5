// Test helpers for the CLI tests: run the real `pledgeguard` bin as a child process, and write a
// config + manifest into a temp folder. Not part of the shipped CLI.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceManifest } from '@pledgeguard/protocol';
import { stringify } from 'yaml';

export const BIN = fileURLToPath(new URL('../../bin/pledgeguard.js', import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node gateway/bin/pledgeguard.js ...args`; never rejects (the exit code is the result). */
export function runPledgeguard(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { ...stripGatewayEnv(process.env), ...options.env },
        timeout: options.timeoutMs ?? 45_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** PG_GATEWAY_* in the test runner's environment would override the test's config. */
function stripGatewayEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !name.startsWith('PG_GATEWAY_')),
  );
}

export interface Site {
  readonly dir: string;
  readonly configFile: string;
  readonly manifestFile: string;
}

/** A temp folder with gateway.yaml (dataDir ./data) and manifest.json. */
export function writeSite(manifest: DeviceManifest, config: Record<string, unknown> = {}): Site {
  const dir = mkdtempSync(join(tmpdir(), 'pg-cli-'));
  const configFile = join(dir, 'gateway.yaml');
  const manifestFile = join(dir, 'manifest.json');
  writeFileSync(
    configFile,
    stringify({
      warehouseId: manifest.warehouseId,
      dataDir: './data',
      http: { host: '127.0.0.1', port: 1 },
      log: { level: 'silent' },
      ...config,
    }),
  );
  writeFileSync(manifestFile, JSON.stringify(manifest));
  return { dir, configFile, manifestFile };
}

// Runs the gateway as a real child process, as an operator would, for crash and restart tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

// One free-port helper for every test harness in the repository.
export { freePort } from '../../firmware-sim/src/testing/brokers.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const path = join(dir, 'gateway.yaml');
  writeFileSync(path, stringify(config));
  return path;
}

export interface GatewayProcess {
  readonly child: ChildProcess;
  /** Log lines (parsed pino JSON) seen so far. */
  readonly lines: Array<Record<string, unknown>>;
  waitFor(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/**
 * Extra Node flags for the gateway process, from GATEWAY_NODE_FLAGS (not PG_GATEWAY_*: that prefix
 * is the config override), e.g. a bounded heap: '--max-old-space-size=256 --max-semi-space-size=8'
 * (BENCHMARKS.md, bench:ingest, compares both). Default: none.
 */
export const GATEWAY_NODE_FLAGS = (process.env.GATEWAY_NODE_FLAGS ?? '').split(' ').filter(Boolean);

export function spawnGateway(configPath: string): GatewayProcess {
  const child = spawn(
    process.execPath,
    [
      ...GATEWAY_NODE_FLAGS,
      '--import',
      'tsx',
      join(repoRoot, 'gateway/src/main.ts'),
      '--config',
      configPath,
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ message: string; resolve: (line: Record<string, unknown>) => void }> = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const waiter of waiters.filter((w) => w.message === line.msg)) waiter.resolve(line);
      } catch {
        // not a log line
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    child,
    lines,
    exited,
    waitFor(message, timeoutMs = 20_000) {
      const seen = lines.find((line) => line.msg === message);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `gateway did not log "${message}" within ${timeoutMs} ms; stderr: ${stderr}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          message,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then((code) =>
          reject(new Error(`gateway exited (${code}) before "${message}"; stderr: ${stderr}`)),
        );
      });
    },
  };
}

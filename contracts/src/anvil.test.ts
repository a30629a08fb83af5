import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAnvil } from './anvil.js';

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilClosed(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await listening(port))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('anvil launcher', () => {
  it('keeps a chain given a state file across a stop and a new start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-anvil-state-'));
    const stateFile = join(dir, 'chain.json');
    const blockNumber = async (rpcUrl: string) => {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
      });
      return Number(((await response.json()) as { result: string }).result);
    };
    try {
      const first = await startAnvil({ stateFile });
      await fetch(first.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_mine', params: ['0x7'] }),
      });
      expect(await blockNumber(first.rpcUrl)).toBe(7);
      await first.stop();
      const second = await startAnvil({ stateFile });
      try {
        expect(await blockNumber(second.rpcUrl)).toBe(7);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts on a free loopback port with --prune-history, answers JSON-RPC, and stops', async () => {
    const anvil = await startAnvil();
    try {
      expect(anvil.args).toContain('--prune-history');
      const response = await fetch(anvil.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      expect(((await response.json()) as { result: string }).result).toBe('0x7a69');
    } finally {
      await anvil.stop();
    }
    expect(await waitUntilClosed(anvil.port, 5000)).toBe(true);
  });

  it('anvil dies with its parent, even when the parent is killed with SIGKILL', async () => {
    const script = `import('${new URL('./anvil.ts', import.meta.url).href}').then(async (m) => {
      const anvil = await m.startAnvil(); console.log('port=' + anvil.port); setInterval(() => {}, 1000); });`;
    const parent = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      parent.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /port=(\d+)/.exec(text);
        if (match?.[1]) resolve(Number(match[1]));
      });
      parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)));
    });
    expect(await listening(port)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitUntilClosed(port, 5000)).toBe(true);
  }, 30_000);
});

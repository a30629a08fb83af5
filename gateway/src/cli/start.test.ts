import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../firmware-sim/src/testing/brokers.js';
import { makeFleet } from '../testing/fleet.js';
import { BIN, writeSite, type Site } from './testing.js';

const sites: Site[] = [];
afterAll(() => {
  for (const site of sites) rmSync(site.dir, { recursive: true, force: true });
});

describe('pledgeguard start', () => {
  it('runs the gateway from a config (health answers, manifest imported) and stops on SIGTERM with exit 0', async () => {
    const fleet = makeFleet(2);
    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    const site = writeSite(fleet.manifest, {
      manifest: './manifest.json',
      mqtt: { embedded: { host: '127.0.0.1', port: mqttPort } },
      http: { host: '127.0.0.1', port: httpPort },
      verify: { threads: 0 },
      log: { level: 'info' },
    });
    sites.push(site);
    const child = spawn(process.execPath, [BIN, 'start', '--config', site.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 40_000;
      let health: { ok?: boolean } | undefined;
      while (Date.now() < deadline && !health) {
        health = await fetch(`http://127.0.0.1:${httpPort}/health`).then(
          (response) => response.json() as Promise<{ ok?: boolean }>,
          () => undefined,
        );
        if (!health) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(health, output).toMatchObject({ ok: true });
      expect(output).toContain('device manifest imported');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('"signal":"SIGTERM"');
  }, 60_000);
});

import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeviceTopic, parseManifest, type DeviceManifest } from '@pledgeguard/protocol';
import { readDeviceState } from './adapters/state-file.js';
import { main } from './cli.js';
import { startAedes, type ReceivedMessage } from './testing/brokers.js';
import { checkEvidence, tempDir } from './testing/fixtures.js';

const SCENARIOS = join(import.meta.dirname, '../scenarios');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const quiet = () => {};

describe('pledgeguard-sim CLI', () => {
  it('--help explains every command', async () => {
    const writes: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) =>
      writes.push(chunk) > 0) as typeof process.stdout.write;
    try {
      expect(await main(['--help'], quiet)).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    for (const word of [
      'keygen',
      'provision',
      'run',
      '--devices',
      '--scenario',
      '--broker',
      '--opcua-port',
      'validate',
    ])
      expect(writes.join('')).toContain(word);
  });

  it('a bad scenario fails with the file and field named', async () => {
    const lines: string[] = [];
    expect(
      await main(['validate', join(SCENARIOS, '..', 'package.json')], (l) => lines.push(l)),
    ).toBe(1);
    expect(lines.join('\n')).toMatch(/package\.json is invalid[\s\S]*name/);
  });

  it('provision writes a manifest parseManifest accepts and one secret state file per device', async () => {
    const dir = tempDir('pg-cli-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    expect(
      await main(
        ['provision', '--scenario', join(SCENARIOS, 'night-removal-replay.yaml'), '--out', dir],
        quiet,
      ),
    ).toBe(0);
    const manifest = parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    expect(manifest.ok).toBe(true);
    if (!manifest.ok) return;
    expect(manifest.value.devices.map((d) => d.alg).sort()).toEqual([
      'ES256',
      'ES256K',
      'EdDSA',
      'EdDSA',
      'EdDSA',
      'EdDSA',
    ]);
    expect(manifest.value.devices.find((d) => d.deviceId === 'rfid-b07-1')!.kinds).toEqual([
      'rfid-event',
      'count',
    ]);
    expect(manifest.value.lots).toEqual([
      { lotId: 'LOT-7', bayId: 'B-07', commodity: 'copper cathode', unitWeightGrams: '1000000' },
    ]);
    expect(readdirSync(join(dir, 'devices')).sort()).toHaveLength(6);
    const state = readDeviceState(dir, 'lc-b07-1');
    expect(state.lastBoot).toBeNull();
    expect(JSON.stringify(manifest.value)).not.toContain(state.mqttPassword);
    expect(JSON.stringify(manifest.value)).not.toContain(state.secretKey);
  });

  it('run plays the offline scenario: the device spools for 2 h of warehouse time and backfills with contiguous seq; boots count up per run', async () => {
    const dir = tempDir('pg-cli-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(SCENARIOS, 'device-offline-backfill.yaml');
    expect(await main(['provision', '--scenario', file, '--out', dir], quiet)).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as DeviceManifest;
    const received: ReceivedMessage[] = [];
    const broker = await startAedes({ manifest, onPublish: (m) => received.push(m) });
    cleanups.push(() => broker.close());
    const args = [
      'run',
      '--scenario',
      file,
      '--state',
      dir,
      '--broker',
      broker.url,
      '--time-scale',
      '12000',
      '--quiet',
    ];
    expect(await main(args, quiet)).toBe(0);
    expect(readDeviceState(dir, 'lc-b07-1').lastBoot).toBe(0);

    const envelopes = received
      .filter((m) => parseDeviceTopic(m.topic)?.kind !== 'death')
      .map((m) => new Uint8Array(m.payload));
    const report = checkEvidence(manifest, envelopes);
    expect(report.invalid).toBe(0);
    expect(report.equivocations).toBe(0);
    const lcSeqs = report.seqs.get('lc-b07-1')!.get(0)!;
    expect(lcSeqs).toEqual(lcSeqs.map((_, i) => i));
    // 16 h at one weight and one heartbeat a minute, plus births: nothing lost in the 2 h outage.
    expect(lcSeqs.length).toBeGreaterThanOrEqual(2 * 16 * 60);
    expect(received.filter((m) => m.topic.endsWith('lc-b07-1/death'))).toHaveLength(1);
    expect(received.filter((m) => m.topic.endsWith('lc-b07-1/birth'))).toHaveLength(2);

    expect(await main([...args, '--duration', '1h'], quiet)).toBe(0);
    expect(readDeviceState(dir, 'lc-b07-1').lastBoot).toBe(1);
  }, 60_000);
});

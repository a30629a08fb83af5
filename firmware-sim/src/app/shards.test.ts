import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeviceTopic } from '@pledgeguard/protocol';
import { ScenarioEngine } from '../core/engine.js';
import { parseScenario, type Scenario } from '../core/scenario-schema.js';
import { steadyScenario } from '../core/steady.js';
import { startAedes, type ReceivedMessage } from '../testing/brokers.js';
import { checkEvidence, provisionTemp } from '../testing/fixtures.js';
import { bootIdentities } from './identities.js';
import { ShardedFleet, splitScenario } from './shards.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function fleetScenario(devices: number, timeScale = 1): Scenario {
  const parsed = parseScenario({
    ...steadyScenario({
      devices,
      periodMs: 1000,
      heartbeatMs: 60_000,
      seed: 99,
      warehouseId: 'wh-shard',
      durationMs: 3_600_000,
    }),
    timeScale,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.scenario;
}

describe('sharded fleet (worker threads in one process)', () => {
  it('splits by bay without changing any reading', () => {
    const scenario = fleetScenario(60);
    const shards = splitScenario(scenario, 2);
    expect(shards).toHaveLength(2);
    expect(shards.flatMap((s) => s.devices).length).toBe(60);
    for (const shard of shards) {
      const bays = new Set(shard.devices.map((d) => d.bayId));
      for (const other of shards)
        if (other !== shard) expect(other.devices.some((d) => bays.has(d.bayId))).toBe(false);
    }
    const readingsOf = (s: Scenario, deviceId: string) => {
      const engine = new ScenarioEngine(s, { startTimeMs: 0, bootOf: () => 0 });
      const out: unknown[] = [];
      engine.advanceTo(
        120_000,
        (o) => o.type === 'reading' && o.reading.deviceId === deviceId && out.push(o.reading),
      );
      return out;
    };
    const last = shards[1]!.devices.at(-1)!.deviceId;
    expect(readingsOf(shards[1]!, last)).toEqual(readingsOf(scenario, last));
  });

  it('two worker threads deliver verified readings with contiguous seq for every device', async () => {
    const scenario = fleetScenario(24, 10);
    const { dir, manifest } = provisionTemp(scenario);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const received: ReceivedMessage[] = [];
    const broker = await startAedes({ onPublish: (m) => received.push(m) });
    cleanups.push(() => broker.close());
    const fleet = new ShardedFleet(
      scenario,
      bootIdentities(scenario, dir),
      { brokerUrl: broker.url, spoolDir: dir },
      2,
    );
    await fleet.start();
    const deadline = Date.now() + 20_000;
    while (received.length < 24 * 15 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await fleet.stop();
    expect(fleet.counters.online).toBe(0);
    const report = checkEvidence(
      manifest,
      received
        .filter((m) => parseDeviceTopic(m.topic)?.kind !== 'death')
        .map((m) => new Uint8Array(m.payload)),
    );
    expect(report.invalid).toBe(0);
    expect(report.equivocations).toBe(0);
    expect(report.seqs.size).toBe(24);
    for (const [deviceId, boots] of report.seqs) {
      const seqs = boots.get(0)!;
      expect(seqs, deviceId).toEqual(seqs.map((_, i) => i));
    }
  }, 60_000);
});

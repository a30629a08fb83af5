import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Reading } from '@pledgeguard/protocol';
import { loadScenarioFile } from '../adapters/scenario-file.js';
import { ScenarioEngine, type EngineOutput } from './engine.js';
import { parseScenario, type Scenario } from './scenario-schema.js';
import { steadyScenario } from './steady.js';

const SCENARIO_DIR = join(import.meta.dirname, '../../scenarios');
const START_MS = Date.UTC(2026, 10, 20);

function run(scenario: Scenario, untilMs = scenario.duration): EngineOutput[] {
  const engine = new ScenarioEngine(scenario, { startTimeMs: START_MS, bootOf: () => 3 });
  const outputs: EngineOutput[] = [];
  engine.advanceTo(untilMs, (o) => outputs.push(o));
  return outputs;
}

const readings = (outputs: EngineOutput[]): Reading[] =>
  outputs.flatMap((o) => (o.type === 'reading' ? [o.reading] : []));

function scenario(name: string): Scenario {
  return loadScenarioFile(join(SCENARIO_DIR, `${name}.yaml`));
}

describe('scenario engine', () => {
  it('same seed gives the same readings, bit for bit', () => {
    const a = readings(run(scenario('night-removal-replay'), 6 * 3_600_000));
    const b = readings(run(scenario('night-removal-replay'), 6 * 3_600_000));
    expect(a.length).toBeGreaterThan(500);
    expect(b).toEqual(a);
  });

  it('a different seed gives different noise', () => {
    const base = scenario('steady-state');
    const a = readings(run(base, 3_600_000)).filter((r) => r.kind === 'weight');
    const b = readings(run({ ...base, seed: base.seed + 1 }, 3_600_000)).filter(
      (r) => r.kind === 'weight',
    );
    expect(a.map((r) => r.value)).not.toEqual(b.map((r) => r.value));
  });

  it('advancing in small steps gives the same stream as one big step', () => {
    const s = scenario('load-cell-bias');
    const whole = readings(run(s, 24 * 3_600_000));
    const engine = new ScenarioEngine(s, { startTimeMs: START_MS, bootOf: () => 3 });
    const stepped: Reading[] = [];
    for (let t = 0; t <= 24 * 3_600_000; t += 37_123)
      engine.advanceTo(t, (o) => o.type === 'reading' && stepped.push(o.reading));
    engine.advanceTo(24 * 3_600_000, (o) => o.type === 'reading' && stepped.push(o.reading));
    expect(stepped).toEqual(whole);
  });

  it('load cells are noisy around the true weight, never a flat trace', () => {
    const weights = readings(run(scenario('steady-state'), 6 * 3_600_000))
      .filter((r) => r.kind === 'weight')
      .map((r) => Number(r.value));
    expect(new Set(weights).size).toBeGreaterThan(weights.length * 0.9);
    const mean = weights.reduce((a, b) => a + b, 0) / weights.length;
    expect(Math.abs(mean - 1e9)).toBeLessThan(10_000);
  });

  it('seq strictly increases per device and heartbeats come every 60 s', () => {
    const all = readings(run(scenario('steady-state'), 3 * 3_600_000));
    const byDevice = new Map<string, Reading[]>();
    for (const r of all) byDevice.set(r.deviceId, [...(byDevice.get(r.deviceId) ?? []), r]);
    for (const list of byDevice.values()) {
      list.forEach((r, i) => expect(r.seq).toBe(i));
      const beats = list.filter((r) => r.kind === 'heartbeat');
      for (let i = 1; i < beats.length; i++)
        expect(beats[i]!.deviceTimeMs - beats[i - 1]!.deviceTimeMs).toBe(60_000);
      expect(list.every((r) => r.boot === 3)).toBe(true);
    }
  });

  it('night removal: door opens, 40 RFID exits with tag bytes, weight falls by 40 t, the load cell is replayed', () => {
    const outputs = run(scenario('night-removal-replay'));
    const all = readings(outputs);
    const exits = all.filter((r) => r.kind === 'rfid-event' && r.value === -1n);
    expect(exits).toHaveLength(40);
    expect(new Set(exits.map((r) => Buffer.from(r.tag!).toString('hex'))).size).toBe(40);
    const doorValues = all.filter((r) => r.kind === 'door').map((r) => r.value);
    expect(doorValues).toContain(1n);
    const replays = outputs.filter((o) => o.type === 'replay');
    expect(replays.length).toBe(120); // 2 h at one reading a minute
    const suppressed = outputs.filter((o) => o.type === 'reading' && o.suppressed);
    expect(suppressed.length).toBeGreaterThan(100);
    const lastWeight = all.filter((r) => r.kind === 'weight').at(-1)!;
    expect(Number(lastWeight.value)).toBeCloseTo(960e6, -6);
    const counts = all.filter((r) => r.kind === 'count');
    expect(counts.at(-1)!.value).toBe(960n);
  });

  it('load-cell bias hides the drop in weight while RFID count shows it', () => {
    const all = readings(run(scenario('load-cell-bias')));
    expect(all.some((r) => r.kind === 'tamper' && r.value === 1n)).toBe(true);
    const lastWeight = all.filter((r) => r.kind === 'weight').at(-1)!;
    expect(Number(lastWeight.value)).toBeCloseTo(1000e6, -6);
    expect(all.filter((r) => r.kind === 'count').at(-1)!.value).toBe(960n);
  });

  it('clock skew shifts device time; forgeries take no seq from the device', () => {
    const skewed = readings(run(scenario('clock-skew'))).filter((r) => r.deviceId === 'temp-b07-1');
    const late = skewed.filter(
      (r) => r.kind === 'temperature' && r.deviceTimeMs - START_MS > 7 * 3_600_000,
    );
    expect((late[0]!.deviceTimeMs - START_MS) % 60_000).not.toBe(0); // phase + 15 min offset
    const forged = run(scenario('forged-signature'));
    const forgeries = forged.filter((o) => o.type === 'forged');
    expect(forgeries).toHaveLength(12);
    const lc = readings(forged).filter((r) => r.deviceId === 'lc-b07-1');
    lc.forEach((r, i) => expect(r.seq).toBe(i));
  });

  it('temperature excursion raises the bay temperature by 12 degC for 4 h', () => {
    const temps = readings(run(scenario('temperature-excursion'))).filter(
      (r) => r.kind === 'temperature',
    );
    const hot = temps.filter((r) => Number(r.value) > 25_000);
    expect(hot.length).toBeGreaterThan(200);
    expect(
      hot.every(
        (r) =>
          r.deviceTimeMs - START_MS >= 10 * 3_600_000 && r.deviceTimeMs - START_MS < 14 * 3_600_000,
      ),
    ).toBe(true);
  });

  it('offline windows become link events', () => {
    const links = run(scenario('device-offline-backfill')).filter((o) => o.type === 'link');
    expect(links.map((o) => (o.type === 'link' ? [o.device.spec.deviceId, o.up] : []))).toEqual([
      ['lc-b07-1', false],
      ['lc-b07-1', true],
    ]);
  });

  it('a generated 1 Hz fleet spreads its devices over the second', () => {
    const parsed = parseScenario(
      steadyScenario({
        devices: 600,
        periodMs: 1000,
        heartbeatMs: 60_000,
        seed: 7,
        warehouseId: 'wh',
        durationMs: 60_000,
      }),
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const engine = new ScenarioEngine(parsed.scenario, { startTimeMs: START_MS, bootOf: () => 0 });
    const perSlot = new Array<number>(10).fill(0);
    engine.advanceTo(999, (o) => {
      if (o.type === 'reading') perSlot[Math.floor((o.reading.deviceTimeMs - START_MS) / 100)]!++;
    });
    for (const n of perSlot) expect(n).toBeGreaterThan(30);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../config.js';
import { systemClock } from '../ports/clock.js';
import { gatewayClock, simulatedClock } from './simulated-clock.js';

const wallAt = (ms: number) => ({ nowMs: () => ms });

describe('simulatedClock', () => {
  it('is the Fleet formula: warehouseOriginMs + (wall - wallOriginMs) x timeScale once running', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_880 }),
        fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
        fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        (timeScale, wallOriginMs, warehouseOriginMs, elapsedMs) => {
          const clock = simulatedClock(
            { timeScale, wallOriginMs, warehouseOriginMs },
            wallAt(wallOriginMs + elapsedMs),
          );
          expect(clock.nowMs()).toBe(warehouseOriginMs + elapsedMs * timeScale);
        },
      ),
    );
  });

  it('stands at warehouseOriginMs before wallOriginMs, as the Fleet clock stands until it runs', () => {
    const clock = simulatedClock(
      { timeScale: 1_440, wallOriginMs: 10_000, warehouseOriginMs: 5_000_000 },
      wallAt(9_000),
    );
    expect(clock.nowMs()).toBe(5_000_000);
  });

  it('stops at warehouseEndMs, as the Fleet clock stops at the story end', () => {
    const simulation = {
      timeScale: 1_440,
      wallOriginMs: 0,
      warehouseOriginMs: 0,
      warehouseEndMs: 12 * 3_600_000,
    };
    expect(simulatedClock(simulation, wallAt(29_000)).nowMs()).toBe(29_000 * 1_440);
    expect(simulatedClock(simulation, wallAt(31_000)).nowMs()).toBe(12 * 3_600_000);
  });

  it('never runs backwards while wall time runs forwards (monotonic, whatever the section)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 10_000, noNaN: true }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 2_000_000 }), { minLength: 2 }),
        (timeScale, wallOriginMs, walls) => {
          const sorted = [...walls].sort((a, b) => a - b);
          const times = sorted.map((wall) =>
            simulatedClock({ timeScale, wallOriginMs, warehouseOriginMs: 0 }, wallAt(wall)).nowMs(),
          );
          for (let i = 1; i < times.length; i++)
            expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
        },
      ),
    );
  });
});

describe('config simulation section', () => {
  const base = { warehouseId: 'wh-1' };

  it('is off unless present: a config without it runs on the system clock', () => {
    const config = configSchema.parse(base);
    expect(config.simulation).toBeUndefined();
    expect(gatewayClock(config)).toBe(systemClock);
  });

  it('is refused unless every key is set explicitly (no defaults)', () => {
    expect(configSchema.safeParse({ ...base, simulation: {} }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, simulation: { timeScale: 1440 } }).success).toBe(
      false,
    );
    expect(
      configSchema.safeParse({
        ...base,
        simulation: { timeScale: 0, wallOriginMs: 1, warehouseOriginMs: 1 },
      }).success,
    ).toBe(false);
    expect(
      configSchema.safeParse({
        ...base,
        simulation: { timeScale: 1440, wallOriginMs: 1, warehouseOriginMs: 10, warehouseEndMs: 5 },
      }).success,
    ).toBe(false);
  });

  it('when set, the gateway clock is the scaled warehouse clock', () => {
    const config = configSchema.parse({
      ...base,
      simulation: { timeScale: 1440, wallOriginMs: 1_000, warehouseOriginMs: 50_000 },
    });
    expect(gatewayClock(config, wallAt(2_000)).nowMs()).toBe(50_000 + 1_000 * 1440);
  });
});

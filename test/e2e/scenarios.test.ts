// DOMAIN.md scenario 8 end to end without a chain: the simulator's scenario through MQTT into
// a real in-process gateway on the fleet's scaled clock, then the gateway's own records (quarantine
// by code and device, stored identities) against the scenario's `expect`. The chain scenarios
// (1-5, 7, and 8/9 on chain) are in test/e2e/chain/, one file per story; 9 without a chain
// (two gateways) in redelivery.test.ts.
import { describe, expect, it } from 'vitest';
import { checkExpectations, runScenario, scenarioFile as scenario } from './harness.js';

// 2x faster than the files' 1440: these stories are about verdicts, not timing. (At 5760x one
// in-process gateway fell seconds behind on a loaded 2-core machine.)
const FAST = 2880;
const TIMEOUT_MS = 60_000;

describe('scenarios without a chain: fleet -> MQTT -> gateway verdicts', () => {
  it(
    '8, forged signatures: every forgery is PG_SIG_INVALID for the load cell, nothing else is refused',
    async () => {
      const result = await runScenario({
        scenario: scenario('forged-signature'),
        chain: false,
        timeScale: FAST,
        settleMs: 300,
      });
      expect(checkExpectations(result, { chain: false })).toEqual([]);
      expect(result.verdicts[0]).toEqual({ PG_SIG_INVALID: expect.any(Number) });
      // Forgeries every 10 min from 06:00 to 08:00: 12 of them.
      expect(result.verdicts[0]!.PG_SIG_INVALID).toBe(12);
      expect(result.ingest[0]!.accepted).toBeGreaterThan(500);
    },
    TIMEOUT_MS,
  );

  it(
    '8, revoked key: after the operator revokes the door contact, its readings are PG_DEVICE_REVOKED and none is stored',
    async () => {
      const result = await runScenario({
        scenario: scenario('revoked-key'),
        chain: false,
        timeScale: FAST,
        settleMs: 300,
      });
      expect(checkExpectations(result, { chain: false })).toEqual([]);
      const doorIds = result.identities[0]!.get('door-b07-1')!;
      // Before 04:00 the door reported (every 5 min plus heartbeats); afterwards nothing was accepted.
      expect(doorIds.length).toBeGreaterThan(40);
      const revoked = result.verdictsByDevice[0]!.get('PG_DEVICE_REVOKED')!;
      expect([...revoked.keys()]).toEqual(['door-b07-1']);
    },
    TIMEOUT_MS,
  );

  it(
    '8, skewed clock: the temperature sensor 15 min ahead is PG_CLOCK_SKEW, other devices are not',
    async () => {
      const result = await runScenario({
        scenario: scenario('clock-skew'),
        chain: false,
        timeScale: FAST,
        settleMs: 300,
      });
      expect(checkExpectations(result, { chain: false })).toEqual([]);
      expect([...result.verdictsByDevice[0]!.get('PG_CLOCK_SKEW')!.keys()]).toEqual(['temp-b07-1']);
    },
    TIMEOUT_MS,
  );
});

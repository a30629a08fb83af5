// DOMAIN.md scenario 9 without a chain: two gateways (the second subscribes to the first one's
// broker as a service account) receive the simulator's stream, in which envelopes the gateways
// already accepted arrive again byte for byte. Each gateway counts them once.
import { describe, expect, it } from 'vitest';
import { checkExpectations, runScenario, scenarioFile as scenario, seqGaps } from './harness.js';

const TIMEOUT_MS = 60_000;

describe('redelivery without a chain: fleet -> MQTT -> two gateways', () => {
  it(
    '9, redelivery to two gateways: the same envelopes again are counted once (duplicates) by each, never a replay or an equivocation, and both hold the same evidence',
    async () => {
      const result = await runScenario({
        scenario: scenario('redelivery'),
        gateways: 2,
        chain: false,
        timeScale: 1440, // two gateways and the fleet share one process
        settleMs: 500,
      });
      expect(checkExpectations(result, { chain: false })).toEqual([]);
      for (const [gateway, ingest] of result.ingest.entries()) {
        // 30 min of humidity readings (60 s period plus heartbeats) came again.
        expect(ingest.duplicates, `gateway ${gateway}`).toBeGreaterThanOrEqual(30);
        // Every stored identity is there once.
        for (const ids of result.identities[gateway]!.values()) {
          const keys = ids.map((id) => `${id.boot}/${id.seq}`);
          expect(new Set(keys).size).toBe(keys.length);
        }
        // The other devices' evidence is complete: no seq hole.
        for (const [deviceId, ids] of result.identities[gateway]!)
          if (deviceId !== 'hum-b07-1') expect(seqGaps(ids), deviceId).toEqual([]);
      }
      // The second gateway, subscribed to the first one's broker, stored exactly the same readings.
      expect(result.ingest[1]!.accepted).toBe(result.ingest[0]!.accepted);
      for (const [deviceId, ids] of result.identities[0]!)
        expect(result.identities[1]!.get(deviceId), deviceId).toEqual(ids);
    },
    TIMEOUT_MS,
  );
});

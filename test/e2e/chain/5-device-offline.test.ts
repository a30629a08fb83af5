// DOMAIN.md 5 on chain: device offline, then backfill: firmware-sim scenario -> MQTT -> gateway (custody, attestations) -> anvil.
// The scenario's `expect` is checked by the harness; the story's own events are asserted here.
import { describe, expect, it } from 'vitest';
import { runChainScenario } from '../harness.js';

describe('DOMAIN.md 5 on chain: device offline, then backfill', () => {
  it('the load cell offline for 2 h is attested as offline, backfills contiguously, and custody is clean again', async () => {
    const { result, failures } = await runChainScenario('device-offline-backfill');
    expect(failures).toEqual([]);
    const attestations = result.attestations.get('LOT-7')!;
    expect(attestations.at(-1)!.flags).toBe(0);
  }, 150_000);
});

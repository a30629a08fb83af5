// DOMAIN.md 8 on chain: revoked key: firmware-sim scenario -> MQTT -> gateway (custody, attestations) -> anvil.
// The scenario's `expect` is checked by the harness; the story's own events are asserted here.
import { describe, expect, it } from 'vitest';
import { runChainScenario } from '../harness.js';

describe('DOMAIN.md 8 on chain: revoked key', () => {
  it('a revoked door contact is refused while custody of the lot is still attested', async () => {
    const { result, failures } = await runChainScenario('revoked-key');
    expect(failures).toEqual([]);
    expect(result.attestations.get('LOT-7')!.length).toBeGreaterThan(1);
  }, 150_000);
});

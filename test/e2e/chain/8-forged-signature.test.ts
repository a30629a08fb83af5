// DOMAIN.md 8 on chain: forged signature: firmware-sim scenario -> MQTT -> gateway (custody, attestations) -> anvil.
// The scenario's `expect` is checked by the harness; the story's own events are asserted here.
import { describe, expect, it } from 'vitest';
import { runChainScenario } from '../harness.js';

describe('DOMAIN.md 8 on chain: forged signature', () => {
  it('forged readings change nothing on chain: no flag, loan Active and unfrozen', async () => {
    const { failures } = await runChainScenario('forged-signature');
    expect(failures).toEqual([]);
  }, 150_000);
});

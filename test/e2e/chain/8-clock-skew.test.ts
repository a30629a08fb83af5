// DOMAIN.md 8 on chain: skewed clock: firmware-sim scenario -> MQTT -> gateway (custody, attestations) -> anvil.
// The scenario's `expect` is checked by the harness; the story's own events are asserted here.
import { describe, expect, it } from 'vitest';
import { runChainScenario } from '../harness.js';

describe('DOMAIN.md 8 on chain: skewed clock', () => {
  it('a skewed temperature clock is attested as clock-skew', async () => {
    const { failures } = await runChainScenario('clock-skew');
    expect(failures).toEqual([]);
  }, 150_000);
});

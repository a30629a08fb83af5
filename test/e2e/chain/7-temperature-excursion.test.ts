// DOMAIN.md 7 on chain: perishables: firmware-sim scenario -> MQTT -> gateway (custody, attestations) -> anvil.
// The scenario's `expect` is checked by the harness; the story's own events are asserted here.
import { describe, expect, it } from 'vitest';
import { runChainScenario } from '../harness.js';

describe('DOMAIN.md 7 on chain: perishables', () => {
  it('4 h at +12 degC on cocoa limited to 25 degC for 2 h: quality-excursion attested', async () => {
    const { result, failures } = await runChainScenario('temperature-excursion');
    expect(failures).toEqual([]);
    expect(result.attestations.get('LOT-12')!.length).toBeGreaterThan(1);
  }, 150_000);
});

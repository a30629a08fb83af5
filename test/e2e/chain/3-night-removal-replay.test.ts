// DOMAIN.md 3 on chain: night removal with replayed weight: firmware-sim scenario -> MQTT -> gateway (custody, attestations) -> anvil.
// The scenario's `expect` is checked by the harness; the story's own events are asserted here.
import { describe, expect, it } from 'vitest';
import { loanEvents, runChainScenario } from '../harness.js';

describe('DOMAIN.md 3 on chain: night removal with replayed weight', () => {
  it('40 pallets leave under replayed weight: replay, drop and gap flags, custody breach, loan frozen at 960 t', async () => {
    const { result, failures } = await runChainScenario('night-removal-replay');
    expect(failures).toEqual([]);
    expect(loanEvents(result, 'R-A-7', 'CustodyBreachRecorded').length).toBeGreaterThanOrEqual(1);
  }, 150_000);
});

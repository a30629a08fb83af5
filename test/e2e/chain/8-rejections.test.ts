// DOMAIN.md 8 on chain: forged signature, revoked key, skewed clock: firmware-sim scenario -> MQTT -> gateway (custody, attestations) -> anvil.
// The scenario's `expect` is checked by the harness; the story's own events are asserted here.
import { describe, expect, it } from 'vitest';
import { runChainScenario } from '../harness.js';

describe('DOMAIN.md 8 on chain: forged signature, revoked key, skewed clock', () => {
  it('forged readings change nothing on chain: no flag, loan Active and unfrozen', async () => {
    const { failures } = await runChainScenario('forged-signature');
    expect(failures).toEqual([]);
  }, 150_000);

  it('a revoked door contact is refused while custody of the lot is still attested', async () => {
    const { result, failures } = await runChainScenario('revoked-key');
    expect(failures).toEqual([]);
    expect(result.attestations.get('LOT-7')!.length).toBeGreaterThan(1);
  }, 150_000);

  it('a skewed temperature clock is attested as clock-skew', async () => {
    const { failures } = await runChainScenario('clock-skew');
    expect(failures).toEqual([]);
  }, 150_000);
});

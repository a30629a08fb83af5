// DOMAIN.md 9 on chain: redelivery: firmware-sim scenario -> MQTT -> gateway (custody, attestations) -> anvil.
// The scenario's `expect` is checked by the harness; the story's own events are asserted here.
import { describe, expect, it } from 'vitest';
import { runChainScenario } from '../harness.js';

describe('DOMAIN.md 9 on chain: redelivery', () => {
  it('redelivered envelopes are counted once and attested once: no attestation root repeats for a new sequence', async () => {
    const { result, failures } = await runChainScenario('redelivery');
    expect(failures).toEqual([]);
    expect(result.ingest[0]!.duplicates).toBeGreaterThanOrEqual(30);
    const sequences = result.attestations.get('LOT-7')!.map((a) => a.sequence);
    expect(new Set(sequences).size).toBe(sequences.length);
  }, 150_000);
});

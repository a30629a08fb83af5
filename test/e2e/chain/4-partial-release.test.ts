// DOMAIN.md 4 on chain: partial repayment and release: firmware-sim scenario -> MQTT -> gateway (custody, attestations) -> anvil.
// The scenario's `expect` is checked by the harness; the story's own events are asserted here.
import { describe, expect, it } from 'vitest';
import { loanEvents, runChainScenario } from '../harness.js';

describe('DOMAIN.md 4 on chain: partial repayment and release', () => {
  it('repay 30%, release 200 t, ship, confirm and finalize: no breach, the receipt holds 800 t', async () => {
    const { result, failures } = await runChainScenario('partial-release');
    expect(failures).toEqual([]);
    const names = result.events.map((e) => e.name);
    for (const name of ['ReleaseOrdered', 'ReleaseShipped', 'ReleaseConfirmed', 'ReleaseFinalized'])
      expect(names, name).toContain(name);
    expect(loanEvents(result, 'R-A-7', 'CustodyBreachRecorded')).toEqual([]);
    expect(result.loans.get('R-A-7')!.receiptGrams).toBe(800_000_000n);
  }, 150_000);
});

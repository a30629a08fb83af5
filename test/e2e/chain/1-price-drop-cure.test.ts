// DOMAIN.md 1 on chain: price drop, margin call, cure: firmware-sim scenario -> MQTT -> gateway (custody, attestations) -> anvil.
// The scenario's `expect` is checked by the harness; the story's own events are asserted here.
import { describe, expect, it } from 'vitest';
import { loanEvents, runChainScenario } from '../harness.js';

describe('DOMAIN.md 1 on chain: price drop, margin call, cure', () => {
  it('the 12% drop calls the loan once and the repayment cures it: MarginCalled then MarginCallCured, Active and unfrozen', async () => {
    const { result, failures } = await runChainScenario('price-drop-cure');
    expect(failures).toEqual([]);
    const called = loanEvents(result, 'R-A-7', 'MarginCalled');
    expect(called).toHaveLength(1);
    expect(called[0]!.args.ltvBps).toBe(7955n); // 6.3m / (1,000 t x 7,920) rounded up
    expect(loanEvents(result, 'R-A-7', 'MarginCallCured')).toHaveLength(1);
    expect(loanEvents(result, 'R-A-7', 'LoanDefaulted')).toEqual([]);
    expect(result.loans.get('R-A-7')!.debt).toBe(6_300_000_000_000n - 800_000_000_000n);
  }, 150_000);
});

// DOMAIN.md 2 on chain: no cure, default: firmware-sim scenario -> MQTT -> gateway (custody, attestations) -> anvil.
// The scenario's `expect` is checked by the harness; the story's own events are asserted here.
import { describe, expect, it } from 'vitest';
import { loanEvents, runChainScenario } from '../harness.js';

describe('DOMAIN.md 2 on chain: no cure, default', () => {
  it('without a cure the loan defaults after the deadline (CureDeadlinePassed), not before', async () => {
    const { result, failures } = await runChainScenario('no-cure-default');
    expect(failures).toEqual([]);
    const called = loanEvents(result, 'R-A-7', 'MarginCalled');
    expect(called).toHaveLength(1);
    const defaulted = loanEvents(result, 'R-A-7', 'LoanDefaulted');
    expect(defaulted).toHaveLength(1);
    expect(defaulted[0]!.args.reason).toBe(0n); // CureDeadlinePassed
    const deadline = called[0]!.args.deadline as bigint;
    expect(defaulted[0]!.blockTimestamp).toBeGreaterThanOrEqual(deadline);
  }, 150_000);
});

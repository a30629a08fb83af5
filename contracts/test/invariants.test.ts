// The forge invariant suite (contracts/forge), run by `npm test` with a bounded campaign.
// PG_INVARIANT_RUNS / PG_INVARIANT_DEPTH lengthen it; `npm run contracts:invariants -- --runs N`
// runs it alone.
import { beforeAll, describe, expect, it } from 'vitest';
import { runForge, type ForgeRunResult } from '../scripts/invariants.js';

const RUNS = Number(process.env.PG_INVARIANT_RUNS ?? 64);
const DEPTH = Number(process.env.PG_INVARIANT_DEPTH ?? 50);
let result: ForgeRunResult;

beforeAll(async () => {
  result = await runForge({ runs: RUNS, depth: DEPTH });
}, 600_000);

const properties = [
  'invariant_onlyPriceOrCustodyUpdateTurnsHealthyLoanUnhealthy',
  'invariant_noReleaseLeavesLtvAboveMax',
  'invariant_lotKeyNeverBacksTwoLiveReceipts',
  'invariant_noReceiptExceedsAttestedQuantityAtMint',
  'invariant_sequenceNumbersOnlyGrow',
  'invariant_deadlineNeverMovesEarlier',
  'invariant_defaultedLoanNeverBecomesActive',
  'invariant_debtNeverNegative',
  'invariant_lienLiftedOnlyAtFullRepaymentOrEnforcement',
];

describe(`forge invariants (${RUNS} runs x ${DEPTH} calls each)`, () => {
  it('forge runs the suite without failures', () => {
    expect(result.failed, result.output.slice(-4000)).toEqual([]);
    expect(result.ok, result.output.slice(-4000)).toBe(true);
  });

  it('the handler drives loans through call, default, enforcement, release and closing', () => {
    expect(result.passed).toContain('test_actionsReachCallDefaultEnforcementReleaseAndClosing');
  });

  it.each(properties)('%s holds', (property) => {
    expect(result.passed).toContain(property);
  });
});

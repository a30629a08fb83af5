// Issue 8 item 4: the whole system through the CLI runs DOMAIN.md scenarios 1-9 in one go.
// Each story runs with its own anvil and its own `pledgeguard start --config` gateway process on
// the fleet's scaled clock (config `simulation`); LANES stories run at once so the file fits CI's
// time budget (about 4 minutes on the loaded 2-core machine). For each story: the scenario's
// `expect` (harness.ts checkExpectations: verdicts as the API lists them, flags, loan state from
// chain reads, quantities), the story's own chain events, and the gateway's API answers against
// the chain (loans, lots, attestations, quarantine, devices).
// DOMAIN.md 5 (device-offline-backfill) runs with the lender's mask that makes offline degraded
// custody rather than a breach, as test/e2e/chain/5-device-offline.test.ts explains.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_FLAG_NAMES, Lanes, runCliScenario, type CliScenarioResult } from './cli-harness.js';
import { DEFAULT_RISK_PARAMETERS } from '@pledgeguard/contracts/deploy';
import { CustodyFlag } from '@pledgeguard/contracts/eip712';
import { checkExpectations, loanEvents, scenarioFile } from './harness.js';

/** Stories run at once: each is a gateway process, an anvil and a fleet (about 0.6 core). */
const LANES = 3;
const TIMEOUT_MS = 300_000;

/** DOMAIN.md story -> scenario files, longest story first so the lanes finish together. */
const STORIES = [
  { story: 3, name: 'night-removal-replay' }, // 30 h
  { story: 4, name: 'partial-release' }, // 20 h
  { story: 5, name: 'device-offline-backfill' }, // offline 2 h, backfill
  { story: 7, name: 'temperature-excursion' }, // 20 h
  { story: 1, name: 'price-drop-cure' }, // 12 h
  { story: 2, name: 'no-cure-default' }, // 11 h
  { story: 8, name: 'forged-signature' }, // 10 h
  { story: 8, name: 'clock-skew' }, // 10 h
  { story: 8, name: 'revoked-key' }, // 8 h
  { story: 6, name: 'double-pledge' }, // 6 h
  { story: 9, name: 'redelivery' }, // 6 h
] as const;
type StoryName = (typeof STORIES)[number]['name'];

/** Every flag a breach except offline (see test/e2e/chain/5-device-offline.test.ts). */
const OFFLINE_DEGRADED_RISK = {
  ...DEFAULT_RISK_PARAMETERS,
  breachFlagMask: DEFAULT_RISK_PARAMETERS.breachFlagMask & ~CustodyFlag.offline,
};

const runs = new Map<StoryName, Promise<CliScenarioResult>>();
beforeAll(() => {
  const lanes = new Lanes(LANES);
  const bootLanes = new Lanes(2); // at most two gateways boot at once
  for (const { name } of STORIES) {
    const run = lanes.run(() =>
      runCliScenario({
        scenario: scenarioFile(name),
        bootLanes,
        ...(name === 'device-offline-backfill' && { riskParameters: OFFLINE_DEGRADED_RISK }),
      }),
    );
    run.catch(() => undefined); // reported by the story's own test
    runs.set(name, run);
  }
});

afterAll(async () => {
  // One line per story: where the wall time went (gateway start until /health, whole run).
  for (const [name, run] of runs) {
    const result = await run.catch(() => undefined);
    if (result) console.log(`${name}: ${JSON.stringify(result.timings)}`);
  }
});

/** The story's result, with its `expect` and the API-versus-chain checks already asserted. */
async function story(name: StoryName): Promise<CliScenarioResult> {
  const result = await runs.get(name)!;
  expect(checkExpectations(result, { chain: true }), 'scenario expect').toEqual([]);
  expect(apiFailures(result), 'API answers').toEqual([]);
  expect(result.exitCode, 'pledgeguard start exits 0 on SIGTERM').toBe(0);
  return result;
}

/**
 * What the gateway's API says against the chain and the scenario: each loan's state and frozen
 * flag as the chain has them; every attestation on chain listed as confirmed for its lot, the
 * lot's last attestation the chain's last; expected flags among the attested flag names and absent
 * ones nowhere; expected verdicts in /quarantine (by code and device) and in the device's
 * rejections; no quarantine row of a code the story excludes.
 */
function apiFailures(result: CliScenarioResult): string[] {
  const failures: string[] = [];
  const { api, scenario } = result;
  const expected = scenario.expect;
  for (const [receiptId, chainLoan] of result.loans) {
    const apiLoan = api.loans.find((l) => l.loanId === String(chainLoan.loanId));
    if (!apiLoan) failures.push(`/loans lacks loan ${chainLoan.loanId} (${receiptId})`);
    else {
      if (apiLoan.state !== chainLoan.state)
        failures.push(`/loans ${receiptId}: ${apiLoan.state}, chain ${chainLoan.state}`);
      if (apiLoan.frozen !== chainLoan.frozen)
        failures.push(`/loans ${receiptId}: frozen ${apiLoan.frozen}, chain ${chainLoan.frozen}`);
      if (apiLoan.debt !== String(chainLoan.debt))
        failures.push(`/loans ${receiptId}: debt ${apiLoan.debt}, chain ${chainLoan.debt}`);
    }
  }
  if (api.loans.length !== result.loans.size)
    failures.push(`/loans lists ${api.loans.length} loans, the chain has ${result.loans.size}`);

  const attestedNames = new Set<string>();
  for (const lot of scenario.lots) {
    const onChain = result.attestations.get(lot.lotId) ?? [];
    const listed = api.attestations.get(lot.lotId) ?? [];
    const confirmed = new Set(
      listed.filter((a) => a.status === 'confirmed').map((a) => a.sequence),
    );
    const missing = onChain.filter((a) => !confirmed.has(String(a.sequence)));
    if (missing.length > 0)
      failures.push(
        `/lots/${lot.lotId}/attestations: ${missing.length} of ${onChain.length} on-chain attestations not confirmed`,
      );
    for (const attestation of listed)
      if (attestation.status === 'confirmed')
        attestation.flagNames.forEach((name) => attestedNames.add(name));
    const apiLot = api.lots.find((l) => l.lotId === lot.lotId);
    if (!apiLot) failures.push(`/lots lacks ${lot.lotId}`);
    // The newest attestation the API lists as confirmed is the chain's last.
    const newestConfirmed = listed.find((a) => a.status === 'confirmed')?.sequence;
    if (newestConfirmed !== onChain.at(-1)?.sequence.toString())
      failures.push(
        `/lots/${lot.lotId}/attestations: newest confirmed ${newestConfirmed}, chain's last ${onChain.at(-1)?.sequence}`,
      );
  }
  for (const flag of expected.flags.present)
    if (!attestedNames.has(API_FLAG_NAMES[flag]!))
      failures.push(`no confirmed attestation in the API carries ${API_FLAG_NAMES[flag]}`);
  for (const flag of expected.flags.absent)
    if (attestedNames.has(API_FLAG_NAMES[flag]!))
      failures.push(`a confirmed attestation in the API carries ${API_FLAG_NAMES[flag]}`);

  for (const verdict of expected.verdicts) {
    const rows = api.quarantine.filter(
      (r) =>
        r.code === verdict.code &&
        (verdict.deviceId === undefined || r.deviceId === verdict.deviceId),
    );
    if (rows.length < verdict.atLeast)
      failures.push(`/quarantine: ${rows.length} ${verdict.code} < ${verdict.atLeast}`);
    if (verdict.deviceId !== undefined) {
      const device = api.devices.find((d) => d.deviceId === verdict.deviceId);
      const rejected = device?.rejections[verdict.code] ?? 0;
      if (rejected < verdict.atLeast)
        failures.push(
          `/devices ${verdict.deviceId}: ${rejected} ${verdict.code} rejections < ${verdict.atLeast}`,
        );
    }
  }
  for (const code of expected.noVerdicts) {
    if (api.quarantine.some((r) => r.code === code)) failures.push(`/quarantine lists ${code}`);
    for (const device of api.devices)
      if ((device.rejections[code] ?? 0) > 0)
        failures.push(`/devices ${device.deviceId}: ${code} rejections`);
  }
  return failures;
}

const apiLoan = (result: CliScenarioResult, receiptId: string) =>
  result.api.loans.find((l) => l.loanId === String(result.loans.get(receiptId)?.loanId));

describe('DOMAIN.md scenarios 1-9 through `pledgeguard start` (one gateway process per story)', () => {
  it(
    '5 device offline 2 h: attested offline, backfilled contiguously, clean again; no breach; the API shows the loan unfrozen',
    async () => {
      const result = await story('device-offline-backfill');
      const attestations = result.attestations.get('LOT-7')!;
      expect(attestations.some((a) => (a.flags & CustodyFlag.offline) !== 0)).toBe(true);
      expect(attestations.at(-1)!.flags).toBe(0);
      expect(loanEvents(result, 'R-A-7', 'CustodyBreachRecorded')).toEqual([]);
      expect(apiLoan(result, 'R-A-7')).toMatchObject({ frozen: false });
    },
    TIMEOUT_MS,
  );

  it(
    '1 price drop, cure: MarginCalled at 79.55% then MarginCallCured; the API shows Active, unfrozen, the repaid debt',
    async () => {
      const result = await story('price-drop-cure');
      const called = loanEvents(result, 'R-A-7', 'MarginCalled');
      expect(called).toHaveLength(1);
      expect(called[0]!.args.ltvBps).toBe(7955n);
      expect(loanEvents(result, 'R-A-7', 'MarginCallCured')).toHaveLength(1);
      expect(loanEvents(result, 'R-A-7', 'LoanDefaulted')).toEqual([]);
      expect(apiLoan(result, 'R-A-7')).toMatchObject({
        state: 'Active',
        frozen: false,
        debt: String(6_300_000_000_000n - 800_000_000_000n),
      });
    },
    TIMEOUT_MS,
  );

  it(
    '2 no cure: LoanDefaulted (CureDeadlinePassed) after the deadline; the API shows Defaulted',
    async () => {
      const result = await story('no-cure-default');
      const called = loanEvents(result, 'R-A-7', 'MarginCalled');
      expect(called).toHaveLength(1);
      const defaulted = loanEvents(result, 'R-A-7', 'LoanDefaulted');
      expect(defaulted).toHaveLength(1);
      expect(defaulted[0]!.args.reason).toBe(0n);
      expect(defaulted[0]!.blockTimestamp).toBeGreaterThanOrEqual(
        called[0]!.args.deadline as bigint,
      );
      expect(apiLoan(result, 'R-A-7')).toMatchObject({ state: 'Defaulted' });
    },
    TIMEOUT_MS,
  );

  it(
    '3 night removal under replayed weight: PG_REPLAYED in /quarantine, breach recorded, the API shows the loan frozen',
    async () => {
      const result = await story('night-removal-replay');
      expect(loanEvents(result, 'R-A-7', 'CustodyBreachRecorded').length).toBeGreaterThanOrEqual(1);
      expect(apiLoan(result, 'R-A-7')).toMatchObject({ frozen: true });
    },
    TIMEOUT_MS,
  );

  it(
    '4 partial release: ordered, shipped, confirmed, finalized; no breach; chain and /lots hold 800 t',
    async () => {
      const result = await story('partial-release');
      const names = result.events.map((e) => e.name);
      for (const name of [
        'ReleaseOrdered',
        'ReleaseShipped',
        'ReleaseConfirmed',
        'ReleaseFinalized',
      ])
        expect(names, name).toContain(name);
      expect(loanEvents(result, 'R-A-7', 'CustodyBreachRecorded')).toEqual([]);
      expect(result.loans.get('R-A-7')!.receiptGrams).toBe(800_000_000n);
      expect(result.api.lots.find((l) => l.lotId === 'LOT-7')!.receiptGrams).toBe('800000000');
    },
    TIMEOUT_MS,
  );

  it(
    '6 double pledge: the second receipt on the live lot reverts (ReceiptLotKeyLive); the API lists one loan, Active',
    async () => {
      const result = await story('double-pledge');
      expect(result.api.loans).toHaveLength(1);
      expect(apiLoan(result, 'R-A-7')).toMatchObject({ state: 'Active', frozen: false });
    },
    TIMEOUT_MS,
  );

  it(
    '7 perishables: the 4 h excursion is attested as qualityExcursion on chain and in the API',
    async () => {
      const result = await story('temperature-excursion');
      expect(result.attestations.get('LOT-12')!.length).toBeGreaterThan(1);
    },
    TIMEOUT_MS,
  );

  it(
    '8 forged signature: PG_SIG_INVALID in /quarantine and the device rejections; nothing moves on chain',
    async () => {
      const result = await story('forged-signature');
      expect(apiLoan(result, 'R-A-7')).toMatchObject({ state: 'Active', frozen: false });
    },
    TIMEOUT_MS,
  );

  it(
    '8 revoked key: revoked through the API, PG_DEVICE_REVOKED in /quarantine, custody still attested',
    async () => {
      const result = await story('revoked-key');
      expect(result.api.devices.find((d) => d.deviceId === 'door-b07-1')!.revoked).toBe(true);
      expect(result.attestations.get('LOT-7')!.length).toBeGreaterThan(1);
    },
    TIMEOUT_MS,
  );

  it(
    '8 clock skew: PG_CLOCK_SKEW in /quarantine for the skewed sensor, clockSkew attested',
    async () => {
      await story('clock-skew');
    },
    TIMEOUT_MS,
  );

  it(
    '9 redelivery: duplicates counted once (/metrics), each attestation sequence once on chain',
    async () => {
      const result = await story('redelivery');
      expect(result.api.ingest.duplicates).toBeGreaterThanOrEqual(30);
      const sequences = result.attestations.get('LOT-7')!.map((a) => a.sequence);
      expect(new Set(sequences).size).toBe(sequences.length);
    },
    TIMEOUT_MS,
  );
});

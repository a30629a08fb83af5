// `npm run bench:latency`: time from a device publishing the reading that causes a breach to the
// loan's on-chain event being seen (issue 6 item 7). The whole system runs as in test/e2e: a
// simulated warehouse of BENCH_TRIALS lots (a load cell and a tamper switch each, one pledged
// receipt and a drawn loan per lot) -> MQTT -> the gateway (custody, attestation, submission,
// keeper) -> anvil with automine. Trial i opens lot i's junction box; the clock starts when the
// simulator hands the signed tamper=1 reading to its MQTT link and stops when a poll of the chain
// (every 5 ms) sees CustodyBreachRecorded or LoanDefaulted for lot i's loan.
// Env: BENCH_TRIALS (40), BENCH_SPACING_MS (wall ms between trials, 1000), BENCH_TIMEOUT_MS (10000).
// Last line: one JSON object {p50_ms, p99_ms, max_ms, trials, missed, ...}. Bar: p99 <= 1,500 ms.
import { loadavg } from 'node:os';
import { pino } from 'pino';
import { parseScenario, type ScenarioInput } from '../firmware-sim/src/index.js';
import { gatewayHasSection, readChainEvents, startScenario } from '../test/e2e/harness.js';

const log = (text: string) => process.stderr.write(`${text}\n`);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 40);
const SPACING_MS = Number(process.env.BENCH_SPACING_MS ?? 1_000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 10_000);
const BAR_P99_MS = 1_500;
const TIME_SCALE = 60; // a warehouse minute per wall second: heartbeats every second
const FIRST_TRIAL_MIN = 20; // receipts and loans are in place by then

if (!gatewayHasSection('chain')) {
  log('bench:latency needs the gateway wired to the chain (config section `chain`, issue 6)');
  process.exit(1);
}

const bay = (i: number) => `B-${String(i + 1).padStart(3, '0')}`;
const spacingMin = (SPACING_MS * TIME_SCALE) / 60_000;
const input: ScenarioInput = {
  name: 'bench-latency',
  description: 'one junction box opened per lot, one lot after another',
  seed: 77,
  warehouseId: 'wh-bench',
  duration: `${Math.ceil(FIRST_TRIAL_MIN + TRIALS * spacingMin + 10)}m`,
  timeScale: TIME_SCALE,
  lots: Array.from({ length: TRIALS }, (_, i) => ({
    lotId: `LOT-${i + 1}`,
    bayId: bay(i),
    commodity: 'copper cathode',
    pallets: 1000, // DOMAIN.md's 1,000 t: on a 10 t lot the 20 kg load-cell noise crosses the 0.5% drop tolerance
    unitWeightGrams: '1000000',
  })),
  devices: Array.from({ length: TRIALS }, (_, i) => [
    { deviceId: `lc-${i + 1}`, type: 'load-cell' as const, bayId: bay(i), lotId: `LOT-${i + 1}` },
    { deviceId: `tamper-${i + 1}`, type: 'tamper' as const, bayId: bay(i), lotId: `LOT-${i + 1}` },
  ]).flat(),
  events: Array.from({ length: TRIALS }, (_, i) => ({
    type: 'junction-box-open' as const,
    bayId: bay(i),
    from: `${Math.round((FIRST_TRIAL_MIN + i * spacingMin) * 60_000)}ms`,
    to: `${Math.round((FIRST_TRIAL_MIN + i * spacingMin + 5) * 60_000)}ms`,
  })),
  actions: [
    { type: 'set-price', at: '0', priceMicroUsdPerTonne: '9000000000' },
    ...Array.from({ length: TRIALS }, (_, i) => [
      {
        type: 'mint-receipt' as const,
        at: '1m',
        lotId: `LOT-${i + 1}`,
        receiptId: `R-${i + 1}`,
        holder: 'bank-a',
        quantityGrams: '990000000', // 990 t against 1,000 t sensed: load-cell noise never undercuts it
      },
      {
        type: 'open-loan' as const,
        at: '2m',
        receiptId: `R-${i + 1}`,
        lender: 'bank-a',
        principalMicroUsd: '6237000000000', // 990 t x USD 9,000 x 70%
        maxLtvBps: 7000,
        marginCallLtvBps: 7500,
        defaultLtvBps: 8500,
        cure: '48h',
      },
    ]).flat(),
  ],
  expect: {},
};
const parsed = parseScenario(input);
if (!parsed.ok) throw new Error(`bench scenario: ${parsed.error}`);

/** Wall time [ms, performance.now] the tamper=1 reading of each bay went to its link. */
const publishedAt = new Map<string, number>();
const run = await startScenario({
  scenario: parsed.scenario,
  settleMs: 0,
  // The bench measures flag changes, which attest at once: routine heartbeat attestations of 40
  // lots every warehouse minute (40 tx per wall second at 60x) only queue in front of them.
  gatewayConfig: () => ({
    custody: {
      tickMs: 50,
      attest: { heartbeatMs: 15 * 60_000, validForS: 4 * 3600 },
      defaults: { missedBeats: 30 },
    },
  }),
  ...(process.env.BENCH_LOG
    ? { log: pino({ level: process.env.BENCH_LOG }, pino.destination(2)) }
    : {}),
  observe: (output) => {
    if (
      output.type !== 'reading' ||
      output.reading.kind !== 'tamper' ||
      output.reading.value !== 1n
    )
      return;
    if (!publishedAt.has(output.reading.bayId))
      publishedAt.set(output.reading.bayId, performance.now());
  },
});
const latencies: number[] = [];
let missed = 0;
try {
  const { provider, deployed, actions } = run;
  if (!provider || !deployed || !actions) throw new Error('the run has no chain');
  const seen = new Set<string>();
  let fromBlock = deployed.deployment.deployedAtBlock;
  let done = false;
  void run.finished.then(() => (done = true));
  log(`bench:latency: ${TRIALS} trials, ${SPACING_MS} ms apart`);
  for (;;) {
    const now = performance.now();
    const latest = await provider.getBlockNumber();
    if (latest >= fromBlock) {
      const events = await readChainEvents(provider, deployed, fromBlock);
      fromBlock = latest + 1;
      const seenAt = performance.now();
      for (const event of events) {
        if (event.name !== 'CustodyBreachRecorded' && event.name !== 'LoanDefaulted') continue;
        const receiptId = [...actions.loanIds].find(([, id]) => id === event.args.loanId)?.[0];
        const bayId = receiptId && bay(Number(receiptId.slice(2)) - 1);
        const start = bayId ? publishedAt.get(bayId) : undefined;
        if (!bayId || start === undefined || seen.has(bayId)) continue;
        seen.add(bayId);
        latencies.push(seenAt - start);
        log(`  ${bayId}: ${(seenAt - start).toFixed(0)} ms (${event.name})`);
      }
    }
    for (const [bayId, start] of publishedAt)
      if (!seen.has(bayId) && now - start > TIMEOUT_MS) {
        seen.add(bayId);
        missed++;
        log(`  ${bayId}: no breach event within ${TIMEOUT_MS} ms`);
      }
    if (done && publishedAt.size === seen.size) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const failedActions = actions.outcomes.filter((o) => !o.ok);
  if (failedActions.length > 0) {
    const first = failedActions[0]!;
    log(
      `  ${failedActions.length} setup actions failed, e.g. ${first.key}: ${first.ok ? '' : `${first.error}(${first.args.map(String).join(', ')}) ${first.message.slice(0, 120)}`}`,
    );
  }
} finally {
  await run.stop();
}

latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies.length === 0
    ? null
    : Math.round(
        latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!,
      );
const result = {
  p50_ms: pct(50),
  p99_ms: pct(99),
  max_ms: latencies.length ? Math.round(latencies.at(-1)!) : null,
  trials: latencies.length,
  missed,
  bar_p99_ms: BAR_P99_MS,
  pass: latencies.length > 0 && missed === 0 && (pct(99) ?? Infinity) <= BAR_P99_MS,
  load_avg_1m: Number(loadavg()[0]!.toFixed(2)),
};
process.stdout.write(`${JSON.stringify(result)}\n`);

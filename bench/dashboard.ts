// Dashboard benchmark (npm run bench:dashboard): seeds 100 loans on a real anvil (attested lots,
// receipts, loans drawn to 70 %) and 1,000,000 load-cell readings, serves them through the API,
// and measures in Debian's Chromium (playwright-core) the portfolio's first meaningful paint (loan
// cards rendered with data) and the lot chart's render (uPlot drawn from the server-side
// downsampled series), each from navigation start, median of 5 cold page loads after a warm-up.
// Last line: one JSON object.
//
// Sources (`--source`):
//   gateway (default): the gateway's real HTTP API over a real SQLite evidence log; the lot's
//     1,000,000 readings committed through the evidence store's write path (the series query reads
//     the indexed columns), loans recorded as the chain listener stores them;
//   fixture: dashboard/test's fixture gateway (in-memory series, same bucketing).
// With PG_DASHBOARD_URL and PG_DASHBOARD_TOKEN set it measures that running system and seeds nothing.
import {
  buildDashboard,
  dashboardTarget,
  launchBrowser,
  markTimeMs,
} from '../dashboard/test/browser.js';
import { sendAndWait } from '@pledgeguard/contracts/chain';
import { startChainWorld, USD, type ChainWorld } from '../dashboard/test/chain-world.js';
import {
  emptyFixture,
  startFixtureGateway,
  type FixtureGateway,
} from '../dashboard/test/fixture-gateway.js';
import { rawSeries, seedLot } from '../dashboard/test/scenario.js';
import {
  commitWeightReadings,
  recordLoanEvents,
  startRealGateway,
} from '../dashboard/test/real-gateway.js';
import { lotRef, TONNE } from '../dashboard/test/chain-world.js';

const LOANS = 100;
const READINGS = 1_000_000;
const BIG_LOT_READINGS = READINGS - (LOANS - 1) * 1000;
const RUNS = 5;
const BAR_MS = 1000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Seeded {
  world: ChainWorld;
  url: string;
  token: string;
  lotId: string;
  lotReadings: number;
  seedMs: number;
  close(): Promise<void>;
}

async function seedGateway(): Promise<Seeded> {
  const started = Date.now();
  const [distDir, world] = await Promise.all([buildDashboard(), startChainWorld()]);
  await world.setPrice(9000);
  await sendAndWait(
    world.contracts.settlementToken.mint(
      world.accounts.lender.address,
      BigInt(LOANS) * 7_000_000n * USD,
    ),
  );
  const gateway = await startRealGateway(world, distDir); // loan 1 on LOT-1, 6 signed readings
  for (let i = 2; i <= LOANS; i++) {
    const lot = lotRef(`B-${i}`, `LOT-${i}`);
    const quantityGrams = 1000n * TONNE;
    await world.attest(lot, quantityGrams, '0x' + i.toString(16).padStart(64, '0'));
    const loanId = await world.openLoan(lot, quantityGrams, 6_300_000n * USD);
    await recordLoanEvents(gateway, world, lot, loanId, quantityGrams);
    if (i % 20 === 0) console.log(`seeded ${i} loans`);
  }
  const lotReadings = READINGS - gateway.readingIds.length;
  commitWeightReadings(gateway, lotReadings, 1000);
  console.log(`committed ${lotReadings} readings`);
  return {
    world,
    url: gateway.url,
    token: gateway.tokens.auditor,
    lotId: 'LOT-1',
    lotReadings: READINGS,
    seedMs: Date.now() - started,
    close: () => gateway.close(),
  };
}

async function seedFixture(): Promise<Seeded> {
  const started = Date.now();
  const [distDir, world] = await Promise.all([buildDashboard(), startChainWorld()]);
  await world.setPrice(9000);
  // Each loan draws $6.3m from the lender.
  await sendAndWait(
    world.contracts.settlementToken.mint(
      world.accounts.lender.address,
      BigInt(LOANS) * 7_000_000n * USD,
    ),
  );
  const data = emptyFixture(world.info());
  for (let i = 1; i <= LOANS; i++) {
    const lotId = `LOT-${i}`;
    await seedLot(world, data, `B-${i}`, lotId, { seriesSamples: i === 1 ? 10 : 1000 });
    if (i % 20 === 0) console.log(`seeded ${i} loans`);
  }
  // The measured lot: 901,000 readings, one every 2 s over ~21 days.
  data.series.set('LOT-1', rawSeries(BIG_LOT_READINGS, Date.now(), 2000, 1e9, 1_000_000_000n));
  const gateway: FixtureGateway = await startFixtureGateway(data, { staticRoot: distDir });
  return {
    world,
    url: gateway.url,
    token: gateway.token,
    lotId: 'LOT-1',
    lotReadings: BIG_LOT_READINGS,
    seedMs: Date.now() - started,
    close: () => gateway.close(),
  };
}

async function main(): Promise<void> {
  const target = dashboardTarget();
  const sourceArg = process.argv.indexOf('--source');
  const source = sourceArg > 0 ? process.argv[sourceArg + 1] : 'gateway';
  if (source !== 'gateway' && source !== 'fixture')
    throw new RangeError(`--source gateway|fixture, not ${source}`);
  const seeded = target
    ? undefined
    : source === 'gateway'
      ? await seedGateway()
      : await seedFixture();
  const url = target?.url ?? seeded!.url;
  const token = target?.token ?? seeded!.token;
  const lotId = process.env.PG_DASHBOARD_LOT ?? seeded?.lotId ?? 'LOT-1';
  const browser = await launchBrowser([{ url: '', token }]);
  const portfolio: number[] = [];
  const portfolioChain: number[] = [];
  const lotChart: number[] = [];
  const seriesRequest: number[] = [];
  let cards = 0;
  let chartPoints = 0;
  try {
    // One warm-up load (fills the HTTP cache as a returning user would have it), then RUNS loads.
    for (let run = 0; run <= RUNS; run++) {
      await browser.page.goto('about:blank');
      await browser.page.goto(`${url}/#/`);
      const paint = await markTimeMs(browser.page, 'pg-portfolio-ready');
      const chain = await markTimeMs(browser.page, 'pg-portfolio-chain');
      cards = await browser.page.locator('[data-testid^="loan-"]').count();
      await browser.page.goto('about:blank');
      await browser.page.goto(`${url}/#/lot/0/${encodeURIComponent(lotId)}`);
      const chart = await markTimeMs(browser.page, 'pg-lot-chart-ready');
      chartPoints = Number(await browser.page.getByTestId('chart').getAttribute('data-drawn'));
      const seriesMs = await browser.page.evaluate(
        () =>
          performance.getEntriesByType('resource').find((entry) => entry.name.includes('/series'))
            ?.duration ?? -1,
      );
      if (run === 0) continue;
      portfolio.push(paint);
      portfolioChain.push(chain);
      lotChart.push(chart);
      seriesRequest.push(seriesMs);
      console.log(
        `run ${run}: portfolio ${paint.toFixed(0)} ms (chain ${chain.toFixed(0)} ms), lot chart ${chart.toFixed(0)} ms (series request ${seriesMs.toFixed(0)} ms)`,
      );
    }
  } finally {
    await browser.close();
    await seeded?.close();
    await seeded?.world.stop();
  }
  const result = {
    portfolio_ms: Math.round(median(portfolio)),
    lot_chart_ms: Math.round(median(lotChart)),
    portfolio_chain_ms: Math.round(median(portfolioChain)),
    series_request_ms: Math.round(median(seriesRequest)),
    loans: target ? null : LOANS,
    readings: target ? null : READINGS,
    lot_readings: seeded?.lotReadings ?? null,
    loan_cards: cards,
    chart_points: chartPoints,
    runs: RUNS,
    bar_ms: BAR_MS,
    pass: median(portfolio) <= BAR_MS && median(lotChart) <= BAR_MS,
    source: target ? target.url : source,
    seed_ms: seeded?.seedMs ?? null,
  };
  console.log(JSON.stringify(result));
}

await main();

// Dashboard benchmark (npm run bench:dashboard): seeds 100 loans on a real anvil (attested lots,
// receipts, loans drawn to 70 %) and 1,000,000 load-cell readings (one lot holds 901,000, the
// other 99 lots 1,000 each), serves them through the API contract, and measures in Debian's
// Chromium (playwright-core) the portfolio's first meaningful paint (loan cards rendered with
// data) and the lot chart's render (uPlot drawn from the server-side downsampled series), each
// from navigation start, median of several cold page loads. Last line: one JSON object.
//
// Data source: the fixture gateway of dashboard/test (in-memory series, the same min/max/last
// bucketing as the API) until the gateway's API serves seeded SQLite; with PG_DASHBOARD_URL and
// PG_DASHBOARD_TOKEN set, it measures that running system instead and seeds nothing.
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

const LOANS = 100;
const READINGS = 1_000_000;
const BIG_LOT_READINGS = READINGS - (LOANS - 1) * 1000;
const RUNS = 5;
const BAR_MS = 1000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function seed(): Promise<{
  world: ChainWorld;
  gateway: FixtureGateway;
  lotId: string;
  seedMs: number;
}> {
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
  const gateway = await startFixtureGateway(data, { staticRoot: distDir });
  return { world, gateway, lotId: 'LOT-1', seedMs: Date.now() - started };
}

async function main(): Promise<void> {
  const target = dashboardTarget();
  const seeded = target ? undefined : await seed();
  const url = target?.url ?? seeded!.gateway.url;
  const token = target?.token ?? seeded!.gateway.token;
  const lotId = process.env.PG_DASHBOARD_LOT ?? seeded?.lotId ?? 'LOT-1';
  const browser = await launchBrowser([{ url: '', token }]);
  const portfolio: number[] = [];
  const portfolioChain: number[] = [];
  const lotChart: number[] = [];
  try {
    // One warm-up load (fills the HTTP cache as a returning user would have it), then RUNS loads.
    for (let run = 0; run <= RUNS; run++) {
      await browser.page.goto('about:blank');
      await browser.page.goto(`${url}/#/`);
      const paint = await markTimeMs(browser.page, 'pg-portfolio-ready');
      const chain = await markTimeMs(browser.page, 'pg-portfolio-chain');
      await browser.page.goto('about:blank');
      await browser.page.goto(`${url}/#/lot/0/${encodeURIComponent(lotId)}`);
      const chart = await markTimeMs(browser.page, 'pg-lot-chart-ready');
      if (run === 0) continue;
      portfolio.push(paint);
      portfolioChain.push(chain);
      lotChart.push(chart);
      console.log(
        `run ${run}: portfolio ${paint.toFixed(0)} ms (chain ${chain.toFixed(0)} ms), lot chart ${chart.toFixed(0)} ms`,
      );
    }
  } finally {
    await browser.close();
    await seeded?.gateway.close();
    await seeded?.world.stop();
  }
  const result = {
    portfolio_ms: Math.round(median(portfolio)),
    lot_chart_ms: Math.round(median(lotChart)),
    portfolio_chain_ms: Math.round(median(portfolioChain)),
    loans: target ? null : LOANS,
    readings: target ? null : READINGS,
    lot_readings: target ? null : BIG_LOT_READINGS,
    runs: RUNS,
    bar_ms: BAR_MS,
    pass: median(portfolio) <= BAR_MS && median(lotChart) <= BAR_MS,
    source: target ? target.url : 'fixture-gateway',
    seed_ms: seeded?.seedMs ?? null,
  };
  console.log(JSON.stringify(result));
}

await main();

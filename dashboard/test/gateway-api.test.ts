// The dashboard in Chromium against the gateway's real HTTP API (fastify, SQLite evidence log fed
// by the real ingest pipeline) and a real anvil: the margin call of a price drop shows up live,
// "Verify this status" passes on the gateway's own evidence, and one byte altered in the
// evidence log makes it fail. Screenshots in .cache/screenshots/ (gateway-*.png).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard, launchBrowser, screenshot, type BrowserHandle } from './browser.js';
import { startChainWorld, type ChainWorld } from './chain-world.js';
import { startRealGateway, type RealGateway } from './real-gateway.js';

let world: ChainWorld;
let gateway: RealGateway;
let browser: BrowserHandle;

beforeAll(async () => {
  const [distDir, chain] = await Promise.all([buildDashboard(), startChainWorld()]);
  world = chain;
  await world.setPrice(9000);
  gateway = await startRealGateway(world, distDir);
  browser = await launchBrowser([{ url: '', token: gateway.tokens.auditor }]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await world?.stop();
});

describe('dashboard against the gateway API', () => {
  it('lists the loan from the gateway and its state from the chain; a price drop shows the margin call live', async () => {
    const page = browser.page;
    await page.goto(gateway.url + '/');
    const card = page.getByTestId(`loan-${gateway.loanId}`);
    await expect.poll(() => card.getByText('on chain').count(), { timeout: 15_000 }).toBe(1);
    expect(await card.getAttribute('data-state')).toBe('Active');
    await world.setPrice(8000);
    await world.poke(gateway.loanId);
    const loan = await world.contracts.inventoryLoan.getLoan(gateway.loanId);
    await gateway.chainEvent('InventoryLoan', 'MarginCalled', {
      loanId: gateway.loanId.toString(),
      ltvBps: '7875',
      deadline: loan.callDeadline.toString(),
    });
    await expect
      .poll(() => card.getAttribute('data-state'), { timeout: 15_000 })
      .toBe('MarginCall');
    expect(await card.getByTestId('countdown').isVisible()).toBe(true);
    expect(await card.textContent()).toContain('78.75 %');
    await screenshot(page, 'gateway-portfolio-margin-call-1366');
  });

  it('verifies the gateway evidence of the lot against the chain', async () => {
    const page = browser.page;
    await page.goto(`${gateway.url}/#/lot/0/LOT-1`);
    await page.waitForSelector('[data-testid=chart][data-drawn]');
    await page.getByTestId('verify-button').click();
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor({ timeout: 15_000 });
    expect(await verdict.textContent()).toMatch(/^VERIFIED: 6 device signatures/);
    await screenshot(page, 'gateway-lot-verified-1366');
  });

  it('fails the verdict when one byte of a stored envelope is altered', async () => {
    const page = browser.page;
    const db = gateway.fixture.store.database;
    const id = gateway.readingIds[2]!;
    const original = db
      .prepare('SELECT envelope FROM readings WHERE id = ?')
      .pluck()
      .get(id) as Uint8Array;
    const altered = Uint8Array.from(original);
    altered[30] = altered[30]! ^ 0x01;
    db.prepare('UPDATE readings SET envelope = ? WHERE id = ?').run(altered, id);
    try {
      await page.goto(`${gateway.url}/#/lot/0/LOT-1`);
      await page.reload();
      await page.getByTestId('verify-button').click();
      const verdict = page.getByTestId('verdict');
      await verdict.waitFor({ timeout: 15_000 });
      expect(await verdict.textContent()).toMatch(/^FAILED/);
      await screenshot(page, 'gateway-lot-altered-byte-1366');
    } finally {
      db.prepare('UPDATE readings SET envelope = ? WHERE id = ?').run(original, id);
    }
  });

  it('tells a bank viewer that evidence needs an auditor token', async () => {
    const viewer = await launchBrowser([{ url: '', token: gateway.tokens.viewer }]);
    try {
      await viewer.page.goto(`${gateway.url}/#/lot/0/LOT-1`);
      await viewer.page.getByTestId('verify-button').click();
      const verdict = viewer.page.getByTestId('verdict');
      await verdict.waitFor({ timeout: 15_000 });
      expect(await verdict.textContent()).toContain('PG_API_FORBIDDEN');
    } finally {
      await viewer.close();
    }
  });
});

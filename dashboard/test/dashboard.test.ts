// The dashboard in a real Chromium against real parts: readings signed with the protocol's test
// keys, roots attested and loans opened on a real anvil, two fixture gateways speaking the API
// contract (one serving the built dashboard). Screenshots go to .cache/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChainWorld, type ChainWorld } from './chain-world.js';
import { alterOneByte } from './evidence-fixture.js';
import {
  buildDashboard,
  launchBrowser,
  screenshot,
  VIEWPORTS,
  type BrowserHandle,
} from './browser.js';
import { emptyFixture, startFixtureGateway, type FixtureGateway } from './fixture-gateway.js';
import { seedLot, syncLoan, type SeededLot } from './scenario.js';

let world: ChainWorld;
let gatewayA: FixtureGateway;
let gatewayB: FixtureGateway;
let lotA: SeededLot;
let lotB: SeededLot;
let browser: BrowserHandle;

beforeAll(async () => {
  const [distDir, chain] = await Promise.all([buildDashboard(), startChainWorld()]);
  world = chain;
  await world.setPrice(9000);
  const dataA = emptyFixture(world.info('wh-qingdao-1', 'gw-a'));
  const dataB = emptyFixture(world.info('wh-foshan-2', 'gw-b'));
  lotA = await seedLot(world, dataA, 'B-07', 'LOT-1');
  lotB = await seedLot(world, dataB, 'B-09', 'LOT-2');
  dataA.quarantine = [
    {
      id: 11,
      receivedAtMs: Date.now() - 60_000,
      code: 'PG_DEVICE_UNKNOWN',
      detail: 'no device lc-b07-9',
      topic: 'pg/v1/wh-qingdao-1/lc-b07-9/reading',
      deviceId: 'lc-b07-9',
      boot: 1,
      seq: 4,
      authentic: false,
      resolvedAtMs: null,
      resolution: null,
    },
  ];
  dataA.certificates = [
    {
      thumbprint: 'AB12CD34',
      subject: 'CN=plc-qingdao-1',
      status: 'rejected',
      notAfterMs: Date.now() + 90 * 86_400_000,
      expiresInDays: 90,
    },
  ];
  gatewayA = await startFixtureGateway(dataA, { staticRoot: distDir });
  gatewayB = await startFixtureGateway(dataB);
  browser = await launchBrowser([
    { url: '', token: gatewayA.token },
    { url: gatewayB.url, token: gatewayB.token },
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gatewayA?.close();
  await gatewayB?.close();
  await world?.stop();
});

describe('dashboard in Chromium', () => {
  it('shows every loan of two gateways on one portfolio, state read from the chain', async () => {
    const page = browser.page;
    await page.goto(gatewayA.url + '/');
    const loanA = page.getByTestId(`loan-${lotA.loanId}`);
    const loanB = page.getByTestId(`loan-${lotB.loanId}`);
    await expect.poll(() => loanA.getByText('on chain').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => loanB.getByText('on chain').count(), { timeout: 15_000 }).toBe(1);
    expect(await loanA.getAttribute('data-state')).toBe('Active');
    expect(await loanA.textContent()).toContain('$6,300,000.00');
    expect(await loanA.textContent()).toContain('1,000.00 t');
    await expect
      .poll(() => page.getByTestId('live').textContent(), { timeout: 10_000 })
      .toBe('live 2/2');
    await screenshot(page, 'portfolio-1366');
  });

  it('a price drop puts the loans in margin call on the open portfolio, with a cure countdown', async () => {
    const page = browser.page;
    await world.setPrice(8000); // 6.3m / (1,000 t x 8,000) = 78.75 % >= 75 %
    await world.poke(lotA.loanId);
    await world.poke(lotB.loanId);
    await syncLoan(world, gatewayA.data, lotA.loanId, 7875);
    // Gateway B's API still says Active: the page must take the state from the chain.
    gatewayA.push('chain', { name: 'MarginCalled', loanId: lotA.loanId.toString() });
    const loanA = page.getByTestId(`loan-${lotA.loanId}`);
    const loanB = page.getByTestId(`loan-${lotB.loanId}`);
    await expect
      .poll(() => loanA.getAttribute('data-state'), { timeout: 15_000 })
      .toBe('MarginCall');
    await expect
      .poll(() => loanB.getAttribute('data-state'), { timeout: 15_000 })
      .toBe('MarginCall');
    expect(await loanA.getByTestId('state').textContent()).toBe('Margin call');
    // LTV too comes from the chain (InventoryLoan.health), not from gateway B's stale 70 %.
    await expect.poll(() => loanB.getByTestId('ltv').textContent()).toContain('LTV 78.75 %');
    // 48 h cure from the block time; anvil's block time runs a few seconds ahead when blocks come fast.
    expect(await loanA.getByTestId('countdown').textContent()).toMatch(
      /^(1d 23h 5\dm \d\ds|2d 00h 0\dm \d\ds)$/,
    );
    await screenshot(page, 'portfolio-margin-call-1366');
  });

  it('"Verify this status" passes on real signed readings whose root is on chain', async () => {
    const page = browser.page;
    await page.goto(`${gatewayA.url}/#/lot/0/LOT-1`);
    await page.waitForSelector('[data-testid=chart][data-drawn]');
    await page.getByTestId('verify-button').click();
    const verdict = page.getByTestId('verdict');
    await verdict.waitFor({ timeout: 15_000 });
    expect(await verdict.textContent()).toMatch(/^VERIFIED: 12 device signatures/);
    expect(await page.locator('.checks tr.fail').count()).toBe(0);
    expect(await page.locator('.checks tr.pass').count()).toBe(12 + 9); // 12 readings; root, proofs, event, chain root, lot key, 4 fields
    await screenshot(page, 'lot-verified-1366');
  });

  it('verifies an attestation picked in the table, and redraws the chart for another range', async () => {
    const page = browser.page;
    await page.goto(`${gatewayA.url}/#/lot/0/LOT-1`);
    await page.reload();
    await page.waitForSelector('[data-testid=chart][data-drawn]');
    const before = gatewayA.hits.get('/api/v1/lots/LOT-1/series') ?? 0;
    await page.getByRole('button', { name: '24 h' }).click();
    await expect.poll(() => gatewayA.hits.get('/api/v1/lots/LOT-1/series') ?? 0).toBe(before + 1);
    await page.waitForSelector('[data-testid=chart][data-drawn]');
    await page.getByTestId(`pick-${lotA.attestationId}`).click();
    expect(await page.locator('.card h2').textContent()).toMatch(/^Attestation 1:/);
    await page.getByTestId('verify-button').click();
    await page.getByTestId('verdict').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('verdict').textContent()).toMatch(/^VERIFIED/);
  });

  it('one altered byte of served evidence makes the verdict fail', async () => {
    const page = browser.page;
    const original = gatewayA.data.evidence.get(lotA.attestationId)!;
    gatewayA.data.evidence.set(lotA.attestationId, alterOneByte(original, 5, 40));
    try {
      await page.goto(`${gatewayA.url}/#/lot/0/LOT-1`);
      await page.reload();
      await page.getByTestId('verify-button').click();
      const verdict = page.getByTestId('verdict');
      await verdict.waitFor({ timeout: 15_000 });
      expect(await verdict.textContent()).toMatch(/^FAILED/);
      expect(await page.locator('.checks tr.fail').count()).toBeGreaterThan(0);
      await screenshot(page, 'lot-altered-byte-1366');
    } finally {
      gatewayA.data.evidence.set(lotA.attestationId, original);
    }
  });

  it('devices, quarantine and certificates show their data; replay and approve work', async () => {
    const page = browser.page;
    await page.goto(`${gatewayA.url}/#/devices`);
    await expect
      .poll(() => page.getByTestId('devices').first().textContent(), { timeout: 10_000 })
      .toContain('PG_REPLAYED: 3');
    await screenshot(page, 'devices-1366');
    await page.goto(`${gatewayA.url}/#/quarantine`);
    await page.getByRole('button', { name: 'Replay' }).click();
    await expect
      .poll(() => page.getByTestId('quarantine').first().textContent(), { timeout: 10_000 })
      .toContain('replayed: accepted');
    await page.goto(`${gatewayA.url}/#/certificates`);
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect
      .poll(() => page.getByTestId('certificates').first().textContent(), { timeout: 10_000 })
      .toContain('trusted');
  });

  it('fits a 375 px phone screen without horizontal scrolling', async () => {
    const phone = await launchBrowser([{ url: '', token: gatewayA.token }], VIEWPORTS.phone);
    try {
      await phone.page.goto(gatewayA.url + '/');
      await phone.page
        .getByTestId(`loan-${lotA.loanId}`)
        .getByText('on chain')
        .waitFor({ timeout: 15_000 });
      const width = () => phone.page.evaluate(() => document.documentElement.scrollWidth);
      expect(await width()).toBeLessThanOrEqual(VIEWPORTS.phone.width);
      await screenshot(phone.page, 'portfolio-375');
      await phone.page.goto(`${gatewayA.url}/#/lot/0/LOT-1`);
      await phone.page.waitForSelector('[data-testid=chart][data-drawn]');
      expect(await width()).toBeLessThanOrEqual(VIEWPORTS.phone.width);
      await screenshot(phone.page, 'lot-375');
    } finally {
      await phone.close();
    }
  });

  it('asks for a token first, stores it, then shows the portfolio', async () => {
    const fresh = await launchBrowser();
    try {
      await fresh.page.goto(gatewayA.url + '/');
      await fresh.page.getByTestId('gateway-token-0').fill(gatewayA.token);
      await fresh.page.getByTestId('save-gateways').click();
      await fresh.page.getByTestId(`loan-${lotA.loanId}`).waitFor({ timeout: 15_000 });
      const stored = await fresh.page.evaluate(() => localStorage.getItem('pledgeguard.gateways'));
      expect(JSON.parse(stored!)).toEqual([{ url: '', token: gatewayA.token }]);
    } finally {
      await fresh.close();
    }
  });
});

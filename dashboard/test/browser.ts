// Everything the dashboard's browser tests and bench need to drive a real Chromium, in one place
// so the integrator can point them at the full system:
//   - Debian's /usr/bin/chromium through playwright-core (never a downloaded browser), headless,
//     a fresh temporary profile per launch (PLATFORM.md flags);
//   - the dashboard built once per process into a temporary directory (vite, dashboard/vite.config.ts);
//   - screenshots under .cache/screenshots/ (test artifacts).
// Against the real system: set PG_DASHBOARD_URL (a gateway serving the dashboard) and
// PG_DASHBOARD_TOKEN; `dashboardTarget()` returns them instead of a fixture server.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.PG_CHROMIUM_PATH ?? '/usr/bin/chromium';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOT_DIR = path.join(repoRoot, '.cache', 'screenshots');

export const VIEWPORTS = {
  laptop: { width: 1366, height: 768 },
  phone: { width: 375, height: 812 },
} as const;

export interface BrowserHandle {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Chromium with a fresh profile. `gateways` are written to localStorage before any page script. */
export async function launchBrowser(
  gateways: { url: string; token: string }[] = [],
  viewport: { width: number; height: number } = VIEWPORTS.laptop,
): Promise<BrowserHandle> {
  const profile = await mkdtemp(path.join(tmpdir(), 'pg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  if (gateways.length > 0) {
    await context.addInitScript((value: string) => {
      if (!localStorage.getItem('pledgeguard.gateways'))
        localStorage.setItem('pledgeguard.gateways', value);
    }, JSON.stringify(gateways));
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

let built: Promise<string> | undefined;

/** Builds the dashboard once per process; resolves to the directory holding index.html. */
export function buildDashboard(): Promise<string> {
  built ??= (async () => {
    const { build } = await import('vite');
    const outDir = await mkdtemp(path.join(tmpdir(), 'pg-dashboard-'));
    await build({
      configFile: path.join(repoRoot, 'dashboard', 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
    return outDir;
  })();
  return built;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The real system, when the environment names one; otherwise undefined (use a fixture). */
export function dashboardTarget(): { url: string; token: string } | undefined {
  const url = process.env.PG_DASHBOARD_URL;
  const token = process.env.PG_DASHBOARD_TOKEN;
  return url && token ? { url, token } : undefined;
}

/** Milliseconds from navigation start to a `performance.mark` the app sets, or -1 on timeout. */
export async function markTimeMs(page: Page, mark: string, timeoutMs = 30_000): Promise<number> {
  await page.waitForFunction((name) => performance.getEntriesByName(name).length > 0, mark, {
    timeout: timeoutMs,
  });
  return page.evaluate((name) => performance.getEntriesByName(name)[0]!.startTime, mark);
}

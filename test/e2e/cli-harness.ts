// End-to-end harness through the CLI (issue 8 item 4): the gateway is the production binary,
// `node gateway/bin/pledgeguard.js start --config <file>`, in its own process.
//   firmware-sim Fleet (this process) --MQTT--> pledgeguard start (child process, config
//   `simulation`: the fleet's scaled clock) --EIP-712--> anvil; ChainActions and ChainClock here.
// Both clocks are anchored to one wall origin chosen before the gateway starts (the config must
// name it): warehouse time = warehouseOriginMs + (wall - wallOriginMs) x timeScale, standing
// before the origin and stopping at the story's end, in the gateway (gateway/src/app/
// simulated-clock.ts) and in the fleet (OriginFleet below). Afterwards the chain is read as
// harness.ts reads it, and the gateway is asked through its HTTP API with a bootstrapped
// operator-admin token (loans, lots, attestations, quarantine, devices, metrics); the evidence log
// is opened only after the gateway has exited, for the identities (seq contiguity).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { label, lotKey } from '@pledgeguard/contracts/eip712';
import type { RiskParametersConfig } from '@pledgeguard/contracts/deploy';
import {
  bootIdentities,
  Fleet,
  LOAN_STATES,
  provisionScenario,
  type FleetOptions,
  type Scenario,
} from '@pledgeguard/firmware-sim';
import { EvidenceStore } from '@pledgeguard/gateway';
import { ChainActions } from '../../firmware-sim/src/app/chain-actions.js';
import { ChainClock } from '../../firmware-sim/src/app/chain-clock.js';
import { freePort } from '../../firmware-sim/src/testing/brokers.js';
import {
  defaultGatewayConfig,
  readChainEvents,
  startChain,
  WAREHOUSE_NUMBER,
  type GatewayContext,
  type LoanView,
  type ScenarioResult,
} from './harness.js';

/** The CLI entry point (tsx), as `npx pledgeguard` runs it. */
export const PLEDGEGUARD_BIN = fileURLToPath(
  new URL('../../gateway/bin/pledgeguard.js', import.meta.url),
);

/** Names of CustodyFlag bits as the API spells them (`flagNames`), by scenario flag name. */
export const API_FLAG_NAMES: Record<string, string> = {
  tamper: 'tamper',
  offline: 'offline',
  'evidence-gap': 'evidenceGap',
  'unexplained-drop': 'unexplainedDrop',
  'sensor-disagreement': 'sensorDisagreement',
  'quality-excursion': 'qualityExcursion',
  'replay-attempt': 'replayAttempt',
  'clock-skew': 'clockSkew',
};

/** A Fleet whose clock runs from a wall origin fixed in advance (the gateway's config names it). */
export class OriginFleet extends Fleet {
  constructor(
    options: FleetOptions,
    private readonly wallOriginMs: number,
  ) {
    super(options);
  }

  /** Scenario offset now [warehouse ms]: 0 before the origin, then wall elapsed x timeScale. */
  override offsetNowMs(): number {
    return Math.max(0, Date.now() - this.wallOriginMs) * this.engine.scenario.timeScale;
  }
}

/** The gateway's HTTP API with a bearer token. */
export class GatewayApi {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!response.ok)
      throw new Error(`GET ${path}: ${response.status} ${(await response.text()).slice(0, 300)}`);
    return (await response.json()) as T;
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`POST ${path}: ${response.status} ${(await response.text()).slice(0, 300)}`);
    return (await response.json()) as T;
  }

  /** Prometheus text of /metrics (public). */
  async metrics(): Promise<string> {
    return (await fetch(`${this.baseUrl}/metrics`)).text();
  }

  /** Every quarantine row, newest first, paged with beforeId. */
  async quarantine(): Promise<ApiQuarantineRow[]> {
    const rows: ApiQuarantineRow[] = [];
    for (;;) {
      const before = rows.at(-1)?.id;
      const page = await this.get<ApiQuarantineRow[]>(
        `/api/v1/quarantine?limit=1000${before !== undefined ? `&beforeId=${before}` : ''}`,
      );
      rows.push(...page);
      if (page.length < 1000) return rows;
    }
  }
}

export interface ApiLoan {
  readonly loanId: string;
  readonly receiptId: string;
  readonly lotId: string;
  readonly state: string;
  readonly frozen: boolean;
  readonly debt: string;
  readonly ltvBps: number | null;
}
export interface ApiLot {
  readonly lotId: string;
  readonly quantityGrams: string;
  readonly receiptGrams: string | null;
  readonly flags: number;
  readonly flagNames: string[];
  readonly unverified: boolean;
  readonly lastAttestation: { sequence: string; quantityGrams: string; status: string } | null;
}
export interface ApiAttestation {
  readonly id: number;
  readonly sequence: string;
  readonly quantityGrams: string;
  readonly flags: number;
  readonly flagNames: string[];
  readonly readingsRoot: string;
  readonly status: string;
}
export interface ApiQuarantineRow {
  readonly id: number;
  readonly code: string;
  readonly deviceId: string | null;
}
export interface ApiDevice {
  readonly deviceId: string;
  readonly revoked: boolean;
  readonly rejections: Record<string, number>;
}

/** What the gateway answered through its API after the story. */
export interface ApiSnapshot {
  readonly loans: ApiLoan[];
  readonly lots: ApiLot[];
  /** Lot id -> attestations, newest first (at most 1,000). */
  readonly attestations: Map<string, ApiAttestation[]>;
  readonly quarantine: ApiQuarantineRow[];
  readonly devices: ApiDevice[];
  /** From /metrics. */
  readonly ingest: { accepted: number; duplicates: number; gaps: number };
}

export interface CliScenarioResult extends ScenarioResult {
  readonly api: ApiSnapshot;
  /** The gateway process's exit code after SIGTERM. */
  readonly exitCode: number | null;
  /** The gateway's stdout and stderr (the last 64 KiB). */
  readonly gatewayOutput: string;
  /** Wall ms of the phases: anvil and contracts, gateway boot(s) until the clock origin is set,
   * the story, settling and collecting, SIGTERM until exit; and the whole run. */
  readonly timings: {
    chainMs: number;
    bootMs: number;
    storyMs: number;
    collectMs: number;
    stopMs: number;
    totalMs: number;
  };
}

export interface CliScenarioOptions {
  readonly scenario: Scenario;
  /** Wall ms between spawning the gateway and the warehouse clock's start; default: estimated. */
  readonly startupMs?: number;
  /** Shared among concurrent runs so gateways boot one at a time; default: a lane of its own. */
  readonly bootLanes?: Lanes;
  /** Wall ms to let the last attestations land after the story ends; default 2,000. */
  readonly settleMs?: number;
  /**
   * Heartbeats a device may miss before it is offline; default 90 (1.5 h of a 1-minute heartbeat,
   * 3.75 wall s at 1440x). harness.ts uses 30 (1.25 wall s) for one story in one process; here
   * several stories share the test process's event loop and the machine, and a stall of a second
   * must not make every device offline. The 2 h outage of DOMAIN.md 5 is still detected.
   */
  readonly missedBeats?: number;
  /** Extra raw gateway config merged over the defaults. */
  readonly gatewayConfig?: Record<string, unknown>;
  /** InventoryLoan risk parameters; default DEFAULT_RISK_PARAMETERS (every flag a breach). */
  readonly riskParameters?: RiskParametersConfig;
}

const OUTPUT_LIMIT = 64 * 1024;
/** Wall ms the gateway must be listening before the clock origin (devices connect meanwhile). */
const MIN_LEAD_MS = 1_500;

/** Boot times of `pledgeguard start` seen so far, for the next clock origin. */
const bootEstimate = {
  recentMs: [] as number[],
  observe(ms: number) {
    this.recentMs = [...this.recentMs, ms].slice(-2);
  },
  /** 1.5 x the slower of the last two boots plus the lead, at least 12 s. */
  nextBudgetMs(): number {
    return Math.max(12_000, Math.round(Math.max(0, ...this.recentMs) * 1.5) + MIN_LEAD_MS);
  },
};

/** A started `pledgeguard start` child process. */
interface GatewayProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** Spawns `node gateway/bin/pledgeguard.js start --config <file>`. */
export function spawnGateway(configFile: string): GatewayProcess {
  // The config file is the whole truth: no PG_GATEWAY_* overrides from the test's environment.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('PG_GATEWAY_')),
  );
  const child = spawn(process.execPath, [PLEDGEGUARD_BIN, 'start', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 2 * OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))),
  );
  return { child, exited, output: () => output.slice(-OUTPUT_LIMIT) };
}

/** Waits for GET /health to answer ok; throws with the gateway's output when it exits or times out. */
async function waitHealthy(baseUrl: string, gateway: GatewayProcess, timeoutMs: number) {
  let exited = false;
  void gateway.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited) {
    const ok = await fetch(`${baseUrl}/health`).then(
      async (r) => ((await r.json()) as { ok?: boolean }).ok === true,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(
    `pledgeguard start did not become healthy (${exited ? 'exited' : `${timeoutMs} ms`}):\n${gateway.output().slice(-4_000)}`,
  );
}

/**
 * Runs a scenario with the gateway started through the real CLI: anvil and the contracts, the
 * gateway process on the fleet's scaled clock, the fleet and the chain actions here; then collects
 * the chain's state and the gateway's API answers, stops the gateway with SIGTERM and reads the
 * stored identities. Always cleans up.
 */
export async function runCliScenario(options: CliScenarioOptions): Promise<CliScenarioResult> {
  const startedMs = Date.now();
  const { scenario } = options;
  const dir = mkdtempSync(join(tmpdir(), `pg-e2e-cli-${scenario.name}-`));
  const cleanups: (() => Promise<unknown> | unknown)[] = [
    () => rmSync(dir, { recursive: true, force: true }),
  ];
  let gateway: GatewayProcess | undefined;
  const phases = { chainMs: 0, bootMs: 0, storyMs: 0, collectMs: 0, stopMs: 0 };
  try {
    const { manifestPath } = provisionScenario(scenario, join(dir, 'sim'));
    const [brokerPort, httpPort] = [await freePort(), await freePort()];
    const chain = await startChain(scenario, dir, 1, 1, options.riskParameters);
    cleanups.push(() => chain.anvil.stop());
    const context: GatewayContext = {
      dir,
      manifestPath,
      brokerPort,
      httpPorts: [httpPort],
      chain: {
        rpcUrl: chain.anvil.rpcUrl,
        chainId: chain.anvil.chainId,
        deploymentPath: chain.deploymentPath,
        keyFile: chain.keyFiles[0]!,
        address: chain.gatewayWallets[0]!.address,
        gatewayAddresses: chain.gatewayWallets.map((w) => w.address),
        threshold: 1,
        deployed: chain.deployed,
      },
    };

    // One operator-admin token, minted here; the gateway gets only its SHA-256.
    const token = `pg_${randomBytes(32).toString('hex')}`;
    const warehouseOriginMs =
      scenario.startTime === undefined ? Date.now() : Date.parse(scenario.startTime);
    const configFile = join(dir, 'gateway.yaml');
    const writeConfig = (wallOriginMs: number) =>
      writeFileSync(
        configFile,
        toYaml({
          ...withMissedBeats(defaultGatewayConfig(scenario, 0, context), options.missedBeats ?? 90),
          api: {
            bootstrapTokens: [
              {
                name: 'e2e-operator',
                role: 'operator-admin',
                sha256: createHash('sha256').update(token).digest('hex'),
              },
            ],
            rateLimit: { perTokenPerMinute: 100_000 },
          },
          simulation: {
            timeScale: scenario.timeScale,
            wallOriginMs,
            warehouseOriginMs,
            warehouseEndMs: warehouseOriginMs + scenario.duration,
          },
          log: { level: 'warn' },
          ...options.gatewayConfig,
        }),
      );
    const baseUrl = `http://127.0.0.1:${httpPort}`;
    const api = new GatewayApi(baseUrl, token);
    cleanups.push(async () => {
      const child = gateway?.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await gateway!.exited;
      }
    });
    phases.chainMs = Date.now() - startedMs;

    // The warehouse clock starts at a wall origin the config names, so it is chosen before the
    // gateway starts: its boot time (estimated from the boots so far) plus a margin for the
    // devices to connect. A gateway that boots later than that is restarted with a later origin,
    // so the story always begins with the gateway listening. One boot at a time (bootLanes).
    const bootStartedMs = Date.now();
    let wallOriginMs = 0;
    await (options.bootLanes ?? new Lanes(1)).run(async () => {
      for (let attempt = 1; ; attempt++) {
        const spawnedMs = Date.now();
        wallOriginMs = spawnedMs + (options.startupMs ?? bootEstimate.nextBudgetMs());
        writeConfig(wallOriginMs);
        gateway = spawnGateway(configFile);
        await waitHealthy(baseUrl, gateway, 90_000);
        bootEstimate.observe(Date.now() - spawnedMs);
        if (Date.now() <= wallOriginMs - MIN_LEAD_MS) return;
        if (attempt === 3)
          throw new Error(`pledgeguard start booted after the clock origin three times`);
        gateway.child.kill('SIGTERM');
        await gateway.exited;
      }
    });
    phases.bootMs = Date.now() - bootStartedMs;
    const running: GatewayProcess = gateway!;

    const fleet = new OriginFleet(
      {
        scenario,
        identities: bootIdentities(scenario, join(dir, 'sim')),
        brokerUrl: `mqtt://127.0.0.1:${brokerPort}`,
        spoolDir: join(dir, 'sim'),
        backoff: { initialMs: 100, maxMs: 1_000 },
        startTimeMs: warehouseOriginMs,
      },
      wallOriginMs,
    );
    cleanups.push(() => fleet.stop());
    const chainClock = new ChainClock({
      provider: chain.provider,
      warehouseNowMs: () => fleet.warehouseNowMs(),
    });
    await chainClock.start();
    cleanups.push(() => chainClock.stop());
    const actions = new ChainActions({
      scenario,
      deployed: chain.deployed,
      parties: chain.parties,
      warehouseNumber: WAREHOUSE_NUMBER,
      // An operator revokes through the API (POST /devices/:id/revoke), as on a real site.
      revokeDevice: async (deviceId) => {
        await api.post(`/api/v1/devices/${encodeURIComponent(deviceId)}/revoke`, {
          reason: `scenario ${scenario.name}`,
        });
      },
      beforeSend: () => chainClock.sync(),
    });
    cleanups.push(() => actions.stop());

    await fleet.start();
    const storyStartedMs = Date.now();
    const offsetNowMs = () => Math.min(fleet.offsetNowMs(), scenario.duration);
    await Promise.all([fleet.done, actions.run(offsetNowMs)]);
    phases.storyMs = Date.now() - storyStartedMs;
    const collectStartedMs = Date.now();
    await sleep(options.settleMs ?? 2_000);
    await waitIngestIdle(api, 10_000);

    // The chain, read as harness.ts reads it.
    const events = await readChainEvents(chain.provider, chain.deployed);
    const loans = new Map<string, LoanView>();
    for (const [receiptId, loanId] of actions.loanIds) {
      const loan = await chain.deployed.inventoryLoan.getLoan(loanId);
      loans.set(receiptId, {
        loanId,
        state: LOAN_STATES[Number(loan.state)]!,
        frozen: loan.breachSince !== 0n,
        debt: loan.debt,
        receiptGrams: await chain.deployed.warehouseReceipt.quantityGramsOf(loan.receiptId),
      });
    }
    const attestations: ScenarioResult['attestations'] = new Map();
    for (const lot of scenario.lots) {
      const key = lotKey(WAREHOUSE_NUMBER, label(lot.bayId), label(lot.lotId));
      attestations.set(
        lot.lotId,
        events
          .filter((e) => e.name === 'CustodyAttested' && e.args.lotKey === key)
          .map((e) => ({
            sequence: e.args.sequence as bigint,
            quantityGrams: e.args.quantityGrams as bigint,
            flags: Number(e.args.flags),
            readingsRoot: e.args.readingsRoot as string,
          })),
      );
    }

    // The gateway's API: wait (briefly) for its listener to have stored the chain's loan events.
    const apiSnapshot = await snapshotApi(api, scenario, loans);

    // Verdicts as the API reports them (code -> device -> count).
    const byCode = new Map<string, Map<string, number>>();
    const counts: Record<string, number> = {};
    for (const row of apiSnapshot.quarantine) {
      const devices = byCode.get(row.code) ?? new Map<string, number>();
      devices.set(row.deviceId ?? '', (devices.get(row.deviceId ?? '') ?? 0) + 1);
      byCode.set(row.code, devices);
      counts[row.code] = (counts[row.code] ?? 0) + 1;
    }

    // Stop the gateway as an operator would (SIGTERM), then read its evidence log.
    phases.collectMs = Date.now() - collectStartedMs;
    const stopStartedMs = Date.now();
    actions.stop();
    await fleet.stop();
    running.child.kill('SIGTERM');
    const exitCode = await Promise.race([
      running.exited,
      sleep(20_000).then(() => 'timeout' as const),
    ]);
    if (exitCode === 'timeout') throw new Error(`gateway did not stop on SIGTERM in 20 s`);
    phases.stopMs = Date.now() - stopStartedMs;
    const store = new EvidenceStore(join(dir, 'gateway-1', 'evidence.db'));
    let identities: Map<string, { boot: number; seq: number }[]>;
    try {
      identities = new Map(scenario.devices.map((d) => [d.deviceId, store.identities(d.deviceId)]));
    } finally {
      store.close();
    }

    return {
      scenario,
      verdicts: [counts],
      verdictsByDevice: [byCode],
      ingest: [apiSnapshot.ingest],
      identities: [identities],
      events,
      outcomes: actions.outcomes,
      loans,
      attestations,
      api: apiSnapshot,
      exitCode,
      gatewayOutput: running.output(),
      timings: { ...phases, totalMs: Date.now() - startedMs },
    };
  } catch (error) {
    if (gateway && error instanceof Error)
      error.message += `\n--- gateway output (tail) ---\n${gateway.output().slice(-4_000)}`;
    throw error;
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // best effort: the temp dir and processes go regardless
      }
    }
  }
}

/** The harness's gateway config with another custody.defaults.missedBeats. */
function withMissedBeats(
  config: Record<string, unknown>,
  missedBeats: number,
): Record<string, unknown> {
  const custody = (config.custody ?? {}) as Record<string, unknown>;
  const defaults = (custody.defaults ?? {}) as Record<string, unknown>;
  return { ...config, custody: { ...custody, defaults: { ...defaults, missedBeats } } };
}

/** Waits until /metrics reports nothing in the ingest pipeline. */
async function waitIngestIdle(api: GatewayApi, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (metricValue(await api.metrics(), 'pg_ingest_in_flight') === 0) return;
    await sleep(100);
  }
}

/** The value of an unlabelled Prometheus sample. */
export function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

async function snapshotApi(
  api: GatewayApi,
  scenario: Scenario,
  chainLoans: ReadonlyMap<string, LoanView>,
): Promise<ApiSnapshot> {
  // The listener polls the chain every 50 ms; give it a few seconds to catch up with the last
  // loan events before the answers are compared with the chain.
  let loans: ApiLoan[] = [];
  const deadline = Date.now() + 10_000;
  for (;;) {
    loans = await api.get<ApiLoan[]>('/api/v1/loans');
    const inStep = [...chainLoans.values()].every((chainLoan) => {
      const apiLoan = loans.find((l) => l.loanId === String(chainLoan.loanId));
      return (
        apiLoan !== undefined &&
        apiLoan.state === chainLoan.state &&
        apiLoan.frozen === chainLoan.frozen
      );
    });
    if (inStep || Date.now() > deadline) break;
    await sleep(200);
  }
  const lots = await api.get<ApiLot[]>('/api/v1/lots');
  const attestations = new Map<string, ApiAttestation[]>();
  for (const lot of scenario.lots)
    attestations.set(
      lot.lotId,
      await api.get<ApiAttestation[]>(
        `/api/v1/lots/${encodeURIComponent(lot.lotId)}/attestations?limit=1000`,
      ),
    );
  const metrics = await api.metrics();
  return {
    loans,
    lots,
    attestations,
    quarantine: await api.quarantine(),
    devices: await api.get<ApiDevice[]>('/api/v1/devices'),
    ingest: {
      accepted: metricValue(metrics, 'pg_readings_accepted_total') ?? 0,
      duplicates: metricValue(metrics, 'pg_readings_duplicate_total') ?? 0,
      gaps: metricValue(metrics, 'pg_readings_gap_total') ?? 0,
    },
  };
}

/** At most `size` tasks at a time; each run() resolves with its own task's result. */
export class Lanes {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

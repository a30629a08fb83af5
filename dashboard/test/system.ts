// The whole system for the dashboard's browser tests, rather than fixtures: test/e2e/harness.ts
// `startScenario` (firmware-sim fleet --MQTT--> in-process gateway: ingest, custody, EIP-712
// attestations --> anvil, with the scenario's chain actions on the story's clock), the gateway also
// serving the built dashboard, telling browsers anvil's RPC in /api/v1/info, and accepting API
// tokens minted here (config `api.bootstrapTokens`: only their SHA-256 reaches the gateway).
import { randomBytes } from 'node:crypto';
import { tokenSha256, type ApiRole } from '../../gateway/src/adapters/http/token-store.js';
import { scenarioFile, startScenario, type ScenarioRun } from '../../test/e2e/harness.js';

type Scenario = ScenarioRun['scenario'];

export interface SystemOptions {
  /** A scenario file of firmware-sim/scenarios by name. */
  readonly scenario: string;
  /** Action ids of the scenario to leave out (e.g. a cure, to keep a loan in MarginCall). */
  readonly withoutActions?: readonly string[];
  /**
   * Warehouse ms added to every action's time: the actions wait until the in-process system is
   * past its start-up stalls (module loading, JIT, six devices connecting), which on a loaded
   * machine can flag devices offline or outrun the first attestations. Default 0.
   */
  readonly delayActionsMs?: number;
  /** Overrides the scenario's duration [warehouse ms]; its clock stops there. */
  readonly durationMs?: number;
  /** Overrides the scenario's timeScale [warehouse ms per wall ms]. */
  readonly timeScale?: number;
  /** The built dashboard (index.html inside), absolute: `buildDashboard()` of browser.ts. */
  readonly dashboardDir: string;
}

export interface RunningSystem {
  readonly run: ScenarioRun;
  readonly scenario: Scenario;
  /** The gateway's HTTP origin (API under /api/v1, dashboard at /). */
  readonly url: string;
  /** One token per role, accepted by the gateway. */
  readonly tokens: Readonly<Record<Exclude<ApiRole, 'gateway-peer'>, string>>;
  /** The scenario's chain actions that failed so far, one line each (empty while all went well). */
  failedActions(): string[];
  /** For a failure message: the actions' outcomes, the chain events by name, attestation flags. */
  describeStory(): Promise<string>;
  /** GET /api/v1<path> with a token (default: the auditor's); throws on a non-2xx answer. */
  api<T>(path: string, token?: string): Promise<T>;
  stop(): Promise<void>;
}

/** Starts simulator, one gateway and anvil on `options.scenario`; stop() ends everything. */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const loaded = scenarioFile(options.scenario);
  const left = new Set(options.withoutActions ?? []);
  const missing = [...left].filter((id) => !loaded.actions.some((a) => a.id === id));
  if (missing.length > 0)
    throw new Error(`scenario ${options.scenario} has no action ${missing.join(', ')}`);
  const delayMs = options.delayActionsMs ?? 0;
  const scenario: Scenario = {
    ...loaded,
    duration: options.durationMs ?? loaded.duration,
    actions: loaded.actions
      .filter((a) => a.id === undefined || !left.has(a.id))
      .map((a) => ({ ...a, at: a.at + delayMs })),
  };
  const tokens = {
    'bank-viewer': mintToken(),
    auditor: mintToken(),
    'operator-admin': mintToken(),
  };
  const run = await startScenario({
    scenario,
    gateways: 1,
    chain: true,
    ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    gatewayConfig: (_index, context) => ({
      api: {
        dashboardDir: options.dashboardDir,
        ...(context.chain ? { publicRpcUrl: context.chain.rpcUrl } : {}),
        bootstrapTokens: Object.entries(tokens).map(([role, token]) => ({
          name: `system-test-${role}`,
          role,
          sha256: tokenSha256(token),
        })),
      },
    }),
  });
  const url = `http://127.0.0.1:${run.gateways[0]!.httpPort}`;
  return {
    run,
    scenario: run.scenario,
    url,
    tokens,
    failedActions: () =>
      (run.actions?.outcomes ?? []).flatMap((o) =>
        o.ok ? [] : [`${o.key} (${o.type}): ${o.error} ${o.message.slice(0, 300)}`],
      ),
    async describeStory() {
      const outcomes = (run.actions?.outcomes ?? []).map(
        (o) => `${o.key}:${o.ok ? 'ok' : o.error}`,
      );
      const events = await run.chainEvents().catch(() => []);
      const counts = new Map<string, number>();
      for (const e of events) counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
      const flags = events
        .filter((e) => e.name === 'CustodyAttested')
        .map((e) => Number(e.args.flags));
      return [
        `story offset ${(run.fleet.offsetNowMs() / 3_600_000).toFixed(2)} h`,
        `actions ${outcomes.join(', ') || 'none yet'}`,
        `events ${[...counts].map(([n, c]) => `${n}x${c}`).join(', ')}`,
        `attestation flags ${flags.join(' ')}`,
        `quarantine ${JSON.stringify(run.gateways[0]!.store.quarantineCounts())}`,
      ].join('; ');
    },
    async api<T>(path: string, token = tokens.auditor): Promise<T> {
      const response = await fetch(`${url}/api/v1${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    stop: () => run.stop(),
  };
}

/** A token in the gateway's format (`pg_` + 64 hex digits), minted outside the gateway. */
function mintToken(): string {
  return `pg_${randomBytes(32).toString('hex')}`;
}

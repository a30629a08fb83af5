// The whole PledgeGuard system on one machine, for `npm start` / `pledgeguard dev` (issue 8 item 1):
//   anvil (chain kept in <dataDir>/chain/state.json) with the contracts deployed once,
//   the gateway (embedded MQTT broker, SQLite evidence log, custody engine, chain feeder, HTTP API
//   and the dashboard), the simulated OPC UA PLC, and firmware-sim devices playing
//   scripts/dev/demo-scenario.yaml in real time (two loans, a price drop, a theft attempt).
// A second start reuses the data directory: same chain, keys, evidence and tokens; the story's
// events and chain actions ran already, so only the devices go on reporting. `--reset` wipes it.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wallet, type Signer } from 'ethers';
import { pino, type Logger } from 'pino';
import { startAnvil, type AnvilHandle } from '@pledgeguard/contracts/anvil';
import { connect } from '@pledgeguard/contracts/chain';
import {
  attachPledgeGuard,
  deployPledgeGuard,
  deploymentJson,
  type Deployment,
} from '@pledgeguard/contracts/deploy';
import {
  bootIdentities,
  Fleet,
  loadScenarioFile,
  provisionScenario,
  type Scenario,
} from '@pledgeguard/firmware-sim';
import { configSchema, startGateway, type RunningGateway } from '@pledgeguard/gateway';
import {
  anvilParties,
  ChainActions,
  commodityLabel,
  fundParties,
  partyRoles,
} from '../../firmware-sim/src/app/chain-actions.js';
import type { PlcServer } from '../../firmware-sim/src/adapters/opcua-plc.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const DEMO_SCENARIO = join(REPO, 'scripts', 'dev', 'demo-scenario.yaml');
/** The chain's number for the demo warehouse (gateway chain.warehouseNumber). */
const WAREHOUSE_NUMBER = 1n;

export interface DevOptions {
  /** Default <repo>/.pledgeguard */
  readonly dataDir?: string;
  readonly reset?: boolean;
  /** Dashboard and API; default 8080. */
  readonly httpPort?: number;
  /** Embedded MQTT broker; default 1883. */
  readonly mqttPort?: number;
  /** Simulated OPC UA PLC; default 4840; 0 turns the PLC off. */
  readonly opcuaPort?: number;
  readonly log?: Logger;
  /** Progress lines for the person at the terminal. */
  readonly say?: (line: string) => void;
}

/** What a first start leaves in <dataDir>/dev.json for the next ones. */
interface DevState {
  readonly storyDone: boolean;
  readonly tokens: Record<string, { role: string; token: string }>;
}

export interface DevSystem {
  readonly dashboardUrl: string;
  readonly tokens: DevState['tokens'];
  readonly gateway: RunningGateway;
  readonly anvil: AnvilHandle;
  /** Resolves with the transaction hash of the first attestation this run confirmed on chain. */
  readonly firstAttestation: Promise<string>;
  stop(): Promise<void>;
}

export async function startDevSystem(options: DevOptions = {}): Promise<DevSystem> {
  const say = options.say ?? ((line: string) => console.log(line));
  // Gateway JSON logs at error level only: the terminal gets readable lines from `say` instead.
  const log = options.log ?? pino({ level: process.env.PG_DEV_LOG_LEVEL ?? 'error' });
  const dataDir = resolve(options.dataDir ?? join(REPO, '.pledgeguard'));
  if (options.reset && existsSync(dataDir)) {
    rmSync(dataDir, { recursive: true, force: true });
    say(`reset: removed ${dataDir}`);
  }
  const fresh = !existsSync(join(dataDir, 'dev.json'));
  mkdirSync(join(dataDir, 'chain'), { recursive: true });
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.warn({ err: error }, 'dev: stop step failed');
      }
    }
  };

  try {
    const state = readState(dataDir);
    const baseScenario = loadScenarioFile(DEMO_SCENARIO);
    // Later starts continue the warehouse without re-playing the story.
    const scenario: Scenario = state.storyDone
      ? { ...baseScenario, events: [], actions: [] }
      : baseScenario;

    await ensureDashboardBuilt(say);

    say(fresh ? 'chain: starting anvil (new chain)' : 'chain: starting anvil (kept chain)');
    const anvil = await startAnvil({ stateFile: join(dataDir, 'chain', 'state.json') });
    cleanups.push(() => anvil.stop());
    const provider = connect(anvil.rpcUrl, anvil.chainId);
    const parties = anvilParties(provider);
    const deploymentPath = join(dataDir, 'chain', 'deployment.json');
    const keyFile = join(dataDir, 'chain', 'gateway.key');
    if (!existsSync(deploymentPath)) {
      say('chain: deploying the contracts');
      const gatewayWallet = Wallet.createRandom();
      writeFileSync(keyFile, `${gatewayWallet.privateKey}\n`, { mode: 0o600 });
      const commodities = [...new Set(scenario.lots.map((l) => commodityLabel(l.commodity)))].map(
        (name) => ({
          name,
          description: `${name} USD/t`,
          decimals: 8,
          heartbeatSeconds: 26 * 3600,
        }),
      );
      const deployed = await deployPledgeGuard(parties.admin, {
        ...(await partyRoles(parties)),
        commodities,
        gatewaySets: [
          { warehouseId: WAREHOUSE_NUMBER, gateways: [gatewayWallet.address], threshold: 1 },
        ],
      });
      await fundParties(deployed, parties);
      await provider.send('anvil_setBalance', [gatewayWallet.address, '0x56BC75E2D63100000']);
      writeFileSync(deploymentPath, deploymentJson(deployed.deployment));
    }

    const simDir = join(dataDir, 'sim');
    const { manifestPath } = provisionScenario(scenario, simDir);

    const opcuaPort = options.opcuaPort ?? 4840;
    let plc: PlcServer | undefined;
    if (opcuaPort !== 0) {
      // node-opcua is large: loaded only when the PLC runs.
      const opcua = await import('../../firmware-sim/src/adapters/opcua-plc.js');
      plc = new opcua.PlcServer({
        port: opcuaPort,
        pkiDir: join(dataDir, 'plc-pki'),
        security: 'none',
        acceptAnyClient: true,
      });
      await plc.start(scenario.devices.map((d) => d.deviceId));
      cleanups.push(() => plc!.stop());
      say(`plc: OPC UA PLC simulator at ${plc.endpointUrl}`);
    }

    const tokens = state.tokens;
    const httpPort = options.httpPort ?? 8080;
    const mqttPort = options.mqttPort ?? 1883;
    const rawConfig = {
      warehouseId: scenario.warehouseId,
      gatewayId: 'gw-1',
      dataDir: join(dataDir, 'gateway'),
      manifest: manifestPath,
      mqtt: { embedded: { enabled: true, host: '127.0.0.1', port: mqttPort } },
      ...(plc && {
        opcua: {
          endpointUrl: plc.endpointUrl,
          // The simulator's own plain channel; signed readings are verified all the same.
          security: 'none',
          devices: scenario.devices.filter((d) => d.type === 'temperature').map((d) => d.deviceId),
        },
      }),
      http: { host: '127.0.0.1', port: httpPort },
      api: {
        dashboardDir: join(REPO, 'dashboard', 'dist'),
        bootstrapTokens: Object.entries(tokens).map(([name, { role, token }]) => ({
          name,
          role,
          sha256: createHash('sha256').update(token).digest('hex'),
        })),
        publicRpcUrl: anvil.rpcUrl,
      },
      custody: { attest: { heartbeatMs: 60_000 } },
      chain: {
        rpcUrl: anvil.rpcUrl,
        deployment: deploymentPath,
        keyFile,
        warehouseNumber: Number(WAREHOUSE_NUMBER),
        confirmations: 1,
        submitPollMs: 100,
        listenPollMs: 250,
      },
    };
    const config = configSchema.parse(rawConfig);
    const gateway = await startGateway({ ...config, baseDir: dataDir }, log, {
      nowMs: () => Date.now(),
    });
    cleanups.push(() => gateway.stop());

    const LOAN_EVENTS = new Set([
      'LoanOpened',
      'MarginCalled',
      'MarginCallCured',
      'LoanDefaulted',
      'CustodyBreachRecorded',
      'RecountRecorded',
      'LoanClosed',
    ]);
    gateway.events.subscribe(({ kind, data }) => {
      if (kind === 'alert')
        say(`alert ${String(data.lotId ?? '')}: ${String(data.kind)} ${String(data.detail)}`);
      if (kind === 'chain' && LOAN_EVENTS.has(String(data.name)))
        say(`chain: ${String(data.name)} ${JSON.stringify(data.args)}`);
    });

    let resolveFirst!: (txHash: string) => void;
    const firstAttestation = new Promise<string>((resolve) => (resolveFirst = resolve));
    gateway.events.subscribe((event) => {
      if (event.kind === 'attestation' && event.data.status === 'confirmed')
        resolveFirst(String(event.data.txHash));
    });

    const fleet = new Fleet({
      scenario,
      identities: bootIdentities(scenario, simDir),
      brokerUrl: `mqtt://127.0.0.1:${mqttPort}`,
      spoolDir: simDir,
      ...(plc && { plc }),
    });
    cleanups.push(() => fleet.stop());
    await fleet.start();
    say(
      `devices: ${scenario.devices.length} simulated devices publishing to mqtt://127.0.0.1:${mqttPort}`,
    );

    if (!state.storyDone) {
      const actions = new ChainActions({
        scenario,
        deployed: connectDeployed(deploymentPath, parties.admin),
        parties,
        warehouseNumber: WAREHOUSE_NUMBER,
        revokeDevice: (deviceId) => {
          gateway.store.revokeDevice(deviceId, 'demo', Date.now());
          gateway.ingest.reloadRegistry();
        },
        custodyWaitMs: 60_000,
      });
      cleanups.push(() => actions.stop());
      void actions
        .run(() => fleet.offsetNowMs())
        .then(
          () => {
            writeState(dataDir, { ...state, storyDone: true });
            for (const outcome of actions.outcomes)
              if (!outcome.ok) say(`story: ${outcome.key} failed: ${outcome.error}`);
            say('story: every scripted chain action ran (see the dashboard)');
          },
          (error: Error) => say(`story: stopped: ${error.message}`),
        );
    }

    return {
      dashboardUrl: `http://127.0.0.1:${httpPort}/`,
      tokens,
      gateway,
      anvil,
      firstAttestation,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function readState(dataDir: string): DevState {
  const path = join(dataDir, 'dev.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as DevState;
  const mint = () => `pg_${randomBytes(32).toString('hex')}`;
  const state: DevState = {
    storyDone: false,
    // Demo tokens, kept in plain text in the demo's data directory only (never do this in production).
    tokens: {
      'demo-bank': { role: 'bank-viewer', token: mint() },
      'demo-operator': { role: 'operator-admin', token: mint() },
      'demo-auditor': { role: 'auditor', token: mint() },
    },
  };
  writeState(dataDir, state);
  return state;
}

function writeState(dataDir: string, state: DevState): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'dev.json'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

function connectDeployed(deploymentPath: string, admin: Signer) {
  return attachPledgeGuard(admin, JSON.parse(readFileSync(deploymentPath, 'utf8')) as Deployment);
}

async function ensureDashboardBuilt(say: (line: string) => void): Promise<void> {
  if (existsSync(join(REPO, 'dashboard', 'dist', 'index.html'))) return;
  say('dashboard: building (vite, first start only)');
  const { build } = await import('vite');
  await build({ configFile: join(REPO, 'dashboard', 'vite.config.ts'), logLevel: 'warn' });
}

// End-to-end harness: a scenario file drives the whole system (issue 6 item 6, issue 8 item 4).
//   firmware-sim Fleet --MQTT--> gateway(s) (in process, the fleet's scaled clock) --EIP-712--> anvil
//   ChainActions perform the scenario's actions (prices, receipts, loans, releases) at their times;
//   ChainClock keeps block time on warehouse time. Afterwards the chain's events, the gateways'
//   verdicts and the loans' states are collected and checked against the scenario's `expect`.
// Attestations come only from the gateways: nothing here signs custody.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HDNodeWallet, Wallet, type JsonRpcProvider } from 'ethers';
import { pino, type Logger } from 'pino';
import { startAnvil, type AnvilHandle } from '@pledgeguard/contracts/anvil';
import { connect, pledgeGuardInterface } from '@pledgeguard/contracts/chain';
import {
  deployPledgeGuard,
  deploymentJson,
  type Deployed,
  type RiskParametersConfig,
} from '@pledgeguard/contracts/deploy';
import { CustodyFlag, label, lotKey } from '@pledgeguard/contracts/eip712';
import { hashMqttPassword } from '@pledgeguard/protocol/node';
import type { CUSTODY_FLAGS } from '@pledgeguard/firmware-sim';
import {
  bootIdentities,
  Fleet,
  loadScenarioFile,
  LOAN_STATES,
  provisionScenario,
  type FleetOptions,
  type Scenario,
} from '@pledgeguard/firmware-sim';
import {
  configSchema,
  startGateway,
  type Clock,
  type GatewayConfig,
  type RunningGateway,
} from '@pledgeguard/gateway';
import {
  anvilParties,
  ChainActions,
  commodityLabel,
  fundParties,
  partyRoles,
  type ActionOutcome,
} from '../../firmware-sim/src/app/chain-actions.js';
import { ChainClock } from '../../firmware-sim/src/app/chain-clock.js';
import { freePort } from '../../firmware-sim/src/testing/brokers.js';

/** The chain's number for the scenario's warehouse (gateway `chain.warehouseNumber`). */
export const WAREHOUSE_NUMBER = 7n;

export interface ScenarioOptions {
  readonly scenario: Scenario;
  /** Gateways observing the devices (the first hosts the broker, the others subscribe). */
  readonly gateways?: number;
  /** Signatures an attestation needs (m of n); default: the number of gateways. */
  readonly threshold?: number;
  /** Overrides the scenario's timeScale [warehouse ms per wall ms]. */
  readonly timeScale?: number;
  /** Start anvil, deploy and perform the chain actions; default true. */
  readonly chain?: boolean;
  /** Wall ms to let the last attestations land after the story ends; default 1,500. */
  readonly settleMs?: number;
  /** Extra or replacement raw gateway config, per gateway (merged over the defaults). */
  readonly gatewayConfig?: (index: number, context: GatewayContext) => Record<string, unknown>;
  readonly observe?: FleetOptions['observe'];
  /** InventoryLoan risk parameters; default DEFAULT_RISK_PARAMETERS (every flag a breach). */
  readonly riskParameters?: RiskParametersConfig;
  readonly log?: Logger;
}

/** What a gateway's config is built from. */
export interface GatewayContext {
  readonly dir: string;
  readonly manifestPath: string;
  readonly brokerPort: number;
  readonly httpPorts: readonly number[];
  readonly chain?: {
    readonly rpcUrl: string;
    readonly chainId: number;
    readonly deploymentPath: string;
    readonly keyFile: string;
    readonly address: string;
    /** The warehouse's gateway set and its m. */
    readonly gatewayAddresses: readonly string[];
    readonly threshold: number;
    readonly deployed: Deployed;
  };
}

/** A PledgeGuard event seen on chain. */
export interface ChainEvent {
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly blockNumber: number;
  /** [unix s] block time, i.e. warehouse time when the chain clock ran. */
  readonly blockTimestamp: bigint;
  readonly txHash: string;
}

export interface LoanView {
  readonly loanId: bigint;
  readonly state: (typeof LOAN_STATES)[number];
  readonly frozen: boolean;
  readonly debt: bigint;
  /** [g] the pledged receipt's quantity now. */
  readonly receiptGrams: bigint;
}

export interface ScenarioResult {
  readonly scenario: Scenario;
  /** Per gateway: quarantine counts by code. */
  readonly verdicts: Record<string, number>[];
  /** Per gateway: code -> device -> count. */
  readonly verdictsByDevice: Map<string, Map<string, number>>[];
  /** Per gateway: accepted readings, redeliveries counted once, gaps. */
  readonly ingest: { accepted: number; duplicates: number; gaps: number }[];
  /** Per gateway: device -> stored identities (boot, seq). */
  readonly identities: Map<string, { boot: number; seq: number }[]>[];
  readonly events: ChainEvent[];
  readonly outcomes: ActionOutcome[];
  /** Scenario receipt id -> loan. */
  readonly loans: Map<string, LoanView>;
  /** Lot id -> custody attestations of it, in order. */
  readonly attestations: Map<
    string,
    { sequence: bigint; quantityGrams: bigint; flags: number; readingsRoot: string }[]
  >;
}

export interface ScenarioRun {
  readonly scenario: Scenario;
  readonly dir: string;
  readonly fleet: Fleet;
  readonly gateways: RunningGateway[];
  readonly anvil: AnvilHandle | undefined;
  readonly provider: JsonRpcProvider | undefined;
  readonly deployed: Deployed | undefined;
  readonly actions: ChainActions | undefined;
  /** Resolves when the story's duration has been simulated and the actions ran. */
  readonly finished: Promise<void>;
  /** Chain events since deployment. */
  chainEvents(): Promise<ChainEvent[]>;
  collect(): Promise<ScenarioResult>;
  stop(): Promise<void>;
}

const FLAG_BITS: Record<(typeof CUSTODY_FLAGS)[number], number> = {
  tamper: CustodyFlag.tamper,
  offline: CustodyFlag.offline,
  'evidence-gap': CustodyFlag.evidenceGap,
  'unexplained-drop': CustodyFlag.unexplainedDrop,
  'sensor-disagreement': CustodyFlag.sensorDisagreement,
  'quality-excursion': CustodyFlag.qualityExcursion,
  'replay-attempt': CustodyFlag.replayAttempt,
  'clock-skew': CustodyFlag.clockSkew,
};

/** Does this gateway build know a config section (e.g. `chain` once issue 6 is wired)? */
export function gatewayHasSection(name: string): boolean {
  return name in configSchema.shape;
}

/** Starts everything and the story; see ScenarioRun. */
export async function startScenario(options: ScenarioOptions): Promise<ScenarioRun> {
  const scenario: Scenario = {
    ...options.scenario,
    timeScale: options.timeScale ?? options.scenario.timeScale,
  };
  const log = options.log ?? pino({ level: 'silent' });
  const gatewayCount = options.gateways ?? 1;
  const useChain = options.chain ?? true;
  const dir = mkdtempSync(join(tmpdir(), `pg-e2e-${scenario.name}-`));
  const cleanups: (() => Promise<void> | void)[] = [
    () => rmSync(dir, { recursive: true, force: true }),
  ];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.warn({ err: error }, 'e2e cleanup failed');
      }
    }
  };
  try {
    const { manifestPath } = provisionScenario(scenario, join(dir, 'sim'));
    const brokerPort = await freePort();
    const httpPorts = await Promise.all(Array.from({ length: gatewayCount }, () => freePort()));
    const fleet = new Fleet({
      scenario,
      identities: bootIdentities(scenario, join(dir, 'sim')),
      brokerUrl: `mqtt://127.0.0.1:${brokerPort}`,
      spoolDir: join(dir, 'sim'),
      backoff: { initialMs: 100, maxMs: 1_000 },
      ...(options.observe ? { observe: options.observe } : {}),
    });
    cleanups.push(() => fleet.stop());
    const clock: Clock = { nowMs: () => fleet.warehouseNowMs() };

    let chain: Awaited<ReturnType<typeof startChain>> | undefined;
    if (useChain) {
      chain = await startChain(
        scenario,
        dir,
        gatewayCount,
        options.threshold ?? gatewayCount,
        options.riskParameters,
      );
      cleanups.push(() => chain!.anvil.stop());
      const chainClock = new ChainClock({
        provider: chain.provider,
        warehouseNowMs: () => fleet.warehouseNowMs(),
      });
      await chainClock.start();
      cleanups.push(() => chainClock.stop());
      chain.chainClock = chainClock;
    }

    const gateways: RunningGateway[] = [];
    for (let index = 0; index < gatewayCount; index++) {
      const context: GatewayContext = {
        dir,
        manifestPath,
        brokerPort,
        httpPorts,
        ...(chain
          ? {
              chain: {
                rpcUrl: chain.anvil.rpcUrl,
                chainId: chain.anvil.chainId,
                deploymentPath: chain.deploymentPath,
                keyFile: chain.keyFiles[index]!,
                address: chain.gatewayWallets[index]!.address,
                gatewayAddresses: chain.gatewayWallets.map((w) => w.address),
                threshold: options.threshold ?? gatewayCount,
                deployed: chain.deployed,
              },
            }
          : {}),
      };
      const raw = {
        ...defaultGatewayConfig(scenario, index, context),
        ...options.gatewayConfig?.(index, context),
      };
      const config = configSchema.parse(raw) as GatewayConfig;
      const gateway = await startGateway(
        { ...config, baseDir: dir },
        log.child({ gateway: index }),
        clock,
      );
      gateways.push(gateway);
      cleanups.push(() => gateway.stop());
    }

    const revokeDevice = (deviceId: string) => {
      for (const gateway of gateways) {
        gateway.store.revokeDevice(deviceId, `scenario ${scenario.name}`, clock.nowMs());
        gateway.ingest.reloadRegistry();
      }
    };
    const actions = chain
      ? new ChainActions({
          scenario,
          deployed: chain.deployed,
          parties: chain.parties,
          warehouseNumber: WAREHOUSE_NUMBER,
          revokeDevice,
          beforeSend: () => chain!.chainClock!.sync(),
        })
      : undefined;
    if (actions) cleanups.push(() => actions.stop());

    await fleet.start();
    const offsetNowMs = () => Math.min(fleet.offsetNowMs(), scenario.duration);
    const actionsDone = actions
      ? actions.run(offsetNowMs)
      : runOffChainActions(scenario, offsetNowMs, revokeDevice);
    const finished = Promise.all([fleet.done, actionsDone]).then(() => undefined);

    const chainEvents = async (): Promise<ChainEvent[]> =>
      chain ? readChainEvents(chain.provider, chain.deployed) : [];
    const run: ScenarioRun = {
      scenario,
      dir,
      fleet,
      gateways,
      anvil: chain?.anvil,
      provider: chain?.provider,
      deployed: chain?.deployed,
      actions,
      finished,
      chainEvents,
      collect: () => collect(run, WAREHOUSE_NUMBER),
      stop,
    };
    return run;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs a scenario to its end, lets the last attestations land, collects and stops. */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const run = await startScenario(options);
  try {
    await run.finished;
    await new Promise((r) => setTimeout(r, options.settleMs ?? 1_500));
    await Promise.all(run.gateways.map((g) => g.ingest.drain()));
    return await run.collect();
  } finally {
    await run.stop();
  }
}

export async function startChain(
  scenario: Scenario,
  dir: string,
  gateways: number,
  threshold: number,
  riskParameters: RiskParametersConfig | undefined,
) {
  const anvil = await startAnvil();
  try {
    const provider = connect(anvil.rpcUrl, anvil.chainId);
    const parties = anvilParties(provider);
    const gatewayWallets = Array.from({ length: gateways }, () =>
      HDNodeWallet.fromPhrase(Wallet.createRandom().mnemonic!.phrase),
    );
    const commodities = [...new Set(scenario.lots.map((l) => commodityLabel(l.commodity)))].map(
      (name) => ({
        name,
        description: `${name} USD/t`,
        decimals: 8,
        heartbeatSeconds: 7 * 86_400, // scenarios post one price; stale prices are not their story
      }),
    );
    const deployed = await deployPledgeGuard(parties.admin, {
      ...(await partyRoles(parties)),
      ...(riskParameters ? { riskParameters } : {}),
      commodities,
      gatewaySets: [
        {
          warehouseId: WAREHOUSE_NUMBER,
          gateways: gatewayWallets.map((w) => w.address),
          threshold,
        },
      ],
    });
    await fundParties(deployed, parties, 10n ** 15n); // USD 1bn each: many loans of USD 6.3m
    // Gateways pay for their transactions.
    for (const wallet of gatewayWallets)
      await provider.send('anvil_setBalance', [wallet.address, '0x56BC75E2D63100000']);
    mkdirSync(join(dir, 'chain'), { recursive: true });
    const deploymentPath = join(dir, 'chain', 'deployment.json');
    writeFileSync(deploymentPath, deploymentJson(deployed.deployment));
    const keyFiles = gatewayWallets.map((wallet, i) => {
      const path = join(dir, 'chain', `gateway-${i}.key`);
      writeFileSync(path, `${wallet.privateKey}\n`, { mode: 0o600 });
      return path;
    });
    return {
      anvil,
      provider,
      parties,
      deployed,
      gatewayWallets,
      deploymentPath,
      keyFiles,
      chainClock: undefined as ChainClock | undefined,
    };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

/**
 * The gateway config for this run. The `chain`, `custody` and `cosign` sections follow
 * docs/custody.md and are added only when the gateway's schema has them; the integrator aligns
 * their field names with gateway/src/app/chain-config.ts once it exists (or passes
 * `gatewayConfig`).
 */
export function defaultGatewayConfig(
  scenario: Scenario,
  index: number,
  context: GatewayContext,
): Record<string, unknown> {
  const config: Record<string, unknown> = {
    warehouseId: scenario.warehouseId,
    gatewayId: `gw-${index + 1}`,
    dataDir: `gateway-${index + 1}`,
    // Test data in a temp dir: no fsync per commit, so a loaded machine keeps up with the story.
    evidence: { synchronous: 'NORMAL', epochMs: 60_000 },
    manifest: context.manifestPath,
    verify: { threads: 0, batchSize: 64 },
    // The clock is the scaled warehouse clock: a reading lags by transport time x timeScale.
    skew: {
      maxAheadMs: 60_000,
      maxBehindMs: 48 * 3_600_000,
      maxLiveBehindMs: Math.max(60_000, 2_000 * scenario.timeScale), // 2 wall seconds of lag
      maxStepBackMs: 2_000,
    },
    http: { host: '127.0.0.1', port: context.httpPorts[index] },
    mqtt:
      index === 0
        ? {
            embedded: { enabled: true, host: '127.0.0.1', port: context.brokerPort },
            // The other gateways subscribe to this broker as service accounts.
            services: context.httpPorts.slice(1).map((_, i) => ({
              username: `gw-${i + 2}`,
              passwordHash: hashMqttPassword(servicePassword(i + 2)),
            })),
          }
        : {
            embedded: { enabled: false },
            client: {
              url: `mqtt://127.0.0.1:${context.brokerPort}`,
              username: `gw-${index + 1}`,
              password: servicePassword(index + 1),
              protocolVersion: 4, // aedes speaks MQTT 3.1.1 only
            },
          },
  };
  // Custody (gateway/src/app/custody-config.ts). Its times are warehouse ms on the scaled clock,
  // but its timer runs on wall time: tick often. At 1440x a wall second is 24 warehouse minutes,
  // and on a loaded 2-core machine the whole process stalls for half a second now and then, and a
  // submission can take seconds: so a heartbeat attestation every 15 warehouse minutes (625 wall
  // ms) rather than every minute (24 tx/s per lot), a validity of 4 h so an attestation that
  // waited in the outbox still lands, and 30 missed beats (not 3) so a stall is not every device
  // offline at once. The offline story (2 h) is still detected.
  if (gatewayHasSection('custody'))
    config.custody = {
      tickMs: 50,
      attest: { heartbeatMs: Math.max(60_000, 625 * scenario.timeScale), validForS: 4 * 3600 },
      defaults: { missedBeats: 30 },
      lots: Object.fromEntries(
        scenario.lots.map((lot) => [
          lot.lotId,
          {
            ...(lot.maxTemperatureMilliC !== undefined
              ? { temperature: { maxMilliC: lot.maxTemperatureMilliC } }
              : {}),
            ...(lot.maxHumidityPerMille !== undefined
              ? { humidity: { maxPerMille: lot.maxHumidityPerMille } }
              : {}),
            ...(lot.maxExcursionMs !== undefined ? { excursionMs: lot.maxExcursionMs } : {}),
          },
        ]),
      ),
    };
  // Chain (gateway/src/app/chain-config.ts): anvil automines, so 1 confirmation is final, and the
  // listener and submitter poll often because a wall second is 24 warehouse minutes.
  if (context.chain && gatewayHasSection('chain'))
    config.chain = {
      rpcUrl: context.chain.rpcUrl,
      chainId: context.chain.chainId,
      deployment: context.chain.deploymentPath,
      keyFile: context.chain.keyFile,
      warehouseNumber: Number(WAREHOUSE_NUMBER),
      threshold: context.chain.threshold,
      confirmations: 1,
      submitPollMs: 20,
      listenPollMs: 50,
      retryInitialMs: 50,
      retryMaxMs: 1_000,
    };
  // Co-signing (config.ts `cosign`): each gateway asks the others. Peer tokens (gateway-peer role
  // on the peer's API) are not provisioned here yet: multi-gateway chain runs need them.
  if (context.chain && context.httpPorts.length > 1 && gatewayHasSection('cosign'))
    config.cosign = {
      peers: context.httpPorts
        .filter((_, i) => i !== index)
        .map((port, i) => ({
          url: `http://127.0.0.1:${port}`,
          tokenEnv: `PG_E2E_PEER_TOKEN_${i}`,
        })),
      gatewayAddresses: context.chain.gatewayAddresses,
    };
  return config;
}

/** A test-only MQTT password of gateway `n` at the first gateway's broker. */
function servicePassword(n: number): string {
  return `e2e-gateway-${n}-password`;
}

/** Without a chain only operator actions apply (a revoked device). */
async function runOffChainActions(
  scenario: Scenario,
  offsetNowMs: () => number,
  revokeDevice: (deviceId: string) => void,
): Promise<void> {
  for (const action of [...scenario.actions].sort((a, b) => a.at - b.at)) {
    if (action.type !== 'revoke-device') continue;
    while (offsetNowMs() < action.at) await new Promise((r) => setTimeout(r, 5));
    revokeDevice(action.deviceId);
  }
}

export async function readChainEvents(
  provider: JsonRpcProvider,
  deployed: Deployed,
  fromBlock = deployed.deployment.deployedAtBlock,
): Promise<ChainEvent[]> {
  const { contracts } = deployed.deployment;
  const logs = await provider.getLogs({
    fromBlock,
    toBlock: 'latest',
    address: [contracts.custodyOracle, contracts.inventoryLoan, contracts.warehouseReceipt],
  });
  const events: ChainEvent[] = [];
  const blockTimes = new Map<number, bigint>();
  for (const log of logs) {
    let parsed;
    try {
      parsed = pledgeGuardInterface.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      continue; // ERC-721 Transfer shares a topic with ERC-20's but not its layout
    }
    if (!parsed) continue;
    const args: Record<string, unknown> = {};
    parsed.fragment.inputs.forEach((input, i) => (args[input.name] = parsed.args[i]));
    let blockTimestamp = blockTimes.get(log.blockNumber);
    if (blockTimestamp === undefined) {
      blockTimestamp = BigInt((await provider.getBlock(log.blockNumber))!.timestamp);
      blockTimes.set(log.blockNumber, blockTimestamp);
    }
    events.push({
      name: parsed.name,
      args,
      blockNumber: log.blockNumber,
      blockTimestamp,
      txHash: log.transactionHash,
    });
  }
  return events;
}

async function collect(run: ScenarioRun, warehouseNumber: bigint): Promise<ScenarioResult> {
  const { scenario, gateways } = run;
  const verdicts = gateways.map((g) => g.store.quarantineCounts());
  const verdictsByDevice = gateways.map((g) => {
    const byCode = new Map<string, Map<string, number>>();
    for (const row of g.store.quarantine({ limit: 1_000_000 })) {
      const devices = byCode.get(row.code) ?? new Map<string, number>();
      const device = row.deviceId ?? '';
      devices.set(device, (devices.get(device) ?? 0) + 1);
      byCode.set(row.code, devices);
    }
    return byCode;
  });
  const identities = gateways.map(
    (g) => new Map(scenario.devices.map((d) => [d.deviceId, g.store.identities(d.deviceId)])),
  );
  const ingest = gateways.map((g) => ({
    accepted: g.ingest.stats.accepted,
    duplicates: g.ingest.stats.duplicates,
    gaps: g.ingest.stats.gaps,
  }));
  const events = await run.chainEvents();
  const attestations: ScenarioResult['attestations'] = new Map();
  for (const lot of scenario.lots) {
    const key = lotKey(warehouseNumber, label(lot.bayId), label(lot.lotId));
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
  const loans = new Map<string, LoanView>();
  if (run.actions && run.deployed) {
    for (const [receiptId, loanId] of run.actions.loanIds) {
      const loan = await run.deployed.inventoryLoan.getLoan(loanId);
      loans.set(receiptId, {
        loanId,
        state: LOAN_STATES[Number(loan.state)]!,
        frozen: loan.breachSince !== 0n,
        debt: loan.debt,
        receiptGrams: await run.deployed.warehouseReceipt.quantityGramsOf(loan.receiptId),
      });
    }
  }
  return {
    scenario,
    verdicts,
    verdictsByDevice,
    ingest,
    identities,
    events,
    outcomes: run.actions?.outcomes ?? [],
    loans,
    attestations,
  };
}

/**
 * Checks the scenario's `expect` against a result; returns every failed expectation (empty when
 * all hold). `chain: false` checks only what needs no chain (verdicts, contiguity).
 */
export function checkExpectations(result: ScenarioResult, options: { chain: boolean }): string[] {
  const { expect: expected } = result.scenario;
  const failures: string[] = [];
  result.verdictsByDevice.forEach((byCode, gateway) => {
    for (const verdict of expected.verdicts) {
      const devices = byCode.get(verdict.code);
      const count =
        verdict.deviceId === undefined
          ? [...(devices?.values() ?? [])].reduce((a, b) => a + b, 0)
          : (devices?.get(verdict.deviceId) ?? 0);
      if (count < verdict.atLeast)
        failures.push(
          `gateway ${gateway}: ${verdict.code}${verdict.deviceId ? ` for ${verdict.deviceId}` : ''}: ${count} < ${verdict.atLeast}`,
        );
    }
    for (const code of expected.noVerdicts) {
      const count = result.verdicts[gateway]![code] ?? 0;
      if (count > 0) failures.push(`gateway ${gateway}: ${count} unexpected ${code}`);
    }
  });
  result.identities.forEach((byDevice, gateway) => {
    for (const deviceId of expected.contiguousDevices) {
      const gaps = seqGaps(byDevice.get(deviceId) ?? []);
      if (gaps.length > 0)
        failures.push(
          `gateway ${gateway}: ${deviceId} has seq gaps ${gaps.slice(0, 5).join(', ')}`,
        );
    }
  });
  if (!options.chain) return failures;

  for (const rejected of expected.rejectedActions) {
    const outcome = result.outcomes.find((o) => o.key === rejected.actionId);
    if (!outcome) failures.push(`action ${rejected.actionId} did not run`);
    else if (outcome.ok)
      failures.push(`action ${rejected.actionId} succeeded, expected ${rejected.error}`);
    else if (outcome.error !== rejected.error)
      failures.push(
        `action ${rejected.actionId} failed with ${outcome.error}, expected ${rejected.error}`,
      );
  }
  const rejectedIds = new Set(expected.rejectedActions.map((r) => r.actionId));
  for (const outcome of result.outcomes)
    if (!outcome.ok && !rejectedIds.has(outcome.key))
      failures.push(
        outcome.error === 'Error'
          ? `action ${outcome.key} (${outcome.type}) failed: ${outcome.message.slice(0, 200)}`
          : `action ${outcome.key} (${outcome.type}) reverted: ${outcome.error}(${outcome.args.map(String).join(', ')})`,
      );

  const allFlags = [...result.attestations.values()].flat().reduce((bits, a) => bits | a.flags, 0);
  for (const flag of expected.flags.present)
    if ((allFlags & FLAG_BITS[flag]) === 0) failures.push(`no attestation carried flag ${flag}`);
  for (const flag of expected.flags.absent)
    if ((allFlags & FLAG_BITS[flag]) !== 0) failures.push(`an attestation carried flag ${flag}`);

  if (expected.loan) {
    const loan = result.loans.get(expected.loan.receiptId);
    if (!loan) failures.push(`no loan on receipt ${expected.loan.receiptId}`);
    else {
      if (loan.state !== expected.loan.state)
        failures.push(
          `loan on ${expected.loan.receiptId} is ${loan.state}, expected ${expected.loan.state}`,
        );
      if (expected.loan.frozen !== undefined && loan.frozen !== expected.loan.frozen)
        failures.push(
          `loan on ${expected.loan.receiptId} frozen=${loan.frozen}, expected ${expected.loan.frozen}`,
        );
    }
  }
  if (expected.lotQuantity) {
    const last = result.attestations.get(expected.lotQuantity.lotId)?.at(-1);
    const want = BigInt(expected.lotQuantity.grams);
    const tolerance = BigInt(expected.lotQuantity.toleranceGrams);
    if (!last) failures.push(`no attestation of ${expected.lotQuantity.lotId}`);
    else if (last.quantityGrams + tolerance < want || last.quantityGrams > want + tolerance)
      failures.push(
        `${expected.lotQuantity.lotId}: last attested ${last.quantityGrams} g, expected ${want} ± ${tolerance}`,
      );
  }
  return failures;
}

/** Holes in each boot's seq run: "boot/seq" of the first missing seq of each hole. */
export function seqGaps(identities: readonly { boot: number; seq: number }[]): string[] {
  const byBoot = new Map<number, number[]>();
  for (const { boot, seq } of identities) byBoot.set(boot, [...(byBoot.get(boot) ?? []), seq]);
  const gaps: string[] = [];
  for (const [boot, seqs] of byBoot) {
    seqs.sort((a, b) => a - b);
    for (let i = 1; i < seqs.length; i++)
      if (seqs[i]! > seqs[i - 1]! + 1) gaps.push(`${boot}/${seqs[i - 1]! + 1}`);
  }
  return gaps;
}

/** Events of `name` for a loan. */
export function loanEvents(result: ScenarioResult, receiptId: string, name: string): ChainEvent[] {
  const loanId = result.loans.get(receiptId)?.loanId;
  return result.events.filter((e) => e.name === name && e.args.loanId === loanId);
}

/** A scenario file of firmware-sim/scenarios by name. */
export function scenarioFile(name: string): Scenario {
  return loadScenarioFile(
    fileURLToPath(new URL(`../../firmware-sim/scenarios/${name}.yaml`, import.meta.url)),
  );
}

/**
 * Runs a scenario file through simulator, gateway(s) and chain and checks its `expect`. Fails at
 * once, saying so, while the gateway has no chain section (issue 6 wiring).
 */
export async function runChainScenario(
  name: string,
  options: Omit<ScenarioOptions, 'scenario' | 'chain'> = {},
): Promise<{ result: ScenarioResult; failures: string[] }> {
  if (!gatewayHasSection('chain'))
    throw new Error(
      'the gateway config has no `chain` section yet: it does not attest, so no chain scenario can pass (issue 6 wiring; see test/e2e/harness.ts defaultGatewayConfig)',
    );
  const result = await runScenario({ ...options, scenario: scenarioFile(name), chain: true });
  return { result, failures: checkExpectations(result, { chain: true }) };
}

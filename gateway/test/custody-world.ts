// Test world for whole-gateway custody tests (chain outage, co-signing): a fresh anvil with the
// contracts deployed and the warehouse's gateway set registered, load-cell devices with real keys
// watching pledged lots, a warehouse clock the test steps by hand (anvil's block time follows it),
// and gateway configs as an operator would write them. Everything is real: startGateway with its
// embedded aedes broker, SQLite, signed readings over MQTT, the submitter on anvil.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet, type JsonRpcProvider } from 'ethers';
import mqtt, { type MqttClient } from 'mqtt';
import { startAnvil, type AnvilHandle } from '@pledgeguard/contracts/anvil';
import { anvilAccount, connect } from '@pledgeguard/contracts/chain';
import { deployPledgeGuard, deploymentJson, type Deployed } from '@pledgeguard/contracts/deploy';
import { label, lotKey } from '@pledgeguard/contracts/eip712';
import { deviceTopic, type DeviceManifest } from '@pledgeguard/protocol';
import { envelopeOf, makeFleet, type FleetDevice } from '../src/testing/fleet.js';

export { freePort } from '../../firmware-sim/src/testing/brokers.js';

/** The chain's number for the test warehouse (`chain.warehouseNumber`). */
export const WAREHOUSE_NUMBER = 7n;
export const WAREHOUSE_ID = 'wh-1';

/** A lot and the load cells under it (each reports ~1,000 t net, with noise of +-1 kg). */
export interface TestLot {
  readonly lotId: string;
  readonly bayId: string;
  readonly devices: readonly FleetDevice[];
  /** 0x lot key on chain (lowercase). */
  readonly lotKey: string;
}

export interface LotFleet {
  readonly lots: readonly TestLot[];
  readonly devices: readonly FleetDevice[];
  readonly manifest: DeviceManifest;
}

/** `cellsPerLot[i]` load cells on lot LOT-(i+1) in bay B-0(i+1). */
export function lotFleet(cellsPerLot: readonly number[]): LotFleet {
  const total = cellsPerLot.reduce((a, b) => a + b, 0);
  const fleet = makeFleet(total, { warehouseId: WAREHOUSE_ID, fastSigner: true });
  const lots: TestLot[] = [];
  const manifestDevices: Array<DeviceManifest['devices'][number]> = [];
  let next = 0;
  cellsPerLot.forEach((cells, i) => {
    const lotId = `LOT-${i + 1}`;
    const bayId = `B-0${i + 1}`;
    const devices = fleet.devices.slice(next, next + cells).map((device) => ({ ...device, bayId }));
    for (let k = 0; k < cells; k++) {
      const entry = fleet.manifest.devices[next + k]!;
      manifestDevices.push({ ...entry, kinds: ['weight'], bayId, lotId });
    }
    next += cells;
    lots.push({
      lotId,
      bayId,
      devices,
      lotKey: lotKey(WAREHOUSE_NUMBER, label(bayId), label(lotId)).toLowerCase(),
    });
  });
  return {
    lots,
    devices: lots.flatMap((lot) => lot.devices),
    manifest: {
      version: 1,
      warehouseId: WAREHOUSE_ID,
      devices: manifestDevices,
      lots: lots.map((lot) => ({
        lotId: lot.lotId,
        bayId: lot.bayId,
        commodity: 'COPPER',
        unitWeightGrams: '1000000',
      })),
    },
  };
}

/** The warehouse clock: moves only when the test says so. */
export class SteppedClock {
  #nowMs: number;
  constructor(startMs: number) {
    this.#nowMs = startMs;
  }
  nowMs(): number {
    return this.#nowMs;
  }
  advance(ms: number): number {
    this.#nowMs += ms;
    return this.#nowMs;
  }
}

export interface TestChain {
  readonly anvil: AnvilHandle;
  /** Direct to anvil (never through a test proxy). */
  readonly provider: JsonRpcProvider;
  readonly deployed: Deployed;
  readonly deploymentPath: string;
  readonly keyFiles: readonly string[];
  readonly addresses: readonly string[];
  /** Moves block time to the warehouse clock (never backwards), as anvil_setTime does. */
  syncTime(warehouseNowMs: number): Promise<void>;
  /** Every CustodyAttested event since deployment, with its transaction. */
  attested(): Promise<AttestedEvent[]>;
  stop(): Promise<void>;
}

export interface AttestedEvent {
  readonly lotKey: string;
  readonly sequence: bigint;
  readonly quantityGrams: bigint;
  readonly flags: number;
  readonly readingsRoot: string;
  readonly blockNumber: number;
  readonly txHash: string;
}

/** Fresh anvil; contracts deployed; `gateways` funded gateway keys registered with m = threshold. */
export async function startTestChain(
  dir: string,
  gateways: number,
  threshold: number,
): Promise<TestChain> {
  const anvil = await startAnvil();
  try {
    const provider = connect(anvil.rpcUrl, anvil.chainId);
    const wallets = Array.from({ length: gateways }, () => Wallet.createRandom());
    const deployed = await deployPledgeGuard(anvilAccount(provider, 0), {
      gatewaySets: [
        { warehouseId: WAREHOUSE_NUMBER, gateways: wallets.map((w) => w.address), threshold },
      ],
    });
    for (const wallet of wallets)
      await provider.send('anvil_setBalance', [wallet.address, '0x56BC75E2D63100000']);
    mkdirSync(join(dir, 'chain'), { recursive: true });
    const deploymentPath = join(dir, 'chain', 'deployment.json');
    writeFileSync(deploymentPath, deploymentJson(deployed.deployment));
    const keyFiles = wallets.map((wallet, i) => {
      const path = join(dir, 'chain', `gateway-${i + 1}.key`);
      writeFileSync(path, `${wallet.privateKey}\n`, { mode: 0o600 });
      return path;
    });
    let lastSetS = 0;
    return {
      anvil,
      provider,
      deployed,
      deploymentPath,
      keyFiles,
      addresses: wallets.map((w) => w.address),
      async syncTime(warehouseNowMs) {
        const block = await provider.getBlock('latest');
        const targetS = Math.max(Math.floor(warehouseNowMs / 1_000), block?.timestamp ?? 0);
        if (targetS <= lastSetS) return;
        await provider.send('anvil_setTime', [targetS]);
        lastSetS = targetS;
      },
      async attested() {
        const oracle = deployed.custodyOracle;
        const logs = await oracle.queryFilter(
          oracle.filters.CustodyAttested(),
          deployed.deployment.deployedAtBlock,
          'latest',
        );
        return logs.map((entry) => ({
          lotKey: entry.args.lotKey.toLowerCase(),
          sequence: entry.args.sequence,
          quantityGrams: entry.args.quantityGrams,
          flags: Number(entry.args.flags),
          readingsRoot: entry.args.readingsRoot.toLowerCase(),
          blockNumber: entry.blockNumber,
          txHash: entry.transactionHash.toLowerCase(),
        }));
      },
      stop: () => anvil.stop(),
    };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

/** The `chain` config section for gateway `index` (0-based): anvil automines, 1 block is final. */
export function chainSection(chain: TestChain, index: number, rpcUrl: string, threshold: number) {
  return {
    rpcUrl,
    chainId: chain.anvil.chainId,
    deployment: chain.deploymentPath,
    keyFile: chain.keyFiles[index],
    warehouseNumber: Number(WAREHOUSE_NUMBER),
    threshold,
    confirmations: 1,
    submitPollMs: 20,
    listenPollMs: 50,
    retryInitialMs: 50,
    retryMaxMs: 500,
    requestTimeoutMs: 2_000,
  };
}

/** Devices connected to a broker (MQTT 3.1.1: aedes), one client each. */
export class DeviceLink {
  readonly #clients = new Map<string, MqttClient>();
  readonly #seq = new Map<string, number>();

  static async connect(brokerPort: number, devices: readonly FleetDevice[]): Promise<DeviceLink> {
    const link = new DeviceLink();
    await Promise.all(
      devices.map(
        (device) =>
          new Promise<void>((resolve, reject) => {
            const client = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, {
              clientId: device.deviceId,
              username: device.deviceId,
              password: device.password,
              protocolVersion: 4,
              reconnectPeriod: 200,
            });
            link.#clients.set(device.deviceId, client);
            client.once('connect', () => resolve()).once('error', reject);
          }),
      ),
    );
    return link;
  }

  /** Publishes one reading per device at `nowMs` (QoS 1: resolves after the broker's commit). */
  async publish(
    devices: readonly FleetDevice[],
    nowMs: number,
    valueOf?: (device: FleetDevice) => bigint,
  ): Promise<void> {
    await Promise.all(
      devices.map((device) => {
        const seq = this.#seq.get(device.deviceId) ?? 0;
        this.#seq.set(device.deviceId, seq + 1);
        const envelope = envelopeOf(device, seq, nowMs, valueOf ? { value: valueOf(device) } : {});
        return this.#clients
          .get(device.deviceId)!
          .publishAsync(
            deviceTopic(WAREHOUSE_ID, device.deviceId, 'reading'),
            Buffer.from(envelope),
            {
              qos: 1,
            },
          );
      }),
    );
  }

  get published(): number {
    return [...this.#seq.values()].reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((client) => client.endAsync(true)));
  }
}

/** A temp dir removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves when `predicate` holds, polling every 20 ms; fails naming `what` (and `detail()`) after `timeoutMs`. */
export async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  detail: () => unknown = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not reached within ${timeoutMs} ms ${JSON.stringify(detail(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
      );
    await sleep(20);
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

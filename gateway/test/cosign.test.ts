// Issue 6 item 6, co-signing 2 of 3: three whole gateways in process (own data dirs and chain
// keys, registered on the oracle with m = 2) observe the same load cells: the first hosts the
// embedded aedes broker the devices publish to, the other two subscribe to it in client mode as
// service accounts (MQTT 3.1.1). Each proposes its attestations to the others' HTTP APIs
// (POST /api/v1/cosign, gateway-peer tokens) and submits what m gateways signed. Then one gateway
// lies about the quantity (+30%, with a readings root that still matches its evidence): the lot's
// quantity on chain never moves to the lie, the honest gateways record a cosign-disagreement
// alert naming the liar, and they keep attesting.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getBytes, hexlify, verifyTypedData, type TypedDataDomain } from 'ethers';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTESTATION_TYPES, custodyDomain, type Attestation } from '@pledgeguard/contracts/eip712';
import { hashMqttPassword } from '@pledgeguard/protocol/node';
import { tokenSha256 } from '../src/adapters/http/token-store.js';
import { startGateway, type RunningGateway } from '../src/app/gateway.js';
import { configSchema } from '../src/config.js';
import {
  chainSection,
  DeviceLink,
  freePort,
  lotFleet,
  sleep,
  startTestChain,
  SteppedClock,
  tempDir,
  until,
  WAREHOUSE_ID,
  type AttestedEvent,
  type TestChain,
} from './custody-world.js';

const GATEWAYS = 3;
const THRESHOLD = 2;
const STEP_MS = 10_000;
const HEARTBEAT_MS = 60_000;
const STEP_WALL_MS = 50;
/** The liar's claim over its true quantity: +30%. */
const LIE_NUMERATOR = 13n;
const LIE_DENOMINATOR = 10n;

const temp = tempDir('pg-cosign-');
const fleet = lotFleet([2]);
const lot = fleet.lots[0]!;
const clock = new SteppedClock(Math.floor(Date.now() / 1_000) * 1_000);
const viewerToken = token();
let chain: TestChain;
let domain: TypedDataDomain;
let devices: DeviceLink;
const gateways: RunningGateway[] = [];

function token(): string {
  return `pg_${randomBytes(32).toString('hex')}`;
}

/** Environment variable holding gateway `from`'s token on gateway `to` (1-based). */
const peerTokenEnv = (from: number, to: number) => `PG_TEST_COSIGN_TOKEN_${from}_ON_${to}`;
const servicePassword = (n: number) => `cosign-test-gw-${n}-password`;

beforeAll(async () => {
  chain = await startTestChain(temp.dir, GATEWAYS, THRESHOLD);
  await chain.syncTime(clock.nowMs());
  domain = custodyDomain(
    BigInt(chain.anvil.chainId),
    chain.deployed.deployment.contracts.custodyOracle,
  );
  const manifestPath = join(temp.dir, 'manifest.json');
  writeFileSync(manifestPath, JSON.stringify(fleet.manifest));
  const brokerPort = await freePort();
  const httpPorts = await Promise.all(Array.from({ length: GATEWAYS }, () => freePort()));
  // Gateway-peer tokens: `from` holds the token, `to` knows its SHA-256 (api.bootstrapTokens).
  const peerTokens = new Map<string, string>();
  for (let from = 1; from <= GATEWAYS; from++)
    for (let to = 1; to <= GATEWAYS; to++)
      if (from !== to) {
        const value = token();
        peerTokens.set(`${from}>${to}`, value);
        process.env[peerTokenEnv(from, to)] = value;
      }
  const log = pino({ level: process.env.PG_TEST_LOG ?? 'silent' });
  for (let n = 1; n <= GATEWAYS; n++) {
    const others = Array.from({ length: GATEWAYS }, (_, i) => i + 1).filter((m) => m !== n);
    const config = configSchema.parse({
      warehouseId: WAREHOUSE_ID,
      gatewayId: `gw-${n}`,
      dataDir: `gateway-${n}`,
      manifest: manifestPath,
      evidence: { synchronous: 'NORMAL', epochMs: 60_000 },
      verify: { threads: 0 },
      http: { host: '127.0.0.1', port: httpPorts[n - 1] },
      mqtt:
        n === 1
          ? {
              embedded: { enabled: true, host: '127.0.0.1', port: brokerPort },
              services: others.map((m) => ({
                username: `gw-${m}`,
                passwordHash: hashMqttPassword(servicePassword(m)),
              })),
            }
          : {
              embedded: { enabled: false },
              client: {
                url: `mqtt://127.0.0.1:${brokerPort}`,
                username: `gw-${n}`,
                password: servicePassword(n),
                protocolVersion: 4, // aedes speaks MQTT 3.1.1 only: no shared subscription
              },
            },
      api: {
        bootstrapTokens: [
          { name: 'bank', role: 'bank-viewer', sha256: tokenSha256(viewerToken) },
          ...others.map((m) => ({
            name: `gw-${m}`,
            role: 'gateway-peer' as const,
            sha256: tokenSha256(peerTokens.get(`${m}>${n}`)!),
          })),
        ],
      },
      custody: { tickMs: 50 },
      chain: chainSection(chain, n - 1, chain.anvil.rpcUrl, THRESHOLD),
      cosign: {
        peers: others.map((m) => ({
          url: `http://127.0.0.1:${httpPorts[m - 1]}`,
          tokenEnv: peerTokenEnv(n, m),
        })),
        gatewayAddresses: [...chain.addresses],
        waitMs: 500,
      },
    });
    gateways.push(
      await startGateway({ ...config, baseDir: temp.dir }, log.child({ gateway: n }), clock),
    );
  }
  devices = await DeviceLink.connect(brokerPort, fleet.devices);
}, 60_000);

afterAll(async () => {
  await devices?.close();
  for (const gateway of gateways.reverse()) await gateway.stop();
  await chain?.stop();
  temp.remove();
});

/** A step of warehouse time: clock, block time, one reading per cell, seen by every gateway. */
async function step(): Promise<void> {
  const nowMs = clock.advance(STEP_MS);
  await chain.syncTime(nowMs);
  await devices.publish(fleet.devices, nowMs);
  await until('every gateway holds every reading', () =>
    gateways.every((g) => g.store.readingCount() === devices.published),
  );
  await sleep(STEP_WALL_MS);
}

/** The signers of the landed attestation `event`, read from its transaction's calldata. */
async function signersOf(event: AttestedEvent): Promise<string[]> {
  const tx = await chain.provider.getTransaction(event.txHash);
  const oracle = chain.deployed.custodyOracle.interface;
  const call = oracle.parseTransaction({ data: tx!.data })!;
  const [attestations, signatures] =
    call.name === 'attest'
      ? [[call.args[0]], [call.args[1]]]
      : [[...call.args[0]], [...call.args[1]]];
  const index = attestations.findIndex((a) => a.sequence === event.sequence);
  const attestation = attestations[index]!.toObject() as Attestation;
  const packed = getBytes(signatures[index] as string);
  const signers: string[] = [];
  for (let offset = 0; offset < packed.length; offset += 65)
    signers.push(
      verifyTypedData(
        domain,
        ATTESTATION_TYPES,
        attestation,
        hexlify(packed.slice(offset, offset + 65)),
      ),
    );
  return signers;
}

interface AlertRow {
  kind: string;
  detail: string;
  lot_id: string | null;
}
const alertsOf = (gateway: RunningGateway, kind: string) =>
  gateway.store.database
    .prepare('SELECT kind, detail, lot_id FROM alerts WHERE kind = ? ORDER BY id')
    .all(kind) as AlertRow[];
const lieAlerts = (gateway: RunningGateway) =>
  alertsOf(gateway, 'cosign-disagreement').filter(
    (a) => a.detail.startsWith('PG_COSIGN_QUANTITY_MISMATCH') && a.detail.includes('gw-3'),
  );
const eventsOfLot = async () => (await chain.attested()).filter((e) => e.lotKey === lot.lotKey);
const registered = () => new Set(chain.addresses.map((a) => a.toLowerCase()));

/** The lot's heartbeat holds on chain: consecutive attestations at most a heartbeat (+ steps) apart. */
function expectNoLapse(events: readonly AttestedEvent[]): void {
  for (let i = 1; i < events.length; i++)
    expect(Number(events[i]!.sequence - events[i - 1]!.sequence)).toBeLessThanOrEqual(
      HEARTBEAT_MS + 2 * STEP_MS,
    );
}

/**
 * No gateway left an attestation that had a quorum unsubmitted: a row still only `cosigned`
 * holds this gateway's signature alone (it signed a peer's proposal; the peer submits).
 */
function expectNoStrandedQuorum(): void {
  for (const gateway of gateways)
    for (const row of gateway.custody.feeder!.outbox.byLot(lot.lotId, 1_000))
      if (row.status === 'cosigned') expect(row.signatures).toHaveLength(1);
}

describe('co-signing, 2 of 3 gateways', () => {
  it('honest gateways: attestations land carrying at least m = 2 signatures of registered gateways', async () => {
    await until(
      'four attestations of the lot on chain',
      async () => {
        await step();
        return (await eventsOfLot()).length >= 4;
      },
      30_000,
    );
    const events = await eventsOfLot();
    for (const event of events) {
      const signers = (await signersOf(event)).map((a) => a.toLowerCase());
      expect(signers.length).toBeGreaterThanOrEqual(THRESHOLD);
      expect(new Set(signers).size).toBe(signers.length);
      for (const signer of signers) expect(registered().has(signer)).toBe(true);
    }
    for (let i = 1; i < events.length; i++)
      expect(events[i]!.sequence > events[i - 1]!.sequence).toBe(true);
    // ~2,000 t (two cells of ~1,000 t each)
    for (const event of events)
      expect(event.quantityGrams / 1_000_000n).toBeOneOf([1_999n, 2_000n]);
    expectNoLapse(events);
    expectNoStrandedQuorum();
    for (const gateway of gateways) expect(lieAlerts(gateway)).toEqual([]);
  }, 45_000);

  it('one gateway lying about quantity (+30%) cannot move the status; the honest ones raise cosign-disagreement and keep attesting', async () => {
    const liar = gateways[2]!;
    const honest = gateways.slice(0, 2);
    const truth = liar.custody.custody.status(lot.lotId)!.quantityGrams;
    const service = liar.custody.custody;
    const due = service.due.bind(service);
    // The liar's drafts claim +30%; the evidence and its root are untouched (they still match).
    // In place, because the service recognises its drafts by identity in markAttested/discard.
    service.due = (nowMs?: number) =>
      due(nowMs).map((draft) => {
        Object.assign(draft.attestation, {
          quantityGrams: (draft.attestation.quantityGrams * LIE_NUMERATOR) / LIE_DENOMINATOR,
        });
        return draft;
      });
    const before = (await eventsOfLot()).length;
    const lieFromBlock = await chain.provider.getBlockNumber();

    // Four more heartbeats of warehouse time at least, and until the lie was refused by both.
    await until(
      'the lie refused by both honest gateways, and honest attestations landed since',
      async () => {
        await step();
        return (
          honest.every((g) => lieAlerts(g).length > 0) && (await eventsOfLot()).length >= before + 4
        );
      },
      40_000,
    );

    const events = await eventsOfLot();
    const lie = (truth * LIE_NUMERATOR) / LIE_DENOMINATOR;
    // On chain the quantity never moved to the lie: every attestation is within 0.5% of the truth.
    for (const event of events) {
      const difference =
        event.quantityGrams > truth ? event.quantityGrams - truth : truth - event.quantityGrams;
      expect(difference * 10_000n <= truth * 50n).toBe(true);
      expect(event.quantityGrams < lie - lie / 10n).toBe(true);
    }
    const [custody] = await chain.deployed.custodyOracle.latestCustody(lot.lotKey);
    expect(custody.quantityGrams < lie - lie / 10n).toBe(true);

    // Honest gateways keep attesting: the attestations since the lie began were sent by them.
    const since = events.filter((e) => e.blockNumber > lieFromBlock);
    expect(since.length).toBeGreaterThanOrEqual(4);
    const honestSenders = new Set(honest.map((g) => g.custody.feeder!.address.toLowerCase()));
    for (const event of since) {
      const tx = await chain.provider.getTransaction(event.txHash);
      expect(honestSenders.has(tx!.from.toLowerCase())).toBe(true);
      expect((await signersOf(event)).length).toBeGreaterThanOrEqual(THRESHOLD);
    }

    expectNoLapse(events);
    expectNoStrandedQuorum();

    // The disagreement is an alert on each honest gateway, in its table and in its API.
    for (const gateway of honest) {
      const alert = lieAlerts(gateway)[0]!;
      expect(alert.lot_id).toBe(lot.lotId);
      expect(alert.detail).toContain('(proposed by gw-3)');
      const response = await fetch(
        `http://127.0.0.1:${gateway.httpPort}/api/v1/lots/${lot.lotId}/alerts?limit=1000`,
        { headers: { authorization: `Bearer ${viewerToken}` } },
      );
      expect(response.status).toBe(200);
      const alerts = (await response.json()) as Array<{ kind: string; detail: string }>;
      expect(
        alerts.some(
          (a) =>
            a.kind === 'cosign-disagreement' &&
            a.detail.startsWith('PG_COSIGN_QUANTITY_MISMATCH') &&
            a.detail.includes('(proposed by gw-3)'),
        ),
      ).toBe(true);
    }
    // The liar learns it too: its proposals found no quorum.
    expect(alertsOf(liar, 'cosign-refused').length).toBeGreaterThan(0);
    // And nothing it queued carries the lie.
    const liarRows = liar.custody.feeder!.outbox.byLot(lot.lotId, 1_000);
    for (const row of liarRows) expect(row.quantityGrams < lie - lie / 10n).toBe(true);
  }, 55_000);
});

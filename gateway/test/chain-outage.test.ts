// Issue 6 item 6, chain outage: a whole gateway (startGateway in process, embedded aedes broker,
// SQLite, signed load-cell readings over MQTT) attests two lots to a real anvil through a TCP
// proxy. The proxy is cut for 10 minutes of warehouse time while readings keep coming and the
// heartbeat attestations (every 60 s) queue in the outbox; anvil's block time keeps running with
// the warehouse clock. After the proxy is restored, every attestation queued during the outage
// must be on chain (CustodyAttested), in sequence order, none twice, and every outbox row
// confirmed. The default validity (custody.attest.validForS = 900 s) is what makes the oldest
// queued attestation still landable ten minutes later.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../src/app/gateway.js';
import { configSchema } from '../src/config.js';
import { startTcpProxy, type TcpProxy } from '../src/testing/tcp-proxy.js';
import {
  chainSection,
  DeviceLink,
  lotFleet,
  sleep,
  startTestChain,
  SteppedClock,
  tempDir,
  until,
  WAREHOUSE_ID,
  type TestChain,
} from './custody-world.js';

/** Warehouse time per step, and the wall pause after each (the attest loop runs every 50 ms). */
const STEP_MS = 10_000;
const STEP_WALL_MS = 60;
const OUTAGE_MS = 10 * 60_000;
const HEARTBEAT_MS = 60_000;

const temp = tempDir('pg-chain-outage-');
const fleet = lotFleet([2, 1]);
const clock = new SteppedClock(Math.floor(Date.now() / 1_000) * 1_000);
let chain: TestChain;
let proxy: TcpProxy;
let gateway: RunningGateway;
let devices: DeviceLink;

beforeAll(async () => {
  chain = await startTestChain(temp.dir, 1, 1);
  await chain.syncTime(clock.nowMs());
  proxy = await startTcpProxy('127.0.0.1', chain.anvil.port);
  const manifestPath = join(temp.dir, 'manifest.json');
  writeFileSync(manifestPath, JSON.stringify(fleet.manifest));
  const config = configSchema.parse({
    warehouseId: WAREHOUSE_ID,
    gatewayId: 'gw-1',
    dataDir: 'gateway-1',
    manifest: manifestPath,
    evidence: { synchronous: 'NORMAL', epochMs: 60_000 },
    verify: { threads: 0 },
    mqtt: { embedded: { enabled: true, host: '127.0.0.1', port: 0 } },
    http: { host: '127.0.0.1', port: 0 },
    // Heartbeat 60 s and validity 900 s are the defaults; the tick is fast because warehouse time is.
    custody: { tickMs: 50 },
    chain: chainSection(chain, 0, proxy.url, 1),
  });
  expect(config.custody.attest.heartbeatMs).toBe(HEARTBEAT_MS);
  expect(config.custody.attest.validForS).toBe(900);
  gateway = await startGateway(
    { ...config, baseDir: temp.dir },
    pino({ level: process.env.PG_TEST_LOG ?? 'silent' }),
    clock,
  );
  devices = await DeviceLink.connect(gateway.broker.port, fleet.devices);
}, 60_000);

afterAll(async () => {
  await devices?.close();
  await gateway?.stop();
  await proxy?.close();
  await chain?.stop();
  temp.remove();
});

/** One step of warehouse time: the clock, anvil's block time, and a reading from every cell. */
async function step(ms: number): Promise<void> {
  const nowMs = clock.advance(ms);
  await chain.syncTime(nowMs); // direct to anvil: the chain keeps time while the gateway is cut off
  await devices.publish(fleet.devices, nowMs);
  await sleep(STEP_WALL_MS);
}

const outbox = () => gateway.custody.feeder!.outbox;
const rowsOf = (lotId: string) => outbox().byLot(lotId, 1_000).reverse(); // oldest first

describe('chain outage of 10 minutes (warehouse time) between gateway and chain', () => {
  it('queued attestations all land afterwards, in sequence order, none twice, every outbox row confirmed', async () => {
    // Before the outage: each lot attested (first attestation) and confirmed.
    await step(STEP_MS);
    await until('first attestations confirmed', async () => {
      await step(STEP_MS);
      return fleet.lots.every((lot) => rowsOf(lot.lotId).some((r) => r.status === 'confirmed'));
    });
    const beforeCut = new Map(fleet.lots.map((lot) => [lot.lotId, rowsOf(lot.lotId).length]));
    const eventsBeforeCut = (await chain.attested()).length;

    proxy.cut();
    const cutAtMs = clock.nowMs();
    while (clock.nowMs() - cutAtMs < OUTAGE_MS) await step(STEP_MS);

    // During the outage: heartbeats kept coming and wait in the outbox; nothing reached the chain.
    const queued = new Map(
      fleet.lots.map((lot) => [lot.lotId, rowsOf(lot.lotId).slice(beforeCut.get(lot.lotId))]),
    );
    for (const rows of queued.values()) {
      expect(rows.length).toBeGreaterThanOrEqual(OUTAGE_MS / HEARTBEAT_MS - 1);
      for (const row of rows) expect(['pending', 'submitted']).toContain(row.status);
      for (const row of rows) expect(row.blockNumber).toBeNull();
    }
    expect((await chain.attested()).length).toBe(eventsBeforeCut);
    const oldest = Math.min(...[...queued.values()].map((rows) => Number(rows[0]!.observedAtS)));
    expect(Math.floor(clock.nowMs() / 1_000) - oldest).toBeGreaterThanOrEqual(
      OUTAGE_MS / 1_000 - 60,
    );

    proxy.restore();
    // Time keeps running after the restore, slower: a second of warehouse time per step.
    const queuedIds = [...queued.values()].flat().map((row) => row.id);
    await until(
      'attestations queued during the outage confirmed',
      async () => {
        await step(1_000);
        return queuedIds.every((id) => outbox().byId(id)?.status === 'confirmed');
      },
      30_000,
      () => queuedIds.map((id) => [outbox().byId(id)?.status, outbox().byId(id)?.lastError]),
    );
    await until(
      'every outbox row confirmed',
      () => [...outbox().pending(), ...outbox().submitted()].length === 0,
    );

    const events = await chain.attested();
    for (const lot of fleet.lots) {
      const rows = rowsOf(lot.lotId);
      // every row confirmed: none superseded, refused or left behind
      expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'confirmed'));
      const onChain = events.filter((e) => e.lotKey === lot.lotKey);
      // exactly the outbox's attestations, in sequence order, once each
      expect(onChain.map((e) => e.sequence)).toEqual(rows.map((r) => r.sequence));
      expect(new Set(onChain.map((e) => e.sequence)).size).toBe(onChain.length);
      for (let i = 1; i < onChain.length; i++)
        expect(onChain[i]!.sequence > onChain[i - 1]!.sequence).toBe(true);
      // the same attestations: quantity, flags and readings root as queued
      onChain.forEach((event, i) => {
        const row = rows[i]!;
        expect(event.quantityGrams).toBe(row.quantityGrams);
        expect(event.flags).toBe(row.flags);
        expect(event.readingsRoot).toBe(row.readingsRoot.toLowerCase());
        expect(event.blockNumber).toBe(row.blockNumber);
        expect(event.txHash).toBe(row.txHash);
      });
      // the ones queued during the outage are among them, and clean (no flag from the outage)
      const queuedSequences = queued.get(lot.lotId)!.map((r) => r.sequence);
      expect(onChain.map((e) => e.sequence)).toEqual(expect.arrayContaining(queuedSequences));
      for (const event of onChain) expect(event.flags).toBe(0);
    }
    expect(gateway.store.quarantine()).toEqual([]);
  }, 60_000);
});

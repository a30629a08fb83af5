import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeStrict, parseDeviceTopic } from '@pledgeguard/protocol';
import { readDeviceState } from '../adapters/state-file.js';
import { startAedes, type AedesBroker, type ReceivedMessage } from '../testing/brokers.js';
import { checkEvidence, provisionTemp, smallScenario } from '../testing/fixtures.js';
import { Fleet } from './fleet.js';
import { bootIdentities } from './identities.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const FAST_BACKOFF = { initialMs: 100, maxMs: 800 };

describe('fleet over aedes (MQTT 3.1.1, scrypt-checked device logins)', () => {
  it('store-and-forward across a broker restart and a simulator restart: no reading lost, seq contiguous, no duplicate identity', async () => {
    const scenario = smallScenario();
    const { dir, manifest } = provisionTemp(scenario);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const received: ReceivedMessage[] = [];
    let broker: AedesBroker | undefined = await startAedes({
      manifest,
      onPublish: (m) => received.push(m),
    });
    const port = broker.port;
    const url = broker.url;
    cleanups.push(async () => broker?.close());

    const signed = new Set<string>();
    const startFleet = () => {
      const fleet = new Fleet({
        scenario,
        identities: bootIdentities(scenario, dir),
        brokerUrl: url,
        spoolDir: dir,
        backoff: FAST_BACKOFF,
        observe: (output, envelope) => {
          if (output.type === 'reading' && envelope)
            signed.add(Buffer.from(envelope).toString('hex'));
        },
      });
      fleet.start();
      return fleet;
    };
    let fleet = startFleet();
    cleanups.push(() => fleet.stop());
    await until(
      () => fleet.counters.online === 3 && fleet.counters.acked > 20,
      15_000,
      'first readings',
    );

    // Broker goes away: devices spool to disk.
    await broker.close();
    broker = undefined;
    await until(() => fleet.counters.queued > 20, 10_000, 'spooled readings');
    // The simulator restarts while the broker is still down: the spool must survive it.
    await fleet.stop();
    const queuedBeforeRestart = fleet.counters.queued;
    fleet = startFleet();
    expect(fleet.counters.queued).toBeGreaterThanOrEqual(queuedBeforeRestart);
    await new Promise((r) => setTimeout(r, 400));

    broker = await startAedes({ port, manifest, onPublish: (m) => received.push(m) });
    await until(
      () => fleet.counters.online === 3 && fleet.counters.queued === 0,
      20_000,
      'backfill',
    );
    await new Promise((r) => setTimeout(r, 300));
    await fleet.stop();

    const envelopes = received
      .filter((m) => parseDeviceTopic(m.topic)?.kind !== 'death')
      .map((m) => new Uint8Array(m.payload));
    const report = checkEvidence(manifest, envelopes);
    expect(report.invalid).toBe(0);
    expect(report.equivocations).toBe(0);
    // Every reading the devices signed reached the broker.
    const delivered = new Set(envelopes.map((e) => Buffer.from(e).toString('hex')));
    const missing = [...signed].filter((hex) => !delivered.has(hex));
    expect(missing).toHaveLength(0);
    for (const [deviceId, boots] of report.seqs) {
      expect([...boots.keys()], deviceId).toEqual([0, 1]);
      for (const [boot, seqs] of boots) {
        // Contiguous from 0: no gap inside a boot (the last reading may be unsent at stop).
        expect(seqs, `${deviceId} boot ${boot}`).toEqual(seqs.map((_, i) => i));
      }
      expect(readDeviceState(dir, deviceId).lastBoot).toBe(1);
    }
    // At-least-once allows a redelivery of identical bytes; with graceful stops there should be few.
    expect(report.redeliveries).toBeLessThan(10);
  }, 90_000);

  it('rejects a wrong password, sends a birth on connect and a CBOR last will when the link is cut', async () => {
    const scenario = smallScenario();
    const { dir, manifest } = provisionTemp(scenario);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const received: ReceivedMessage[] = [];
    const broker = await startAedes({ manifest, onPublish: (m) => received.push(m) });
    cleanups.push(() => broker.close());
    const identities = bootIdentities(scenario, dir);
    const door = identities.get('door-1')!;
    identities.set('door-1', { ...door, mqttPassword: 'wrong-password-0123456789' });
    const fleet = new Fleet({
      scenario,
      identities,
      brokerUrl: broker.url,
      spoolDir: dir,
      backoff: FAST_BACKOFF,
    });
    cleanups.push(() => fleet.stop());
    fleet.start();
    await until(() => fleet.counters.online === 2, 10_000, 'two devices online');
    await new Promise((r) => setTimeout(r, 500));
    expect(fleet.counters.online).toBe(2);
    expect(received.some((m) => m.clientId === 'door-1')).toBe(false);
    expect(received.filter((m) => m.topic === 'pg/v1/wh-test/lc-1/birth')).toHaveLength(1);

    fleet.links[fleet.engine.device('lc-1')!.index]!.setNetwork(false);
    await until(() => received.some((m) => m.topic.endsWith('/lc-1/death')), 5_000, 'last will');
    const will = received.find((m) => m.topic.endsWith('/lc-1/death'))!;
    const decoded = decodeStrict(new Uint8Array(will.payload));
    expect(decoded.ok).toBe(true);
    if (decoded.ok)
      expect(decoded.value).toEqual(
        new Map<number, unknown>([
          [1, 'lc-1'],
          [2, identities.get('lc-1')!.boot],
        ]),
      );
    fleet.links[fleet.engine.device('lc-1')!.index]!.setNetwork(true);
    await until(
      () => received.filter((m) => m.topic === 'pg/v1/wh-test/lc-1/birth').length === 2,
      5_000,
      'second birth',
    );
  }, 60_000);
});

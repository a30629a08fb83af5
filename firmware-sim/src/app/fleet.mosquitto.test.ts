import { rmSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeviceTopic } from '@pledgeguard/protocol';
import { startMosquitto } from '../testing/brokers.js';
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

describe("fleet over Debian's mosquitto (MQTT 5, password file)", () => {
  it('devices log in with their passwords, publish QoS 1 over MQTT 5, and a subscriber verifies every reading with contiguous seq', async () => {
    const scenario = smallScenario();
    const { dir, manifest } = provisionTemp(scenario);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const identities = bootIdentities(scenario, dir);
    const passwords = new Map([...identities.values()].map((i) => [i.deviceId, i.mqttPassword]));
    passwords.set('gateway-test', 'gateway-password-123456');
    // Fails with a message naming .ci/run when mosquitto is missing: this test is never skipped.
    const broker = await startMosquitto(join(dir, 'mosquitto'), passwords);
    cleanups.push(() => broker.stop());

    const received: Buffer[] = [];
    const subscriber = mqtt.connect(broker.url, {
      protocolVersion: 5,
      clientId: 'gateway-test',
      username: 'gateway-test',
      password: 'gateway-password-123456',
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
    cleanups.push(() => new Promise<void>((resolve) => subscriber.end(true, {}, () => resolve())));
    await new Promise<void>((resolve, reject) => {
      subscriber.once('connect', () =>
        subscriber.subscribe('pg/v1/wh-test/+/+', { qos: 1 }, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      subscriber.once('error', reject);
    });
    subscriber.on('message', (topic, payload) => {
      if (parseDeviceTopic(topic)?.kind !== 'death') received.push(payload);
    });

    const signed = new Set<string>();
    const fleet = new Fleet({
      scenario,
      identities,
      brokerUrl: broker.url,
      protocolVersion: 5,
      spoolDir: dir,
      observe: (output, envelope) => {
        if (output.type === 'reading' && envelope)
          signed.add(Buffer.from(envelope).toString('hex'));
      },
    });
    cleanups.push(() => fleet.stop());
    fleet.start();
    await until(
      () => fleet.counters.online === 3 && received.length > 40,
      15_000,
      'readings through mosquitto',
    );
    // The scaled warehouse clock a gateway under test must share has moved on from the start.
    expect(fleet.warehouseNowMs()).toBeGreaterThan(fleet.engine.warehouseMs(0));
    await fleet.stop();
    await until(() => fleet.counters.acked + 3 <= received.length, 5_000, 'deliveries');
    await new Promise((r) => setTimeout(r, 200));

    const report = checkEvidence(
      manifest,
      received.map((b) => new Uint8Array(b)),
    );
    expect(report.invalid).toBe(0);
    expect(report.equivocations).toBe(0);
    const delivered = new Set(received.map((b) => b.toString('hex')));
    expect([...signed].filter((hex) => !delivered.has(hex))).toHaveLength(0);
    expect(report.seqs.size).toBe(3);
    for (const [deviceId, boots] of report.seqs) {
      const seqs = boots.get(0)!;
      expect(seqs, deviceId).toEqual(seqs.map((_, i) => i));
    }
  }, 60_000);
});

// A kill -9 of the gateway at an arbitrary instant during ingest loses no acknowledged reading, and
// the devices' resends after the restart are counted once: zero missing, zero duplicates.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic } from '@pledgeguard/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { envelopeOf, makeFleet } from '../src/testing/fleet.js';
import { freePort, spawnGateway, writeConfig } from './harness.js';

const DEVICES = 12;
const READINGS_PER_DEVICE = 250;
const dir = mkdtempSync(join(tmpdir(), 'pg-kill9-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gateway crash safety', () => {
  it('keeps every acknowledged reading exactly once across a kill -9 and restart', async () => {
    const fleet = makeFleet(DEVICES, { fastSigner: true });
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(fleet.manifest));
    const port = await freePort();
    const config = writeConfig(dir, {
      warehouseId: fleet.warehouseId,
      dataDir: './data',
      manifest: './manifest.json',
      mqtt: { embedded: { host: '127.0.0.1', port } },
      verify: { threads: 1 },
      http: { port: 0 },
      log: { level: 'info' },
    });

    let gateway = spawnGateway(config);
    await gateway.waitFor('gateway ready');

    const acked = new Set<string>();
    const startMs = Date.now();
    const clients: MqttClient[] = fleet.devices.map((device) =>
      mqtt.connect(`mqtt://127.0.0.1:${port}`, {
        clientId: device.deviceId,
        username: device.deviceId,
        password: device.password,
        clean: false,
        reconnectPeriod: 200,
        connectTimeout: 5_000,
      }),
    );
    // Each device publishes its readings in order at QoS 1; the client resends unacknowledged ones
    // after a reconnect, as device firmware does.
    const finished = fleet.devices.map(
      (device, i) =>
        new Promise<void>((resolve) => {
          let remaining = READINGS_PER_DEVICE;
          for (let seq = 0; seq < READINGS_PER_DEVICE; seq++) {
            const payload = Buffer.from(
              envelopeOf(device, seq, startMs - (READINGS_PER_DEVICE - seq) * 1_000),
            );
            clients[i]!.publish(
              deviceTopic(fleet.warehouseId, device.deviceId, 'reading'),
              payload,
              { qos: 1 },
              (error) => {
                if (!error) acked.add(`${device.deviceId}/${seq}`);
                if (--remaining === 0) resolve();
              },
            );
          }
        }),
    );

    // Kill at an arbitrary instant once ingest is under way.
    while (acked.size < 300) await new Promise((resolve) => setTimeout(resolve, 5));
    const ackedBeforeKill = new Set(acked);
    gateway.child.kill('SIGKILL');
    await gateway.exited;

    gateway = spawnGateway(config);
    await gateway.waitFor('gateway ready');
    await Promise.all(finished);
    await Promise.all(clients.map((client) => client.endAsync()));
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);

    const db = new Database(join(dir, 'data/evidence.db'), { readonly: true });
    const rows = db.prepare('SELECT device_id, seq FROM readings').all() as Array<{
      device_id: string;
      seq: number;
    }>;
    const quarantined = db
      .prepare('SELECT code, count(*) AS n FROM quarantine GROUP BY code')
      .all();
    db.close();
    const stored = new Set(rows.map((row) => `${row.device_id}/${row.seq}`));
    expect(ackedBeforeKill.size).toBeGreaterThanOrEqual(300);
    expect(ackedBeforeKill.size).toBeLessThan(DEVICES * READINGS_PER_DEVICE);
    expect([...ackedBeforeKill].filter((id) => !stored.has(id))).toEqual([]);
    expect(acked.size).toBe(DEVICES * READINGS_PER_DEVICE);
    expect(rows.length).toBe(DEVICES * READINGS_PER_DEVICE);
    expect(stored.size).toBe(rows.length);
    expect(quarantined).toEqual([]);
  }, 90_000);
});

// Real brokers for tests and the benchmark: aedes in process (MQTT 3.1.1) with a per-device
// authenticate callback checking the manifest's scrypt hashes and a publish ACL, and Debian's
// mosquitto (MQTT 5) started on a free loopback port with a password file.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Aedes, type AedesPublishPacket, type AuthenticateError } from 'aedes';
import { parseDeviceTopic, type DeviceManifest } from '@pledgeguard/protocol';
import { checkMqttPassword } from '@pledgeguard/protocol/node';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ReceivedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly clientId: string | undefined;
}

export interface AedesBroker {
  readonly url: string;
  readonly port: number;
  readonly broker: Aedes;
  close(): Promise<void>;
}

export interface AedesOptions {
  readonly port?: number;
  /** When given, devices must log in with their manifest password; otherwise anyone may. */
  readonly manifest?: DeviceManifest;
  /** Every publish the broker accepted from a client (recorded broker-side, so none is missed). */
  readonly onPublish?: (message: ReceivedMessage) => void;
}

export async function startAedes(options: AedesOptions = {}): Promise<AedesBroker> {
  const hashes = new Map(options.manifest?.devices.map((d) => [d.deviceId, d.mqttPasswordHash]));
  const broker = await Aedes.createBroker({
    ...(options.manifest === undefined
      ? {}
      : {
          authenticate: (client, username, password, done) => {
            const hash = username === undefined ? undefined : hashes.get(username);
            const ok =
              hash !== undefined &&
              password !== undefined &&
              client.id === username &&
              checkMqttPassword(password, hash);
            if (ok) return done(null, true);
            const error = new Error('bad device credentials') as AuthenticateError;
            error.returnCode = 4;
            done(error, null);
          },
          // [PROTOCOL.md 7] a device publishes only under its own topics.
          authorizePublish: (client, packet, done) => {
            const parsed = parseDeviceTopic(packet.topic);
            done(
              parsed !== undefined && parsed.deviceId === client?.id
                ? null
                : new Error('not your topic'),
            );
          },
        }),
  });
  if (options.onPublish !== undefined) {
    const onPublish = options.onPublish;
    broker.on('publish', (packet: AedesPublishPacket, client) => {
      if (client)
        onPublish({
          topic: packet.topic,
          payload: Buffer.from(packet.payload as Buffer),
          clientId: client.id,
        });
    });
  }
  const server: Server = createServer(broker.handle);
  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${actualPort}`,
    port: actualPort,
    broker,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Mosquitto {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const MOSQUITTO_MISSING =
  "Debian's mosquitto is not installed. .ci/run installs it (APT_PACKAGES has mosquitto); locally run: apt-get install -y mosquitto mosquitto-clients";

export function mosquittoBinary(): string {
  for (const candidate of [
    '/usr/sbin/mosquitto',
    '/usr/bin/mosquitto',
    '/usr/local/sbin/mosquitto',
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('which', ['mosquitto'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return which.stdout.trim();
  throw new Error(MOSQUITTO_MISSING);
}

/** Starts mosquitto on a free loopback port with a password file; stop() ends exactly that process. */
export async function startMosquitto(
  dir: string,
  passwords: ReadonlyMap<string, string>,
  /** A fixed port, to restart a broker where its clients expect it; default a free one. */
  fixedPort?: number,
): Promise<Mosquitto> {
  const binary = mosquittoBinary();
  mkdirSync(dir, { recursive: true });
  const passwordFile = join(dir, 'passwd');
  writeFileSync(passwordFile, '', { mode: 0o600 });
  for (const [user, password] of passwords) {
    const result = spawnSync('mosquitto_passwd', ['-b', passwordFile, user, password], {
      encoding: 'utf8',
    });
    if (result.status !== 0)
      throw new Error(
        `mosquitto_passwd failed: ${result.stderr || result.error?.message || ''} (${MOSQUITTO_MISSING})`,
      );
  }
  const port = fixedPort ?? (await freePort());
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${passwordFile}`,
      // Run as root (CI), mosquitto would drop to user "mosquitto", which cannot read our temp dir.
      `user ${userInfo().username}`,
      'persistence false',
      'max_queued_messages 100000',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`mosquitto exited with ${child.exitCode}: ${stderr}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`mosquitto did not listen on ${port} within 10 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function canConnect(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// `npm run bench:ingest`: verified-and-committed readings per second through the real gateway.
// The gateway runs as its own process (10,000 registered devices, embedded broker, verification on
// one worker per core, SQLite synchronous=FULL); this process publishes pre-signed Ed25519 readings
// over MQTT QoS 1 from many device connections (each with at most BENCH_WINDOW unacknowledged,
// default 20) and counts PUBACKs, which the gateway sends only
// after the evidence commit. In the same run it measures the ceiling: raw node:crypto Ed25519
// verify/s with one worker per core. Last line: one JSON object (issue 5 bars: verified_per_s >=
// 5,000, ratio >= 0.6, rss_mb_10k_devices <= 250).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { bytesToHex } from '@noble/hashes/utils.js';
import mqtt from 'mqtt';
import {
  deviceTopic,
  generateKeyPair,
  signReading,
  type DeviceManifest,
} from '../protocol/src/index.js';
import { hashMqttPassword, nodeSigner } from '../protocol/src/node.js';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  GATEWAY_NODE_FLAGS,
  freePort,
  repoRoot,
  spawnGateway,
  writeConfig,
} from '../gateway/test/harness.js';

const REGISTERED = Number(process.env.BENCH_DEVICES ?? 10_000);
const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 200);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 10_000);
const PER_PUBLISHER = Number(process.env.BENCH_READINGS ?? 500);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 20);
const WAREHOUSE = 'wh-bench';
/** 'dist' (default): the compiled gateway, as it ships (`npm run build` first); 'tsx': the sources. */
const GATEWAY_FROM = process.env.BENCH_GATEWAY ?? 'dist';

const log = (text: string) => process.stderr.write(`${text}\n`);
const dir = mkdtempSync(join(tmpdir(), 'pg-bench-ingest-'));

try {
  // ---- fleet: 10,000 registered devices, the first PUBLISHERS of them publishing ----
  log(
    `registering ${REGISTERED} devices, ${PUBLISHERS} of them publishing ${PER_PUBLISHER} readings each`,
  );
  const sharedHash = hashMqttPassword('not-a-publisher');
  const nowMs = Date.now();
  const publishers: Array<{ deviceId: string; password: string; envelopes: Buffer[] }> = [];
  const devices: DeviceManifest['devices'][number][] = [];
  for (let i = 0; i < REGISTERED; i++) {
    const deviceId = `lc-${String(i).padStart(5, '0')}`;
    const { secretKey, publicKey } = generateKeyPair('EdDSA');
    const publishing = i < PUBLISHERS;
    const password = `pw-${deviceId}-${i}`;
    devices.push({
      deviceId,
      alg: 'EdDSA',
      publicKey: bytesToHex(publicKey),
      kinds: ['weight'],
      bayId: `B-${i % 500}`,
      heartbeatMs: 60_000,
      mqttPasswordHash: publishing ? hashMqttPassword(password) : sharedHash,
    });
    if (!publishing) continue;
    const signer = nodeSigner('EdDSA', deviceId, secretKey);
    const envelopes = Array.from({ length: PER_PUBLISHER }, (_, seq) =>
      Buffer.from(
        signReading(
          {
            deviceId,
            boot: 1,
            seq,
            deviceTimeMs: nowMs - (PER_PUBLISHER - seq) * 100,
            kind: 'weight',
            value: 1_000_000_000n + BigInt(Math.floor(Math.random() * 2_000) - 1_000),
            bayId: `B-${i % 500}`,
            firmware: '1.0.0',
          },
          signer,
        ),
      ),
    );
    publishers.push({ deviceId, password, envelopes });
  }
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ version: 1, warehouseId: WAREHOUSE, lots: [], devices }),
  );
  const port = await freePort();
  const httpPort = await freePort();
  const threads = availableParallelism();
  const config = writeConfig(dir, {
    warehouseId: WAREHOUSE,
    dataDir: './data',
    manifest: './manifest.json',
    mqtt: { embedded: { host: '127.0.0.1', port } },
    verify: { threads },
    http: { port: httpPort },
    log: { level: 'warn' },
  });

  // ---- the gateway, as its own process ----
  if (GATEWAY_FROM !== 'tsx') {
    log('building the gateway (npm run build)');
    execFileSync('npm', ['run', '--silent', 'build'], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const gateway = GATEWAY_FROM === 'tsx' ? spawnGateway(config) : spawnBuiltGateway(config);
  // 'gateway ready' is logged at info; with level warn, wait for the port instead.
  let exitCode: number | null | undefined;
  void gateway.exited.then((code) => (exitCode = code));
  await waitForPort(port, () => exitCode !== undefined);
  log(
    `gateway (${GATEWAY_FROM}) up on port ${port} with ${threads} verify workers; heap flags: ${process.env.GATEWAY_HEAP_FLAGS ?? 'the launcher defaults'}; extra flags: ${GATEWAY_NODE_FLAGS.join(' ') || 'none'}`,
  );

  // ---- publish from many device connections, count PUBACKs ----
  let acked = 0;
  const clients = publishers.map((publisher) =>
    mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      clientId: publisher.deviceId,
      username: publisher.deviceId,
      password: publisher.password,
      clean: true,
      reconnectPeriod: 0,
    }),
  );
  await Promise.all(
    clients.map(
      (client) =>
        new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject)),
    ),
  );
  log(`${clients.length} publishers connected`);
  const started = Date.now();
  // Each device connection keeps at most WINDOW readings unacknowledged, as firmware with a bounded
  // in-flight queue (MQTT 5 Receive Maximum) does; the next goes out when a PUBACK comes back.
  publishers.forEach((publisher, i) => {
    const topic = deviceTopic(WAREHOUSE, publisher.deviceId, 'reading');
    let next = 0;
    const send = () => {
      const envelope = publisher.envelopes[next++];
      if (envelope === undefined) return;
      clients[i]!.publish(topic, envelope, { qos: 1 }, (error) => {
        if (!error) acked++;
        send();
      });
    };
    for (let k = 0; k < WINDOW; k++) send();
  });
  await sleep(WARMUP_MS);
  const ackedAtStart = acked;
  const measureStart = Date.now();
  const gatewayCpuStart = cpuSecondsOf(gateway.child.pid!);
  const publisherCpuStart = process.cpuUsage();
  await sleep(MEASURE_MS);
  const measuredS = (Date.now() - measureStart) / 1_000;
  const verifiedPerS = (acked - ackedAtStart) / measuredS;
  // CPU used in the window, in % of one core: where the two cores went.
  const gatewayCpuPct = ((cpuSecondsOf(gateway.child.pid!) - gatewayCpuStart) / measuredS) * 100;
  const publisherUsage = process.cpuUsage(publisherCpuStart);
  const publisherCpuPct = ((publisherUsage.user + publisherUsage.system) / 1e6 / measuredS) * 100;
  log(
    `cpu in the window: gateway ${gatewayCpuPct.toFixed(0)}%, publisher ${publisherCpuPct.toFixed(0)}% (of one core; 200% is both cores)`,
  );
  const health = (await (await fetch(`http://127.0.0.1:${httpPort}/health`)).json()) as {
    memoryMb: Record<string, number>;
    readings: number;
    commits: number;
  };
  const perCommit = (health.readings / Math.max(1, health.commits)).toFixed(0);
  log(
    `gateway memory under load [MB]: ${JSON.stringify(health.memoryMb)}; ${perCommit} readings per commit`,
  );
  log(
    `measured ${acked - ackedAtStart} acknowledged readings in ${MEASURE_MS} ms after ${WARMUP_MS} ms warm-up`,
  );
  const total = publishers.length * PER_PUBLISHER;
  while (acked < total && Date.now() - started < 120_000) await sleep(100);
  const rssMb = rssOf(gateway.child.pid!);
  const after = (await (await fetch(`http://127.0.0.1:${httpPort}/health`)).json()) as {
    memoryMb: Record<string, number>;
  };
  log(
    `all ${acked}/${total} acknowledged; gateway RSS ${rssMb.toFixed(0)} MB (${rssSplitOf(gateway.child.pid!)}); memory [MB]: ${JSON.stringify(after.memoryMb)}`,
  );
  await Promise.all(clients.map((client) => client.endAsync()));
  gateway.child.kill('SIGTERM');
  await gateway.exited;

  // ---- the ceiling: raw verify with one worker per core, same machine, now quiet ----
  const sample = publishers[0]!;
  const publicKey = devices[0]!.publicKey;
  const ceilingPerS = await rawVerifyCeiling(threads, publicKey, sample.envelopes.slice(0, 64));
  const ratio = verifiedPerS / ceilingPerS;
  log(
    `ceiling: ${ceilingPerS.toFixed(0)} raw Ed25519 verify/s on ${threads} workers; ratio ${ratio.toFixed(3)}`,
  );
  const bars = verifiedPerS >= 5_000 && ratio >= 0.6 && rssMb <= 250;
  log(
    bars
      ? 'bars met: verified_per_s >= 5000, ratio >= 0.6, rss <= 250 MB'
      : 'BARS MISSED (see figures)',
  );
  console.log(
    JSON.stringify({
      verified_per_s: Math.round(verifiedPerS),
      ceiling_per_s: Math.round(ceilingPerS),
      ratio: Number(ratio.toFixed(3)),
      rss_mb_10k_devices: Math.round(rssMb),
      registered_devices: REGISTERED,
      publishers: PUBLISHERS,
      in_flight_window: WINDOW,
      verify_threads: threads,
      gateway_cpu_pct: Math.round(gatewayCpuPct),
      // CPU time per acknowledged reading [µs]: less sensitive to other load than the rates.
      gateway_cpu_us_per_reading: Math.round((gatewayCpuPct * 10_000) / verifiedPerS),
      publisher_cpu_pct: Math.round(publisherCpuPct),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The compiled gateway as it ships: its launcher (node with the gateway's heap flags; the env
 * GATEWAY_HEAP_FLAGS replaces them) on gateway/dist; it adds GATEWAY_NODE_FLAGS.
 */
function spawnBuiltGateway(configPath: string): {
  child: ChildProcess;
  exited: Promise<number | null>;
} {
  const child = spawn('gateway/dist/pledgeguard-gateway', ['--config', configPath], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitForPort(port: number, exited: () => boolean): Promise<void> {
  const { connect } = await import('node:net');
  for (let attempt = 0; attempt < 600; attempt++) {
    if (exited()) throw new Error('the gateway exited before opening its port (see above)');
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`gateway did not open port ${port}`);
}

/** User + system CPU seconds of a process, all its threads (/proc/PID/stat fields 14 and 15). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; USER_HZ is 100 on Linux
}

/** RSS by kind (anonymous: heaps and native allocations; file: mapped code and data) [MB]. */
function rssSplitOf(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) =>
    (Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024).toFixed(0);
  return `anon ${mb('RssAnon')}, file ${mb('RssFile')}, shmem ${mb('RssShmem')}`;
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Raw node:crypto Ed25519 verifications per second summed over `threads` busy workers. */
async function rawVerifyCeiling(
  threads: number,
  publicKeyHex: string,
  envelopes: Buffer[],
): Promise<number> {
  const { decodeSign1, toBeSigned } = await import('../protocol/src/index.js');
  const items = envelopes.map((bytes) => {
    const decoded = decodeSign1(bytes);
    if (!decoded.ok) throw new Error(decoded.detail);
    return {
      message: toBeSigned(decoded.value.protectedBytes, decoded.value.payloadBytes),
      signature: decoded.value.signature,
    };
  });
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createPublicKey, verify } = require('node:crypto');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(workerData.publicKeyHex, 'hex').toString('base64url') }, format: 'jwk' });
    const items = workerData.items;
    for (let i = 0; i < 2000; i++) verify(null, items[i % items.length].message, key, items[i % items.length].signature);
    let count = 0;
    const start = process.hrtime.bigint();
    const budget = BigInt(workerData.ms) * 1000000n;
    while (process.hrtime.bigint() - start < budget) {
      for (let i = 0; i < 64; i++) {
        const item = items[(count + i) % items.length];
        if (!verify(null, item.message, key, item.signature)) throw new Error('bad signature');
      }
      count += 64;
    }
    parentPort.postMessage((count * 1e9) / Number(process.hrtime.bigint() - start));
  `;
  const rates = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(code, {
            eval: true,
            workerData: { publicKeyHex, items, ms: 3_000 },
          });
          worker.once('message', resolve).once('error', reject);
        }),
    ),
  );
  return rates.reduce((sum, rate) => sum + rate, 0);
}

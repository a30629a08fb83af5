// `npm run bench:ingest`: verified-and-committed readings per second through the real gateway.
// The gateway runs as its own process (10,000 registered devices, embedded broker, verification on
// one worker per core, SQLite synchronous=FULL); this process publishes pre-signed Ed25519 readings
// over MQTT QoS 1 from many device connections (each with at most BENCH_WINDOW unacknowledged,
// default 20) and counts PUBACKs, which the gateway sends only after the evidence commit. After
// each gateway window it pauses the publishers and measures the ceiling: raw node:crypto Ed25519
// verify/s with one worker per core, on the same machine a moment later (BENCHMARKS.md). Last
// line: one JSON object (issue 5 bars: verified_per_s >= 5,000, ratio >= 0.6,
// rss_mb_10k_devices <= 250).

import { mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  deviceTopic,
  generateKeyPair,
  signReading,
  type DeviceManifest,
} from '../protocol/src/index.js';
import { hashMqttPassword, nodeSigner } from '../protocol/src/node.js';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { RawPublisher, encodePublish } from './raw-publisher.js';
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
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 5_000);
/** Gateway windows, each followed by a ceiling window with the publishers paused. */
const CYCLES = Number(process.env.BENCH_CYCLES ?? 3);
const CEILING_MS = Number(process.env.BENCH_CEILING_MS ?? 3_000);
/** Time after each pause before the next window starts: the pipeline fills again. */
const REWARM_MS = Number(process.env.BENCH_REWARM_MS ?? 1_000);
const PER_PUBLISHER = Number(process.env.BENCH_READINGS ?? 1_500);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 20);
const WAREHOUSE = 'wh-bench';
/** 'dist' (default): the compiled gateway, as it ships (`npm run build` first); 'tsx': the sources. */
const GATEWAY_FROM = process.env.BENCH_GATEWAY ?? 'dist';

const log = (text: string) => process.stderr.write(`${text}\n`);
const dir = mkdtempSync(join(tmpdir(), 'pg-bench-ingest-'));
let gatewayChild: ChildProcess | undefined;

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
  gatewayChild = gateway.child;
  // 'gateway ready' is logged at info; with level warn, wait for the port instead.
  let exitCode: number | null | undefined;
  void gateway.exited.then((code) => (exitCode = code));
  await waitForPort(port, () => exitCode !== undefined);
  log(
    `gateway (${GATEWAY_FROM}) up on port ${port} with ${threads} verify workers; heap flags: ${process.env.GATEWAY_HEAP_FLAGS ?? 'the launcher defaults'}; extra flags: ${GATEWAY_NODE_FLAGS.join(' ') || 'none'}`,
  );

  // ---- publish from many device connections, count PUBACKs ----
  // A lean MQTT 3.1.1 client (mqtt-packet framing over a plain socket, PUBLISH packets encoded
  // before the clock starts) rather than mqtt.js: the load generator shares the two cores with the
  // gateway, so the less it takes, the closer the figure is to the gateway's own capacity.
  let acked = 0;
  let paused = false;
  let unacked = 0;
  const senders = await Promise.all(
    publishers.map((publisher) =>
      RawPublisher.connect(port, publisher.deviceId, publisher.password, () => {
        unacked--;
        acked++;
      }),
    ),
  );
  log(`${senders.length} publishers connected`);
  // Each device connection keeps at most WINDOW readings unacknowledged, as firmware with a bounded
  // in-flight queue (MQTT 5 Receive Maximum) does; the next goes out when a PUBACK comes back.
  publishers.forEach((publisher, i) => {
    const topic = deviceTopic(WAREHOUSE, publisher.deviceId, 'reading');
    senders[i]!.load(
      publisher.envelopes.map((envelope, seq) =>
        encodePublish(topic, envelope, (seq % 65_535) + 1),
      ),
      WINDOW,
      () => !paused,
      () => unacked++,
    );
  });
  const resume = () => {
    paused = false;
    for (const sender of senders) sender.fill();
  };

  // ---- alternate: gateway window, then (publishers paused, gateway idle) ceiling window ----
  // The machine's speed drifts by tens of percent within minutes (a shared VM), so the ceiling is
  // measured right after each gateway window, CYCLES times, and the ratio compares the sums.
  const sample = publishers[0]!;
  const publicKey = devices[0]!.publicKey;
  let measuredAcked = 0;
  let measuredS = 0;
  let gatewayCpuS = 0;
  let gatewayCpuInCeilingS = 0;
  let idleWaitMs = 0;
  let ceilingS = 0;
  let publisherCpuUs = 0;
  const ceilings: number[] = [];
  const cycleRatios: number[] = [];
  let threadsStart = new Map<string, { user: number; system: number }>();
  let threadsEnd = threadsStart;
  resume();
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    await sleep(cycle === 0 ? WARMUP_MS : REWARM_MS);
    const ackedAtStart = acked;
    const measureStart = Date.now();
    const gatewayCpuStart = cpuSecondsOf(gateway.child.pid!);
    if (cycle === 0) threadsStart = threadCpuOf(gateway.child.pid!);
    const publisherCpuStart = process.cpuUsage();
    await sleep(MEASURE_MS);
    const windowS = (Date.now() - measureStart) / 1_000;
    const windowAcked = acked - ackedAtStart;
    gatewayCpuS += cpuSecondsOf(gateway.child.pid!) - gatewayCpuStart;
    if (cycle === 0) threadsEnd = threadCpuOf(gateway.child.pid!);
    const publisherUsage = process.cpuUsage(publisherCpuStart);
    publisherCpuUs += publisherUsage.user + publisherUsage.system;
    measuredAcked += windowAcked;
    measuredS += windowS;
    if (acked >= publishers.length * PER_PUBLISHER)
      throw new Error('the readings ran out inside a window: raise BENCH_READINGS');
    // Pause, let every reading in flight be acknowledged, then measure the ceiling.
    paused = true;
    const drainDeadline = Date.now() + 30_000;
    while (unacked > 0) {
      if (Date.now() > drainDeadline)
        throw new Error(
          `${unacked} readings still unacknowledged 30 s after the publishers paused`,
        );
      await sleep(20);
    }
    // Work the gateway does after a pause (a Merkle epoch seal on its 60 s timer) must not land in
    // the ceiling window, where it would lower the ceiling: wait until the gateway idles.
    idleWaitMs += await waitForIdle(gateway.child.pid!);
    const gatewayIdleStart = cpuSecondsOf(gateway.child.pid!);
    const ceilingStart = Date.now();
    const ceiling = await rawVerifyCeiling(
      threads,
      publicKey,
      sample.envelopes.slice(0, 64),
      CEILING_MS,
    );
    // The ceiling assumes the gateway idles meanwhile; its CPU in these windows says whether it did.
    gatewayCpuInCeilingS += cpuSecondsOf(gateway.child.pid!) - gatewayIdleStart;
    ceilingS += (Date.now() - ceilingStart) / 1_000;
    ceilings.push(ceiling);
    cycleRatios.push(windowAcked / windowS / ceiling);
    log(
      `cycle ${cycle + 1}/${CYCLES}: ${(windowAcked / windowS).toFixed(0)} verified/s, ceiling ${ceiling.toFixed(0)}/s, ratio ${(windowAcked / windowS / ceiling).toFixed(3)}; gateway RSS ${rssOf(gateway.child.pid!).toFixed(0)} MB after ${acked} readings`,
    );
    resume();
  }
  const verifiedPerS = measuredAcked / measuredS;
  const ceilingPerS = ceilings.reduce((sum, rate) => sum + rate, 0) / ceilings.length;
  // CPU used in the windows, in % of one core: where the two cores went.
  const gatewayCpuPct = (gatewayCpuS / measuredS) * 100;
  const publisherCpuPct = (publisherCpuUs / 1e6 / measuredS) * 100;
  const gatewayCpuInCeilingPct = (gatewayCpuInCeilingS / ceilingS) * 100;
  log(
    `cpu in the windows: gateway ${gatewayCpuPct.toFixed(0)}%, publisher ${publisherCpuPct.toFixed(0)}% (of one core; 200% is both cores); gateway in the ceiling windows ${gatewayCpuInCeilingPct.toFixed(1)}%, after waiting ${idleWaitMs} ms in all for it to idle`,
  );
  log(
    `gateway cpu by thread in the first window: ${threadBreakdown(threadsStart, threadsEnd, MEASURE_MS / 1_000)}`,
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
    `measured ${measuredAcked} acknowledged readings in ${CYCLES} windows of ${MEASURE_MS} ms (after ${WARMUP_MS} ms warm-up, ${REWARM_MS} ms after each pause)`,
  );
  // RSS is read when the last reading is acknowledged: keep publishing to the end, allowing the
  // rest twice the measured time plus 30 s; past that, stop and let what is in flight land.
  const total = publishers.length * PER_PUBLISHER;
  const finishDeadline = Date.now() + ((total - acked) / verifiedPerS) * 2_000 + 30_000;
  while (acked < total && Date.now() < finishDeadline) await sleep(100);
  if (acked < total) {
    paused = true;
    while (unacked > 0 && Date.now() < finishDeadline + 30_000) await sleep(20);
  }
  const rssMb = rssOf(gateway.child.pid!);
  const after = (await (await fetch(`http://127.0.0.1:${httpPort}/health`)).json()) as {
    memoryMb: Record<string, number>;
  };
  log(
    `all ${acked}/${total} acknowledged; gateway RSS ${rssMb.toFixed(0)} MB (${rssSplitOf(gateway.child.pid!)}); memory [MB]: ${JSON.stringify(after.memoryMb)}`,
  );
  await Promise.all(senders.map((sender) => sender.end()));
  gateway.child.kill('SIGTERM');
  await gateway.exited;

  const ratio = verifiedPerS / ceilingPerS;
  log(
    `ceiling: ${ceilings.map((c) => c.toFixed(0)).join(', ')} raw Ed25519 verify/s on ${threads} workers (mean ${ceilingPerS.toFixed(0)}); ratio ${ratio.toFixed(3)} (per cycle ${cycleRatios.map((r) => r.toFixed(3)).join(', ')})`,
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
      gateway_cpu_pct_in_ceiling: Number(gatewayCpuInCeilingPct.toFixed(1)),
      idle_wait_ms: idleWaitMs,
      cycles: CYCLES,
      ratio_per_cycle: cycleRatios.map((r) => Number(r.toFixed(3))),
    }),
  );
} finally {
  // A failed run must not leave the gateway running (it would keep this process alive).
  if (gatewayChild?.exitCode === null) gatewayChild.kill('SIGKILL');
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
  // BENCH_GATEWAY_STDOUT=<file> keeps the gateway's stdout (e.g. V8's --trace-gc lines).
  const stdoutFile = process.env.BENCH_GATEWAY_STDOUT;
  const child = spawn('gateway/dist/pledgeguard-gateway', ['--config', configPath], {
    cwd: repoRoot,
    stdio: ['ignore', stdoutFile ? openSync(stdoutFile, 'w') : 'ignore', 'inherit'],
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

/**
 * Waits until the process uses under a tenth of a core over 250 ms (at most 30 s); returns the wait
 * beyond the first probe [ms].
 */
async function waitForIdle(pid: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const before = cpuSecondsOf(pid);
    await sleep(250);
    if (cpuSecondsOf(pid) - before < 0.025 || Date.now() - start > 30_000)
      return Math.max(0, Date.now() - start - 250);
  }
}

/** User + system CPU seconds of a process, all its threads (/proc/PID/stat fields 14 and 15). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; USER_HZ is 100 on Linux
}

/** CPU seconds (user, system) per thread of a process, keyed `name/tid` (/proc/PID/task). */
function threadCpuOf(pid: number): Map<string, { user: number; system: number }> {
  const out = new Map<string, { user: number; system: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(`${name}/${tid}`, {
        user: Number(fields[11]) / 100,
        system: Number(fields[12]) / 100,
      });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** Per-thread CPU in the window, in % of one core, user+system, busiest first (Node names every thread "node"). */
function threadBreakdown(
  start: Map<string, { user: number; system: number }>,
  end: Map<string, { user: number; system: number }>,
  seconds: number,
): string {
  const pct = (cpuSeconds: number) => ((cpuSeconds / seconds) * 100).toFixed(0);
  return [...end]
    .map(([thread, now]) => {
      const before = start.get(thread) ?? { user: 0, system: 0 };
      return { thread, user: now.user - before.user, system: now.system - before.system };
    })
    .filter((t) => t.user + t.system > 0)
    .sort((a, b) => b.user + b.system - (a.user + a.system))
    .map((t) => `${t.thread} ${pct(t.user + t.system)}% (sys ${pct(t.system)}%)`)
    .join(', ');
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
  ms: number,
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
            workerData: { publicKeyHex, items, ms },
          });
          worker.once('message', resolve).once('error', reject);
        }),
    ),
  );
  return rates.reduce((sum, rate) => sum + rate, 0);
}

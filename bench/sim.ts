// `npm run bench:sim`: 10,000 simulated devices at 1 Hz from one simulator process (issue 4).
// The embedded aedes broker runs in a child process, so this process's CPU is the simulator's
// alone; an in-broker subscriber (aedes subscribe on pg/v1/+/+/reading) counts deliveries. Devices
// sign with node:crypto Ed25519, publish QoS 1 over one MQTT connection each, driven by one shared
// timer. After all devices are online and a warm-up, deliveries are counted for BENCH_SECONDS.
// Env: BENCH_DEVICES (10000), BENCH_SECONDS (60), BENCH_WARMUP_S (10), BENCH_SIGNER (node|noble),
// BENCH_THREADS (2: the fleet is split by bay over worker threads of this one process).
// Last line: one JSON object. Bar: readings_per_s >= 9,500 sustained with 10,000 devices.

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import {
  ephemeralIdentities,
  Fleet,
  parseScenario,
  ShardedFleet,
  steadyScenario,
} from '../firmware-sim/src/index.js';

const log = (text: string) => process.stderr.write(`${text}\n`);

interface BrokerStats {
  readonly delivered: number;
  readonly cpuMicros: number;
  /** Broker clock when the stats were taken [ms]: rates use it, so a stalled report is not a 0. */
  readonly atMs: number;
  readonly clients: number;
}

if (process.argv[2] === 'broker') {
  await runBroker();
} else {
  await runSimulator();
}

async function runBroker(): Promise<void> {
  const broker = await Aedes.createBroker({ concurrency: 1000 });
  let delivered = 0;
  // The subscriber: an in-process aedes subscription, so counting costs no extra socket traffic.
  broker.subscribe(
    'pg/v1/+/+/reading',
    (_packet, done) => {
      delivered++;
      done();
    },
    () => {},
  );
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  const send = (message: unknown) => process.send?.(message);
  send({ type: 'ready', port });
  setInterval(() => {
    const cpu = process.cpuUsage();
    const stats: BrokerStats = {
      delivered,
      cpuMicros: cpu.user + cpu.system,
      atMs: Date.now(),
      clients: broker.connectedClients,
    };
    send({ type: 'stats', ...stats });
  }, 500).unref();
  process.on('disconnect', () => process.exit(0));
}

/** Busy and total jiffies of all CPUs (Linux /proc/stat). */
function hostCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

async function runSimulator(): Promise<void> {
  const devices = Number(process.env.BENCH_DEVICES ?? 10_000);
  const seconds = Number(process.env.BENCH_SECONDS ?? 60);
  const warmupS = Number(process.env.BENCH_WARMUP_S ?? 10);
  const signer = process.env.BENCH_SIGNER === 'noble' ? 'noble' : 'node';
  const threads = Number(process.env.BENCH_THREADS ?? 2);
  const dir = mkdtempSync(join(tmpdir(), 'pg-bench-sim-'));
  const child: ChildProcess = fork(import.meta.filename, ['broker'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let latest: BrokerStats = { delivered: 0, cpuMicros: 0, clients: 0, atMs: 0 };
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (message: { type: string; port?: number } & Partial<BrokerStats>) => {
      if (message.type === 'ready') resolve(message.port!);
      if (message.type === 'stats') latest = message as unknown as BrokerStats;
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  const nextStats = () =>
    new Promise<BrokerStats>((resolve) => child.once('message', () => resolve(latest)));

  try {
    const input = steadyScenario({
      devices,
      periodMs: 1000,
      heartbeatMs: 60_000,
      seed: 2026,
      warehouseId: 'wh-bench',
      durationMs: (warmupS + seconds + 3600) * 1000,
    });
    const parsed = parseScenario(input);
    if (!parsed.ok) throw new Error(parsed.error);
    const scenario = parsed.scenario;
    const setupStart = Date.now();
    const options = {
      brokerUrl: `mqtt://127.0.0.1:${port}`,
      signer,
      spoolDir: dir,
      connectRatePerS: 1000,
      keepaliveS: 120,
    } as const;
    const identities = ephemeralIdentities(scenario);
    const fleet =
      threads > 1
        ? new ShardedFleet(scenario, identities, options, threads)
        : new Fleet({ ...options, scenario, identities });
    log(`${devices} devices built in ${Date.now() - setupStart} ms; connecting`);
    const connectStart = Date.now();
    await fleet.start(180_000);
    const connectS = (Date.now() - connectStart) / 1000;
    log(
      `${fleet.counters.online}/${devices} online after ${connectS.toFixed(1)} s; warming up ${warmupS} s`,
    );
    await new Promise((r) => setTimeout(r, warmupS * 1000));

    const host0 = hostCpu();
    const cpu0 = process.cpuUsage();
    const broker0 = await nextStats();
    const signed0 = fleet.signed;
    const t0 = performance.now();
    const perInterval: number[] = [];
    let previous = broker0;
    let previousSigned = fleet.signed;
    let previousMs = performance.now();
    const intervalS = 5;
    for (let elapsed = 0; elapsed < seconds; elapsed += intervalS) {
      await new Promise((r) => setTimeout(r, Math.min(intervalS, seconds - elapsed) * 1000));
      const now = await nextStats();
      const rate =
        ((now.delivered - previous.delivered) * 1000) / Math.max(1, now.atMs - previous.atMs);
      perInterval.push(rate);
      const signedRate =
        ((fleet.signed - previousSigned) * 1000) / Math.max(1, performance.now() - previousMs);
      previousSigned = fleet.signed;
      previousMs = performance.now();
      log(
        `  ${rate.toFixed(0)} readings/s delivered | ${signedRate.toFixed(0)} signed/s | online ${fleet.counters.online} | queued ${fleet.counters.queued} | rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
      );
      previous = now;
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const host1 = hostCpu();
    const broker1 = await nextStats();
    const brokerS = (broker1.atMs - broker0.atMs) / 1000;
    const result = {
      devices,
      seconds: Number(wallS.toFixed(1)),
      readings_per_s: Math.round((broker1.delivered - broker0.delivered) / brokerS),
      min_interval_readings_per_s: Math.round(Math.min(...perInterval)),
      signed_per_s: Math.round((fleet.signed - signed0) / wallS),
      sim_cpu_pct: Number((((cpu.user + cpu.system) / 1e6 / wallS) * 100).toFixed(1)),
      broker_cpu_pct: Number(
        (((broker1.cpuMicros - broker0.cpuMicros) / 1e6 / brokerS) * 100).toFixed(1),
      ),
      // The whole machine's busy CPU in the window, and what other processes used of it: the
      // simulator and its broker share two cores with whatever else runs.
      host_busy_pct: Number(
        (
          ((host1.busy - host0.busy) / (host1.total - host0.total)) *
          100 *
          availableParallelism()
        ).toFixed(1),
      ),
      load_avg_1m: Number(loadavg()[0]!.toFixed(2)),
      online: fleet.counters.online,
      queued: fleet.counters.queued,
      connect_s: Number(connectS.toFixed(1)),
      sim_rss_mb: Math.round(process.memoryUsage().rss / 1e6),
      signer,
      threads,
      alg: 'EdDSA',
      qos: 1,
    };
    await fleet.stop();
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

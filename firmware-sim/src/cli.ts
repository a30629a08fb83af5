// pledgeguard-sim: keygen, provision, run, validate. Errors print one line and exit 1; a bad
// scenario names the file and each bad field.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateKeyPair, type Alg } from '@pledgeguard/protocol';
import { loadScenarioFile } from './adapters/scenario-file.js';
import { parseDurationMs } from './core/duration.js';
import { parseScenario, type Scenario } from './core/scenario-schema.js';
import { steadyScenario } from './core/steady.js';
import type { OpcuaSecurity, PlcServer } from './adapters/opcua-plc.js';
import { Fleet, type DeviceIdentity } from './app/fleet.js';
import { ShardedFleet } from './app/shards.js';
import { bootIdentities, ephemeralIdentities } from './app/identities.js';
import { startProgress } from './app/progress.js';
import { provisionScenario } from './app/provision.js';

export const HELP = `pledgeguard-sim: simulated PledgeGuard warehouse devices (MQTT + OPC UA)

Usage:
  pledgeguard-sim keygen [--alg EdDSA|ES256|ES256K]
      Prints a fresh key pair as JSON (secretKey, publicKey in hex).

  pledgeguard-sim provision (--scenario FILE | --devices N) --out DIR [--alg ALG] [--warehouse ID]
      Writes DIR/manifest.json (the protocol's DeviceManifest, checked with parseManifest) and one
      secret state file per device under DIR/devices/ (key, MQTT password, boot counter).
      Existing state files keep their keys. Hashing passwords (scrypt) costs ~30 ms per device.

  pledgeguard-sim run (--scenario FILE | --devices N) [options]
      --state DIR            provisioned state (boot counters are incremented here); or
      --ephemeral            keys derived from the seed, nothing persisted (benchmarks)
      --broker URL           mqtt://host:port (omit to feed only the OPC UA PLC)
      --mqtt-version 4|5     4 = MQTT 3.1.1 (aedes, default), 5 (mosquitto, EMQX)
      --opcua-port P         start the PLC simulator on port P
      --opcua-security S     none | sign-encrypt | both (default both)
      --opcua-pki DIR        PLC certificates (default <state>/opcua-pki)
      --signer node|noble    node:crypto (default, fast) or @noble/curves (reference)
      --duration D           e.g. 10m, 48h (default: the scenario's; 1h for --devices)
      --time-scale X         warehouse ms per wall ms (default: the scenario's; 1 for --devices)
      --period D             measurement period for --devices (default 1s)
      --heartbeat D          heartbeat period for --devices (default 60s)
      --seed N               override the seed
      --connect-rate N       new MQTT connections per second (default 1000)
      --threads N            split the fleet by bay over N worker threads of this process
                             (default 1; use 2 for thousands of devices at 1 Hz; not with OPC UA)
      --quiet                no progress line
      A progress line (devices online, readings/s, queued) is written to stderr.

  pledgeguard-sim validate FILE...
      Validates scenario files.

  pledgeguard-sim --help
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  alg: { type: 'string' },
  scenario: { type: 'string' },
  devices: { type: 'string' },
  out: { type: 'string' },
  warehouse: { type: 'string' },
  state: { type: 'string' },
  ephemeral: { type: 'boolean' },
  broker: { type: 'string' },
  'mqtt-version': { type: 'string' },
  'opcua-port': { type: 'string' },
  'opcua-security': { type: 'string' },
  'opcua-pki': { type: 'string' },
  signer: { type: 'string' },
  duration: { type: 'string' },
  'time-scale': { type: 'string' },
  period: { type: 'string' },
  heartbeat: { type: 'string' },
  seed: { type: 'string' },
  'connect-rate': { type: 'string' },
  threads: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

class UsageError extends Error {}

function intOption(values: Values, name: keyof Values, min: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min)
    throw new UsageError(`--${name} must be an integer >= ${min}`);
  return value;
}

function durationOption(values: Values, name: keyof Values): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const ms = parseDurationMs(String(raw));
  if (ms === undefined || ms <= 0)
    throw new UsageError(`--${name} must be a duration such as 90s, 10m, 48h`);
  return ms;
}

function algOption(values: Values): Alg {
  const alg = values.alg ?? 'EdDSA';
  if (alg !== 'EdDSA' && alg !== 'ES256' && alg !== 'ES256K')
    throw new UsageError('--alg must be EdDSA, ES256 or ES256K');
  return alg;
}

/** The scenario of --scenario, or a generated steady fleet of --devices; overrides applied. */
function scenarioOf(values: Values): Scenario {
  let scenario: Scenario;
  if (values.scenario !== undefined) {
    scenario = loadScenarioFile(values.scenario);
  } else {
    const devices = intOption(values, 'devices', 1);
    if (devices === undefined) throw new UsageError('give --scenario FILE or --devices N');
    const alg = algOption(values);
    const input = steadyScenario({
      devices,
      periodMs: durationOption(values, 'period') ?? 1000,
      heartbeatMs: durationOption(values, 'heartbeat') ?? 60_000,
      seed: intOption(values, 'seed', 0) ?? 1,
      warehouseId: values.warehouse ?? 'wh-sim',
      durationMs: durationOption(values, 'duration') ?? 3_600_000,
    });
    const parsed = parseScenario({ ...input, devices: input.devices.map((d) => ({ ...d, alg })) });
    if (!parsed.ok) throw new UsageError(parsed.error);
    scenario = parsed.scenario;
  }
  const seed = intOption(values, 'seed', 0);
  const durationMs = durationOption(values, 'duration');
  const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
  if (timeScale !== undefined && !(timeScale >= 1))
    throw new UsageError('--time-scale must be a number >= 1');
  return {
    ...scenario,
    ...(seed === undefined ? {} : { seed }),
    ...(durationMs === undefined ? {} : { duration: durationMs }),
    ...(timeScale === undefined ? {} : { timeScale }),
  };
}

async function run(values: Values, log: (line: string) => void): Promise<void> {
  const scenario = scenarioOf(values);
  if (values.state === undefined && !values.ephemeral)
    throw new UsageError('give --state DIR (see provision) or --ephemeral');
  const stateDir = values.state ?? join(process.cwd(), '.pledgeguard-sim');
  mkdirSync(stateDir, { recursive: true });
  const identities: Map<string, DeviceIdentity> = values.ephemeral
    ? ephemeralIdentities(scenario)
    : bootIdentities(scenario, stateDir);
  const mqttVersion = intOption(values, 'mqtt-version', 4) ?? 4;
  if (mqttVersion !== 4 && mqttVersion !== 5) throw new UsageError('--mqtt-version must be 4 or 5');
  const signer = values.signer ?? 'node';
  if (signer !== 'node' && signer !== 'noble')
    throw new UsageError('--signer must be node or noble');
  const security = (values['opcua-security'] ?? 'both') as OpcuaSecurity;
  if (!['none', 'sign-encrypt', 'both'].includes(security))
    throw new UsageError('--opcua-security must be none, sign-encrypt or both');

  const opcuaPort = intOption(values, 'opcua-port', 1);
  let plc: PlcServer | undefined;
  if (opcuaPort !== undefined) {
    // Loaded only when asked for: node-opcua takes a second to import and logs on load.
    const { PlcServer } = await import('./adapters/opcua-plc.js');
    plc = new PlcServer({
      port: opcuaPort,
      pkiDir: values['opcua-pki'] ?? join(stateDir, 'opcua-pki'),
      security,
    });
    await plc.start(scenario.devices.map((d) => d.deviceId));
    log(`OPC UA PLC listening at ${plc.endpointUrl} (security ${security})`);
  }
  const threads = intOption(values, 'threads', 1) ?? 1;
  if (threads > 1 && plc !== undefined)
    throw new UsageError(
      '--threads > 1 cannot feed the OPC UA PLC; use one thread with --opcua-port',
    );
  const fleetOptions = {
    ...(values.broker === undefined ? {} : { brokerUrl: values.broker }),
    protocolVersion: mqttVersion,
    signer,
    spoolDir: stateDir,
    connectRatePerS: intOption(values, 'connect-rate', 1) ?? 1000,
  } as const;
  const fleet =
    threads > 1
      ? new ShardedFleet(scenario, identities, fleetOptions, threads)
      : new Fleet({ ...fleetOptions, scenario, identities, ...(plc === undefined ? {} : { plc }) });
  const progress = values.quiet
    ? undefined
    : startProgress(fleet, scenario.devices.length, process.stderr);
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    progress?.stop();
    await fleet.stop();
    await plc?.stop();
    log(
      `stopped (${reason}): signed ${fleet.signed}, acknowledged ${fleet.counters.acked}, still queued on disk ${fleet.counters.queued}`,
    );
  };
  const onSigint = () => void stop('SIGINT').then(() => process.exit(130));
  const onSigterm = () => void stop('SIGTERM').then(() => process.exit(143));
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  await fleet.start();
  await fleet.done;
  // Let spooled readings drain before leaving (bounded).
  const deadline = Date.now() + 30_000;
  while (values.broker !== undefined && fleet.counters.queued > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  await stop('scenario finished');
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
}

export async function main(
  argv: readonly string[],
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    log(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    switch (command) {
      case 'keygen': {
        const alg = algOption(values);
        const keys = generateKeyPair(alg);
        process.stdout.write(
          `${JSON.stringify({ alg, secretKey: Buffer.from(keys.secretKey).toString('hex'), publicKey: Buffer.from(keys.publicKey).toString('hex') })}\n`,
        );
        return 0;
      }
      case 'provision': {
        if (values.out === undefined) throw new UsageError('provision needs --out DIR');
        const scenario = scenarioOf(values);
        const result = provisionScenario(scenario, values.out);
        log(
          `provisioned ${scenario.devices.length} devices (${result.created} new, ${result.kept} kept): ${result.manifestPath}`,
        );
        return 0;
      }
      case 'run':
        await run(values, log);
        return 0;
      case 'validate': {
        if (rest.length === 0) throw new UsageError('validate needs scenario files');
        for (const file of rest) {
          loadScenarioFile(file);
          log(`${file}: ok`);
        }
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    log(
      error instanceof UsageError
        ? `${error.message}\n(see pledgeguard-sim --help)`
        : `error: ${(error as Error).message}`,
    );
    return 1;
  }
}

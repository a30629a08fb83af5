// `pledgeguard doctor`: checks what a gateway depends on and says, for each problem, how to fix
// it: the config file, the data directory, the MQTT broker, the OPC UA endpoint (reach and
// certificate trust), the chain RPC (chain id, contract code), InfluxDB and the clock. Exit 0 when
// nothing failed, 1 when a check failed, 2 when the config itself is invalid.
import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import type { Command } from 'commander';
import type { IClientOptions } from 'mqtt';
import type { JsonRpcProvider } from 'ethers';
import { cliConfig, configPath, openStore, type CliConfig } from './context.js';
import { certsPkiDir } from './certs.js';
import { CliError, EXIT_FAILED } from './errors.js';
import type { Output } from './output.js';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';

export interface Finding {
  readonly check: string;
  readonly status: Status;
  readonly detail: string;
  /** How to fix it (for warn and fail). */
  readonly fix?: string;
}

export interface ChainTarget {
  readonly rpcUrl: string;
  /** Expected chain id, from the deployment file. */
  readonly chainId?: string;
  /** Contract name -> address that must hold code. */
  readonly contracts: Record<string, string>;
  /** From the config's chain section: the key that signs attestations, and its warehouse. */
  readonly gateway?: {
    readonly warehouseNumber: bigint;
    readonly keyEnv: string;
    readonly keyFile?: string;
  };
}

export interface DoctorOptions {
  readonly timeoutMs: number;
  readonly chain?: ChainTarget;
  /** Clock difference beyond which the clock check fails [ms]. */
  readonly maxClockSkewMs: number;
}

/** Runs every applicable check; `report` sees each finding as soon as it is known. */
export async function diagnose(
  config: CliConfig,
  options: DoctorOptions,
  report: (finding: Finding) => void,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (finding: Finding) => {
    findings.push(finding);
    report(finding);
  };
  add(checkDataDir(config));
  if (config.mqtt.embedded.enabled) add(await checkEmbeddedBroker(config, options.timeoutMs));
  if (config.mqtt.embedded.tls) add(checkTlsFiles(config));
  if (config.mqtt.client) add(await checkClientBroker(config, options.timeoutMs));
  if (config.opcua) add(await checkOpcua(config, options.timeoutMs));
  else add({ check: 'opcua', status: 'skip', detail: 'no opcua section in the config' });
  if (options.chain) {
    for (const finding of await checkChain(options.chain, options)) add(finding);
  } else
    add({
      check: 'chain',
      status: 'skip',
      detail: 'no chain to check',
      fix: 'pass --rpc <url> and --deployment <deployment.json> (written by `pledgeguard deploy`)',
    });
  if (config.influx) add(await checkInflux(config, options.timeoutMs));
  else add({ check: 'influxdb', status: 'skip', detail: 'no influx section in the config' });
  return findings;
}

function checkDataDir(config: CliConfig): Finding {
  const dataDir = configPath(config, config.dataDir);
  try {
    const store = openStore(config);
    const devices = store.devices().length;
    store.close();
    return {
      check: 'data directory',
      status: devices > 0 ? 'ok' : 'warn',
      detail: `${dataDir}/evidence.db opens and is migrated; ${devices} device(s) registered`,
      ...(devices === 0
        ? { fix: 'import the device manifest: `pledgeguard devices import manifest.json`' }
        : {}),
    };
  } catch (error) {
    return {
      check: 'data directory',
      status: 'fail',
      detail: `${dataDir}: ${(error as Error).message}`,
      fix: `make ${dataDir} a writable folder for the gateway's user, on a local disk (SQLite WAL needs one)`,
    };
  }
}

/** The embedded broker either runs (a broker answers) or its port is free to listen on. */
async function checkEmbeddedBroker(config: CliConfig, timeoutMs: number): Promise<Finding> {
  const { host, port } = config.mqtt.embedded;
  const where = `${host}:${port}`;
  const answer = await mqttAnswers(
    `${config.mqtt.embedded.tls ? 'mqtts' : 'mqtt'}://${host}:${port}`,
    {},
    timeoutMs,
  );
  if (answer.kind === 'connected' || answer.kind === 'refused')
    return {
      check: 'mqtt broker',
      status: 'ok',
      detail: `an MQTT broker answers at ${where} (the gateway runs)`,
    };
  if (answer.kind === 'unreachable' && /ECONNREFUSED/.test(answer.detail)) {
    const free = await canListen(host, port);
    return free === true
      ? {
          check: 'mqtt broker',
          status: 'ok',
          detail: `nothing listens on ${where} yet; the gateway can bind it at start`,
        }
      : {
          check: 'mqtt broker',
          status: 'fail',
          detail: `cannot listen on ${where}: ${free}`,
          fix: `free the port or set mqtt.embedded.port / mqtt.embedded.host (a port below 1024 needs CAP_NET_BIND_SERVICE)`,
        };
  }
  return {
    check: 'mqtt broker',
    status: 'fail',
    detail: `${where} is taken by something that does not speak MQTT (${answer.detail})`,
    fix: 'stop the other program on that port, or move the embedded broker: mqtt.embedded.port',
  };
}

function checkTlsFiles(config: CliConfig): Finding {
  const tls = config.mqtt.embedded.tls!;
  try {
    const certificate = new X509Certificate(readFileSync(configPath(config, tls.certFile)));
    readFileSync(configPath(config, tls.keyFile));
    if (tls.caFile) readFileSync(configPath(config, tls.caFile));
    const daysLeft = (Date.parse(certificate.validTo) - Date.now()) / 86_400_000;
    if (daysLeft < 0)
      return {
        check: 'mqtt tls',
        status: 'fail',
        detail: `server certificate expired on ${certificate.validTo}`,
        fix: 'issue a new server certificate (docs/operator-guide.md, "TLS for MQTT") and restart the gateway',
      };
    return {
      check: 'mqtt tls',
      status: daysLeft < 30 ? 'warn' : 'ok',
      detail: `server certificate ${certificate.subject.replaceAll('\n', ', ')} valid to ${certificate.validTo}`,
      ...(daysLeft < 30 ? { fix: 'renew the server certificate before it expires' } : {}),
    };
  } catch (error) {
    return {
      check: 'mqtt tls',
      status: 'fail',
      detail: (error as Error).message,
      fix: 'point mqtt.embedded.tls.keyFile/certFile/caFile at readable PEM files (paths relative to the config file)',
    };
  }
}

async function checkClientBroker(config: CliConfig, timeoutMs: number): Promise<Finding> {
  const client = config.mqtt.client!;
  const answer = await mqttAnswers(
    client.url,
    {
      protocolVersion: client.protocolVersion,
      ...(client.username ? { username: client.username } : {}),
      ...(client.password ? { password: client.password } : {}),
    },
    timeoutMs,
  );
  if (answer.kind === 'connected')
    return {
      check: 'mqtt client',
      status: 'ok',
      detail: `connected to ${client.url} (MQTT ${client.protocolVersion === 5 ? '5' : '3.1.1'})`,
    };
  if (answer.kind === 'refused')
    return {
      check: 'mqtt client',
      status: 'fail',
      detail: `${client.url} refused the connection: ${answer.detail}`,
      fix:
        client.protocolVersion === 5
          ? 'check mqtt.client.username/password; if the broker speaks only MQTT 3.1.1 set mqtt.client.protocolVersion: 4'
          : 'check mqtt.client.username/password and the broker ACL for pg/v1/<warehouse>/#',
    };
  return {
    check: 'mqtt client',
    status: 'fail',
    detail: `cannot reach ${client.url}: ${answer.detail}`,
    fix: 'start the broker or fix mqtt.client.url (host, port, mqtt:// or mqtts://); check firewalls between gateway and broker',
  };
}

type MqttAnswer =
  | { kind: 'connected' }
  | { kind: 'refused'; detail: string }
  | { kind: 'unreachable'; detail: string };

async function mqttAnswers(
  url: string,
  options: IClientOptions,
  timeoutMs: number,
): Promise<MqttAnswer> {
  const { default: mqtt } = await import('mqtt');
  return new Promise((resolve) => {
    const client = mqtt.connect(url, {
      ...options,
      clientId: `pledgeguard-doctor-${process.pid}`,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      clean: true,
      rejectUnauthorized: false, // reachability only; trust is the TLS check's concern
    });
    const done = (answer: MqttAnswer) => {
      client.removeAllListeners();
      client.on('error', () => {});
      client.end(true);
      resolve(answer);
    };
    client.once('connect', () => done({ kind: 'connected' }));
    client.once('error', (error: Error & { code?: string | number }) =>
      done(
        typeof error.code === 'number'
          ? { kind: 'refused', detail: error.message }
          : { kind: 'unreachable', detail: error.message },
      ),
    );
    client.once('close', () =>
      done({ kind: 'unreachable', detail: 'connection closed before CONNACK' }),
    );
  });
}

function canListen(host: string, port: number): Promise<true | string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: Error) => resolve(error.message));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function tcpReach(host: string, port: number, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const finish = (result: true | string) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => finish(`no answer within ${timeoutMs} ms`));
    socket.once('error', (error: Error) => finish(error.message));
    socket.connect(port, host, () => finish(true));
  });
}

async function checkOpcua(config: CliConfig, timeoutMs: number): Promise<Finding> {
  const opcua = config.opcua!;
  const url = new URL(opcua.endpointUrl.replace(/^opc\.tcp:/, 'http:'));
  const port = Number(url.port || 4840);
  const reach = await tcpReach(url.hostname, port, timeoutMs);
  if (reach !== true)
    return {
      check: 'opcua',
      status: 'fail',
      detail: `cannot reach ${opcua.endpointUrl}: ${reach}`,
      fix: 'check the PLC is on and opcua.endpointUrl (host, port 4840 by default); check firewalls',
    };
  const pkiDir = await certsPkiDir(config);
  const { rejectedCertificates } = await import('../adapters/opcua/trust.js');
  const rejected = rejectedCertificates(pkiDir);
  if (rejected.length > 0)
    return {
      check: 'opcua',
      status: 'fail',
      detail: `${opcua.endpointUrl} answers, but its certificate was refused (${rejected.map((c) => c.thumbprint).join(', ')})`,
      fix: `compare the thumbprint with the PLC's own screen, then \`pledgeguard certs approve ${rejected[0]!.thumbprint}\``,
    };
  if (opcua.security === 'none')
    return {
      check: 'opcua',
      status: 'warn',
      detail: `${opcua.endpointUrl} answers; security is none (readings are still signed by the devices)`,
      fix: 'use opcua.security: sign-encrypt in production so the channel is authenticated too',
    };
  const trusted = existsSync(`${pkiDir}/trusted/certs`);
  return {
    check: 'opcua',
    status: trusted ? 'ok' : 'warn',
    detail: `${opcua.endpointUrl} answers; PKI at ${pkiDir}`,
    ...(trusted
      ? {}
      : {
          fix: 'start the gateway once: the PLC certificate is refused and `pledgeguard certs list` shows it for approval',
        }),
  };
}

async function checkChain(chain: ChainTarget, options: DoctorOptions): Promise<Finding[]> {
  const { connect } = await import('@pledgeguard/contracts/chain');
  const provider = connect(chain.rpcUrl);
  const findings: Finding[] = [];
  try {
    const started = Date.now();
    const response = await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const body = (await response.json()) as { result?: string };
    const chainId = BigInt(body.result ?? '0x0').toString();
    const dateHeader = response.headers.get('date');
    const roundTripMs = Date.now() - started;
    if (chain.chainId !== undefined && chain.chainId !== chainId)
      findings.push({
        check: 'chain',
        status: 'fail',
        detail: `${chain.rpcUrl} is chain ${chainId}, the deployment is on chain ${chain.chainId}`,
        fix: "point the RPC URL at the chain the contracts were deployed to, or use that chain's deployment file",
      });
    else
      findings.push({
        check: 'chain',
        status: 'ok',
        detail: `${chain.rpcUrl} answers: chain id ${chainId}`,
      });
    for (const [name, address] of Object.entries(chain.contracts)) {
      const code = await provider.getCode(address);
      findings.push(
        code === '0x'
          ? {
              check: `contract ${name}`,
              status: 'fail',
              detail: `no code at ${address} on chain ${chainId}`,
              fix: 'deploy the contracts (`pledgeguard deploy --rpc <url> --key env:PG_DEPLOYER_PRIVATE_KEY`) or fix the addresses in the deployment file',
            }
          : {
              check: `contract ${name}`,
              status: 'ok',
              detail: `${address}: ${(code.length - 2) / 2} bytes of code`,
            },
      );
    }
    if (chain.gateway) findings.push(await checkGatewayKey(chain, provider));
    findings.push(await checkClock(provider, dateHeader, roundTripMs, options.maxClockSkewMs));
  } catch (error) {
    findings.push({
      check: 'chain',
      status: 'fail',
      detail: `cannot query ${chain.rpcUrl}: ${(error as Error).message}`,
      fix: 'start the node or fix the RPC URL (http(s)://host:port); check the node allows eth_chainId and eth_getCode',
    });
  } finally {
    provider.destroy();
  }
  return findings;
}

/** Local clock against the RPC's HTTP Date (1 s resolution) and the chain's latest block time. */
async function checkClock(
  provider: JsonRpcProvider,
  dateHeader: string | null,
  roundTripMs: number,
  maxSkewMs: number,
): Promise<Finding> {
  const nowMs = Date.now();
  const fix =
    'synchronise the clock: enable NTP (`timedatectl set-ntp true`, chrony or systemd-timesyncd); attestations carry gateway time and devices are judged against it';
  if (dateHeader) {
    const skewMs = nowMs - Date.parse(dateHeader);
    // The header has 1 s resolution and was made during the round trip.
    const slackMs = 1_000 + roundTripMs;
    if (Math.abs(skewMs) > maxSkewMs + slackMs)
      return {
        check: 'clock',
        status: 'fail',
        detail: `local clock is ${skewMs > 0 ? 'ahead of' : 'behind'} the RPC server's by ~${Math.round(Math.abs(skewMs) / 1_000)} s`,
        fix,
      };
  }
  const block = await provider.getBlock('latest');
  const blockMs = Number(block?.timestamp ?? 0) * 1_000;
  if (blockMs - nowMs > maxSkewMs)
    return {
      check: 'clock',
      status: 'fail',
      detail: `the latest block is ${Math.round((blockMs - nowMs) / 1_000)} s in the future of the local clock`,
      fix,
    };
  return {
    check: 'clock',
    status: 'ok',
    detail: dateHeader
      ? `local clock within ${Math.round(maxSkewMs / 1_000)} s of the RPC server's Date; latest block ${Math.round((nowMs - blockMs) / 1_000)} s old`
      : `the RPC sends no Date header; latest block ${Math.round((nowMs - blockMs) / 1_000)} s old`,
  };
}

async function checkInflux(config: CliConfig, timeoutMs: number): Promise<Finding> {
  const influx = config.influx!;
  const url = `${influx.protocol}://${influx.host}:${influx.port}/ping`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (response.status === 204 || response.ok)
      return {
        check: 'influxdb',
        status: 'ok',
        detail: `${url} answers (version ${response.headers.get('x-influxdb-version') ?? 'unknown'})`,
      };
    return {
      check: 'influxdb',
      status: 'fail',
      detail: `${url} answered ${response.status}`,
      fix: 'check influx.host/port point at InfluxDB 1.x (not 2.x) and its auth settings',
    };
  } catch (error) {
    return {
      check: 'influxdb',
      status: 'fail',
      detail: `cannot reach ${url}: ${(error as Error).message}`,
      fix: 'start influxd (`systemctl start influxdb`) or fix influx.host/port; the gateway spools readings meanwhile, so this is not urgent',
    };
  }
}

/** The chain to check: --rpc / --deployment, else the config's `chain` section (app/chain-config.ts). */
export function chainTarget(
  config: CliConfig,
  options: { rpc?: string; deployment?: string },
): ChainTarget | undefined {
  const section = config.chain;
  const rpcUrl = options.rpc ?? section?.rpcUrl;
  if (!rpcUrl) return undefined;
  const gateway = section && {
    warehouseNumber: section.warehouseNumber,
    keyEnv: section.keyEnv,
    ...(section.keyFile ? { keyFile: configPath(config, section.keyFile) } : {}),
  };
  const file =
    options.deployment ?? (section?.deployment && configPath(config, section.deployment));
  const contracts: Record<string, string> = {};
  const addContracts = (entries: Record<string, unknown>) => {
    for (const [name, value] of Object.entries(entries))
      if (typeof value === 'string') contracts[name] = value;
      else if (value && typeof value === 'object')
        for (const [feed, address] of Object.entries(value as Record<string, string>))
          contracts[`priceFeed ${feed}`] = address;
  };
  let chainId: string | undefined =
    section?.chainId !== undefined ? String(section.chainId) : undefined;
  if (file) {
    let deployment: { chainId: string | number; contracts: Record<string, unknown> };
    try {
      deployment = JSON.parse(readFileSync(file, 'utf8')) as typeof deployment;
    } catch (error) {
      throw new CliError(`cannot read deployment file ${file}: ${(error as Error).message}`, 2);
    }
    addContracts(deployment.contracts);
    chainId ??= String(deployment.chainId);
  }
  // Inline addresses override the file's, as in app/chain-config.ts resolveChain.
  if (!options.deployment && section?.contracts) addContracts(section.contracts);
  return {
    rpcUrl,
    ...(chainId !== undefined ? { chainId } : {}),
    contracts,
    ...(gateway ? { gateway } : {}),
  };
}

/** The gateway's chain key: loads, holds gas money, and is in the warehouse's gateway set. */
async function checkGatewayKey(chain: ChainTarget, provider: JsonRpcProvider): Promise<Finding> {
  const gateway = chain.gateway!;
  const { GatewayKey } = await import('../adapters/chain/gateway-key.js');
  let address: string;
  try {
    address = GatewayKey.load(gateway).address;
  } catch (error) {
    return {
      check: 'gateway key',
      status: 'fail',
      detail: (error as Error).message,
      fix: `put the gateway's key (0x + 64 hex) in chain.keyFile (mode 0600) or the environment variable ${gateway.keyEnv}`,
    };
  }
  const balance = await provider.getBalance(address);
  const oracle = chain.contracts.custodyOracle;
  if (oracle) {
    const { Contract } = await import('ethers');
    const contract = new Contract(
      oracle,
      ['function isGateway(uint64 warehouseId, address gateway) view returns (bool)'],
      provider,
    );
    const registered = (await contract.getFunction('isGateway')(
      gateway.warehouseNumber,
      address,
    )) as boolean;
    if (!registered)
      return {
        check: 'gateway key',
        status: 'fail',
        detail: `${address} is not a gateway of warehouse ${gateway.warehouseNumber} on the CustodyOracle`,
        fix: `have the contracts admin add it: CustodyOracle.rotateGateways(${gateway.warehouseNumber}, [...gateways, ${address}], threshold), or \`pledgeguard deploy --warehouse-number ${gateway.warehouseNumber} --gateway ${address}\` on a new chain`,
      };
  }
  return balance === 0n
    ? {
        check: 'gateway key',
        status: 'fail',
        detail: `${address} has no funds to pay for attestations`,
        fix: `send the chain's gas token to ${address} (or set min-gas-price 0 on a consortium chain)`,
      }
    : {
        check: 'gateway key',
        status: 'ok',
        detail: `${address}${oracle ? `, a gateway of warehouse ${gateway.warehouseNumber}` : ''}, balance ${balance} wei`,
      };
}

const MARK: Record<Status, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function registerDoctor(program: Command, out: Output): void {
  program
    .command('doctor')
    .description(
      'check the config, data directory, MQTT broker, OPC UA endpoint, chain RPC and contracts, InfluxDB and the clock; print how to fix each problem',
    )
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .option('--rpc <url>', "chain JSON-RPC URL to check (default: the config's chain section)")
    .option(
      '--deployment <file>',
      'deployment JSON (from `pledgeguard deploy`): chain id and contract addresses',
    )
    .option('--timeout-ms <ms>', 'per-check network timeout', '3000')
    .option('--max-clock-skew-ms <ms>', 'clock difference that fails the clock check', '5000')
    .action(
      async (options: {
        config?: string;
        rpc?: string;
        deployment?: string;
        timeoutMs: string;
        maxClockSkewMs: string;
      }) => {
        let config: CliConfig;
        try {
          config = cliConfig(options.config);
        } catch (error) {
          out.log(
            `FAIL  config            ${(error as Error).message.replaceAll('\n', '\n      ')}`,
          );
          out.log(
            '      fix: correct the values listed above (docs/config-reference.md lists every key)',
          );
          throw error;
        }
        out.log(`ok    config            ${options.config ?? '(environment only)'} is valid`);
        const chain = chainTarget(config, options);
        const findings = await diagnose(
          config,
          {
            timeoutMs: Number(options.timeoutMs),
            maxClockSkewMs: Number(options.maxClockSkewMs),
            ...(chain ? { chain } : {}),
          },
          (finding) => {
            out.log(`${MARK[finding.status]}  ${finding.check.padEnd(17)} ${finding.detail}`);
            if (finding.fix && finding.status !== 'ok' && finding.status !== 'skip')
              out.log(`      fix: ${finding.fix}`);
          },
        );
        const failed = findings.filter((finding) => finding.status === 'fail').length;
        if (failed > 0) throw new CliError(`doctor: ${failed} check(s) failed`, EXIT_FAILED);
        out.progress('doctor: no check failed');
      },
    );
}

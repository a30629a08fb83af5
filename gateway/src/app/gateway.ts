// Wires one gateway: evidence log, verifier pool, ingest pipeline, embedded broker, epoch sealing.
import { mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import { parseManifest } from '@pledgeguard/protocol';
import { ApiEventBus } from '../adapters/http/event-bus.js';
import { createMetricsRegistry } from '../adapters/http/metrics.js';
import { SqliteApiData } from '../adapters/http/sqlite-data.js';
import { ApiTokenStore } from '../adapters/http/token-store.js';
import { resolveChain } from './chain-config.js';
import { buildCustodyStack, type CustodyStack } from './custody-stack.js';
import { startHttp } from '../adapters/http/server.js';
import { InfluxSink } from '../adapters/influx/influx-sink.js';
import { EmbeddedBroker } from '../adapters/mqtt/broker.js';
import { ClientSource } from '../adapters/mqtt/client-source.js';
import type { OpcuaSource } from '../adapters/opcua/source.js';
import { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import type { GatewayConfig } from '../config.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../core/plausibility.js';
import type { Clock } from '../ports/clock.js';
import { IngestPipeline } from './ingest.js';
import { SeriesForwarder } from './series-forwarder.js';
import { VerifierPool } from './verifier-pool.js';

export interface RunningGateway {
  readonly config: GatewayConfig;
  readonly store: EvidenceStore;
  readonly ingest: IngestPipeline;
  readonly broker: EmbeddedBroker;
  /** Present in client mode. */
  readonly client: ClientSource | undefined;
  /** Present when an OPC UA PLC is configured. */
  readonly opcua: OpcuaSource | undefined;
  /** Present when config.influx is set: the InfluxDB forwarder (status, writeLotMetric). */
  readonly series: SeriesForwarder | undefined;
  /** The HTTP port actually bound (config port 0 picks a free one). */
  readonly httpPort: number;
  /** Custody service, chain feeder, attestation loop and co-signing. */
  readonly custody: CustodyStack;
  /** The API's event stream (SSE). */
  readonly events: ApiEventBus;
  stop(): Promise<void>;
}

export async function startGateway(
  config: GatewayConfig & { baseDir: string },
  log: Logger,
  clock: Clock,
): Promise<RunningGateway> {
  const at = (path: string) => (isAbsolute(path) ? path : join(config.baseDir, path));
  const dataDir = at(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const store = new EvidenceStore(join(dataDir, 'evidence.db'), {
    synchronous: config.evidence.synchronous,
    ...(config.influx ? { spool: { maxPoints: config.influx.maxSpoolRows } } : {}),
  });
  if (config.manifest) importManifestFile(store, at(config.manifest), clock, log);
  const series = config.influx && startSeriesForwarder(config.influx, store, clock, log);
  const events = new ApiEventBus({ nowMs: () => clock.nowMs() });
  const custody = buildCustodyStack({ config, store, clock, log, events });

  const pool = new VerifierPool({
    ...(config.verify.threads !== undefined ? { threads: config.verify.threads } : {}),
    batchSize: config.verify.batchSize,
  });
  const ingest = new IngestPipeline({
    warehouseId: config.warehouseId,
    store,
    pool,
    clock,
    skew: config.skew,
    plausibility: DEFAULT_PLAUSIBILITY_POLICY,
    maxInFlight: config.ingest.maxInFlight,
    maxCommitBatch: config.ingest.maxCommitBatch,
    redeliveryWindowMs: config.ingest.redeliveryWindowMs,
    commitDelayMs: config.ingest.commitDelayMs,
    onCommitted: custody.onCommitted,
  });
  const ingestLog = log.child({ component: 'ingest' });
  const ingestMqtt = (topic: string, payload: Uint8Array) =>
    ingest.submit({ topic, payload, source: 'mqtt' }).then((outcome) => {
      if (outcome.outcome === 'quarantined')
        ingestLog.warn(
          { topic, code: outcome.code, detail: outcome.detail },
          'reading quarantined',
        );
      return outcome;
    });
  const broker = new EmbeddedBroker({
    warehouseId: config.warehouseId,
    host: config.mqtt.embedded.host,
    port: config.mqtt.embedded.port,
    ...(config.mqtt.embedded.tls ? { tls: tlsOptions(config.mqtt.embedded.tls, at) } : {}),
    devicePasswordHash: (deviceId) => {
      const device = ingest.device(deviceId);
      return device && !device.revoked ? device.mqttPasswordHash : undefined;
    },
    services: config.mqtt.services,
    ingest: (topic, payload, done) =>
      ingest.enqueue({ topic, payload, source: 'mqtt' }, (error, outcome) => {
        if (outcome?.outcome === 'quarantined')
          ingestLog.warn(
            { topic, code: outcome.code, detail: outcome.detail },
            'reading quarantined',
          );
        done(error);
      }),
    log: log.child({ component: 'mqtt' }),
  });
  if (config.mqtt.embedded.enabled) await broker.start();
  const clientConfig = config.mqtt.client;
  const client = clientConfig
    ? new ClientSource({
        ...clientConfig,
        clientId: `pledgeguard-${config.gatewayId}`,
        warehouseId: config.warehouseId,
        ingest: ingestMqtt,
        log: log.child({ component: 'mqtt-client' }),
      })
    : undefined;
  await client?.start();
  // node-opcua is large: load it only for gateways that talk to a PLC.
  const opcua = config.opcua
    ? new (await import('../adapters/opcua/source.js')).OpcuaSource({
        endpointUrl: config.opcua.endpointUrl,
        warehouseId: config.warehouseId,
        deviceIds: config.opcua.devices ?? store.devices().map((device) => device.deviceId),
        security: config.opcua.security,
        pkiDir: opcuaPkiDir(config, at),
        silenceRebuildMs: config.opcua.silenceRebuildMs,
        expiryWarningMs: config.opcua.expiryWarningDays * 86_400_000,
        ingest: (topic, payload) => ingest.submit({ topic, payload, source: 'opcua' }),
        log: log.child({ component: 'opcua' }),
      })
    : undefined;
  await opcua?.start();

  const metrics = createMetricsRegistry({
    ingest: ingest.stats,
    gauges: {
      ...(series && {
        pg_influx_spool_depth_points: [
          'Points waiting in the InfluxDB spool.',
          () => series.status().depthPoints,
        ] as const,
        pg_influx_spool_oldest_age_seconds: [
          'Age of the oldest point not yet in InfluxDB [s].',
          () => series.status().oldestAgeMs / 1_000,
        ] as const,
      }),
      ...(opcua && {
        pg_opcua_readings_received: [
          'Signed readings received from the OPC UA PLC.',
          () => opcua.stats.envelopes,
        ] as const,
        pg_opcua_session_rebuilds: [
          'OPC UA sessions rebuilt by the watchdog.',
          () => opcua.stats.rebuilds,
        ] as const,
      }),
      ...(client && {
        pg_mqtt_client_resubscribes: [
          'Resubscriptions by the client-mode watchdog.',
          () => client.stats.resubscribes,
        ] as const,
        pg_mqtt_client_connects: [
          'Client-mode (re)connections to the external broker.',
          () => client.stats.connects,
        ] as const,
      }),
    },
    broker: Object.assign(broker.stats, {
      get connectedClients() {
        return broker.connectedClients;
      },
    }),
  });
  const http = await startHttp({
    host: config.http.host,
    port: config.http.port,
    metrics,
    ...(config.api.enabled && {
      api: {
        data: new SqliteApiData({
          store,
          info: apiInfo(config),
          warehouseNumber: config.chain?.warehouseNumber ?? 0n,
          clock,
          ingest,
          liveLotStatus: (lotId) => custody.custody.status(lotId),
          opcuaPkiDir: opcuaPkiDir(config, at),
          missedBeats: config.custody.defaults.missedBeats,
        }),
        tokens: new ApiTokenStore(store.database),
        events,
        config: config.api,
        baseDir: config.baseDir,
        nowMs: () => clock.nowMs(),
        ...(custody.cosign && { cosign: custody.cosign }),
        log: log.child({ component: 'api' }),
      },
    }),
    health: () => ({
      ok: ingest.healthy,
      readings: ingest.stats.accepted,
      inFlight: ingest.stats.inFlight,
      commits: ingest.stats.commits,
      mqttClients: broker.connectedClients,
      memoryMb: memoryMb(),
    }),
  });
  const httpPort = (http.server.address() as { port: number }).port;
  custody.start();
  log.info({ component: 'http', host: config.http.host, port: httpPort }, 'http listening');

  // One epoch per turn of the event loop, so a backlog (a busy minute: several epochs' worth) is
  // sealed between ingest's commits rather than in one long block.
  // A pending immediate means a backlog is still being sealed: the timer leaves it alone.
  let sealImmediate: NodeJS.Immediate | undefined;
  const sealEpochs = () => {
    sealImmediate = undefined;
    const epoch = store.closeEpoch(clock.nowMs(), config.evidence.maxEpochLeaves);
    if (!epoch) return;
    log.info(
      {
        epoch: epoch.epoch,
        leaves: epoch.leafCount,
        root: Buffer.from(epoch.root).toString('hex'),
      },
      'evidence epoch sealed',
    );
    if (epoch.leafCount === config.evidence.maxEpochLeaves)
      sealImmediate = setImmediate(sealEpochs);
  };
  const epochTimer = setInterval(() => {
    if (sealImmediate === undefined) sealEpochs();
  }, config.evidence.epochMs);
  epochTimer.unref();

  log.info(
    {
      warehouseId: config.warehouseId,
      devices: store.devices().length,
      readings: store.readingCount(),
      verifyThreads: pool.threads,
    },
    'gateway ready',
  );
  return {
    config,
    store,
    ingest,
    broker,
    client,
    opcua,
    series,
    httpPort,
    custody,
    events,
    async stop() {
      clearInterval(epochTimer);
      if (sealImmediate) clearImmediate(sealImmediate);
      await http.close();
      await custody.stop();
      await opcua?.stop();
      await client?.stop();
      await broker.stop();
      await ingest.drain();
      await series?.stop();
      await pool.close();
      store.close();
      log.info('gateway stopped');
    },
  };
}

/** What /api/v1/info tells browsers: warehouse, chain and contract addresses. */
function apiInfo(config: GatewayConfig & { baseDir: string }) {
  const chain = config.chain && resolveChain(config.chain, config.baseDir);
  return {
    warehouseId: config.warehouseId,
    gatewayId: config.gatewayId,
    chainId: chain?.chainId ?? 0,
    rpcUrl: config.api.publicRpcUrl ?? config.chain?.rpcUrl ?? '',
    contracts: chain?.contracts ?? {
      custodyOracle: '',
      inventoryLoan: '',
      warehouseReceipt: '',
      priceFeeds: {},
    },
  };
}

function startSeriesForwarder(
  influx: NonNullable<GatewayConfig['influx']>,
  store: EvidenceStore,
  clock: Clock,
  log: Logger,
): SeriesForwarder {
  const influxLog = log.child({ component: 'influx' });
  const forwarder = new SeriesForwarder({
    spool: store.spool!,
    sink: new InfluxSink({
      host: influx.host,
      port: influx.port,
      protocol: influx.protocol,
      database: influx.database,
      ...(influx.username !== undefined ? { username: influx.username } : {}),
      ...(influx.password !== undefined ? { password: influx.password } : {}),
      requestTimeoutMs: influx.requestTimeoutMs,
      log: influxLog,
    }),
    clock,
    log: influxLog,
    batchSize: influx.batchSize,
    retryMaxMs: influx.retryMaxMs,
  });
  forwarder.start();
  influxLog.info(
    { host: influx.host, port: influx.port, database: influx.database, ...forwarder.status() },
    'influx forwarder started',
  );
  return forwarder;
}

function memoryMb(): Record<string, number> {
  const usage = process.memoryUsage();
  const mb = (bytes: number) => Math.round(bytes / 1_048_576);
  return {
    rss: mb(usage.rss),
    heapUsed: mb(usage.heapUsed),
    heapTotal: mb(usage.heapTotal),
    external: mb(usage.external),
    arrayBuffers: mb(usage.arrayBuffers),
  };
}

/** Where the OPC UA client keeps its certificates. */
export function opcuaPkiDir(config: GatewayConfig, at: (path: string) => string): string {
  return at(config.opcua?.pkiDir ?? join(config.dataDir, 'pki', 'opcua'));
}

function importManifestFile(store: EvidenceStore, path: string, clock: Clock, log: Logger): void {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read device manifest ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const manifest = parseManifest(json);
  if (!manifest.ok)
    throw new Error(`device manifest ${path}: ${manifest.code}: ${manifest.detail}`);
  const summary = store.importManifest(manifest.value, clock.nowMs());
  log.info({ manifest: path, ...summary }, 'device manifest imported');
}

function tlsOptions(
  tls: NonNullable<GatewayConfig['mqtt']['embedded']['tls']>,
  at: (path: string) => string,
) {
  return {
    key: readFileSync(at(tls.keyFile)),
    cert: readFileSync(at(tls.certFile)),
    ...(tls.caFile ? { ca: readFileSync(at(tls.caFile)) } : {}),
    requestCert: tls.requireClientCert,
    rejectUnauthorized: tls.requireClientCert,
  };
}

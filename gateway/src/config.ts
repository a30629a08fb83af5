// The gateway's one configuration: a YAML file, then environment overrides, validated against a
// schema at start. Every bad value is reported with its path, what was expected, and where it came
// from; the process refuses to start rather than run on a guess. Units are in the names.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ID_PATTERN } from '@pledgeguard/protocol';
import { apiConfigSchema } from './adapters/http/api-config.js';
import { chainConfigSchema } from './app/chain-config.js';
import { custodyConfigSchema } from './app/custody-config.js';

const id = z.string().regex(ID_PATTERN, `must match ${ID_PATTERN}`);
const port = z.number().int().min(0).max(65_535);

export const configSchema = z
  .object({
    warehouseId: id,
    gatewayId: id.default('gw-1'),
    /** Folder for the evidence log; relative paths resolve against the config file. */
    dataDir: z.string().min(1).default('./data'),
    /** Device manifest imported at start (new devices added; changed keys refused). */
    manifest: z.string().min(1).optional(),
    mqtt: z
      .object({
        embedded: z
          .object({
            /** Set false in client mode when another broker serves the devices. */
            enabled: z.boolean().default(true),
            host: z.string().default('127.0.0.1'),
            port: port.default(1883),
            tls: z
              .object({
                keyFile: z.string(),
                certFile: z.string(),
                caFile: z.string().optional(),
                requireClientCert: z.boolean().default(false),
              })
              .strict()
              .optional(),
          })
          .strict()
          .default({ enabled: true, host: '127.0.0.1', port: 1883 }),
        /** Client mode: also (or instead) subscribe to an existing broker. */
        client: z
          .object({
            url: z.string().regex(/^mqtts?:\/\//, 'must start with mqtt:// or mqtts://'),
            username: z.string().optional(),
            password: z.string().optional(),
            protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
            /** MQTT 5 shared-subscription group name. */
            sharedGroup: id.optional(),
            sessionExpiryS: z.number().int().min(0).default(86_400),
            silenceResubscribeMs: z.number().int().min(1_000).default(120_000),
          })
          .strict()
          .optional(),
        /** Accounts that may subscribe to the warehouse's topics (dashboards, peer gateways). */
        services: z
          .array(
            z.object({ username: id, passwordHash: z.string().startsWith('scrypt$') }).strict(),
          )
          .default([]),
      })
      .strict()
      .default({ embedded: { enabled: true, host: '127.0.0.1', port: 1883 }, services: [] }),
    /** OPC UA source: a PLC serving SignedReading nodes (PROTOCOL.md section 8). */
    opcua: z
      .object({
        endpointUrl: z.string().regex(/^opc\.tcp:\/\//, 'must start with opc.tcp://'),
        security: z.enum(['sign-encrypt', 'none']).default('sign-encrypt'),
        /** Devices on this PLC; default: every registered device. */
        devices: z.array(id).optional(),
        /** Client PKI (own certificate, trusted/ and rejected/ servers); default <dataDir>/pki/opcua. */
        pkiDir: z.string().optional(),
        silenceRebuildMs: z.number().int().min(1_000).default(15_000),
        /** Warn when a certificate expires within this many days. */
        expiryWarningDays: z.number().int().min(1).default(30),
      })
      .strict()
      .optional(),
    verify: z
      .object({
        /** Worker threads; 0 verifies on the main thread. Default: one per core. */
        threads: z.number().int().min(0).max(64).optional(),
        batchSize: z.number().int().min(1).max(4_096).default(64),
      })
      .strict()
      .default({ batchSize: 64 }),
    ingest: z
      .object({
        maxInFlight: z.number().int().min(1).default(2_000),
        maxCommitBatch: z.number().int().min(1).default(2_000),
        /** How long a verdict may wait for others to share its commit (one fsync). [ms] */
        commitDelayMs: z.number().int().min(0).max(1_000).default(5),
        /**
         * A byte-identical copy of an accepted reading is a harmless redelivery (MQTT QoS 1,
         * reconnects, a second gateway) when its device time is at most this far behind the
         * device's latest reading; an older copy is a replay of captured envelopes: quarantined
         * PG_REPLAYED, and the lot carries the replay-attempt flag. [ms, default 6 h]
         */
        redeliveryWindowMs: z
          .number()
          .int()
          .min(0)
          .default(6 * 3_600_000),
      })
      .strict()
      .default({
        maxInFlight: 2_000,
        maxCommitBatch: 2_000,
        commitDelayMs: 5,
        redeliveryWindowMs: 6 * 3_600_000,
      }),
    evidence: z
      .object({
        synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
        /** A Merkle epoch seals accepted readings this often. [ms] */
        epochMs: z.number().int().min(1_000).default(60_000),
        /**
         * Most readings in one epoch; a larger backlog is sealed as several epochs in a row.
         * Sealing and inclusion proofs read a whole epoch, so this bounds their time and memory.
         */
        maxEpochLeaves: z.number().int().min(1).max(1_048_576).default(65_536),
      })
      .strict()
      .default({ synchronous: 'FULL', epochMs: 60_000, maxEpochLeaves: 65_536 }),
    /** InfluxDB 1.x time-series sink; off unless this section is present (gateway/README.md). */
    influx: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8086),
        protocol: z.enum(['http', 'https']).default('http'),
        database: z.string().min(1).default('pledgeguard'),
        username: z.string().min(1).optional(),
        password: z.string().optional(),
        /** Points per write. */
        batchSize: z.number().int().min(1).max(50_000).default(5_000),
        /** Spool bound; beyond it the oldest points are dropped (the evidence log keeps them). */
        maxSpoolRows: z.number().int().min(1).default(1_000_000),
        /** Deadline of one write. [ms] */
        requestTimeoutMs: z.number().int().min(100).default(10_000),
        /** Longest retry delay while InfluxDB is down. [ms] */
        retryMaxMs: z.number().int().min(10).default(30_000),
      })
      .strict()
      .optional(),
    skew: z
      .object({
        maxAheadMs: z.number().int().min(0).default(60_000),
        maxBehindMs: z
          .number()
          .int()
          .min(0)
          .default(48 * 3_600_000),
        maxLiveBehindMs: z.number().int().min(0).default(60_000),
        maxStepBackMs: z.number().int().min(0).default(2_000),
      })
      .strict()
      .default({
        maxAheadMs: 60_000,
        maxBehindMs: 48 * 3_600_000,
        maxLiveBehindMs: 60_000,
        maxStepBackMs: 2_000,
      }),
    http: z
      .object({ host: z.string().default('127.0.0.1'), port: port.default(8080) })
      .strict()
      .default({ host: '127.0.0.1', port: 8080 }),
    /** The dashboard API under /api/v1 (docs/api.md); `api: {}` is a working default. */
    api: apiConfigSchema.prefault({}),
    /** Custody engine: lot policy and attestation schedule (docs/custody.md). */
    custody: custodyConfigSchema.prefault({}),
    /** The chain: where attestations go and which events are followed. Off when absent. */
    chain: chainConfigSchema.optional(),
    /** Co-signing with the warehouse's other gateways, when chain.threshold > 1. */
    cosign: z
      .object({
        /**
         * Propose attestations (sign first, gather the peers' signatures, submit). False for a
         * gateway that only co-signs what its peers propose, e.g. the lender's auditor's.
         */
        propose: z.boolean().default(true),
        /** Peer gateways' HTTP APIs; each token has the gateway-peer role on that peer. */
        peers: z
          .array(
            z
              .object({
                url: z.string().regex(/^https?:\/\//, 'must start with http:// or https://'),
                /** Environment variable holding the bearer token for that peer. */
                tokenEnv: z.string().min(1),
              })
              .strict(),
          )
          .default([]),
        /** Addresses of the warehouse's gateway set (own included): whose signatures count. */
        gatewayAddresses: z
          .array(z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address'))
          .default([]),
        /** Deadline for a peer's answer. [ms] */
        timeoutMs: z.number().int().min(100).default(5_000),
        /** How long a follower waits for readings a proposal lists but it has not seen yet. [ms] */
        waitMs: z.number().int().min(0).default(2_000),
        /** Largest quantity difference a follower still co-signs. [bps] */
        quantityToleranceBps: z.number().int().min(0).max(10_000).default(50),
        /** Largest distance between a proposal's observation time and the follower's clock. [ms] */
        maxClockDistanceMs: z.number().int().min(1_000).default(120_000),
      })
      .strict()
      .default({
        propose: true,
        peers: [],
        gatewayAddresses: [],
        timeoutMs: 5_000,
        waitMs: 2_000,
        quantityToleranceBps: 50,
        maxClockDistanceMs: 120_000,
      }),
    // ---- Simulations and tests only (not for a real site) ----
    /**
     * FOR SIMULATIONS AND TESTS ONLY, never on a real site: the gateway runs on a time-scaled
     * warehouse clock shared with a simulator (firmware-sim's Fleet): warehouse time =
     * warehouseOriginMs + (wall now - wallOriginMs) x timeScale, the Fleet's own formula, standing
     * at warehouseOriginMs before wallOriginMs. Off unless the whole section is set explicitly: no
     * key has a default, and the gateway logs a warning at start while it is on.
     */
    simulation: z
      .object({
        /** Warehouse ms per wall ms (1440: a wall second is 24 warehouse minutes). */
        timeScale: z.number().positive().max(1_000_000),
        /** Wall time at which the warehouse clock starts running [unix ms]. */
        wallOriginMs: z.number().int().min(0),
        /** Warehouse time at wallOriginMs [unix ms]. */
        warehouseOriginMs: z.number().int().min(0),
        /**
         * Warehouse time at which the clock stops, as the simulator's does at the story's end
         * [unix ms]; unset: it runs on.
         */
        warehouseEndMs: z.number().int().min(0).optional(),
      })
      .strict()
      .refine(
        (s) => s.warehouseEndMs === undefined || s.warehouseEndMs >= s.warehouseOriginMs,
        'warehouseEndMs must not be before warehouseOriginMs',
      )
      .optional(),
    // ---- end of simulations and tests only ----
    log: z
      .object({
        level: z
          .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
          .default('info'),
      })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type GatewayConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid gateway configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

const ENV_PREFIX = 'PG_GATEWAY_';

/**
 * Environment overrides: PG_GATEWAY_<PATH> with path segments joined by "__", in SCREAMING_SNAKE
 * of the camelCase key: PG_GATEWAY_MQTT__EMBEDDED__PORT=1884, PG_GATEWAY_WAREHOUSE_ID=wh-2.
 * Values are JSON when they parse as JSON (numbers, booleans), text otherwise.
 */
export function applyEnv(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { value: Record<string, unknown>; fromEnv: Set<string> } {
  const value = structuredClone(raw);
  const fromEnv = new Set<string>();
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || text === undefined) continue;
    const path = name
      .slice(ENV_PREFIX.length)
      .split('__')
      .map((segment) =>
        segment.toLowerCase().replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase()),
      );
    let target = value;
    for (const segment of path.slice(0, -1)) {
      if (typeof target[segment] !== 'object' || target[segment] === null) target[segment] = {};
      target = target[segment] as Record<string, unknown>;
    }
    target[path.at(-1)!] = parseEnvValue(text);
    fromEnv.add(path.join('.'));
  }
  return { value, fromEnv };
}

function parseEnvValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Loads, overrides and validates; throws ConfigError listing every problem. */
export function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): GatewayConfig & { baseDir: string } {
  let raw: Record<string, unknown> = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError([`cannot read config file ${file}: ${(error as Error).message}`]);
    }
    try {
      raw = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (error) {
      throw new ConfigError([`${file} is not valid YAML: ${(error as Error).message}`]);
    }
  }
  const { value, fromEnv } = applyEnv(raw, env);
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const path = issue.path.join('.') || '(root)';
        const source = fromEnv.has(path)
          ? ` (from ${ENV_PREFIX}${envName(issue.path)})`
          : file
            ? ` (in ${file})`
            : '';
        return `${path}: ${issue.message}${source}`;
      }),
    );
  }
  return { ...parsed.data, baseDir: file ? dirname(resolve(file)) : process.cwd() };
}

function envName(path: PropertyKey[]): string {
  return path
    .map((segment) =>
      String(segment)
        .replace(/([A-Z])/g, '_$1')
        .toUpperCase(),
    )
    .join('__');
}

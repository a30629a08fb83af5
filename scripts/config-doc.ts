// Renders docs/config-reference.md from the gateway's config schema (gateway/src/config.ts, zod 4):
// structure, types, bounds and defaults from `z.toJSONSchema`; each key's meaning from the `/** */`
// comment above it in the schema source (TypeScript compiler API), so the two never drift.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { z } from 'zod';
import { configSchema } from '../gateway/src/config.js';

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
}

/**
 * Meanings for keys the schema source does not comment (from gateway/README.md). A schema comment
 * wins; the test fails when a key here no longer exists in the schema.
 */
export const FALLBACK_MEANINGS: Record<string, string> = {
  'api.bootstrapTokens[].name': 'Token name (unique; shown in logs and `tokens list`).',
  'api.bootstrapTokens[].role':
    'Role of the token: bank-viewer, auditor, operator-admin or gateway-peer.',
  'api.bootstrapTokens[].sha256': 'SHA-256 (hex) of the token; the token itself is never stored.',
  'api.rateLimit': 'Request limits of the API.',
  'custody.attest': 'When attestations are made: deviation, heartbeat and validity.',
  'custody.defaults.tareGrams': "Subtracted from the sum of the load cells' net weights. [g]",
  'custody.defaults.medianWindow': 'Readings per load cell in the robust (median) estimate.',
  'custody.defaults.disagreementToleranceBps':
    'Weight vs RFID figures beyond this share of the larger one: sensor disagreement. [bps]',
  'custody.defaults.dropToleranceBps':
    'A fall beyond this share of the reference quantity is a drop. [bps]',
  'custody.defaults.missedBeats':
    'A device is offline after heartbeatMs x missedBeats without an accepted reading.',
  'custody.defaults.temperature': 'Temperature limits; omit a side for no limit.',
  'custody.defaults.temperature.minMilliC': 'Lowest allowed temperature. [milli-degC]',
  'custody.defaults.temperature.maxMilliC': 'Highest allowed temperature. [milli-degC]',
  'custody.defaults.humidity': 'Relative humidity limits; omit a side for no limit.',
  'custody.defaults.humidity.minPerMille': 'Lowest allowed relative humidity. [per-mille]',
  'custody.defaults.humidity.maxPerMille': 'Highest allowed relative humidity. [per-mille]',
  'custody.defaults.excursionMs':
    'Outside the limits for at least this long (device time) is a quality excursion. [ms]',
  'chain.contracts.custodyOracle': 'CustodyOracle address.',
  'chain.contracts.inventoryLoan': 'InventoryLoan address.',
  'chain.contracts.warehouseReceipt': 'WarehouseReceipt address.',
  'chain.contracts.priceFeeds': 'Commodity name (e.g. COPPER) -> PriceFeed address.',
  'chain.keyEnv': 'Environment variable holding the gateway key when keyFile is unset.',
  'chain.retryMaxMs': 'Longest retry delay while the node is unreachable. [ms]',
  'cosign.peers[].url': "Base URL of the peer gateway's HTTP API.",
  warehouseId:
    'The warehouse this gateway serves; devices publish under `pg/v1/<warehouseId>/...` and the manifest must name it.',
  gatewayId: "This gateway among the warehouse's gateways (logs, MQTT client id, co-signing).",
  mqtt: 'Where readings arrive: the embedded broker, an existing broker (client mode), or both.',
  'mqtt.embedded':
    'The embedded aedes broker (MQTT 3.1.1); devices log in with their manifest password.',
  'mqtt.embedded.host': 'Address the embedded broker listens on; `0.0.0.0` for every interface.',
  'mqtt.embedded.port': 'TCP port of the embedded broker (8883 is usual with TLS).',
  'mqtt.embedded.tls': 'TLS for the embedded broker; PEM files.',
  'mqtt.embedded.tls.keyFile': 'Server private key (PEM).',
  'mqtt.embedded.tls.certFile': 'Server certificate chain (PEM).',
  'mqtt.embedded.tls.caFile': 'CA that signs device client certificates (PEM).',
  'mqtt.embedded.tls.requireClientCert':
    'Refuse devices without a client certificate signed by `caFile`.',
  'mqtt.client.url': 'Broker URL, `mqtt://` or `mqtts://`.',
  'mqtt.client.username': 'Login of the gateway at the broker.',
  'mqtt.client.password':
    'Password of the gateway at the broker (prefer the environment override).',
  'mqtt.client.protocolVersion': '5 for MQTT 5 (shared subscriptions), 4 for MQTT 3.1.1 brokers.',
  'mqtt.client.sessionExpiryS':
    'How long the broker keeps the persistent session while the gateway is away. [s]',
  'mqtt.client.silenceResubscribeMs': 'Resubscribe when nothing arrives for this long. [ms]',
  'mqtt.services[].username': 'Service account name (not a device id).',
  'mqtt.services[].passwordHash': 'scrypt hash of its password (as in the manifest).',
  'opcua.endpointUrl': "The PLC's OPC UA endpoint.",
  'opcua.security': '`sign-encrypt` (Basic256Sha256, certificates trusted explicitly) or `none`.',
  'opcua.silenceRebuildMs':
    'Rebuild session and subscription when the server clock is silent this long. [ms]',
  verify: 'Signature verification on worker threads.',
  'verify.batchSize': 'Signatures per worker task.',
  ingest: 'Flow control and group commit of the ingest pipeline.',
  'ingest.maxInFlight':
    'Readings in the pipeline before sources are made to wait (no PUBACK, no socket reads).',
  'ingest.maxCommitBatch': 'Largest group commit.',
  evidence: 'The SQLite evidence log in `dataDir`.',
  'evidence.synchronous': '`FULL` survives power loss; `NORMAL` only a process crash.',
  'influx.host': 'InfluxDB 1.x host.',
  'influx.port': 'InfluxDB HTTP port.',
  'influx.protocol': '`http` or `https`.',
  'influx.database': 'Database, created at the first write.',
  'influx.username': 'InfluxDB user (with `password`).',
  'influx.password': 'InfluxDB password (prefer the environment override).',
  skew: 'Clock-skew limits for device time against gateway time.',
  'skew.maxAheadMs': 'A reading may be at most this far ahead of the gateway clock. [ms]',
  'skew.maxBehindMs': 'Store-and-forward horizon: oldest acceptable reading. [ms]',
  'skew.maxLiveBehindMs': 'Births and live-only messages may lag at most this much. [ms]',
  'skew.maxStepBackMs': 'How far a device clock may step back between readings. [ms]',
  http: 'HTTP server: `/health`, `/metrics`, the API and the dashboard.',
  'http.host': 'Address the HTTP server listens on.',
  'http.port': 'HTTP port; 0 picks a free one.',
  log: 'Logging (pino JSON lines on stdout).',
  'log.level': 'Lowest level written.',
};

/** Files holding the schema, and the config section each one's keys live under. */
const SCHEMA_SOURCES: ReadonlyArray<{ file: string; section: string }> = [
  { file: '../gateway/src/config.ts', section: '' },
  { file: '../gateway/src/adapters/http/api-config.ts', section: 'api' },
  { file: '../gateway/src/app/custody-config.ts', section: 'custody' },
  { file: '../gateway/src/app/chain-config.ts', section: 'chain' },
];
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** `/** ... *\/` comments above schema keys, by key path within the schema source (a.b.c). */
export function schemaComments(
  sources: ReadonlyArray<string | { text: string; section: string }> = SCHEMA_SOURCES.map(
    ({ file, section }) => ({
      text: readFileSync(new URL(file, import.meta.url), 'utf8'),
      section,
    }),
  ),
): Map<string, string> {
  const comments = new Map<string, string>();
  for (const source of sources) {
    const { text, section } = typeof source === 'string' ? { text: source, section: '' } : source;
    const file = ts.createSourceFile('config.ts', text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name)) {
        const comment = (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [])
          .map((range) => text.slice(range.pos, range.end))
          .filter((raw) => raw.startsWith('/**'))
          .map((raw) =>
            raw
              .replace(/^\/\*\*|\*\/$/g, '')
              .split('\n')
              .map((line) => line.replace(/^\s*\*\s?/, '').trim())
              .join(' ')
              .trim(),
          )
          .join(' ');
        if (comment) comments.set([section, ...keyPath(node)].filter(Boolean).join('.'), comment);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return comments;
}

function keyPath(node: ts.Node): string[] {
  const path: string[] = [];
  for (let current: ts.Node | undefined = node; current; current = current.parent)
    if (ts.isPropertyAssignment(current) && ts.isIdentifier(current.name))
      path.unshift(current.name.text);
  return path;
}

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' \\| ');
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((value) => `\`${String(value)}\``).join(' \\| ');
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (schema.type === 'integer' || schema.type === 'number') {
    const min = schema.minimum;
    const max =
      schema.maximum !== undefined && schema.maximum < MAX_SAFE ? schema.maximum : undefined;
    const range =
      min !== undefined && max !== undefined
        ? ` ${min}..${max}`
        : min !== undefined
          ? ` ≥ ${min}`
          : max !== undefined
            ? ` ≤ ${max}`
            : '';
    return `${schema.type}${range}`;
  }
  if (schema.type === 'string') {
    if (schema.pattern) return `string matching \`${schema.pattern.replaceAll('|', '\\|')}\``;
    if (schema.format === 'starts_with') return 'string (prefixed)';
    if (schema.minLength) return 'string (non-empty)';
    return 'string';
  }
  return schema.type ?? 'value';
}

function defaultOf(schema: JsonSchema, required: boolean): string {
  if (schema.default === undefined) return required ? '**required**' : '(unset)';
  if (schema.type === 'object') return '(section)';
  return `\`${JSON.stringify(schema.default)}\``;
}

function envName(path: readonly string[]): string {
  return `PG_GATEWAY_${path.map((segment) => segment.replace(/([A-Z])/g, '_$1').toUpperCase()).join('__')}`;
}

export interface Row {
  key: string;
  type: string;
  default: string;
  env: string;
  meaning: string;
}

function rows(
  schema: JsonSchema,
  path: string[],
  required: boolean,
  comments: Map<string, string>,
  out: Row[],
): void {
  const key = path.join('.');
  const isObject = schema.type === 'object' && schema.properties;
  const inArray = key.includes('[]');
  out.push({
    key: `\`${key}\``,
    type: isObject ? 'section' : typeOf(schema),
    default:
      isObject && schema.default === undefined && !required
        ? '(section off unless present)'
        : defaultOf(schema, required),
    env: inArray || isObject ? '' : `\`${envName(path)}\``,
    meaning: (comments.get(key.replaceAll('[]', '')) ?? FALLBACK_MEANINGS[key] ?? '').replaceAll(
      '|',
      '\\|',
    ),
  });
  if (isObject) {
    for (const [name, child] of Object.entries(schema.properties!))
      rows(child, [...path, name], schema.required?.includes(name) ?? false, comments, out);
  }
  if (schema.type === 'array' && schema.items?.type === 'object' && schema.items.properties) {
    const last = path.length - 1;
    const itemPath = [...path.slice(0, last), `${path[last]}[]`];
    for (const [name, child] of Object.entries(schema.items.properties))
      rows(
        child,
        [...itemPath, name],
        schema.items.required?.includes(name) ?? false,
        comments,
        out,
      );
  }
}

/** Every key path of the schema, in document order (array items as `key[].child`). */
export function configRows(): Row[] {
  const schema = z.toJSONSchema(configSchema, { io: 'input' }) as JsonSchema;
  const comments = schemaComments();
  const table: Row[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {}))
    rows(child, [name], schema.required?.includes(name) ?? false, comments, table);
  return table;
}

export function renderConfigDoc(): string {
  const table = configRows();
  return [
    '# Gateway configuration reference',
    '',
    'Generated from the schema in `gateway/src/config.ts` by `npm run docs:config`; a test fails when',
    'this file and the schema differ. How to install and run a gateway: [operator-guide.md](operator-guide.md).',
    '',
    'The gateway reads one YAML file (`pledgeguard start --config gateway.yaml`), then environment',
    'overrides `PG_GATEWAY_<PATH>` (path segments joined by `__`, camelCase as SCREAMING_SNAKE; values',
    'parse as JSON when they can: `PG_GATEWAY_MQTT__EMBEDDED__PORT=1884`), and validates the result.',
    'A bad value stops the start (exit 2) with every problem listed. Unknown keys are errors. Relative',
    "paths resolve against the config file's folder. Units are in the names (`Ms` milliseconds, `S`",
    'seconds). Sections marked "off unless present" enable a feature by their presence.',
    '',
    '| key | type | default | environment | meaning |',
    '|---|---|---|---|---|',
    ...table.map(
      (row) => `| ${row.key} | ${row.type} | ${row.default} | ${row.env} | ${row.meaning} |`,
    ),
    '',
  ].join('\n');
}

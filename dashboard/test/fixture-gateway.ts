// A small real HTTP server that speaks the gateway API contract (docs/api.md) from fixture data
// built from real signed readings and a real chain: the dashboard's browser tests and bench run
// against it until they are pointed at the full system (see browser.ts). It also serves the
// built dashboard, answers CORS (a bank's browser reads several gateways), and pushes SSE events.

import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { EvidenceResponse } from '../src/verify/evidence.js';
import type {
  Alert,
  Attestation,
  Certificate,
  Device,
  Info,
  Loan,
  Lot,
  QuarantineItem,
  Series,
} from '../src/app/types.js';

/** Raw lot quantity samples, sorted by time: the server downsamples them per request. */
export interface RawSeries {
  tMs: Float64Array;
  grams: Float64Array;
  receiptGrams: string | null;
  events: Series['events'];
}

export interface FixtureData {
  info: Info;
  loans: Loan[];
  lots: Lot[];
  series: Map<string, RawSeries>;
  attestations: Map<string, Attestation[]>;
  alerts: Map<string, Alert[]>;
  evidence: Map<string, EvidenceResponse>;
  devices: Device[];
  quarantine: QuarantineItem[];
  certificates: Certificate[];
}

export interface FixtureGateway {
  url: string;
  token: string;
  data: FixtureData;
  /** Sends one SSE event to every connected stream. */
  push(kind: string, data: unknown): void;
  /** Requests served, by path (tests check what the page asked for). */
  hits: Map<string, number>;
  close(): Promise<void>;
}

export function emptyFixture(info: Info): FixtureData {
  return {
    info,
    loans: [],
    lots: [],
    series: new Map(),
    attestations: new Map(),
    alerts: new Map(),
    evidence: new Map(),
    devices: [],
    quarantine: [],
    certificates: [],
  };
}

/** At most `points` buckets of min/max/last over [fromMs, toMs]. */
export function downsample(
  raw: RawSeries,
  fromMs: number,
  toMs: number,
  points: number,
): Series['points'] {
  const first = lowerBound(raw.tMs, fromMs);
  const end = lowerBound(raw.tMs, toMs + 1);
  if (end <= first) return [];
  const spanMs = Math.max(1, toMs - fromMs + 1);
  const out: Series['points'] = [];
  let bucket = -1;
  let min = 0;
  let max = 0;
  let last = 0;
  let bucketT = 0;
  for (let i = first; i < end; i++) {
    const b = Math.min(points - 1, Math.floor(((raw.tMs[i]! - fromMs) * points) / spanMs));
    const g = raw.grams[i]!;
    if (b !== bucket) {
      if (bucket >= 0)
        out.push({
          tMs: bucketT,
          minGrams: String(min),
          maxGrams: String(max),
          lastGrams: String(last),
        });
      bucket = b;
      min = g;
      max = g;
    }
    if (g < min) min = g;
    if (g > max) max = g;
    last = g;
    bucketT = raw.tMs[i]!;
  }
  out.push({ tMs: bucketT, minGrams: String(min), maxGrams: String(max), lastGrams: String(last) });
  return out;
}

function lowerBound(values: Float64Array, target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export async function startFixtureGateway(
  data: FixtureData,
  options: { token?: string; staticRoot?: string } = {},
): Promise<FixtureGateway> {
  const token = options.token ?? 'test-token-' + Math.random().toString(36).slice(2);
  const app: FastifyInstance = Fastify({ logger: false });
  const streams = new Set<ServerResponse>();
  const hits = new Map<string, number>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('access-control-allow-origin', '*');
    reply.header('access-control-allow-headers', 'authorization, content-type');
    reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
    if (request.method === 'OPTIONS') return reply.code(204).send();
    if (!request.url.startsWith('/api/v1/')) return;
    const path = request.url.split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const query = request.query as Record<string, string | undefined>;
    const presented = request.headers.authorization?.replace(/^Bearer /, '') ?? query.token;
    if (presented !== token) {
      return reply
        .code(401)
        .send({ code: 'PG_API_UNAUTHENTICATED', message: 'a valid bearer token is required' });
    }
  });

  const notFound = (reply: FastifyReply, what: string) =>
    reply.code(404).send({ code: 'PG_API_NOT_FOUND', message: `${what} not found` });

  app.get('/api/v1/info', async () => data.info);
  app.get('/api/v1/loans', async () => data.loans);
  app.get('/api/v1/lots', async () => data.lots);
  app.get<{ Params: { lotId: string }; Querystring: Record<string, string> }>(
    '/api/v1/lots/:lotId/series',
    async (request, reply) => {
      const raw = data.series.get(request.params.lotId);
      if (!raw) return notFound(reply, 'lot');
      const toMs = Number(request.query.toMs ?? Date.now());
      const fromMs = Number(request.query.fromMs ?? toMs - 86_400_000);
      const points = Math.min(5000, Number(request.query.points ?? 600));
      const series: Series = {
        points: downsample(raw, fromMs, toMs, points),
        thresholds: { receiptGrams: raw.receiptGrams },
        events: raw.events.filter((e) => e.tMs >= fromMs && e.tMs <= toMs),
      };
      return series;
    },
  );
  app.get<{ Params: { lotId: string } }>(
    '/api/v1/lots/:lotId/attestations',
    async (request) => data.attestations.get(request.params.lotId) ?? [],
  );
  app.get<{ Params: { lotId: string } }>(
    '/api/v1/lots/:lotId/alerts',
    async (request) => data.alerts.get(request.params.lotId) ?? [],
  );
  app.get<{ Params: { id: string } }>(
    '/api/v1/attestations/:id/evidence',
    async (request, reply) => {
      const evidence = data.evidence.get(request.params.id);
      return evidence ?? notFound(reply, 'attestation');
    },
  );
  app.get('/api/v1/devices', async () => data.devices);
  app.get('/api/v1/quarantine', async () => data.quarantine);
  app.post<{ Params: { id: string } }>('/api/v1/quarantine/:id/replay', async (request, reply) => {
    const item = data.quarantine.find((q) => String(q.id) === request.params.id);
    if (!item) return notFound(reply, 'quarantine item');
    item.resolvedAtMs = Date.now();
    item.resolution = 'replayed: accepted';
    return { outcome: 'accepted' };
  });
  app.get('/api/v1/certificates', async () => data.certificates);
  app.post<{ Params: { thumbprint: string } }>(
    '/api/v1/certificates/:thumbprint/approve',
    async (request, reply) => {
      const cert = data.certificates.find((c) => c.thumbprint === request.params.thumbprint);
      if (!cert) return notFound(reply, 'certificate');
      cert.status = 'trusted';
      return cert;
    },
  );
  app.get('/api/v1/events', (_request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'access-control-allow-origin': '*',
    });
    raw.write(': connected\n\n');
    streams.add(raw);
    raw.on('close', () => streams.delete(raw));
  });
  if (options.staticRoot) await app.register(fastifyStatic, { root: options.staticRoot });

  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    token,
    data,
    hits,
    push(kind, payload) {
      for (const stream of streams)
        stream.write(`event: ${kind}\ndata: ${JSON.stringify(payload)}\n\n`);
    },
    async close() {
      for (const stream of streams) stream.end();
      await app.close();
    },
  };
}

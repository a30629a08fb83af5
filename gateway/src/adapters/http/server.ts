// The gateway's HTTP endpoint (fastify): Prometheus /metrics and /health, and, when `api` is given,
// the dashboard API under /api/v1 with its OpenAPI UI at /docs and the dashboard at / (api.ts).
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import { registerApi, type ApiHandle, type ApiOptions } from './api.js';

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: Registry;
  /** Liveness details; `ok: false` answers 503. */
  readonly health: () => { ok: boolean } & Record<string, unknown>;
  /** The dashboard API; omitted (or config.enabled false), only /metrics and /health are served. */
  readonly api?: ApiOptions;
}

export async function startHttp(
  options: HttpOptions,
): Promise<FastifyInstance & { api?: ApiHandle }> {
  const app = Fastify({ logger: false, trustProxy: false });
  // The API first, so its OpenAPI document also lists /health.
  const api = options.api?.config.enabled ? await registerApi(app, options.api) : undefined;
  const publicRoute = { access: 'public' as const };
  const Health = Type.Object({ ok: Type.Boolean() }, { additionalProperties: true });
  app.get(
    '/metrics',
    {
      config: publicRoute,
      schema: {
        hide: true,
        response: { 200: Type.String({ description: 'Prometheus text format' }) },
      },
    },
    async (_request, reply) => {
      reply.header('content-type', options.metrics.contentType);
      return options.metrics.metrics();
    },
  );
  app.get(
    '/health',
    {
      config: publicRoute,
      schema: { tags: ['health'], summary: 'Liveness', response: { 200: Health, 503: Health } },
    },
    async (_request, reply) => {
      const health = options.health();
      reply.code(health.ok ? 200 : 503);
      return health;
    },
  );
  await app.listen({ host: options.host, port: options.port });
  return Object.assign(app, api ? { api } : {});
}

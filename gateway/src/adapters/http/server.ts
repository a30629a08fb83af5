// The gateway's HTTP endpoint (fastify): Prometheus /metrics and /health. The dashboard API joins
// it with its issue.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: Registry;
  /** Liveness details; `ok: false` answers 503. */
  readonly health: () => { ok: boolean } & Record<string, unknown>;
}

export async function startHttp(options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.contentType);
    return options.metrics.metrics();
  });
  app.get('/health', async (_request, reply) => {
    const health = options.health();
    reply.code(health.ok ? 200 : 503);
    return health;
  });
  await app.listen({ host: options.host, port: options.port });
  return app;
}

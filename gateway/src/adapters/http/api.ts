// The dashboard API (/api/v1) as one registration on the gateway's fastify instance: OpenAPI at
// /docs and /api/v1/openapi.json, bearer-token auth with roles, per-token rate limits, the error
// catalogue for every failure, SSE, and the built dashboard at / (SPA fallback to index.html).
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { Type } from 'typebox';
import type { ApiData, CosignHandler } from './api-data.js';
import type { ApiConfig } from './api-config.js';
import { installAuth, type Access } from './auth.js';
import { ApiError, ErrorBody, installErrorHandler } from './errors.js';
import type { ApiEventBus } from './event-bus.js';
import { certificateRoutes } from './routes/certificates.js';
import type { RouteContext, TypedApp } from './routes/common.js';
import { cosignRoutes } from './routes/cosign.js';
import { deviceRoutes } from './routes/devices.js';
import { eventRoutes } from './routes/events.js';
import { evidenceRoutes } from './routes/evidence.js';
import { infoRoutes } from './routes/info.js';
import { loanRoutes } from './routes/loans.js';
import { lotRoutes } from './routes/lots.js';
import { quarantineRoutes } from './routes/quarantine.js';
import type { ApiTokenStore } from './token-store.js';

export const API_PREFIX = '/api/v1';

export interface ApiOptions {
  readonly data: ApiData;
  readonly tokens: ApiTokenStore;
  readonly events: ApiEventBus;
  /** The parsed `api:` config section (api-config.ts). */
  readonly config: ApiConfig;
  /** Folder relative paths in the config resolve against (the config file's folder). */
  readonly baseDir?: string;
  readonly nowMs?: () => number;
  readonly cosign?: CosignHandler;
  readonly log?: Logger;
  /** Version shown in the OpenAPI document. */
  readonly version?: string;
}

export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly access: Access | undefined;
  /** The route declares a response schema (TypeBox), so its answers are validated and documented. */
  readonly hasResponseSchema: boolean;
}

/** What registerApi added: every route with its access rule (tests enumerate them). */
export interface ApiHandle {
  readonly routes: RegisteredRoute[];
}

/** Registers the API on `app` (before it listens). /metrics and /health stay as the caller made them. */
export async function registerApi(app: FastifyInstance, options: ApiOptions): Promise<ApiHandle> {
  const nowMs = options.nowMs ?? Date.now;
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      routes.push({
        method,
        url: route.url,
        access: route.config?.access,
        hasResponseSchema: route.schema?.response !== undefined,
      });
  });
  for (const token of options.config.bootstrapTokens)
    if (options.tokens.importHash(token.name, token.role, token.sha256, nowMs()))
      options.log?.info({ name: token.name, role: token.role }, 'api token bootstrapped');

  installErrorHandler(app, options.log);
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'PledgeGuard gateway API',
        version: options.version ?? '1',
        description: 'See docs/api.md. Errors: { code, message } with PG_API_* codes.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: {},
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  if (options.config.corsOrigins.length > 0) installCors(app, options.config.corsOrigins);

  const streams: RouteContext['streams'] = new Set();
  const context: RouteContext = {
    data: options.data,
    events: options.events,
    cosign: options.cosign,
    streams,
  };
  await app.register(
    async (scope) => {
      const api = scope.withTypeProvider<TypeBoxTypeProvider>() as TypedApp;
      installAuth(scope, {
        tokens: options.tokens,
        failedAuthPerMinute: options.config.rateLimit.failedAuthPerMinute,
        nowMs,
      });
      await scope.register(fastifyRateLimit, {
        global: true,
        hook: 'preHandler',
        max: options.config.rateLimit.perTokenPerMinute,
        timeWindow: 60_000,
        keyGenerator: (request) =>
          request.principal ? `token:${request.principal.tokenId}` : `ip:${request.ip}`,
        errorResponseBuilder: (_request, context) =>
          new ApiError(
            'PG_API_RATE_LIMITED',
            `rate limit of ${context.max} requests a minute reached; retry in ${context.after}`,
          ),
      });
      api.get(
        '/openapi.json',
        {
          config: { access: 'public' },
          schema: {
            hide: true,
            response: { 200: Type.Record(Type.String(), Type.Unknown()), '5xx': ErrorBody },
          },
        },
        async () => scope.swagger() as unknown as Record<string, unknown>,
      );
      for (const add of [
        infoRoutes,
        loanRoutes,
        lotRoutes,
        evidenceRoutes,
        deviceRoutes,
        quarantineRoutes,
        certificateRoutes,
        eventRoutes,
        cosignRoutes,
      ])
        add(api, context);
      scope.setNotFoundHandler(async (request) => {
        throw new ApiError(
          'PG_API_NOT_FOUND',
          `no route ${request.method} ${request.url.split('?')[0]}`,
        );
      });
    },
    { prefix: API_PREFIX },
  );
  // Before the server stops accepting: an open event stream would otherwise hold close() forever.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
  });
  await serveDashboard(app, options);
  return { routes };
}

/** Serves the built dashboard when its folder exists; unknown non-API GETs get index.html. */
async function serveDashboard(app: FastifyInstance, options: ApiOptions): Promise<void> {
  const configured = options.config.dashboardDir;
  const root =
    configured === undefined
      ? fileURLToPath(new URL('../../../../dashboard/dist', import.meta.url))
      : isAbsolute(configured)
        ? configured
        : resolve(options.baseDir ?? '.', configured);
  const hasDashboard = existsSync(join(root, 'index.html'));
  if (hasDashboard) await app.register(fastifyStatic, { root, wildcard: true });
  app.setNotFoundHandler(async (request, reply) => {
    if (hasDashboard && request.method === 'GET' && !request.url.startsWith(`${API_PREFIX}/`))
      return reply.sendFile('index.html', root);
    throw new ApiError(
      'PG_API_NOT_FOUND',
      `no route ${request.method} ${request.url.split('?')[0]}`,
    );
  });
}

/** CORS for other sites' dashboards (a bank watching several gateways): allow-list of origins. */
function installCors(app: FastifyInstance, origins: readonly string[]): void {
  const allowed = (origin: string | undefined) =>
    origin !== undefined && (origins.includes('*') || origins.includes(origin));
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (!request.url.startsWith(`${API_PREFIX}/`) || !allowed(origin)) return;
    reply.header('access-control-allow-origin', origins.includes('*') ? '*' : origin);
    reply.header('vary', 'origin');
  });
  app.options(
    `${API_PREFIX}/*`,
    {
      config: { access: 'public' },
      schema: { hide: true, response: { 204: Type.Null(), '4xx': ErrorBody } },
    },
    async (_request, reply) =>
      reply
        .code(204)
        .header('access-control-allow-methods', 'GET, POST, OPTIONS')
        .header('access-control-allow-headers', 'authorization, content-type')
        .header('access-control-max-age', '600')
        .send(),
  );
}

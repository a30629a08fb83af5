// Entry points for wiring the API: `createApiOptions` builds the stores the API needs over the
// evidence log (for startHttp({ ..., api }) in app/gateway.ts), and `startApi` serves the API on
// its own (tools, the dashboard's tests and benchmark over a seeded evidence log).
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Type } from 'typebox';
import type { IngestPipeline } from '../../app/ingest.js';
import type { Clock } from '../../ports/clock.js';
import type { EvidenceStore } from '../sqlite/evidence-store.js';
import { registerApi, type ApiHandle, type ApiOptions } from './api.js';
import type { ApiConfig } from './api-config.js';
import type { ApiInfo, CosignHandler, LiveLotStatus } from './api-data.js';
import { ApiEventBus } from './event-bus.js';
import { SqliteApiData } from './sqlite-data.js';
import { ApiTokenStore } from './token-store.js';

export interface ApiWiring {
  readonly store: EvidenceStore;
  /** The parsed `api:` config section. */
  readonly config: ApiConfig;
  /** Folder the config's relative paths resolve against (the config file's). */
  readonly baseDir: string;
  readonly info: ApiInfo;
  /** config.chain.warehouseNumber; 0n without a chain. */
  readonly warehouseNumber: bigint;
  readonly clock: Clock;
  readonly ingest?: Pick<IngestPipeline, 'submit' | 'reloadRegistry'>;
  readonly liveLotStatus?: (lotId: string) => LiveLotStatus | undefined;
  readonly opcuaPkiDir?: string;
  readonly cosign?: CosignHandler;
  readonly log?: Logger;
}

/** The API's options over the gateway's evidence log; publish live events to `events`. */
export function createApiOptions(wiring: ApiWiring): ApiOptions & {
  readonly events: ApiEventBus;
  readonly tokens: ApiTokenStore;
} {
  const nowMs = () => wiring.clock.nowMs();
  return {
    data: new SqliteApiData({
      store: wiring.store,
      info: wiring.info,
      warehouseNumber: wiring.warehouseNumber,
      clock: wiring.clock,
      ...(wiring.ingest ? { ingest: wiring.ingest } : {}),
      ...(wiring.liveLotStatus ? { liveLotStatus: wiring.liveLotStatus } : {}),
      ...(wiring.opcuaPkiDir ? { opcuaPkiDir: wiring.opcuaPkiDir } : {}),
    }),
    tokens: new ApiTokenStore(wiring.store.database),
    events: new ApiEventBus({ nowMs }),
    config: wiring.config,
    baseDir: wiring.baseDir,
    nowMs,
    ...(wiring.cosign ? { cosign: wiring.cosign } : {}),
    ...(wiring.log ? { log: wiring.log } : {}),
  };
}

/** Serves only the API (plus a bare /health) on host:port; port 0 picks a free port. */
export async function startApi(
  options: ApiOptions & { readonly host: string; readonly port: number },
): Promise<{ app: FastifyInstance; api: ApiHandle; port: number }> {
  const app = Fastify({ logger: false });
  const api = await registerApi(app, options);
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: { tags: ['health'], response: { 200: Type.Object({ ok: Type.Boolean() }) } },
    },
    async () => ({ ok: true }),
  );
  await app.listen({ host: options.host, port: options.port });
  const { port } = app.server.address() as { port: number };
  return { app, api, port };
}

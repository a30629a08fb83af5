// Bearer-token authentication and role checks for /api/v1. Every route declares its access level
// in `config.access`; a route without one is refused (fail closed). Failed authentications are
// counted per client address: past the limit the address gets 429 until its window ends.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import type { ApiPrincipal, ApiRole, ApiTokenStore } from './token-store.js';

/** Who may call a route: see docs/api.md "Authentication and roles". */
export type Access = 'public' | 'read' | 'evidence' | 'admin' | 'peer';

export const ROLES_FOR: Record<Exclude<Access, 'public'>, readonly ApiRole[]> = {
  read: ['bank-viewer', 'auditor', 'operator-admin'],
  evidence: ['auditor', 'operator-admin'],
  admin: ['operator-admin'],
  peer: ['gateway-peer'],
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every /api/v1 route. */
    access?: Access;
    /** The route also accepts the token as `?token=` (EventSource cannot set headers). */
    tokenInQuery?: boolean;
  }
  interface FastifyRequest {
    principal?: ApiPrincipal;
  }
}

export interface AuthOptions {
  readonly tokens: ApiTokenStore;
  readonly failedAuthPerMinute: number;
  readonly nowMs: () => number;
}

const WINDOW_MS = 60_000;

/** Adds the authentication hook to `scope` (the /api/v1 plugin). */
export function installAuth(scope: FastifyInstance, options: AuthOptions): void {
  const failures = new Map<string, { startMs: number; count: number }>();

  const failed = (ip: string, nowMs: number) => {
    const entry = failures.get(ip);
    if (!entry || nowMs - entry.startMs >= WINDOW_MS) {
      if (failures.size > 10_000) prune(failures, nowMs);
      failures.set(ip, { startMs: nowMs, count: 1 });
    } else entry.count++;
  };

  scope.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const access = request.routeOptions.config.access;
    if (access === 'public') return;
    if (access === undefined)
      throw new ApiError('PG_API_FORBIDDEN', 'route has no access rule (refused by default)');
    const nowMs = options.nowMs();
    const entry = failures.get(request.ip);
    if (entry && nowMs - entry.startMs < WINDOW_MS && entry.count >= options.failedAuthPerMinute)
      throw new ApiError(
        'PG_API_RATE_LIMITED',
        'too many failed authentications from this address',
        {
          retryAfterS: Math.ceil((entry.startMs + WINDOW_MS - nowMs) / 1_000),
        },
      );
    const token = tokenOf(request);
    const principal = token === undefined ? undefined : options.tokens.authenticate(token);
    if (!principal) {
      failed(request.ip, nowMs);
      throw new ApiError(
        'PG_API_UNAUTHENTICATED',
        token === undefined
          ? 'missing Authorization: Bearer <token>'
          : 'unknown, revoked or malformed token',
      );
    }
    if (!ROLES_FOR[access].includes(principal.role))
      throw new ApiError(
        'PG_API_FORBIDDEN',
        `role ${principal.role} may not use this route (needs ${ROLES_FOR[access].join(' or ')})`,
      );
    request.principal = principal;
  });
}

function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1]! : '';
  }
  if (request.routeOptions.config.tokenInQuery) {
    const token = (request.query as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string') return token;
  }
  return undefined;
}

function prune(failures: Map<string, { startMs: number }>, nowMs: number): void {
  for (const [ip, entry] of failures) if (nowMs - entry.startMs >= WINDOW_MS) failures.delete(ip);
}

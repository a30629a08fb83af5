// Every API failure leaves as `{ code, message }` with a code from the one catalogue
// (protocol/src/codes.ts). Routes throw ApiError; fastify's own errors (validation, body size,
// rate limit) are translated here, once.
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Code } from '@pledgeguard/protocol';
import { Type } from 'typebox';

export type ApiCode = Extract<Code, `PG_API_${string}`>;

export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'PG_API_* code from docs/errors.md' }),
    message: Type.String(),
  },
  { $id: 'ApiError', description: 'Every error: a catalogue code and a readable message.' },
);

const STATUS: Record<ApiCode, number> = {
  PG_API_BAD_REQUEST: 400,
  PG_API_UNAUTHENTICATED: 401,
  PG_API_FORBIDDEN: 403,
  PG_API_NOT_FOUND: 404,
  PG_API_CONFLICT: 409,
  PG_API_RATE_LIMITED: 429,
  PG_API_INTERNAL: 500,
  PG_API_UNAVAILABLE: 503,
};

export class ApiError extends Error {
  readonly code: ApiCode;
  readonly statusCode: number;
  /** Seconds for the retry-after header (429). */
  readonly retryAfterS: number | undefined;

  constructor(code: ApiCode, message: string, options?: { cause?: unknown; retryAfterS?: number }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = STATUS[code];
    this.retryAfterS = options?.retryAfterS;
  }
}

export const notFound = (what: string) => new ApiError('PG_API_NOT_FOUND', `${what} not found`);

/** Installs the error and not-found handlers on `app` (and the scopes it encapsulates). */
export function installErrorHandler(app: FastifyInstance, log?: Logger): void {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const body = toBody(error);
    if (body.status >= 500)
      log?.error({ err: error, method: request.method, url: request.url }, 'api request failed');
    if (body.retryAfterS !== undefined) reply.header('retry-after', String(body.retryAfterS));
    return reply.code(body.status).send({ code: body.code, message: body.message });
  });
}

function toBody(error: FastifyError | ApiError): {
  status: number;
  code: ApiCode;
  message: string;
  retryAfterS?: number;
} {
  if (error instanceof ApiError)
    return {
      status: error.statusCode,
      code: error.code,
      message: error.message,
      ...(error.retryAfterS !== undefined ? { retryAfterS: error.retryAfterS } : {}),
    };
  if ('validation' in error && error.validation)
    return { status: 400, code: 'PG_API_BAD_REQUEST', message: error.message };
  const status = error.statusCode ?? 500;
  if (status === 429) return { status, code: 'PG_API_RATE_LIMITED', message: error.message };
  if (status === 404) return { status, code: 'PG_API_NOT_FOUND', message: error.message };
  if (status >= 400 && status < 500)
    return { status, code: 'PG_API_BAD_REQUEST', message: error.message };
  return { status: 500, code: 'PG_API_INTERNAL', message: 'internal error' };
}

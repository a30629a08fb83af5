// What every route file shares: the typed instance, the context the API hands its routes, the
// standard responses (every error is ErrorBody) and the mapping of action results to errors.
import type { ServerResponse } from 'node:http';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TSchema } from 'typebox';
import type { ActionResult, ApiData, CosignHandler } from '../api-data.js';
import { ApiError, ErrorBody } from '../errors.js';
import type { ApiEventBus } from '../event-bus.js';

export type TypedApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface RouteContext {
  readonly data: ApiData;
  readonly events: ApiEventBus;
  readonly cosign: CosignHandler | undefined;
  /** Open SSE responses, ended when the server closes. */
  readonly streams: Set<ServerResponse>;
}

/** Response schemas of a route: its success body, and ErrorBody for every 4xx/5xx. */
export function responses<T extends TSchema>(ok: T, status = 200) {
  return { [status]: ok, '4xx': ErrorBody, '5xx': ErrorBody } as {
    200: T;
    '4xx': typeof ErrorBody;
    '5xx': typeof ErrorBody;
  };
}

export function unwrap<T>(result: ActionResult<T>): T {
  if (result.ok) return result.value;
  const code =
    result.reason === 'not-found'
      ? 'PG_API_NOT_FOUND'
      : result.reason === 'conflict'
        ? 'PG_API_CONFLICT'
        : 'PG_API_UNAVAILABLE';
  throw new ApiError(code, result.message);
}

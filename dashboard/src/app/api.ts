// One client per configured gateway: bearer token, JSON, `{ code, message }` errors as values.

import type { ApiError } from './types.js';

export interface GatewayConfig {
  /** Base URL of the gateway ('' = the origin that served this page). */
  url: string;
  token: string;
}

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export class ApiClient {
  constructor(readonly gateway: GatewayConfig) {}

  get label(): string {
    return this.gateway.url || location.origin;
  }

  url(path: string): string {
    return `${this.gateway.url.replace(/\/$/, '')}/api/v1${path}`;
  }

  get<T>(path: string): Promise<ApiResult<T>> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<ApiResult<T>> {
    return this.request<T>('POST', path, body);
  }

  /** EventSource URL: the token travels as `?token=` because EventSource cannot set headers. */
  eventsUrl(): string {
    return `${this.url('/events')}?token=${encodeURIComponent(this.gateway.token)}`;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers: {
          authorization: `Bearer ${this.gateway.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      return { ok: false, error: { code: 'NETWORK', message: (error as Error).message } };
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) {
      const error = parsed as Partial<ApiError> | null;
      return {
        ok: false,
        error: {
          code: error?.code ?? `HTTP_${response.status}`,
          message: error?.message ?? response.statusText,
        },
      };
    }
    return { ok: true, value: parsed as T };
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

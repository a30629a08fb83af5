// What every page needs: the configured gateways as API clients, and each one's /info (cached).

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './api.js';
import type { Info } from './types.js';

export interface AppContextValue {
  clients: ApiClient[];
  /** RPC URL the user pinned; overrides the gateways' `rpcUrl` for every chain read. */
  rpcOverride: string;
}

export const AppContext = createContext<AppContextValue>({ clients: [], rpcOverride: '' });

export function useApp(): AppContextValue {
  return useContext(AppContext);
}

const infos = new Map<string, Promise<Info>>();

/** `/api/v1/info` of a gateway, fetched once per page load (failures are retried next time). */
export function infoOf(client: ApiClient): Promise<Info> {
  const key = `${client.gateway.url}|${client.gateway.token}`;
  let info = infos.get(key);
  if (!info) {
    info = client.get<Info>('/info').then((r) => {
      if (!r.ok) {
        infos.delete(key);
        throw new Error(`${client.label}: ${r.error.code} ${r.error.message}`);
      }
      return r.value;
    });
    infos.set(key, info);
  }
  return info;
}

/** The value of an API result, or an Error naming the gateway. */
export async function must<T>(
  client: ApiClient,
  result: Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>,
): Promise<T> {
  const r = await result;
  if (!r.ok) throw new Error(`${client.label}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

// Gateways and tokens, kept in localStorage: a bank watches several warehouses at once.

import type { GatewayConfig } from './api.js';

const KEY = 'pledgeguard.gateways';

export function loadGateways(): GatewayConfig[] {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as GatewayConfig[] | null;
    if (Array.isArray(stored) && stored.length > 0) {
      return stored.filter((g) => typeof g.url === 'string' && typeof g.token === 'string');
    }
  } catch {
    // fall through to the default
  }
  return [{ url: '', token: '' }];
}

export function saveGateways(gateways: GatewayConfig[]): void {
  localStorage.setItem(KEY, JSON.stringify(gateways));
}

const RPC_KEY = 'pledgeguard.rpcOverride';

/** An RPC URL the user trusts more than the gateways' advertised one ('' = use theirs). */
export function loadRpcOverride(): string {
  return localStorage.getItem(RPC_KEY) ?? '';
}

export function saveRpcOverride(rpcUrl: string): void {
  localStorage.setItem(RPC_KEY, rpcUrl);
}

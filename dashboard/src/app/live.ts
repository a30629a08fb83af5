// Live updates: one EventSource per gateway (`/api/v1/events?token=`), fanned out by event name.

import type { ApiClient } from './api.js';

export type LiveKind = 'attestation' | 'alert' | 'chain' | 'quarantine' | 'reading';
export interface LiveEvent {
  kind: LiveKind;
  gateway: string;
  data: unknown;
}
type Listener = (event: LiveEvent) => void;

const KINDS: LiveKind[] = ['attestation', 'alert', 'chain', 'quarantine', 'reading'];
const listeners = new Set<Listener>();
const sources = new Map<string, EventSource>();
const connected = new Set<string>();
const statusListeners = new Set<() => void>();

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function onStatus(listener: () => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

export function connectedCount(): number {
  return connected.size;
}

/** Opens (or keeps) one stream per client; closes streams of gateways no longer configured. */
export function connect(clients: readonly ApiClient[]): void {
  const wanted = new Map(clients.map((c) => [c.eventsUrl(), c]));
  for (const [url, source] of sources) {
    if (!wanted.has(url)) {
      source.close();
      sources.delete(url);
      connected.delete(url);
    }
  }
  for (const [url, client] of wanted) {
    if (sources.has(url) || !client.gateway.token) continue;
    const source = new EventSource(url);
    sources.set(url, source);
    source.onopen = () => {
      connected.add(url);
      statusListeners.forEach((l) => l());
    };
    source.onerror = () => {
      connected.delete(url);
      statusListeners.forEach((l) => l());
    };
    for (const kind of KINDS) {
      source.addEventListener(kind, (message) => {
        const data = parseData((message as MessageEvent<string>).data);
        for (const listener of listeners) listener({ kind, gateway: client.label, data });
      });
    }
  }
}

function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

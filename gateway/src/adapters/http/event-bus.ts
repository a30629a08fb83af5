// In-process publish/subscribe for the SSE stream (`GET /api/v1/events`). The gateway's parts
// publish; each SSE connection subscribes. Readings are sampled here: at most one per lot per
// `readingIntervalMs` (and one for all lot-less devices), so a 10,000-device warehouse does not
// flood browsers.

export const API_EVENT_KINDS = ['attestation', 'alert', 'chain', 'quarantine', 'reading'] as const;
export type ApiEventKind = (typeof API_EVENT_KINDS)[number];

export interface ApiEvent {
  readonly kind: ApiEventKind;
  /** JSON-serialisable (bigints already as decimal strings). */
  readonly data: Record<string, unknown>;
}

export type ApiEventListener = (event: ApiEvent) => void;

export interface EventBusOptions {
  /** Minimum spacing of `reading` events per lot. [ms] */
  readonly readingIntervalMs?: number;
  /** Clock for the sampling; defaults to Date.now. */
  readonly nowMs?: () => number;
}

export class ApiEventBus {
  readonly #listeners = new Set<ApiEventListener>();
  readonly #lastReadingMs = new Map<string, number>();
  readonly #readingIntervalMs: number;
  readonly #nowMs: () => number;

  constructor(options: EventBusOptions = {}) {
    this.#readingIntervalMs = options.readingIntervalMs ?? 1_000;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  /** Publishes to every subscriber; returns false when a `reading` was dropped by sampling. */
  publish(kind: ApiEventKind, data: Record<string, unknown>): boolean {
    if (kind === 'reading') {
      // Readings of devices outside any lot share one slot: a warehouse of lot-less sensors must
      // not flood browsers either.
      const lot = typeof data.lotId === 'string' ? `lot:${data.lotId}` : 'no-lot';
      const nowMs = this.#nowMs();
      const last = this.#lastReadingMs.get(lot);
      if (last !== undefined && nowMs - last < this.#readingIntervalMs) return false;
      this.#lastReadingMs.set(lot, nowMs);
    }
    const event = { kind, data };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A failing subscriber (a closed socket) must not stop the others.
      }
    }
    return true;
  }

  /** Subscribes; call the returned function to unsubscribe. */
  subscribe(listener: ApiEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get subscribers(): number {
    return this.#listeners.size;
  }
}

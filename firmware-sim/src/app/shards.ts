// One process, several threads: a large fleet is split by bay into shards, each run by its own
// Fleet on a worker thread (a bay's devices stay together, so they observe the same physics).
// Per-device noise streams are keyed by device id, so sharding does not change any reading.
// Main thread: boots identities (state files), spawns the workers, sums their counters.

import { Worker } from 'node:worker_threads';
import type { Scenario } from '../core/scenario-schema.js';
import type { LinkCounters } from '../adapters/mqtt-link.js';
import type { DeviceIdentity, FleetOptions } from './fleet.js';

export type ShardOptions = Omit<FleetOptions, 'scenario' | 'identities' | 'plc' | 'observe'>;

export interface ShardInit {
  readonly scenario: Scenario;
  readonly identities: DeviceIdentity[];
  readonly options: ShardOptions;
}

export type ShardMessage =
  | { readonly type: 'counters'; readonly counters: LinkCounters; readonly signed: number }
  | { readonly type: 'started' }
  | { readonly type: 'done' }
  | { readonly type: 'stopped'; readonly counters: LinkCounters; readonly signed: number }
  | { readonly type: 'error'; readonly message: string };

/** Splits a scenario by bay into `count` shards of about equal device counts. */
export function splitScenario(scenario: Scenario, count: number): Scenario[] {
  const byBay = new Map<string, Scenario['devices']>();
  for (const device of scenario.devices)
    byBay.set(device.bayId, [...(byBay.get(device.bayId) ?? []), device]);
  const shards: Scenario['devices'][] = Array.from({ length: count }, () => []);
  for (const devices of byBay.values()) {
    const smallest = shards.reduce(
      (best, shard, i) => (shard.length < shards[best]!.length ? i : best),
      0,
    );
    shards[smallest]!.push(...devices);
  }
  return shards
    .filter((devices) => devices.length > 0)
    .map((devices) => {
      const ids = new Set(devices.map((d) => d.deviceId));
      const bays = new Set(devices.map((d) => d.bayId));
      const events = scenario.events.filter((e) =>
        'deviceId' in e ? ids.has(e.deviceId) : bays.has(e.bayId),
      );
      return { ...scenario, devices, events, lots: scenario.lots.filter((l) => bays.has(l.bayId)) };
    });
}

export class ShardedFleet {
  readonly counters: LinkCounters = { online: 0, published: 0, acked: 0, queued: 0, injected: 0 };
  signed = 0;
  private readonly workers: Worker[] = [];
  private readonly latest: { counters: LinkCounters; signed: number }[] = [];
  readonly done: Promise<void>;
  private readonly started: Promise<void>;

  constructor(
    scenario: Scenario,
    identities: ReadonlyMap<string, DeviceIdentity>,
    options: ShardOptions,
    threads: number,
  ) {
    const shards = splitScenario(scenario, threads);
    const dones: Promise<void>[] = [];
    const starts: Promise<void>[] = [];
    shards.forEach((shard, index) => {
      const init: ShardInit = {
        scenario: shard,
        identities: shard.devices.map((d) => identities.get(d.deviceId)!),
        options,
      };
      // The worker is TypeScript: load it through tsx, as the CLI itself is.
      const worker = new Worker(new URL('./shard-worker-entry.js', import.meta.url), {
        workerData: init,
      });
      this.workers.push(worker);
      this.latest.push({ counters: { ...this.counters }, signed: 0 });
      let resolveDone!: () => void;
      let resolveStarted!: () => void;
      dones.push(new Promise((r) => (resolveDone = r)));
      starts.push(new Promise((r) => (resolveStarted = r)));
      worker.on('message', (message: ShardMessage) => {
        if (message.type === 'counters' || message.type === 'stopped') {
          this.latest[index] = { counters: message.counters, signed: message.signed };
          this.sum();
        }
        if (message.type === 'started') resolveStarted();
        if (message.type === 'done') resolveDone();
        if (message.type === 'error') throw new Error(`shard ${index}: ${message.message}`);
      });
      worker.on('error', (error) => {
        throw error;
      });
    });
    this.done = Promise.all(dones).then(() => undefined);
    this.started = Promise.all(starts).then(() => undefined);
  }

  private sum(): void {
    const total: LinkCounters = { online: 0, published: 0, acked: 0, queued: 0, injected: 0 };
    let signed = 0;
    for (const shard of this.latest) {
      for (const key of Object.keys(total) as (keyof LinkCounters)[])
        total[key] += shard.counters[key];
      signed += shard.signed;
    }
    Object.assign(this.counters, total);
    this.signed = signed;
  }

  /** Starts every shard; resolves when all have started their clocks. */
  async start(waitOnlineMs = 30_000): Promise<void> {
    for (const worker of this.workers) worker.postMessage({ type: 'start', waitOnlineMs });
    await this.started;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.postMessage({ type: 'stop' });
          }),
      ),
    );
  }
}

// A scenario's events compiled into one time-ordered list of atomic steps (pure). Ranged events
// become their edges: a removal of 40 pallets over two hours is a door opening, 40 single removals
// spread evenly, and a door closing.

import type { Scenario, ScenarioEvent } from './scenario-schema.js';

export type TimelineStep =
  | {
      readonly atMs: number;
      readonly op: 'pallets';
      readonly bayId: string;
      readonly delta: number;
    }
  | {
      readonly atMs: number;
      readonly op: 'door' | 'junction-box';
      readonly bayId: string;
      readonly open: boolean;
    }
  | {
      readonly atMs: number;
      readonly op: 'temperature';
      readonly bayId: string;
      readonly deltaMilliC: number;
    }
  | {
      readonly atMs: number;
      readonly op: 'humidity';
      readonly bayId: string;
      readonly deltaPerMille: number;
    }
  | {
      readonly atMs: number;
      readonly op: 'bias';
      readonly deviceId: string;
      readonly biasGrams: bigint;
    }
  | { readonly atMs: number; readonly op: 'link'; readonly deviceId: string; readonly up: boolean }
  | {
      readonly atMs: number;
      readonly op: 'clock';
      readonly deviceId: string;
      readonly offsetMs: number;
    }
  | { readonly atMs: number; readonly op: 'forge'; readonly deviceId: string }
  | {
      readonly atMs: number;
      readonly op: 'replay';
      readonly deviceId: string;
      readonly active: boolean;
    };

// Order among steps at the same instant: doors open before goods move, close after.
const OP_ORDER: Record<TimelineStep['op'], number> = {
  door: 1,
  'junction-box': 1,
  link: 0,
  clock: 0,
  replay: 0,
  bias: 2,
  temperature: 2,
  humidity: 2,
  pallets: 3,
  forge: 4,
};

function expand(event: ScenarioEvent): TimelineStep[] {
  switch (event.type) {
    case 'remove-pallets':
    case 'add-pallets': {
      const sign = event.type === 'remove-pallets' ? -1 : 1;
      const spanMs = event.to - event.from;
      const steps: TimelineStep[] = [];
      for (let i = 0; i < event.count; i++) {
        const atMs = event.from + Math.floor(((i + 0.5) * spanMs) / event.count);
        steps.push({ atMs, op: 'pallets', bayId: event.bayId, delta: sign });
      }
      if (event.door) {
        steps.push({ atMs: event.from, op: 'door', bayId: event.bayId, open: true });
        steps.push({ atMs: event.to, op: 'door', bayId: event.bayId, open: false });
      }
      return steps;
    }
    case 'door-open':
    case 'junction-box-open': {
      const op = event.type === 'door-open' ? 'door' : 'junction-box';
      return [
        { atMs: event.from, op, bayId: event.bayId, open: true },
        { atMs: event.to, op, bayId: event.bayId, open: false },
      ];
    }
    case 'load-cell-bias':
      return [
        {
          atMs: event.from,
          op: 'bias',
          deviceId: event.deviceId,
          biasGrams: BigInt(event.biasGrams),
        },
      ];
    case 'temperature-excursion':
      return [
        { atMs: event.from, op: 'temperature', bayId: event.bayId, deltaMilliC: event.deltaMilliC },
        { atMs: event.to, op: 'temperature', bayId: event.bayId, deltaMilliC: -event.deltaMilliC },
      ];
    case 'humidity-excursion':
      return [
        {
          atMs: event.from,
          op: 'humidity',
          bayId: event.bayId,
          deltaPerMille: event.deltaPerMille,
        },
        { atMs: event.to, op: 'humidity', bayId: event.bayId, deltaPerMille: -event.deltaPerMille },
      ];
    case 'offline':
      return [
        { atMs: event.from, op: 'link', deviceId: event.deviceId, up: false },
        { atMs: event.to, op: 'link', deviceId: event.deviceId, up: true },
      ];
    case 'clock-skew':
      return [
        { atMs: event.from, op: 'clock', deviceId: event.deviceId, offsetMs: event.offsetMs },
      ];
    case 'forge-signature': {
      const steps: TimelineStep[] = [];
      for (let atMs = event.from; atMs < event.to; atMs += event.every)
        steps.push({ atMs, op: 'forge', deviceId: event.deviceId });
      return steps;
    }
    case 'replay':
      return [
        { atMs: event.from, op: 'replay', deviceId: event.deviceId, active: true },
        { atMs: event.to, op: 'replay', deviceId: event.deviceId, active: false },
      ];
  }
}

export function compileTimeline(scenario: Pick<Scenario, 'events'>): TimelineStep[] {
  return scenario.events
    .flatMap(expand)
    .map((step, index) => ({ step, index }))
    .sort(
      (a, b) =>
        a.step.atMs - b.step.atMs || OP_ORDER[a.step.op] - OP_ORDER[b.step.op] || a.index - b.index,
    )
    .map(({ step }) => step);
}

// The warehouse simulation (pure, deterministic from the scenario seed): bays, devices and the
// scenario timeline advanced in warehouse time. No clock, no I/O: the caller says "advance to t"
// and receives what the devices emit, in order. Adapters sign, spool and publish the outputs.

import type { Reading } from '@pledgeguard/protocol';
import { addPallets, createBay, removePallets, type BayState } from './bay.js';
import { bootFirmware, heartbeatSample, stampReading, type FirmwareState } from './firmware.js';
import { DueHeap } from './heap.js';
import { createRng, type Rng } from './rng.js';
import type { Scenario, ScenarioDevice } from './scenario-schema.js';
import {
  createSensorState,
  DEFAULT_PARAMS,
  KINDS_OF_TYPE,
  sampleChange,
  samplePeriodic,
  type Sample,
  type SensorParams,
  type SensorState,
} from './sensors.js';
import { compileTimeline, type TimelineStep } from './timeline.js';

export interface SimDevice {
  readonly index: number;
  readonly spec: ScenarioDevice;
  readonly bay: BayState;
  readonly rng: Rng;
  readonly params: SensorParams;
  readonly sensor: SensorState;
  readonly fw: FirmwareState;
  nextSampleMs: number;
  nextHeartbeatMs: number;
  /** Link down (scenario `offline`): the adapter spools instead of publishing. */
  linkUp: boolean;
  /** Cut off while an attacker replays captured readings on its topic. */
  replaying: boolean;
  /** Offsets [ms] whose readings the attacker records for a later replay. */
  readonly captureWindows: readonly (readonly [number, number])[];
}

export type EngineOutput =
  | {
      readonly type: 'reading';
      readonly device: SimDevice;
      readonly reading: Reading;
      /** Genuine, but cut off by the attacker: never reaches the broker. */
      readonly suppressed: boolean;
      /** Recorded by the attacker for a later replay. */
      readonly captured: boolean;
    }
  | { readonly type: 'forged'; readonly device: SimDevice; readonly reading: Reading }
  | { readonly type: 'replay'; readonly device: SimDevice }
  | { readonly type: 'link'; readonly device: SimDevice; readonly up: boolean };

export interface EngineOptions {
  /** Warehouse clock at offset 0 [ms since epoch]. */
  readonly startTimeMs: number;
  /** Boot counter of each device for this run (from its state file). */
  readonly bootOf: (deviceId: string) => number;
}

export class ScenarioEngine {
  readonly devices: SimDevice[];
  readonly bays = new Map<string, BayState>();
  private readonly byId = new Map<string, SimDevice>();
  private readonly byBay = new Map<string, SimDevice[]>();
  private readonly timeline: TimelineStep[];
  private nextStep = 0;
  private readonly heap = new DueHeap();
  /** Scenario offset reached so far [ms]. */
  offsetMs = 0;

  constructor(
    readonly scenario: Scenario,
    readonly options: EngineOptions,
  ) {
    for (const lot of scenario.lots) {
      const palletGrams = BigInt(lot.unitWeightGrams);
      // Spare slots so pallets can be added; an RFID reader sees every slot.
      this.bays.set(lot.bayId, createBay(lot.bayId, lot.pallets, palletGrams, lot.pallets + 64));
    }
    this.timeline = compileTimeline(scenario);
    this.devices = scenario.devices.map((spec, index) => this.createDevice(spec, index));
    for (const device of this.devices)
      this.heap.push(device.index, Math.min(device.nextSampleMs, device.nextHeartbeatMs));
  }

  private createDevice(spec: ScenarioDevice, index: number): SimDevice {
    const bay = this.bays.get(spec.bayId);
    if (bay === undefined) throw new RangeError(`device ${spec.deviceId}: no bay ${spec.bayId}`);
    const rng = createRng(this.scenario.seed, spec.deviceId);
    const params: SensorParams = {
      ...DEFAULT_PARAMS,
      ...(spec.noiseGrams === undefined ? {} : { noiseGrams: spec.noiseGrams }),
      ...(spec.driftGramsPerHour === undefined
        ? {}
        : { driftGramsPerHour: spec.driftGramsPerHour }),
    };
    const captureWindows = this.scenario.events.flatMap((e) =>
      e.type === 'replay' && e.deviceId === spec.deviceId
        ? [[e.capturedFrom, e.capturedTo] as const]
        : [],
    );
    // Phase within the period: 10,000 devices at 1 Hz spread over the second, not in one burst.
    const phaseMs = rng.below(spec.period);
    const device: SimDevice = {
      index,
      spec,
      bay,
      rng,
      params,
      sensor: createSensorState(spec.type, bay, this.options.startTimeMs),
      fw: bootFirmware(
        spec.deviceId,
        spec.bayId,
        this.options.bootOf(spec.deviceId),
        this.options.startTimeMs,
      ),
      nextSampleMs: phaseMs,
      nextHeartbeatMs: phaseMs % spec.heartbeat,
      linkUp: true,
      replaying: false,
      captureWindows,
    };
    this.byId.set(spec.deviceId, device);
    const inBay = this.byBay.get(spec.bayId) ?? [];
    inBay.push(device);
    this.byBay.set(spec.bayId, inBay);
    return device;
  }

  device(deviceId: string): SimDevice | undefined {
    return this.byId.get(deviceId);
  }

  /** Warehouse clock at a scenario offset [ms since epoch]. */
  warehouseMs(offsetMs: number): number {
    return this.options.startTimeMs + offsetMs;
  }

  /** The birth message of a (re)connect: a heartbeat, stamped and counted like any reading. */
  birth(device: SimDevice): Reading {
    return stampReading(
      device.fw,
      heartbeatSample(device.fw, this.warehouseMs(this.offsetMs)),
      this.warehouseMs(this.offsetMs),
    );
  }

  /** Runs the simulation up to and including `targetOffsetMs`, emitting outputs in time order. */
  advanceTo(targetOffsetMs: number, emit: (output: EngineOutput) => void): void {
    for (;;) {
      const stepMs = this.timeline[this.nextStep]?.atMs ?? Infinity;
      const deviceMs = this.heap.peekDueMs();
      const nextMs = Math.min(stepMs, deviceMs);
      if (nextMs > targetOffsetMs) break;
      this.offsetMs = nextMs;
      if (stepMs <= deviceMs) this.applyStep(this.timeline[this.nextStep++]!, emit);
      else this.tick(this.heap.pop(), nextMs, emit);
    }
    this.offsetMs = Math.max(this.offsetMs, targetOffsetMs);
  }

  private tick(index: number, atMs: number, emit: (output: EngineOutput) => void): void {
    const device = this.devices[index]!;
    const nowMs = this.warehouseMs(atMs);
    if (device.nextSampleMs <= atMs) {
      device.nextSampleMs += device.spec.period;
      const samples = samplePeriodic(
        device.spec.type,
        device.params,
        device.sensor,
        device.bay,
        device.rng,
        nowMs,
      );
      for (const sample of samples) this.emitSample(device, sample, atMs, emit);
      if (device.replaying) emit({ type: 'replay', device });
    }
    if (device.nextHeartbeatMs <= atMs) {
      device.nextHeartbeatMs += device.spec.heartbeat;
      this.emitSample(device, heartbeatSample(device.fw, nowMs), atMs, emit);
    }
    this.heap.push(index, Math.min(device.nextSampleMs, device.nextHeartbeatMs));
  }

  private emitSample(
    device: SimDevice,
    sample: Sample,
    atMs: number,
    emit: (output: EngineOutput) => void,
  ): void {
    const reading = stampReading(device.fw, sample, this.warehouseMs(atMs));
    let captured = false;
    for (const [from, to] of device.captureWindows) if (atMs >= from && atMs < to) captured = true;
    emit({ type: 'reading', device, reading, suppressed: device.replaying, captured });
  }

  private applyStep(step: TimelineStep, emit: (output: EngineOutput) => void): void {
    if ('bayId' in step) {
      const bay = this.bays.get(step.bayId)!;
      switch (step.op) {
        case 'pallets':
          if (step.delta < 0) removePallets(bay, -step.delta);
          else addPallets(bay, step.delta);
          break;
        case 'door':
          bay.doorOpen = step.open;
          break;
        case 'junction-box':
          bay.tamperOpen = step.open;
          break;
        case 'temperature':
          bay.temperatureOffsetMilliC += step.deltaMilliC;
          break;
        case 'humidity':
          bay.humidityOffsetPerMille += step.deltaPerMille;
          break;
      }
      // Door, tamper and RFID devices report edges at once, not at their next period.
      for (const device of this.byBay.get(step.bayId) ?? []) {
        for (const sample of sampleChange(device.spec.type, device.sensor, bay))
          this.emitSample(device, sample, step.atMs, emit);
      }
      return;
    }
    const device = this.byId.get(step.deviceId)!;
    switch (step.op) {
      case 'bias':
        device.sensor.biasGrams = step.biasGrams;
        break;
      case 'clock':
        device.fw.clockOffsetMs = step.offsetMs;
        break;
      case 'link':
        device.linkUp = step.up;
        emit({ type: 'link', device, up: step.up });
        break;
      case 'replay':
        device.replaying = step.active;
        break;
      case 'forge':
        emit({ type: 'forged', device, reading: this.forgedReading(device, step.atMs) });
        break;
    }
  }

  // What an attacker would want the gateway to believe: the bay is full and all is well. It takes
  // the slot of the device's next reading; the genuine device does not lose a seq to it.
  private forgedReading(device: SimDevice, atMs: number): Reading {
    const kind = KINDS_OF_TYPE[device.spec.type][0]!;
    const lot = this.scenario.lots.find((l) => l.bayId === device.spec.bayId)!;
    const value =
      kind === 'weight'
        ? BigInt(lot.pallets) * BigInt(lot.unitWeightGrams)
        : kind === 'count'
          ? BigInt(lot.pallets)
          : kind === 'temperature'
            ? 18_000n
            : kind === 'humidity'
              ? 550n
              : 0n;
    const sample: Sample =
      kind === 'rfid-event' ? { kind: 'count', value: BigInt(lot.pallets) } : { kind, value };
    const seq = device.fw.nextSeq;
    const reading = stampReading(device.fw, sample, this.warehouseMs(atMs));
    device.fw.nextSeq = seq;
    return reading;
  }
}

// Runs a fleet: the scenario engine advanced by one shared timer (not one per device), readings
// signed and handed to each device's MQTT link and to the OPC UA PLC, connects staggered so a
// 10,000-device start or a broker restart does not arrive as one burst.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { signReading, type Alg, type Reading, type Signer } from '@pledgeguard/protocol';
import { DEFAULT_BACKOFF, type BackoffPolicy } from '../core/backoff.js';
import { ScenarioEngine, type EngineOutput, type SimDevice } from '../core/engine.js';
import { envelopeTemplate, signReadingFast, type EnvelopeTemplate } from '../core/fast-envelope.js';
import { priorityOf } from '../core/queue-policy.js';
import type { Scenario } from '../core/scenario-schema.js';
import { DeviceLink, type LinkCounters } from '../adapters/mqtt-link.js';
import { derivedKeyPair, makeSigner, type SignerKind } from '../adapters/signers.js';
import { DeviceSpool } from '../adapters/spool.js';

/** What a device needs to run: its key, MQTT password and this run's boot counter. */
export interface DeviceIdentity {
  readonly deviceId: string;
  readonly alg: Alg;
  readonly secretKey: Uint8Array;
  readonly mqttPassword: string;
  readonly boot: number;
}

/** Receives a PLC update per signed reading (the OPC UA adapter). */
export interface ReadingSink {
  update(reading: Reading, envelope: Uint8Array): void;
}

export interface FleetOptions {
  readonly scenario: Scenario;
  readonly identities: ReadonlyMap<string, DeviceIdentity>;
  /** mqtt://host:port; without it devices only feed the OPC UA PLC. */
  readonly brokerUrl?: string;
  readonly protocolVersion?: 4 | 5;
  readonly signer?: SignerKind;
  /** Folder of the disk spools. */
  readonly spoolDir: string;
  readonly spoolCapacity?: number;
  /** New connections per second at start. */
  readonly connectRatePerS?: number;
  readonly backoff?: BackoffPolicy;
  readonly replayRatePerS?: number;
  readonly keepaliveS?: number;
  /** Shared timer period [wall ms]. */
  readonly tickMs?: number;
  /** Warehouse clock at scenario offset 0 [ms since epoch]; default: now. */
  readonly startTimeMs?: number;
  readonly plc?: ReadingSink;
  /** Sees every output with its signed bytes (tests, logs). */
  readonly observe?: (output: EngineOutput, envelope: Uint8Array | undefined) => void;
}

export class Fleet {
  readonly engine: ScenarioEngine;
  readonly counters: LinkCounters = { online: 0, published: 0, acked: 0, queued: 0, injected: 0 };
  /** Readings signed so far. */
  signed = 0;
  readonly links: (DeviceLink | undefined)[];
  private readonly signers: Signer[];
  /** Fast-path encoders (node signer); undefined with the noble reference signer. */
  private readonly templates: (EnvelopeTemplate | undefined)[];
  private readonly attackers = new Map<string, Signer>();
  private readonly captures: Uint8Array[][];
  private readonly replayCursor: number[];
  private wallStartMs: number;
  private timer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private finished!: () => void;
  private stopped = false;
  private clockStarted = false;
  /** Resolves when the scenario's duration has been simulated. */
  readonly done: Promise<void>;

  constructor(private readonly options: FleetOptions) {
    const { scenario, identities } = options;
    const identityOf = (deviceId: string): DeviceIdentity => {
      const identity = identities.get(deviceId);
      if (identity === undefined)
        throw new RangeError(`no identity (state file) for device ${deviceId}; run provision`);
      return identity;
    };
    this.wallStartMs = Date.now();
    this.engine = new ScenarioEngine(scenario, {
      startTimeMs:
        options.startTimeMs ??
        (scenario.startTime === undefined ? this.wallStartMs : Date.parse(scenario.startTime)),
      bootOf: (deviceId) => identityOf(deviceId).boot,
    });
    const signerKind = options.signer ?? 'node';
    this.signers = this.engine.devices.map((device) => {
      const identity = identityOf(device.spec.deviceId);
      if (identity.alg !== device.spec.alg)
        throw new RangeError(
          `${identity.deviceId}: state file alg ${identity.alg}, scenario ${device.spec.alg}`,
        );
      return makeSigner(signerKind, identity.alg, identity.deviceId, identity.secretKey);
    });
    this.templates = this.engine.devices.map((device, i) =>
      signerKind === 'node'
        ? envelopeTemplate(this.signers[i]!, device.spec.bayId, device.fw.firmware)
        : undefined,
    );
    this.captures = this.engine.devices.map(() => []);
    this.replayCursor = this.engine.devices.map(() => 0);
    this.links = this.engine.devices.map((device) =>
      options.brokerUrl === undefined
        ? undefined
        : this.createLink(device, identityOf(device.spec.deviceId)),
    );
    this.done = new Promise((resolve) => (this.finished = resolve));
  }

  private createLink(device: SimDevice, identity: DeviceIdentity): DeviceLink {
    const o = this.options;
    return new DeviceLink({
      brokerUrl: o.brokerUrl!,
      warehouseId: this.engine.scenario.warehouseId,
      deviceId: identity.deviceId,
      password: identity.mqttPassword,
      boot: identity.boot,
      protocolVersion: o.protocolVersion ?? 4,
      keepaliveS: o.keepaliveS ?? 60,
      backoff: o.backoff ?? DEFAULT_BACKOFF,
      // Replay must outpace live production (which a time-scaled story multiplies) or a backlog
      // never drains: at least 4x the device's own wall-clock rate.
      replayRatePerS: Math.max(o.replayRatePerS ?? 200, 4 * this.wallRatePerS(device)),
      replayBurst: 20,
      maxInflight: 16,
      spool: new DeviceSpool(join(o.spoolDir, 'spool'), identity.deviceId, {
        capacity: o.spoolCapacity ?? 10_000,
      }),
      counters: this.counters,
      random: Math.random,
      birth: () => this.sign(device, this.engine.birth(device)),
    });
  }

  /** Readings per wall second a device produces (measurements plus heartbeats). */
  private wallRatePerS(device: SimDevice): number {
    const { period, heartbeat } = device.spec;
    return (2000 / period + 1000 / heartbeat) * this.engine.scenario.timeScale;
  }

  /**
   * Starts the staggered connects, then the warehouse clock once every device is online (or after
   * `waitOnlineMs`), so a time-scaled story does not begin with devices still connecting.
   */
  async start(waitOnlineMs = 30_000): Promise<void> {
    this.flushTimer = setInterval(() => this.flushSpools(), 200);
    this.connectAll();
    const deadline = Date.now() + waitOnlineMs;
    const expected = this.links.filter((link) => link !== undefined).length;
    while (this.counters.online < expected && Date.now() < deadline && !this.stopped)
      await new Promise((r) => setTimeout(r, 20));
    if (this.stopped) return;
    this.wallStartMs = Date.now();
    this.clockStarted = true;
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 20);
  }

  private connectAll(): void {
    const ratePerS = this.options.connectRatePerS ?? 1000;
    let next = 0;
    const perTick = Math.max(1, Math.round((ratePerS * 50) / 1000));
    const connectSome = () => {
      for (let i = 0; i < perTick && next < this.links.length; i++) this.links[next++]?.start();
      if (next < this.links.length) this.connectTimer = setTimeout(connectSome, 50);
    };
    connectSome();
  }

  /**
   * The warehouse clock now [ms since epoch]: what a gateway under test must use as its clock, so
   * device times of a time-scaled story are not clock skew. Stands at the start until the clock runs.
   */
  warehouseNowMs(): number {
    if (!this.clockStarted) return this.engine.warehouseMs(0);
    return this.engine.warehouseMs(Math.min(this.offsetNowMs(), this.engine.scenario.duration));
  }

  /** Scenario offset now [warehouse ms]. */
  offsetNowMs(): number {
    return (Date.now() - this.wallStartMs) * this.engine.scenario.timeScale;
  }

  private tick(): void {
    const durationMs = this.engine.scenario.duration;
    const targetMs = Math.min(this.offsetNowMs(), durationMs);
    this.engine.advanceTo(targetMs, (output) => this.handle(output));
    if (targetMs >= durationMs) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.finished();
    }
  }

  private sign(device: SimDevice, reading: Reading): Uint8Array {
    this.signed++;
    const template = this.templates[device.index];
    // The reference path (noble) goes through the protocol's own encoder.
    return template === undefined
      ? signReading(reading, this.signers[device.index]!)
      : signReadingFast(reading, template);
  }

  private handle(output: EngineOutput): void {
    const link = this.links[output.device.index];
    switch (output.type) {
      case 'reading': {
        const envelope = this.sign(output.device, output.reading);
        this.options.plc?.update(output.reading, envelope);
        this.options.observe?.(output, envelope);
        if (output.captured) this.captures[output.device.index]!.push(envelope);
        if (!output.suppressed) link?.send(envelope, priorityOf(output.reading.kind));
        return;
      }
      case 'replay': {
        const captured = this.captures[output.device.index]!;
        if (captured.length === 0) return;
        const cursor = this.replayCursor[output.device.index]!;
        this.replayCursor[output.device.index] = cursor + 1;
        const envelope = captured[cursor % captured.length]!;
        this.options.observe?.(output, envelope);
        link?.inject(envelope);
        return;
      }
      case 'forged': {
        const envelope = signReading(output.reading, this.attackerSigner(output.device));
        this.options.observe?.(output, envelope);
        link?.inject(envelope);
        return;
      }
      case 'link':
        this.options.observe?.(output, undefined);
        link?.setNetwork(output.up);
        return;
    }
  }

  // The forger holds a key of the right algorithm, just not the device's.
  private attackerSigner(device: SimDevice): Signer {
    let signer = this.attackers.get(device.spec.deviceId);
    if (signer === undefined) {
      const keys = derivedKeyPair(
        device.spec.alg,
        this.engine.scenario.seed,
        `attacker/${device.spec.deviceId}`,
      );
      signer = makeSigner('node', device.spec.alg, device.spec.deviceId, keys.secretKey);
      this.attackers.set(device.spec.deviceId, signer);
    }
    return signer;
  }

  private flushSpools(): void {
    for (const link of this.links) link?.flushSpool();
  }

  /** Stops every device; spooled and unacknowledged readings are on disk afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.flushTimer);
    clearTimeout(this.connectTimer);
    this.timer = undefined;
    await Promise.all(this.links.map((link) => link?.stop()));
  }
}

/** A random MQTT password for provisioning (base64url, 192 bits). */
export function newMqttPassword(): string {
  return randomBytes(24).toString('base64url');
}

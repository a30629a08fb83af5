// One device's MQTT connection (mqtt.js): QoS 1, persistent session, last will, birth on every
// connect, capped exponential backoff with full jitter, and store-and-forward through the device's
// disk spool with a token-bucket replay after reconnect (PROTOCOL.md section 7).
// Order is kept per device, in seq order as the gateway's high-water mark needs it (PROTOCOL.md
// section 4): a live reading goes straight out only when nothing older waits; after a reconnect
// mqtt.js first resends its unacknowledged publishes (before it emits 'connect'), then the spool
// drains oldest first, and the birth is signed and sent once the spool is empty. A birth takes the
// next seq, so one sent at connect would overtake the backlog and make every spooled reading a
// replay (as real firmware does, the store-and-forward queue drains in order).

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { deviceTopic, encodeDeterministic, READING_QOS } from '@pledgeguard/protocol';
import { backoffDelayMs, type BackoffPolicy } from '../core/backoff.js';
import type { QueuePriority } from '../core/queue-policy.js';
import {
  createTokenBucket,
  msUntilToken,
  takeTokens,
  type TokenBucket,
} from '../core/token-bucket.js';
import type { DeviceSpool } from './spool.js';

export interface LinkCounters {
  online: number;
  published: number;
  acked: number;
  queued: number;
  injected: number;
}

export interface LinkOptions {
  readonly brokerUrl: string;
  readonly warehouseId: string;
  readonly deviceId: string;
  readonly password: string;
  readonly boot: number;
  /** 4 = MQTT 3.1.1 (aedes), 5 = MQTT 5 (mosquitto). */
  readonly protocolVersion: 4 | 5;
  readonly keepaliveS: number;
  readonly backoff: BackoffPolicy;
  /** Replay of spooled readings after a reconnect [readings/s] and burst. */
  readonly replayRatePerS: number;
  readonly replayBurst: number;
  /** Spooled readings in flight at once during replay. */
  readonly maxInflight: number;
  readonly spool: DeviceSpool;
  readonly counters: LinkCounters;
  readonly random: () => number;
  /** Signs a fresh birth message (a heartbeat reading) for this connect. */
  readonly birth: () => Uint8Array;
}

interface Inflight {
  readonly bytes: Uint8Array;
  readonly priority: QueuePriority;
}

export class DeviceLink {
  private client: MqttClient | undefined;
  private readonly readingTopic: string;
  private readonly birthTopic: string;
  private readonly deathTopic: string;
  private connected = false;
  private networkUp = true;
  private stopped = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Live readings published straight away and not yet acknowledged, oldest first. */
  private readonly liveInflight: Inflight[] = [];
  /** Spool head items published and not yet acknowledged. */
  private spoolInflight = 0;
  /** This connect's birth waits for the spool to drain (it takes the next seq when signed). */
  private birthPending = false;
  private readonly bucket: TokenBucket;

  constructor(private readonly options: LinkOptions) {
    this.readingTopic = deviceTopic(options.warehouseId, options.deviceId, 'reading');
    this.birthTopic = deviceTopic(options.warehouseId, options.deviceId, 'birth');
    this.deathTopic = deviceTopic(options.warehouseId, options.deviceId, 'death');
    this.bucket = createTokenBucket(options.replayRatePerS, options.replayBurst, Date.now());
    options.counters.queued += options.spool.length;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  start(): void {
    const o = this.options;
    const clientOptions: IClientOptions = {
      clientId: o.deviceId,
      username: o.deviceId,
      password: o.password,
      clean: false,
      protocolVersion: o.protocolVersion,
      keepalive: o.keepaliveS,
      // Sending readings keeps the link alive anyway; rescheduling the ping timer on every publish
      // costs a timer-list insert per reading at 10,000 readings/s.
      reschedulePings: false,
      reconnectPeriod: 0, // we reconnect ourselves, with jittered backoff
      connectTimeout: 30_000,
      resubscribe: false,
      will: {
        topic: this.deathTopic,
        // PROTOCOL.md section 7: unsigned CBOR {1: deviceId, 2: boot}; advisory only.
        payload: Buffer.from(
          encodeDeterministic(
            new Map<number, unknown>([
              [1, o.deviceId],
              [2, o.boot],
            ]),
          ),
        ),
        qos: READING_QOS,
        retain: false,
      },
      ...(o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 86_400 } } : {}),
    };
    const client = mqtt.connect(o.brokerUrl, clientOptions);
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('error', () => {
      // Refused or unreachable: 'close' follows and schedules the retry.
    });
  }

  /** Sends one of the device's own readings, through the spool when anything older waits. */
  send(bytes: Uint8Array, priority: QueuePriority): void {
    const o = this.options;
    if (this.connected && o.spool.length === 0 && this.client !== undefined) {
      const entry: Inflight = { bytes, priority };
      this.liveInflight.push(entry);
      o.counters.published++;
      this.client.publish(
        this.readingTopic,
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        { qos: READING_QOS },
        (error) => {
          if (error) return; // forced end at shutdown: stop() already spooled it
          const index = this.liveInflight.indexOf(entry);
          if (index >= 0) this.liveInflight.splice(index, 1);
          o.counters.acked++;
        },
      );
      return;
    }
    const before = o.spool.length;
    o.spool.push(bytes, priority);
    o.counters.queued += o.spool.length - before; // 0 when the full-queue policy dropped one
    this.drain();
  }

  /** Publishes bytes that are not the device's own output (an attacker's replay or forgery). */
  inject(bytes: Uint8Array): void {
    if (!this.connected || this.client === undefined) return;
    this.options.counters.injected++;
    this.client.publish(this.readingTopic, Buffer.from(bytes), { qos: READING_QOS });
  }

  /** Cuts or restores the device's network (scenario `offline`); a cut fires the last will. */
  setNetwork(up: boolean): void {
    if (this.networkUp === up) return;
    this.networkUp = up;
    if (!up) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.client?.stream.destroy();
    } else if (!this.connected && !this.stopped) {
      this.attempt = 0;
      this.scheduleReconnect();
    }
  }

  /** Flushes buffered spool records to disk (called by the fleet's shared timer). */
  flushSpool(): void {
    this.options.spool.flush();
  }

  /** Stops the device: unacknowledged live readings go back to the spool, so nothing is lost. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.drainTimer);
    const o = this.options;
    if (this.liveInflight.length > 0) {
      o.spool.prepend(this.liveInflight.splice(0));
    }
    o.spool.flush();
    if (this.connected) o.counters.online--;
    this.connected = false;
    const client = this.client;
    // A clean DISCONNECT (no last will): this is a shutdown, not a failure. Bounded wait.
    if (client !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => client.end(true, {}, () => resolve()), 1000);
        client.end(false, {}, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private onConnect(): void {
    const o = this.options;
    if (this.stopped) return;
    this.connected = true;
    this.attempt = 0;
    o.counters.online++;
    this.birthPending = true;
    this.drain();
  }

  /** Signs and sends the pending birth once nothing older waits: its seq is the newest. */
  private sendBirthWhenDrained(): void {
    if (!this.birthPending || !this.connected || this.client === undefined) return;
    if (this.options.spool.length > 0) return;
    this.birthPending = false;
    this.client.publish(this.birthTopic, Buffer.from(this.options.birth()), { qos: READING_QOS });
  }

  private onClose(): void {
    if (this.connected) this.options.counters.online--;
    this.connected = false;
    this.spoolInflight = 0; // mqtt.js resends them itself on reconnect; we count them again then
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    if (!this.stopped && this.networkUp) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer !== undefined) return;
    const delayMs = backoffDelayMs(this.options.backoff, this.attempt++, this.options.random());
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      const client = this.client;
      if (this.stopped || !this.networkUp || this.connected || client === undefined) return;
      // mqtt.js's reconnect() without stores replaces them with empty ones, silently dropping
      // unacknowledged QoS 1 publishes: hand it the current stores so they are resent.
      client.reconnect({
        incomingStore: client.incomingStore,
        outgoingStore: client.outgoingStore,
      });
    }, delayMs);
  }

  // Replays the spool head, rate-limited by the token bucket, a few in flight at once.
  private drain(): void {
    const o = this.options;
    const client = this.client;
    if (!this.connected || client === undefined || this.drainTimer !== undefined) return;
    this.sendBirthWhenDrained();
    while (this.spoolInflight < o.spool.length && this.spoolInflight < o.maxInflight) {
      if (takeTokens(this.bucket, 1, Date.now()) === 0) {
        this.drainTimer = setTimeout(() => {
          this.drainTimer = undefined;
          this.drain();
        }, msUntilToken(this.bucket));
        return;
      }
      const item = o.spool.peek(this.spoolInflight)!;
      this.spoolInflight++;
      o.counters.published++;
      client.publish(this.readingTopic, Buffer.from(item.bytes), { qos: READING_QOS }, (error) => {
        if (error || this.stopped) return; // after stop() the spool file is the truth
        // PUBACKs come back in order for one client, so the acknowledged item is the head.
        o.spool.shift();
        o.counters.queued--;
        o.counters.acked++;
        if (this.spoolInflight > 0) this.spoolInflight--;
        this.sendBirthWhenDrained(); // the last spooled reading is acknowledged: nothing older waits
        this.drain();
      });
    }
  }
}

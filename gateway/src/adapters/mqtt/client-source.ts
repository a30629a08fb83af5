// Client mode: the gateway subscribes to an existing broker (Mosquitto, EMQX) with mqtt.js, MQTT 5
// when the broker speaks it, a persistent session, and optionally a shared subscription. Each
// message is acknowledged only after its verdict is committed: mqtt.js sends the PUBACK when
// handleMessage calls back, and handles one message at a time, so the broker's in-flight window
// is the flow control. A watchdog resubscribes when data stops after a reconnect, the failure
// gateway users report most (ANCHORS.md).

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { warehouseFilter } from '@pledgeguard/protocol';

export interface ClientSourceOptions {
  readonly url: string;
  readonly clientId: string;
  readonly warehouseId: string;
  readonly username?: string;
  readonly password?: string;
  /** MQTT 5 shared-subscription group; readings of one device must stay on one gateway. */
  readonly sharedGroup?: string;
  /** 5 (default) or 4 (MQTT 3.1.1) for brokers without MQTT 5. */
  readonly protocolVersion?: 4 | 5;
  /** Session kept by the broker while the gateway is away. [s] */
  readonly sessionExpiryS?: number;
  /** Resubscribe when no message arrived for this long after a (re)connect. [ms] */
  readonly silenceResubscribeMs?: number;
  readonly ingest: (topic: string, payload: Uint8Array) => Promise<unknown>;
  readonly log: Logger;
}

export interface ClientSourceStats {
  connects: number;
  resubscribes: number;
  messages: number;
  lastMessageAtMs: number;
}

export class ClientSource {
  readonly stats: ClientSourceStats = {
    connects: 0,
    resubscribes: 0,
    messages: 0,
    lastMessageAtMs: 0,
  };
  readonly #options: ClientSourceOptions;
  #client: MqttClient | undefined;
  #watchdog: NodeJS.Timeout | undefined;

  constructor(options: ClientSourceOptions) {
    this.#options = options;
  }

  get filter(): string {
    const filter = warehouseFilter(this.#options.warehouseId);
    return this.#options.sharedGroup ? `$share/${this.#options.sharedGroup}/${filter}` : filter;
  }

  async start(): Promise<void> {
    const options = this.#options;
    const protocolVersion = options.protocolVersion ?? 5;
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      clean: false,
      protocolVersion,
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(protocolVersion === 5
        ? { properties: { sessionExpiryInterval: options.sessionExpiryS ?? 86_400 } }
        : {}),
    };
    const client = mqtt.connect(options.url, clientOptions);
    this.#client = client;
    client.handleMessage = (packet, done) => {
      this.stats.messages++;
      this.stats.lastMessageAtMs = Date.now();
      const payload =
        packet.payload instanceof Uint8Array
          ? new Uint8Array(packet.payload)
          : new TextEncoder().encode(packet.payload);
      options.ingest(packet.topic, payload).then(
        () => done(),
        // Ingest stopped: no PUBACK; the broker redelivers to the restarted gateway.
        (error: Error) => {
          options.log.error({ err: error }, 'ingest failed; message left unacknowledged');
          client.end(true);
        },
      );
    };
    client.on('connect', (connack) => {
      this.stats.connects++;
      options.log.info(
        { url: options.url, sessionPresent: connack.sessionPresent },
        'connected to broker',
      );
      // Subscribe on every connect: a broker that lost the session (restart without persistence)
      // would otherwise deliver nothing while looking healthy.
      this.#subscribe('connect');
      this.#armWatchdog();
    });
    client.on('error', (error) => options.log.warn({ err: error }, 'broker connection error'));
    client.on('offline', () =>
      options.log.warn({ url: options.url }, 'broker offline; reconnecting'),
    );
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  }

  #subscribe(reason: string): void {
    this.#client?.subscribe(this.filter, { qos: 1 }, (error, granted) => {
      if (error || granted?.some((grant) => grant.qos > 2)) {
        this.#options.log.error(
          { err: error, granted, filter: this.filter },
          'subscription refused',
        );
        return;
      }
      this.#options.log.info({ filter: this.filter, reason }, 'subscribed');
    });
  }

  /** After a connect, silence longer than the limit triggers one resubscribe per silent period. */
  #armWatchdog(): void {
    clearInterval(this.#watchdog);
    const limitMs = this.#options.silenceResubscribeMs ?? 120_000;
    let lastCheckMessages = this.stats.messages;
    this.#watchdog = setInterval(() => {
      if (!this.#client?.connected) return;
      if (this.stats.messages === lastCheckMessages) {
        this.stats.resubscribes++;
        this.#options.log.warn(
          { silentForMs: limitMs },
          'no data since the last check; resubscribing',
        );
        this.#client.unsubscribe(this.filter, () => this.#subscribe('watchdog'));
      }
      lastCheckMessages = this.stats.messages;
    }, limitMs);
    this.#watchdog.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#watchdog);
    await this.#client?.endAsync();
  }
}

// Embedded MQTT broker (aedes, MQTT 3.1.1) on TCP or TLS. Devices log in with their manifest
// password and may publish only under their own topics. A device publish is handed to the ingest
// pipeline inside aedes' authorizePublish hook, so the QoS 1 PUBACK goes out only after the
// evidence commit; while the pipeline is busy, aedes stops reading that socket (flow control).

import { createHash } from 'node:crypto';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { Aedes, type AedesOptions } from 'aedes';
import type { Logger } from 'pino';
import { parseDeviceTopic, gatewayStatusTopic } from '@pledgeguard/protocol';
import { checkMqttPasswordAsync } from '@pledgeguard/protocol/node';

/** Who is on the other end of a connection. */
export type Principal =
  | { readonly kind: 'device'; readonly deviceId: string }
  | { readonly kind: 'service'; readonly username: string };

export interface ServiceAccount {
  readonly username: string;
  /** scrypt hash as in the device manifest (hashMqttPassword). */
  readonly passwordHash: string;
}

export interface BrokerOptions {
  readonly warehouseId: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** TLS with the given key and certificate; `requestCert` + `ca` to demand client certificates. */
  readonly tls?: TlsOptions;
  /** The manifest password hash of a device, or undefined when unknown or revoked. */
  readonly devicePasswordHash: (deviceId: string) => string | undefined;
  readonly services: readonly ServiceAccount[];
  /**
   * Ingests a device publish; calls `done` once its verdict is durable, or with the error when
   * ingest stopped. A callback, not a promise: thousands of these are in flight at once.
   */
  readonly ingest: (
    topic: string,
    payload: Uint8Array,
    done: (error: Error | null) => void,
  ) => void;
  readonly log: Logger;
}

export interface BrokerStats {
  connects: number;
  authFailures: number;
  aclDenied: number;
}

interface PrincipalClient {
  pgPrincipal?: Principal;
}

export class EmbeddedBroker {
  readonly stats: BrokerStats = { connects: 0, authFailures: 0, aclDenied: 0 };
  readonly #options: BrokerOptions;
  #aedes: Aedes | undefined;
  #server: Server | undefined;
  /** deviceId -> SHA-256 of the last password that passed scrypt, so reconnects cost a hash. */
  readonly #authCache = new Map<string, string>();

  constructor(options: BrokerOptions) {
    this.#options = options;
  }

  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get connectedClients(): number {
    return this.#aedes?.connectedClients ?? 0;
  }

  async start(): Promise<void> {
    const options: AedesOptions = {
      authenticate: (client, username, password, done) => {
        this.#authenticate(username, password).then(
          (principal) => {
            if (!principal) {
              this.stats.authFailures++;
              this.#options.log.warn({ username, clientId: client.id }, 'mqtt login refused');
              const error = Object.assign(new Error('bad username or password'), {
                returnCode: 4 as const,
              });
              return done(error, false);
            }
            (client as unknown as PrincipalClient).pgPrincipal = principal;
            this.stats.connects++;
            done(null, true);
          },
          (error: Error) => done(Object.assign(error, { returnCode: 3 as const }), false),
        );
      },
      authorizePublish: (client, packet, callback) => {
        if (client === null) return callback(null); // the broker's own messages (wills)
        const principal = (client as unknown as PrincipalClient).pgPrincipal;
        const verdict = principal && this.#mayPublish(principal, packet.topic);
        if (!verdict) {
          this.stats.aclDenied++;
          this.#options.log.warn(
            { principal, topic: packet.topic },
            'mqtt publish outside own topics refused',
          );
          return callback(new Error(`not authorized to publish ${packet.topic}`));
        }
        if (verdict === 'status') return callback(null);
        // A view, not a copy: Node never reuses a socket read's buffer.
        const buffer = packet.payload as Buffer;
        const payload = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
        // On an error (ingest stopped: the evidence log refused a write) there is no PUBACK; the
        // device resends later.
        this.#options.ingest(packet.topic, payload, callback);
      },
      authorizeSubscribe: (client, subscription, callback) => {
        const principal = (client as unknown as PrincipalClient).pgPrincipal;
        const allowed =
          principal?.kind === 'service' &&
          subscription.topic.startsWith(`pg/v1/${this.#options.warehouseId}/`);
        if (!allowed) this.stats.aclDenied++;
        callback(null, allowed ? subscription : null);
      },
    };
    const aedes = await Aedes.createBroker(options);
    this.#aedes = aedes;
    const handler = (socket: Parameters<Aedes['handle']>[0]) => aedes.handle(socket);
    this.#server = this.#options.tls
      ? createTlsServer(this.#options.tls, handler)
      : createTcpServer(handler);
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(this.#options.port, this.#options.host, () => resolve());
    });
    this.#options.log.info(
      { host: this.#options.host, port: this.port, tls: Boolean(this.#options.tls) },
      'mqtt broker listening',
    );
  }

  async #authenticate(
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<Principal | undefined> {
    if (username === undefined || password === undefined) return undefined;
    const service = this.#options.services.find((account) => account.username === username);
    const hash = service ? service.passwordHash : this.#options.devicePasswordHash(username);
    if (hash === undefined) return undefined;
    const digest = createHash('sha256').update(hash).update(password).digest('hex');
    const cacheKey = service ? `service:${username}` : username;
    if (this.#authCache.get(cacheKey) !== digest) {
      if (!(await checkMqttPasswordAsync(password, hash))) return undefined;
      this.#authCache.set(cacheKey, digest);
    }
    return service ? { kind: 'service', username } : { kind: 'device', deviceId: username };
  }

  /** 'ingest' for a device's own reading/birth/death topic, 'status' for a service's status topic. */
  #mayPublish(principal: Principal, topic: string): 'ingest' | 'status' | undefined {
    if (principal.kind === 'service') {
      return topic === gatewayStatusTopic(this.#options.warehouseId, principal.username)
        ? 'status'
        : undefined;
    }
    const parsed = parseDeviceTopic(topic);
    const own =
      parsed?.warehouseId === this.#options.warehouseId && parsed.deviceId === principal.deviceId;
    return own ? 'ingest' : undefined;
  }

  /** Forgets cached logins (after a revocation or a manifest import). */
  forgetLogins(): void {
    this.#authCache.clear();
  }

  async stop(): Promise<void> {
    // Clients first: the listening socket closes only once every connection has ended.
    await new Promise<void>((resolve) =>
      this.#aedes ? this.#aedes.close(() => resolve()) : resolve(),
    );
    await new Promise<void>((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve(),
    );
  }
}

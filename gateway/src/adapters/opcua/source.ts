// OPC UA source (node-opcua client): subscribes to each device's `SignedReading` on a PLC
// (PROTOCOL.md section 8) and hands every new envelope to the ingest pipeline, where it gets full
// assurance from the device signature. Plain values are kept apart, labelled "channel" assurance:
// they are only as trustworthy as the secure channel. SignAndEncrypt/Basic256Sha256 by default,
// and server certificates must be trusted explicitly: an unknown one is refused and listed, and an
// operator approves it. A watchdog rebuilds session and subscription when the server's clock
// stops ticking in the subscription: the "connected but no data" failure of other gateways.

import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttributeIds,
  ClientMonitoredItem,
  ClientSubscription,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  type ClientSession,
  type DataValue,
} from 'node-opcua';
import type { Logger } from 'pino';
import {
  OPCUA_NAMESPACE_URI,
  deviceTopic,
  fromOpcuaInt64,
  opcuaNodeIds,
} from '@pledgeguard/protocol';
import { approveCertificate, rejectedCertificates, type RejectedCertificate } from './trust.js';

export interface OpcuaSourceOptions {
  readonly endpointUrl: string;
  readonly warehouseId: string;
  readonly deviceIds: readonly string[];
  /** 'sign-encrypt' (Basic256Sha256, default) or 'none' (plain values then carry no assurance at all). */
  readonly security: 'sign-encrypt' | 'none';
  /** The client's PKI: own certificate, trusted/ and rejected/ server certificates. */
  readonly pkiDir: string;
  /** Rebuild the session when the server clock has not ticked in the subscription for this long. [ms] */
  readonly silenceRebuildMs?: number;
  /** Warn when a certificate expires within this period. [ms] */
  readonly expiryWarningMs?: number;
  readonly ingest: (topic: string, payload: Uint8Array) => Promise<unknown>;
  readonly log: Logger;
}

export interface ChannelValue {
  readonly deviceId: string;
  /** Latest plain value in the kind's unit; assurance comes from the secure channel only. */
  readonly value: bigint;
  readonly sourceTimeMs: number;
  readonly assurance: 'channel' | 'none';
}

export interface OpcuaSourceStats {
  envelopes: number;
  rebuilds: number;
  lastServerTickMs: number;
}

const SERVER_CURRENT_TIME = 'ns=0;i=2258';

export class OpcuaSource {
  readonly stats: OpcuaSourceStats = { envelopes: 0, rebuilds: 0, lastServerTickMs: 0 };
  readonly channelValues = new Map<string, ChannelValue>();
  readonly #options: OpcuaSourceOptions;
  readonly #certificates: OPCUACertificateManager;
  #client: OPCUAClient | undefined;
  #session: ClientSession | undefined;
  #subscription: ClientSubscription | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: OpcuaSourceOptions) {
    this.#options = options;
    mkdirSync(options.pkiDir, { recursive: true });
    this.#certificates = new OPCUACertificateManager({
      rootFolder: options.pkiDir,
      automaticallyAcceptUnknownCertificate: false,
    });
  }

  /** Connects and subscribes. Rejects when the server certificate is not trusted (see rejectedCertificates). */
  async start(): Promise<void> {
    await this.#certificates.initialize();
    this.#warnOwnExpiry();
    await this.#connect();
    const silenceMs = this.#options.silenceRebuildMs ?? 15_000;
    this.#watchdog = setInterval(
      () => {
        if (this.#stopped || Date.now() - this.stats.lastServerTickMs < silenceMs) return;
        this.stats.rebuilds++;
        this.#options.log.warn(
          { silentForMs: Date.now() - this.stats.lastServerTickMs },
          'opcua subscription silent; rebuilding session',
        );
        this.#rebuild().catch((error: Error) =>
          this.#options.log.warn({ err: error }, 'opcua rebuild failed; will retry'),
        );
      },
      Math.min(silenceMs, 5_000),
    );
    this.#watchdog.unref();
  }

  async #connect(): Promise<void> {
    const secure = this.#options.security === 'sign-encrypt';
    const client = OPCUAClient.create({
      applicationName: 'pledgeguard-gateway',
      securityMode: secure ? MessageSecurityMode.SignAndEncrypt : MessageSecurityMode.None,
      securityPolicy: secure ? SecurityPolicy.Basic256Sha256 : SecurityPolicy.None,
      endpointMustExist: false,
      clientCertificateManager: this.#certificates,
      keepSessionAlive: true,
      connectionStrategy: { maxRetry: 1, initialDelay: 500, maxDelay: 2_000 },
    });
    this.#client = client;
    client.on('connection_lost', () =>
      this.#options.log.warn({ endpoint: this.#options.endpointUrl }, 'opcua connection lost'),
    );
    client.on('connection_reestablished', () =>
      this.#options.log.info(
        { endpoint: this.#options.endpointUrl },
        'opcua connection re-established',
      ),
    );
    try {
      await client.connect(this.#options.endpointUrl);
    } catch (error) {
      const rejected = this.rejectedCertificates();
      const hint =
        rejected.length > 0
          ? `; rejected server certificates: ${rejected.map((c) => c.thumbprint).join(', ')} (approve with approveCertificate)`
          : '';
      throw new Error(
        `opcua connect to ${this.#options.endpointUrl} failed: ${(error as Error).message}${hint}`,
        { cause: error },
      );
    }
    this.#warnServerExpiry(client);
    const session = await client.createSession();
    this.#session = session;
    const namespaceIndex = (await session.readNamespaceArray()).indexOf(OPCUA_NAMESPACE_URI);
    if (namespaceIndex < 0)
      throw new Error(
        `server ${this.#options.endpointUrl} has no namespace ${OPCUA_NAMESPACE_URI}`,
      );
    const subscription = ClientSubscription.create(session, {
      requestedPublishingInterval: 250,
      requestedLifetimeCount: 120,
      requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 10_000,
      publishingEnabled: true,
      priority: 10,
    });
    this.#subscription = subscription;
    this.stats.lastServerTickMs = Date.now();
    this.#monitor(subscription, SERVER_CURRENT_TIME, 1_000, 2, () => {
      this.stats.lastServerTickMs = Date.now();
    });
    for (const deviceId of this.#options.deviceIds) {
      const ids = opcuaNodeIds(deviceId);
      // Queue every change between publishes: each SignedReading value is a reading.
      this.#monitor(
        subscription,
        `ns=${namespaceIndex};${ids.signedReading}`,
        100,
        1_000,
        (dataValue) => this.#onEnvelope(deviceId, dataValue),
      );
      this.#monitor(subscription, `ns=${namespaceIndex};${ids.value}`, 250, 10, (dataValue) =>
        this.#onPlainValue(deviceId, dataValue),
      );
    }
    this.#options.log.info(
      {
        endpoint: this.#options.endpointUrl,
        devices: this.#options.deviceIds.length,
        security: this.#options.security,
      },
      'opcua subscribed',
    );
  }

  #monitor(
    subscription: ClientSubscription,
    nodeId: string,
    samplingInterval: number,
    queueSize: number,
    onChange: (dataValue: DataValue) => void,
  ): void {
    const item = ClientMonitoredItem.create(
      subscription,
      { nodeId, attributeId: AttributeIds.Value },
      { samplingInterval, discardOldest: false, queueSize },
      TimestampsToReturn.Both,
    );
    item.on('changed', onChange);
    item.on('err', (message: string) =>
      this.#options.log.warn({ nodeId, message }, 'opcua monitored item error'),
    );
  }

  #onEnvelope(deviceId: string, dataValue: DataValue): void {
    const bytes = dataValue.value.value as Buffer | null;
    if (!dataValue.statusCode.isGood() || !bytes || bytes.length === 0) return;
    this.stats.envelopes++;
    // The topic names the device the PLC says this is; the envelope's kid must agree.
    this.#options
      .ingest(deviceTopic(this.#options.warehouseId, deviceId, 'reading'), new Uint8Array(bytes))
      .catch((error: Error) =>
        this.#options.log.error({ err: error, deviceId }, 'opcua reading not ingested'),
      );
  }

  #onPlainValue(deviceId: string, dataValue: DataValue): void {
    const words = dataValue.value.value as number[] | null;
    if (!dataValue.statusCode.isGood() || !Array.isArray(words)) return;
    const value = fromOpcuaInt64(words);
    this.channelValues.set(deviceId, {
      deviceId,
      value,
      sourceTimeMs: dataValue.sourceTimestamp?.getTime() ?? 0,
      assurance: this.#options.security === 'sign-encrypt' ? 'channel' : 'none',
    });
  }

  async #rebuild(): Promise<void> {
    await this.#teardown();
    if (!this.#stopped) await this.#connect();
  }

  async #teardown(): Promise<void> {
    const subscription = this.#subscription;
    const session = this.#session;
    const client = this.#client;
    this.#subscription = undefined;
    this.#session = undefined;
    this.#client = undefined;
    await subscription?.terminate().catch(() => undefined);
    await session?.close().catch(() => undefined);
    await client?.disconnect().catch(() => undefined);
  }

  rejectedCertificates(): RejectedCertificate[] {
    return rejectedCertificates(this.#options.pkiDir);
  }

  approveCertificate(thumbprint: string): Promise<RejectedCertificate> {
    return approveCertificate(
      this.#certificates,
      this.#options.pkiDir,
      thumbprint,
      this.#options.log,
    );
  }

  #warnOwnExpiry(): void {
    const own = join(this.#options.pkiDir, 'own', 'certs', 'client_certificate.pem');
    try {
      this.#warnIfExpiring('own client certificate', new X509Certificate(readFileSync(own)));
    } catch {
      // Created on first connect.
    }
  }

  #warnServerExpiry(client: OPCUAClient): void {
    const der = (client as unknown as { serverCertificate?: Buffer }).serverCertificate;
    if (der && der.length > 0) this.#warnIfExpiring('server certificate', new X509Certificate(der));
  }

  #warnIfExpiring(what: string, certificate: X509Certificate): void {
    const remainingMs = Date.parse(certificate.validTo) - Date.now();
    if (remainingMs < (this.#options.expiryWarningMs ?? 30 * 86_400_000)) {
      this.#options.log.warn(
        {
          what,
          subject: certificate.subject,
          validTo: certificate.validTo,
          remainingDays: Math.floor(remainingMs / 86_400_000),
        },
        'opcua certificate expires soon',
      );
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#watchdog);
    await this.#teardown();
  }
}

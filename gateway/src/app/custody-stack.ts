// The custody half of one gateway, wired (docs/custody.md): the custody service fed by ingest, the
// chain feeder (outbox, submitter, listener, keeper), the attestation loop, the co-signing
// follower, alerts, and the events the API streams. startGateway builds it around the ingest
// pipeline; without a `chain` section the custody service still runs (lot status for the API).
import type { Logger } from 'pino';
import { lotKey, type Attestation, type TypedDataSigner } from '@pledgeguard/contracts/eip712';
import type { ApiEventBus } from '../adapters/http/event-bus.js';
import type { CosignHandler } from '../adapters/http/api-data.js';
import { AlertLog } from '../adapters/sqlite/alerts.js';
import { CosignQueries } from '../adapters/sqlite/cosign-queries.js';
import type { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import { foldChainEvents, type StoredChainEvent } from '../adapters/http/chain-view.js';
import type { GatewayConfig } from '../config.js';
import type { Clock } from '../ports/clock.js';
import type { CommitItem } from '../ports/evidence-store.js';
import { AttestLoop } from './attest.js';
import { ChainFeeder } from './chain-feeder.js';
import { CosignFollower, fromWireAttestation, type CosignProposal } from './cosign.js';
import { CustodyService } from './custody.js';

export interface CustodyStack {
  readonly custody: CustodyService;
  readonly feeder: ChainFeeder | undefined;
  readonly attestLoop: AttestLoop | undefined;
  /** The POST /api/v1/cosign handler, when this gateway co-signs for peers. */
  readonly cosign: CosignHandler | undefined;
  /** The ingest hook (IngestOptions.onCommitted). */
  readonly onCommitted: (items: readonly CommitItem[]) => void;
  start(): void;
  stop(): Promise<void>;
}

export interface CustodyStackOptions {
  readonly config: GatewayConfig & { baseDir: string };
  readonly store: EvidenceStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: ApiEventBus;
  readonly env?: NodeJS.ProcessEnv;
}

export function buildCustodyStack(options: CustodyStackOptions): CustodyStack {
  const { config, store, clock, log, events } = options;
  const env = options.env ?? process.env;
  const custodyLog = log.child({ component: 'custody' });
  const alerts = new AlertLog(store.database);
  const warehouseNumber = config.chain?.warehouseNumber ?? 0n;

  const custody = new CustodyService({
    store,
    warehouseNumber,
    config: config.custody,
    clock,
    onAlert: (alert) => {
      const id = alerts.record(alert);
      custodyLog.warn({ ...alert }, 'custody alert');
      events.publish('alert', { id, ...alert });
    },
  });

  const lotOfDevice = new Map<string, string>();
  for (const device of store.devices())
    if (device.lotId !== undefined) lotOfDevice.set(device.deviceId, device.lotId);
  const onCommitted = (items: readonly CommitItem[]): void => {
    custody.onCommitted(items);
    for (const item of items) {
      if (item.outcome === 'quarantined')
        events.publish('quarantine', {
          code: item.code,
          detail: item.detail,
          deviceId: item.deviceId ?? null,
          receivedAtMs: item.receivedAtMs,
        });
      else
        events.publish('reading', {
          deviceId: item.deviceId,
          lotId: lotOfDevice.get(item.deviceId) ?? null,
          kind: item.kind,
          value: item.value.toString(),
          deviceTimeMs: item.deviceTimeMs,
        });
    }
  };

  if (!config.chain) {
    return {
      custody,
      feeder: undefined,
      attestLoop: undefined,
      cosign: undefined,
      onCommitted,
      start: () => custody.start(),
      stop: async () => custody.stop(),
    };
  }

  let receiptsStamp = -1;
  const refreshReceipts = (): void => {
    // Live receipts per lot, for the custody service's reconciliation (receipts vs sensed goods).
    const rows = store.database
      .prepare(
        `SELECT id, block_number, tx_hash, contract, name, args, block_time_s FROM chain_events
         WHERE removed = 0 AND contract = 'WarehouseReceipt' ORDER BY block_number, log_index`,
      )
      .all() as Array<Record<string, unknown>>;
    if (rows.length === receiptsStamp) return;
    receiptsStamp = rows.length;
    const view = foldChainEvents(
      rows.map((row): StoredChainEvent => ({
        id: Number(row.id),
        blockNumber: Number(row.block_number),
        txHash: String(row.tx_hash),
        contract: String(row.contract),
        name: String(row.name),
        args: JSON.parse(String(row.args)) as Record<string, unknown>,
        blockTimeS: Number(row.block_time_s),
      })),
    );
    const byLot = new Map<string, Array<{ receiptId: string; quantityGrams: bigint }>>();
    for (const receipt of view.receipts.values()) {
      if (receipt.delivered) continue;
      const list = byLot.get(receipt.lotKey.toLowerCase()) ?? [];
      list.push({ receiptId: receipt.receiptId, quantityGrams: receipt.quantityGrams });
      byLot.set(receipt.lotKey.toLowerCase(), list);
    }
    for (const lot of custody.statuses())
      custody.setReceipts(lot.lotKey, byLot.get(lot.lotKey) ?? []);
  };

  const feeder = new ChainFeeder({
    config: config.chain,
    db: store.database,
    baseDir: config.baseDir,
    clock,
    log,
    env,
    handlers: {
      onReleaseOrder: (update) =>
        custody.onReleaseOrder({
          orderId: update.orderId,
          status: update.status,
          grams: update.grams,
          ...(update.quantityBeforeGrams !== undefined
            ? { quantityBeforeGrams: update.quantityBeforeGrams }
            : {}),
          ...(update.attestedGrams !== undefined ? { attestedGrams: update.attestedGrams } : {}),
          ...(update.lotKey !== null ? { lotKey: update.lotKey } : {}),
        }),
      onEvent: (event) => {
        events.publish('chain', {
          contract: event.contract,
          name: event.name,
          args: event.args,
          txHash: event.txHash,
          blockNumber: event.blockNumber,
          atS: event.blockTimeS,
        });
        if (event.contract === 'WarehouseReceipt') refreshReceipts();
      },
      onReorg: () => refreshReceipts(),
    },
    onConfirmed: (rows) => {
      for (const row of rows)
        events.publish('attestation', {
          id: row.id,
          lotId: row.lotId,
          sequence: row.sequence.toString(),
          quantityGrams: row.quantityGrams.toString(),
          flags: row.flags,
          txHash: row.txHash,
          status: 'confirmed',
        });
    },
  });

  const peers = config.cosign.peers.map((peer) => {
    const token = env[peer.tokenEnv];
    if (!token)
      throw new RangeError(`cosign.peers: environment variable ${peer.tokenEnv} is not set`);
    return { url: peer.url, token };
  });
  const gatewayAddresses =
    config.cosign.gatewayAddresses.length > 0 ? config.cosign.gatewayAddresses : [feeder.address];
  if (config.chain.threshold > 1 && peers.length + 1 < config.chain.threshold)
    throw new RangeError(
      `chain.threshold is ${config.chain.threshold} but cosign.peers lists ${peers.length} peer(s)`,
    );

  const attestLoop = !config.cosign.propose
    ? undefined
    : new AttestLoop({
        warehouseId: config.warehouseId,
        gatewayId: config.gatewayId,
        custody,
        feeder,
        threshold: config.chain.threshold,
        peers,
        gatewayAddresses,
        cosignTimeoutMs: config.cosign.timeoutMs,
        intervalMs: Math.min(config.custody.tickMs, 250),
        log: log.child({ component: 'attest' }),
        onQueued: (draft, outboxId) =>
          events.publish('attestation', {
            id: outboxId,
            lotId: draft.lotId,
            sequence: draft.attestation.sequence.toString(),
            quantityGrams: draft.attestation.quantityGrams.toString(),
            flags: draft.attestation.flags,
            reason: draft.reason,
            status: 'pending',
          }),
        onRefused: (draft, refusals) => {
          const alert = {
            atMs: clock.nowMs(),
            lotId: draft.lotId,
            kind: 'cosign-refused',
            detail: refusals.join('; '),
          };
          events.publish('alert', { id: alerts.record(alert), ...alert });
        },
      });

  const cosign = gatewayAddresses.length > 1 ? follower() : undefined;

  function follower(): CosignHandler {
    const queries = new CosignQueries(store.database);
    const key = feeder.key;
    const signer: TypedDataSigner = {
      address: key.address,
      signTypedData: (domain, _types, value) =>
        key.signAttestation(domain, value as unknown as Attestation),
    };
    const instance = new CosignFollower({
      domain: feeder.domain,
      warehouseNumber,
      peerAddresses: gatewayAddresses.filter((a) => a.toLowerCase() !== key.address.toLowerCase()),
      signer,
      clock,
      lotStatus: (lotId) => custody.status(lotId),
      leafOf: (deviceId, boot, seq) => queries.reading(deviceId, boot, seq)?.leafHash,
      lastSignedSequence: (lot) => queries.lastSignedSequence(lot),
      recordCosigned: (proposal, lot, signature) =>
        recordCosigned(proposal, lot, signature, queries),
      onRefusal: (proposal, code, detail) => {
        // Two gateways proposing at once is a race, not a disagreement.
        if (code === 'PG_COSIGN_SUPERSEDED') return;
        const alert = {
          atMs: clock.nowMs(),
          ...(proposal ? { lotId: proposal.lotId } : {}),
          kind: 'cosign-disagreement',
          detail: `${code}: ${detail}${proposal ? ` (proposed by ${proposal.proposer})` : ''}`,
        };
        events.publish('alert', { id: alerts.record(alert), ...alert });
      },
      policy: {
        quantityToleranceBps: BigInt(config.cosign.quantityToleranceBps),
        maxClockDistanceMs: config.cosign.maxClockDistanceMs,
        maxEvidence: config.custody.attest.maxEvidence,
      },
      waitMs: config.cosign.waitMs,
      lotKeyOf: (a) => lotKey(a.warehouseId, a.bayId, a.lotId),
    });
    return async (body) => {
      const answer = await instance.handle(body);
      return { statusCode: answer.ok ? 200 : 409, body: { ...answer } };
    };
  }

  function recordCosigned(
    proposal: CosignProposal,
    lot: string,
    signature: string,
    queries: CosignQueries,
  ): void {
    const a = fromWireAttestation(proposal.attestation);
    const readingIds = proposal.evidence.map((e) => queries.reading(e.deviceId, e.boot, e.seq)!.id);
    const bay = custody.status(proposal.lotId)?.bayId ?? proposal.lotId;
    feeder.outbox.enqueue(
      {
        warehouseId: config.warehouseId,
        bayId: bay,
        lotId: proposal.lotId,
        lotKey: lot,
        sequence: a.sequence,
        quantityGrams: a.quantityGrams,
        flags: a.flags,
        readingsRoot: a.readingsRoot,
        observedAtS: a.observedAt,
        validUntilS: a.validUntil,
        releaseOrderId: a.releaseOrderId,
        proposer: proposal.proposer,
      },
      readingIds,
      { signer: feeder.key.address, signature },
      [],
      'cosigned',
    );
  }
  return {
    custody,
    feeder,
    attestLoop,
    cosign,
    onCommitted,
    start() {
      custody.start();
      feeder.start();
      refreshReceipts();
      attestLoop?.start();
    },
    async stop() {
      await attestLoop?.stop();
      custody.stop();
      await feeder.stop();
    },
  };
}

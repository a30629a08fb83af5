// The custody service (docs/custody.md): one LotModel per pledged lot, fed by the ingest pipeline's
// commits, ticked for time-driven flags, and asked which lots are due for an attestation. It builds
// attestation drafts (EIP-712 fields, evidence reading ids, readings root) and never signs or
// submits: the caller signs a draft, queues it in the outbox, then calls `markAttested(draft)`.
//
// Lots are the registry's (lots table); a lot's devices are those registered with its lot id, or
// with its bay and no lot. After a restart the service rebuilds each lot from the evidence log:
// recent readings per device, the last attestation (readings up to it count as carried), refusals
// since, and open release orders.
import { label, lotKey, type Attestation } from '@pledgeguard/contracts/eip712';
import type { Code } from '@pledgeguard/protocol';
import type { CommitItem, RegisteredDevice } from '../ports/evidence-store.js';
import type { Clock } from '../ports/clock.js';
import type { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import { CustodyQueries } from '../adapters/sqlite/custody-queries.js';
import { LotModel } from '../core/custody/lot-model.js';
import { attestationDue, attestationTiming, type AttestReason } from '../core/custody/policy.js';
import { readingsRoot, selectEvidence } from '../core/custody/evidence.js';
import { reconcileReceipts, type LiveReceipt } from '../core/custody/reconcile.js';
import {
  flagNames,
  type AttestedSnapshot,
  type LotDefinition,
  type LotStatus,
  type ReadingRef,
  type ReleaseOrderUpdate,
} from '../core/custody/types.js';
import { attestPolicyOf, lotPolicyOf, type CustodyConfig } from './custody-config.js';

export interface CustodyAlert {
  /** [ms since epoch], gateway clock */
  readonly atMs: number;
  readonly lotId: string;
  readonly deviceId?: string;
  /** flag-raised, flag-cleared (one per flag bit), or over-receipted. */
  readonly kind: 'flag-raised' | 'flag-cleared' | 'over-receipted';
  readonly detail: string;
}

export interface CustodyServiceOptions {
  readonly store: EvidenceStore;
  /** The chain's number for this warehouse (Attestation.warehouseId, uint64). */
  readonly warehouseNumber: bigint;
  readonly config: CustodyConfig;
  readonly clock: Clock;
  /** Called synchronously on flag changes and reconciliation failures; must not throw. */
  readonly onAlert?: (alert: CustodyAlert) => void;
}

export interface LotView extends LotStatus {
  readonly bayId: string;
  readonly commodity: string;
  /** 0x keccak256(abi.encode(warehouseNumber, label(bayId), label(lotId))) */
  readonly lotKey: string;
  readonly lastAttested?: AttestedSnapshot;
}

/** An attestation to sign, with what it rests on. Hand it back to markAttested once queued. */
export interface AttestationDraft {
  readonly lotId: string;
  readonly bayId: string;
  readonly lotKey: string;
  readonly reason: AttestReason;
  /** The EIP-712 struct (contracts/src/eip712.ts), ready for signAttestation. */
  readonly attestation: Attestation;
  /** Evidence set in leaf order (deviceId, boot, seq), and its SQLite reading ids, same order. */
  readonly evidence: readonly ReadingRef[];
  readonly readingIds: readonly number[];
  readonly flagNames: readonly string[];
  readonly reasons: LotStatus['reasons'];
  /** For markAttested: the model revision and values this draft was taken at. */
  readonly snapshot: AttestedSnapshot;
}

interface LotEntry {
  readonly model: LotModel;
  readonly lotKey: string;
  /** Flags seen at the last tick, for flag-raised / flag-cleared alerts. */
  flags: number;
  receipts: readonly LiveReceipt[];
  overReceipted: boolean;
  /** A draft handed out by due() and not yet marked attested or discarded. */
  pending?: AttestationDraft;
}

const toHex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString('hex')}`;

export class CustodyService {
  readonly #options: CustodyServiceOptions;
  readonly #queries: CustodyQueries;
  /** lotId -> entry */
  #lots = new Map<string, LotEntry>();
  /** deviceId -> the lots it watches */
  #byDevice = new Map<string, LotEntry[]>();
  /** lot key (lowercase hex) -> entry */
  #byLotKey = new Map<string, LotEntry>();
  /** Release order id -> its lot, learned from ReleaseOrdered (Shipped/Cancelled carry no lot). */
  readonly #orderLots = new Map<bigint, LotEntry>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CustodyServiceOptions) {
    this.#options = options;
    this.#queries = new CustodyQueries(options.store.database);
    this.reloadRegistry();
  }

  /** Rebuilds every lot from the registry and the evidence log (start, or after a manifest import). */
  reloadRegistry(): void {
    const { store, config, clock, warehouseNumber } = this.#options;
    const nowMs = clock.nowMs();
    const devices = store.devices().filter((device) => !device.revoked);
    this.#lots = new Map();
    this.#byDevice = new Map();
    this.#byLotKey = new Map();
    this.#orderLots.clear();
    for (const lot of this.#queries.lots()) {
      const lotDevices = devices.filter(
        (d) => d.lotId === lot.lotId || (d.lotId === undefined && d.bayId === lot.bayId),
      );
      const definition: LotDefinition = {
        ...lot,
        devices: lotDevices.map((d) => ({
          deviceId: d.deviceId,
          kinds: d.kinds,
          heartbeatMs: d.heartbeatMs,
        })),
        policy: lotPolicyOf(config, lot.lotId),
      };
      const key = lotKey(warehouseNumber, label(lot.bayId), label(lot.lotId)).toLowerCase();
      const entry: LotEntry = {
        model: new LotModel(definition, nowMs),
        lotKey: key,
        flags: 0,
        receipts: [],
        overReceipted: false,
      };
      this.#lots.set(lot.lotId, entry);
      this.#byLotKey.set(key, entry);
      for (const device of lotDevices) {
        const list = this.#byDevice.get(device.deviceId) ?? [];
        list.push(entry);
        this.#byDevice.set(device.deviceId, list);
      }
      this.#restore(entry, lotDevices);
      entry.flags = entry.model.status(nowMs).flags;
    }
  }

  #restore(entry: LotEntry, devices: readonly RegisteredDevice[]): void {
    const { model } = entry;
    const { lotId, bayId } = model.definition;
    const readings = devices
      .flatMap((d) =>
        this.#queries.recentReadings(
          d.deviceId,
          d.kinds,
          this.#options.config.restoreReadingsPerDevice,
        ),
      )
      .sort((a, b) => a.readingId! - b.readingId!); // commit order
    const last = this.#queries.lastAttestation(lotId, bayId);
    // Orders first: the last attestation may have confirmed one of them.
    for (const order of this.#queries.openReleaseOrders()) {
      if (order.lotKey?.toLowerCase() !== entry.lotKey) continue;
      this.#orderLots.set(order.orderId, entry);
      model.observe({
        type: 'release-order',
        update: {
          orderId: order.orderId,
          status: order.status as 'ordered' | 'shipped',
          grams: order.grams,
        },
      });
    }
    if (last === undefined) {
      for (const reading of readings) model.observe({ type: 'reading', reading });
      return;
    }
    // sequence = observation time [ms] (policy.ts): readings received by then were carried.
    const attestedAtMs = Number(last.sequence);
    let index = 0;
    for (; index < readings.length && readings[index]!.receivedAtMs <= attestedAtMs; index++)
      model.observe({ type: 'reading', reading: readings[index]! });
    model.restoreAttested({
      revision: model.revision,
      sequence: last.sequence,
      observedAtMs: attestedAtMs,
      quantityGrams: last.quantityGrams,
      flags: last.flags,
      ...(last.releaseOrderId !== 0n ? { releaseOrderId: last.releaseOrderId } : {}),
    });
    for (; index < readings.length; index++)
      model.observe({ type: 'reading', reading: readings[index]! });
    for (const device of devices) {
      for (const rejection of this.#queries.rejectionsSince(device.deviceId, attestedAtMs, 64)) {
        model.observe({
          type: 'rejection',
          deviceId: rejection.deviceId,
          code: rejection.code as Code,
          detail: rejection.detail,
          atMs: rejection.receivedAtMs,
        });
      }
    }
  }

  /** The ingest hook (IngestOptions.onCommitted): cheap, synchronous, never throws on bad input. */
  readonly onCommitted = (items: readonly CommitItem[]): void => {
    for (const item of items) {
      if (item.deviceId === undefined) continue;
      const lots = this.#byDevice.get(item.deviceId);
      if (!lots) continue;
      if (item.outcome === 'accepted') {
        const reading: ReadingRef = {
          deviceId: item.deviceId,
          boot: item.boot,
          seq: item.seq,
          kind: item.kind,
          value: item.value,
          deviceTimeMs: item.deviceTimeMs,
          receivedAtMs: item.receivedAtMs,
          // A copy: the item's bytes may be a view into a larger broker buffer.
          envelope: new Uint8Array(item.envelope),
          gap: item.gap,
        };
        for (const entry of lots) entry.model.observe({ type: 'reading', reading });
      } else {
        // The ingest checks the signature before replay and clock: these codes are authentic.
        for (const entry of lots)
          entry.model.observe({
            type: 'rejection',
            deviceId: item.deviceId,
            code: item.code,
            detail: item.detail,
            atMs: item.receivedAtMs,
          });
      }
    }
  };

  /** Evaluates time-driven flags and raises alerts on flag changes; start() runs it every tickMs. */
  tick(nowMs: number = this.#options.clock.nowMs()): void {
    for (const entry of this.#lots.values()) this.#check(entry, entry.model.status(nowMs), nowMs);
  }

  #check(entry: LotEntry, status: LotStatus, nowMs: number): void {
    const lotId = entry.model.definition.lotId;
    const raised = status.flags & ~entry.flags;
    const cleared = entry.flags & ~status.flags;
    entry.flags = status.flags;
    for (const flag of flagNames(raised)) {
      for (const reason of status.reasons.filter((r) => r.flag === flag)) {
        this.#alert({
          atMs: nowMs,
          lotId,
          ...(reason.deviceId !== undefined ? { deviceId: reason.deviceId } : {}),
          kind: 'flag-raised',
          detail: `${flag}: ${reason.detail}`,
        });
      }
    }
    for (const flag of flagNames(cleared))
      this.#alert({ atMs: nowMs, lotId, kind: 'flag-cleared', detail: flag });
    this.#reconcile(entry, status, nowMs);
  }

  #reconcile(entry: LotEntry, status: LotStatus, nowMs: number): void {
    if (!status.quantityKnown || entry.receipts.length === 0) {
      entry.overReceipted = false;
      return;
    }
    const result = reconcileReceipts(
      entry.receipts,
      status.quantityGrams,
      this.#options.config.reconcileToleranceBps,
    );
    if (!result.ok && !entry.overReceipted)
      this.#alert({
        atMs: nowMs,
        lotId: entry.model.definition.lotId,
        kind: 'over-receipted',
        detail: result.detail,
      });
    entry.overReceipted = !result.ok;
  }

  #alert(alert: CustodyAlert): void {
    this.#options.onAlert?.(alert);
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.tick(), this.#options.config.tickMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  statuses(nowMs: number = this.#options.clock.nowMs()): LotView[] {
    return [...this.#lots.values()].map((entry) => this.#view(entry, nowMs));
  }

  status(lotId: string, nowMs: number = this.#options.clock.nowMs()): LotView | undefined {
    const entry = this.#lots.get(lotId);
    return entry && this.#view(entry, nowMs);
  }

  #view(entry: LotEntry, nowMs: number): LotView {
    const { model } = entry;
    const last = model.lastAttested;
    return {
      ...model.status(nowMs),
      bayId: model.definition.bayId,
      commodity: model.definition.commodity,
      lotKey: entry.lotKey,
      ...(last ? { lastAttested: last } : {}),
    };
  }

  /**
   * Lots whose policy says attest now, as drafts. A lot with a draft out (not yet marked attested
   * or discarded, and younger than validForS) is skipped, so a slow signer never gets two drafts
   * for one lot.
   */
  due(nowMs: number = this.#options.clock.nowMs()): AttestationDraft[] {
    const policy = attestPolicyOf(this.#options.config);
    const drafts: AttestationDraft[] = [];
    for (const entry of this.#lots.values()) {
      // A draft nobody acknowledged within its validity is lost (a failed signer): draft anew.
      if (entry.pending && nowMs - entry.pending.snapshot.observedAtMs > policy.validForS * 1_000)
        delete entry.pending;
      if (entry.pending) continue;
      const { model } = entry;
      const status = model.status(nowMs);
      this.#check(entry, status, nowMs);
      const decision = attestationDue(status, model.lastAttested, nowMs, policy);
      if (!decision.due) continue;
      entry.pending = this.#draft(entry, status, decision.reason, nowMs);
      drafts.push(entry.pending);
    }
    return drafts;
  }

  #draft(
    entry: LotEntry,
    status: LotStatus,
    reason: AttestReason,
    nowMs: number,
  ): AttestationDraft {
    const { model } = entry;
    const { lotId, bayId } = model.definition;
    const config = this.#options.config;
    const timing = attestationTiming(nowMs, model.lastAttested, attestPolicyOf(config));
    // Every evidence reading is in the log (the hook runs after the commit); one that is not (a bug)
    // is left out rather than failing the lot's attestation: the root covers exactly the ids listed.
    const evidence: ReadingRef[] = [];
    const readingIds: number[] = [];
    for (const reading of selectEvidence(status.evidence, config.attest.maxEvidence)) {
      const id =
        reading.readingId ?? this.#queries.readingId(reading.deviceId, reading.boot, reading.seq);
      if (id === undefined) continue;
      evidence.push(reading);
      readingIds.push(id);
    }
    const releaseOrderId = status.releaseOrderId ?? 0n;
    const attestation: Attestation = {
      warehouseId: this.#options.warehouseNumber,
      bayId: label(bayId),
      lotId: label(lotId),
      sequence: timing.sequence,
      quantityGrams: status.quantityGrams,
      flags: status.flags,
      readingsRoot: toHex(readingsRoot(evidence)),
      observedAt: timing.observedAtS,
      validUntil: timing.validUntilS,
      releaseOrderId,
    };
    return {
      lotId,
      bayId,
      lotKey: entry.lotKey,
      reason,
      attestation,
      evidence,
      readingIds,
      flagNames: flagNames(status.flags),
      reasons: status.reasons,
      snapshot: {
        revision: status.revision,
        sequence: timing.sequence,
        observedAtMs: timing.observedAtMs,
        quantityGrams: status.quantityGrams,
        flags: status.flags,
        ...(releaseOrderId !== 0n ? { releaseOrderId } : {}),
      },
    };
  }

  /**
   * The draft is signed and durably queued: the lot model moves on (flags unlatch, reference).
   * False when the lot already holds a later attestation (the draft is then stale).
   */
  markAttested(draft: AttestationDraft): boolean {
    const entry = this.#lots.get(draft.lotId);
    if (!entry) return false;
    if (entry.pending === draft) delete entry.pending;
    return entry.model.markAttested(draft.snapshot);
  }

  /** The draft will not be attested (signing failed, refused): the lot may be drafted again. */
  discard(draft: AttestationDraft): void {
    const entry = this.#lots.get(draft.lotId);
    if (entry?.pending === draft) delete entry.pending;
  }

  /**
   * A release order changed on chain. ReleaseOrdered carries the lot key; later events are routed
   * by order id (learned here, or read from the release_orders table). False if no lot of ours.
   */
  onReleaseOrder(update: ReleaseOrderUpdate & { readonly lotKey?: string }): boolean {
    let entry =
      update.lotKey !== undefined
        ? this.#byLotKey.get(update.lotKey.toLowerCase())
        : this.#orderLots.get(update.orderId);
    if (!entry) {
      const row = this.#queries.releaseOrder(update.orderId);
      if (row?.lotKey) entry = this.#byLotKey.get(row.lotKey.toLowerCase());
    }
    if (!entry) return false;
    this.#orderLots.set(update.orderId, entry);
    const { lotKey: _lotKey, ...orderUpdate } = update;
    entry.model.observe({ type: 'release-order', update: orderUpdate });
    return true;
  }

  /** Live receipts on a lot (from the chain listener); reconciled against the sensed quantity at once. */
  setReceipts(lotKeyHex: string, receipts: readonly LiveReceipt[]): boolean {
    const entry = this.#byLotKey.get(lotKeyHex.toLowerCase());
    if (!entry) return false;
    entry.receipts = receipts;
    const nowMs = this.#options.clock.nowMs();
    this.#reconcile(entry, entry.model.status(nowMs), nowMs);
    return true;
  }

  /** Lot ids by lot key, for callers holding chain events. */
  lotIdOf(lotKeyHex: string): string | undefined {
    return this.#byLotKey.get(lotKeyHex.toLowerCase())?.model.definition.lotId;
  }
}

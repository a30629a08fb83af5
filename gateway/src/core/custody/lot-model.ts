// The custody state machine of one pledged lot (docs/custody.md "Lot model"). Pure: it observes
// accepted readings, authentic refusals and release-order changes, and reports the lot's quantity
// and custody flags at a time the caller gives. No I/O, no clock.
//
// Quantity [g]: each load cell's robust estimate is the median of its last `medianWindow` net
// weights (one spike cannot move a median), summed, minus `tareGrams`; RFID: per reader, its last
// `count` plus the enter/exit events after it, times `unitWeightGrams`. The attested figure is the
// weight when the lot has load cells, else RFID.
//
// Flags are latched: a cause (a tamper reading of 1, a missed heartbeat deadline, ...) latches its
// flag with the model revision it was seen at, and the latch stays until an attestation taken at
// that revision or later carried the flag (`markAttested`); a cause still present latches again.
//
// Drops are judged against a reference quantity, not merely the last attestation: the reference
// follows attested rises, but falls only when an attestation carried the unexplained-drop flag
// (the breach is on record) or a release order finalized. So goods taken a little at a time, each
// step inside the tolerance, still add up to a drop (the "salami" removal).
//
// Release confirmation: the attestation naming a release order is the figure InventoryLoan's
// finalizeRelease checks against (quantity before - released) within its quantityToleranceBps.
// Confirming as soon as the lot passes into that band while pallets are still leaving puts the
// confirmed figure at the band's edge, where any difference (noise, rounding) reverts the
// finalization. So a release is confirmed only once the drop has settled: the doors are closed
// and the last `releaseSettleReadings` weight and count observations all showed the target
// (weight within `releaseMatchBps`, a margin tighter than the loan's, and the RFID figure still).
import {
  CustodyFlag,
  compareReadings,
  readingKey,
  type AttestedSnapshot,
  type CustodyFlagName,
  type FlagReason,
  type LotDefinition,
  type LotDevice,
  type LotEvent,
  type LotStatus,
  type QualityLimits,
  type ReadingRef,
  type ReleaseOrderUpdate,
} from './types.js';

interface Identity {
  readonly boot: number;
  readonly seq: number;
}

/** a after b in (boot, seq) order. */
const after = (a: Identity, b: Identity | undefined): boolean =>
  b === undefined || a.boot > b.boot || (a.boot === b.boot && a.seq > b.seq);

interface ExcursionRun {
  /** Device time of the first reading outside the limits in this run [ms]. */
  readonly sinceMs: number;
  /** Device time of the latest reading, still outside [ms]. */
  lastMs: number;
}

interface DeviceState {
  readonly device: LotDevice;
  /** Gateway time of the latest accepted reading [ms]. */
  lastSeenMs?: number;
  /** Highest-identity reading per kind. */
  readonly latest: Map<string, ReadingRef>;
  /** Last `medianWindow` weight readings, in identity order. */
  weights: ReadingRef[];
  rfidCount?: ReadingRef;
  /** Sum of rfid-event values after `rfidCount`. */
  rfidDelta: bigint;
  tampered: boolean;
  /** The device's latest authentic verdict was a clock refusal. */
  clockRejected: boolean;
  readonly excursions: Map<'temperature' | 'humidity', ExcursionRun>;
}

interface OrderState {
  readonly orderId: bigint;
  status: 'ordered' | 'shipped';
  grams?: bigint;
  beforeGrams?: bigint;
  /** An attestation carried this order's id. */
  confirmed: boolean;
}

interface Latch {
  readonly reason: FlagReason;
  revision: number;
}

const BPS = 10_000n;
const CLOCK_CODE = /^PG_CLOCK_/;
const REPLAY_CODES = new Set(['PG_REPLAYED', 'PG_EQUIVOCATION']);

/** share [bps] of `grams`, rounded down. */
const bpsOf = (grams: bigint, bps: number): bigint => (grams * BigInt(bps)) / BPS;
const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** Median of a non-empty list; the mean of the two middle values for an even count. */
export function medianOf(values: readonly bigint[]): bigint {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2n;
}

function outside(value: bigint, limits: QualityLimits): boolean {
  return (
    (limits.min !== undefined && value < limits.min) ||
    (limits.max !== undefined && value > limits.max)
  );
}

export class LotModel {
  readonly definition: LotDefinition;
  readonly #devices = new Map<string, DeviceState>();
  /** Flag name -> reason key -> latch. */
  readonly #latches = new Map<CustodyFlagName, Map<string, Latch>>();
  /** Flag readings since the last attestation: tamper and door set or changed, RFID events, gaps, excursions. */
  #flagged: Array<{ reading: ReadingRef; revision: number }> = [];
  readonly #orders = new Map<bigint, OrderState>();
  /** The lot's figures after each weight or count observation, the latest `settleReadings`. */
  #settle: Array<{ weightGrams?: bigint; rfidGrams?: bigint }> = [];
  /** Reference for drops [g]; undefined until the first attestation. */
  #referenceGrams: bigint | undefined;
  #lastAttested: AttestedSnapshot | undefined;
  /** Gateway time the model started watching [ms]: the offline baseline of silent devices. */
  readonly #startedAtMs: number;
  #revision = 0;
  /** Evidence and figures depend only on what was observed: kept per revision. */
  #cache:
    | { revision: number; evidence: ReadingRef[]; weightGrams?: bigint; rfidGrams?: bigint }
    | undefined;

  constructor(definition: LotDefinition, startedAtMs: number) {
    this.definition = definition;
    this.#startedAtMs = startedAtMs;
    for (const device of definition.devices) {
      this.#devices.set(device.deviceId, {
        device,
        latest: new Map(),
        weights: [],
        rfidDelta: 0n,
        tampered: false,
        clockRejected: false,
        excursions: new Map(),
      });
    }
  }

  get revision(): number {
    return this.#revision;
  }

  get lastAttested(): AttestedSnapshot | undefined {
    return this.#lastAttested;
  }

  get referenceGrams(): bigint | undefined {
    return this.#referenceGrams;
  }

  hasDevice(deviceId: string): boolean {
    return this.#devices.has(deviceId);
  }

  /** Applies one event; false when it does not concern this lot (unknown device, other code). */
  observe(event: LotEvent): boolean {
    switch (event.type) {
      case 'reading':
        return this.#observeReading(event.reading);
      case 'rejection':
        return this.#observeRejection(event.deviceId, event.code, event.detail);
      case 'release-order':
        this.#revision++;
        this.#observeOrder(event.update);
        return true;
    }
  }

  #observeReading(reading: ReadingRef): boolean {
    const state = this.#devices.get(reading.deviceId);
    if (!state) return false;
    this.#revision++;
    const policy = this.definition.policy;
    const { deviceId, kind } = reading;

    // A silence longer than the deadline is an offline period even if nobody looked meanwhile.
    // Time before the gateway started watching does not count: it was not listening then.
    const previousSeenMs = Math.max(state.lastSeenMs ?? -Infinity, this.#startedAtMs);
    const deadlineMs = state.device.heartbeatMs * policy.missedBeats;
    if (reading.receivedAtMs - previousSeenMs > deadlineMs) {
      this.#latch('offline', `silent:${deviceId}`, {
        flag: 'offline',
        deviceId,
        detail: `no accepted reading for ${reading.receivedAtMs - previousSeenMs} ms (deadline ${deadlineMs} ms)`,
      });
    }
    state.lastSeenMs = Math.max(state.lastSeenMs ?? -Infinity, reading.receivedAtMs);
    state.clockRejected = false;

    if (reading.gap) {
      this.#flag(reading);
      this.#latch('evidenceGap', `gap:${deviceId}`, {
        flag: 'evidenceGap',
        deviceId,
        detail: `readings missing before (${reading.boot}, ${reading.seq})`,
      });
    }
    const previous = state.latest.get(reading.kind);
    const newest = after(reading, previous);
    if (newest) state.latest.set(reading.kind, reading);
    // Door and tamper matter when set or changed; a periodic "still closed" is only the latest state.
    const binaryEvent =
      reading.value === 1n || (previous !== undefined && previous.value !== reading.value);

    switch (reading.kind) {
      case 'weight': {
        const window = [...state.weights, reading].sort(compareReadings);
        state.weights = window.slice(-policy.medianWindow);
        break;
      }
      case 'count':
        if (after(reading, state.rfidCount)) {
          state.rfidCount = reading;
          state.rfidDelta = 0n;
        }
        break;
      case 'rfid-event':
        this.#flag(reading);
        // Events before the latest count are already in it.
        if (after(reading, state.rfidCount)) state.rfidDelta += reading.value;
        break;
      case 'tamper':
        if (binaryEvent) this.#flag(reading);
        if (newest) state.tampered = reading.value === 1n;
        if (reading.value === 1n) this.#latchTamper(deviceId);
        break;
      case 'door':
        if (binaryEvent) this.#flag(reading);
        break;
      case 'temperature':
      case 'humidity':
        if (newest) this.#observeQuality(state, reading);
        break;
      case 'heartbeat':
        break;
    }
    if (kind === 'weight' || kind === 'count' || kind === 'rfid-event') this.#recordSettle();
    return true;
  }

  #recordSettle(): void {
    this.#settle.push(this.#figures());
    const keep = this.#settleReadings();
    if (this.#settle.length > keep) this.#settle = this.#settle.slice(-keep);
  }

  #settleReadings(): number {
    return this.definition.policy.releaseSettleReadings ?? this.definition.policy.medianWindow;
  }

  #releaseMatchBps(): number {
    const policy = this.definition.policy;
    return policy.releaseMatchBps ?? Math.floor(policy.dropToleranceBps / 2);
  }

  /** A door device of the lot reads open, or has not reported yet. */
  #doorOpen(): boolean {
    for (const state of this.#devices.values()) {
      if (!state.device.kinds.includes('door')) continue;
      const door = state.latest.get('door');
      if (door === undefined || door.value !== 0n) return true;
    }
    return false;
  }

  /** The drop has settled at `targetGrams` (see the file header). */
  #settledAt(targetGrams: bigint, marginGrams: bigint): boolean {
    const n = this.#settleReadings();
    if (this.#settle.length < n || this.#doorOpen()) return false;
    const recent = this.#settle.slice(-n);
    const rfid = recent[0]!.rfidGrams;
    return recent.every(
      (figures) =>
        figures.rfidGrams === rfid &&
        (figures.weightGrams ?? figures.rfidGrams) !== undefined &&
        abs((figures.weightGrams ?? figures.rfidGrams)! - targetGrams) <= marginGrams,
    );
  }

  #observeQuality(state: DeviceState, reading: ReadingRef): void {
    const kind = reading.kind as 'temperature' | 'humidity';
    const limits = this.definition.policy[kind];
    if (!outside(reading.value, limits)) {
      state.excursions.delete(kind);
      return;
    }
    this.#flag(reading);
    const run = state.excursions.get(kind) ?? {
      sinceMs: reading.deviceTimeMs,
      lastMs: reading.deviceTimeMs,
    };
    run.lastMs = Math.max(run.lastMs, reading.deviceTimeMs);
    state.excursions.set(kind, run);
    this.#checkExcursion(state.device.deviceId, kind, run);
  }

  #checkExcursion(deviceId: string, kind: 'temperature' | 'humidity', run: ExcursionRun): boolean {
    const durationMs = run.lastMs - run.sinceMs;
    if (durationMs < this.definition.policy.excursionMs) return false;
    const unit = kind === 'temperature' ? 'milli-degC' : 'per-mille';
    const limits = this.definition.policy[kind];
    this.#latch('qualityExcursion', `${kind}:${deviceId}`, {
      flag: 'qualityExcursion',
      deviceId,
      detail: `${kind} outside [${limits.min ?? '-inf'}, ${limits.max ?? 'inf'}] ${unit} for ${durationMs} ms`,
    });
    return true;
  }

  #latchTamper(deviceId: string): void {
    this.#latch('tamper', `tamper:${deviceId}`, {
      flag: 'tamper',
      deviceId,
      detail: 'tamper switch reads 1 (enclosure or junction box opened)',
    });
  }

  #observeRejection(deviceId: string, code: string, detail: string): boolean {
    const state = this.#devices.get(deviceId);
    if (!state) return false;
    if (REPLAY_CODES.has(code)) {
      this.#revision++;
      this.#latch('replayAttempt', `${code}:${deviceId}`, {
        flag: 'replayAttempt',
        deviceId,
        detail: `${code}: ${detail}`,
      });
      return true;
    }
    if (CLOCK_CODE.test(code)) {
      this.#revision++;
      state.clockRejected = true;
      this.#latch('clockSkew', `clock:${deviceId}`, {
        flag: 'clockSkew',
        deviceId,
        detail: `${code}: ${detail}`,
      });
      return true;
    }
    return false;
  }

  #observeOrder(update: ReleaseOrderUpdate): void {
    const { orderId } = update;
    const order = this.#orders.get(orderId);
    switch (update.status) {
      case 'ordered':
      case 'shipped': {
        const next: OrderState = order ?? { orderId, status: update.status, confirmed: false };
        next.status = update.status;
        if (update.grams !== undefined) next.grams = update.grams;
        if (update.quantityBeforeGrams !== undefined) next.beforeGrams = update.quantityBeforeGrams;
        // Without the chain's figure, the order is measured from the drop reference.
        next.beforeGrams ??= this.#referenceGrams ?? this.#lastAttested?.quantityGrams;
        this.#orders.set(orderId, next);
        break;
      }
      case 'cancelled':
        this.#orders.delete(orderId);
        break;
      case 'finalized': {
        const grams = update.grams ?? order?.grams;
        if (update.attestedGrams !== undefined) this.#referenceGrams = update.attestedGrams;
        else if (this.#referenceGrams !== undefined && grams !== undefined) {
          const next = this.#referenceGrams - grams;
          this.#referenceGrams = next > 0n ? next : 0n;
        }
        this.#orders.delete(orderId);
        break;
      }
    }
  }

  #flag(reading: ReadingRef): void {
    this.#flagged.push({ reading, revision: this.#revision });
    const max = this.definition.policy.maxEvidence;
    if (this.#flagged.length > max * 2) this.#flagged = this.#flagged.slice(-max);
  }

  #latch(flag: CustodyFlagName, key: string, reason: FlagReason): void {
    let latches = this.#latches.get(flag);
    if (!latches) this.#latches.set(flag, (latches = new Map()));
    const existing = latches.get(key);
    if (existing && existing.reason.detail === reason.detail) existing.revision = this.#revision;
    else latches.set(key, { reason, revision: this.#revision });
  }

  /** The lot's quantity and flags at gateway time `nowMs` (latches the causes present now). */
  status(nowMs: number): LotStatus {
    const policy = this.definition.policy;
    const offlineDevices: string[] = [];
    for (const state of this.#devices.values()) {
      const { deviceId, heartbeatMs } = state.device;
      const seenMs = Math.max(state.lastSeenMs ?? -Infinity, this.#startedAtMs);
      const deadlineMs = heartbeatMs * policy.missedBeats;
      if (nowMs - seenMs > deadlineMs) {
        offlineDevices.push(deviceId);
        this.#latch('offline', `offline:${deviceId}`, {
          flag: 'offline',
          deviceId,
          detail:
            seenMs === this.#startedAtMs
              ? `no accepted reading since the gateway started watching (deadline ${deadlineMs} ms)`
              : `last accepted reading ${nowMs - seenMs} ms ago (deadline ${deadlineMs} ms)`,
        });
      }
      if (state.tampered) this.#latchTamper(deviceId);
      if (state.clockRejected) {
        this.#latch('clockSkew', `clock:${deviceId}`, {
          flag: 'clockSkew',
          deviceId,
          detail: 'the latest reading was refused for its clock',
        });
      }
      for (const [kind, run] of state.excursions) this.#checkExcursion(deviceId, kind, run);
    }

    const cache = this.#cached();
    const { weightGrams, rfidGrams } = cache;
    const known = weightGrams !== undefined || rfidGrams !== undefined;
    const sensed = weightGrams ?? rfidGrams ?? 0n;
    const quantityGrams = sensed > 0n ? sensed : 0n;

    if (weightGrams !== undefined && rfidGrams !== undefined) {
      const larger = weightGrams > rfidGrams ? weightGrams : rfidGrams;
      const differenceGrams = abs(weightGrams - rfidGrams);
      if (differenceGrams > bpsOf(larger, policy.disagreementToleranceBps)) {
        this.#latch('sensorDisagreement', 'weight-rfid', {
          flag: 'sensorDisagreement',
          detail: `load cells ${weightGrams} g, RFID ${rfidGrams} g: ${differenceGrams} g apart (tolerance ${policy.disagreementToleranceBps} bps)`,
        });
      }
    }

    let releaseOrderId: bigint | undefined;
    if (known) {
      this.#judgeDrop(quantityGrams);
      releaseOrderId = this.#matchingOrder(quantityGrams);
    }

    let flags = 0;
    const reasons: FlagReason[] = [];
    for (const [flag, latches] of this.#latches) {
      if (latches.size === 0) continue;
      flags |= CustodyFlag[flag];
      for (const latch of latches.values()) reasons.push(latch.reason);
    }
    reasons.sort((a, b) => CustodyFlag[a.flag] - CustodyFlag[b.flag]);

    return {
      lotId: this.definition.lotId,
      quantityGrams,
      quantityKnown: known,
      ...(weightGrams !== undefined ? { weightGrams } : {}),
      ...(rfidGrams !== undefined ? { rfidGrams } : {}),
      flags,
      reasons,
      offlineDevices,
      evidence: cache.evidence,
      ...(releaseOrderId !== undefined ? { releaseOrderId } : {}),
      revision: this.#revision,
    };
  }

  #cached(): { evidence: ReadingRef[]; weightGrams?: bigint; rfidGrams?: bigint } {
    if (this.#cache?.revision !== this.#revision)
      this.#cache = { revision: this.#revision, evidence: this.#evidence(), ...this.#figures() };
    return this.#cache;
  }

  /** Weight and RFID figures [g]; each undefined until every device of its kind has reported. */
  #figures(): { weightGrams?: bigint; rfidGrams?: bigint } {
    let weight: bigint | undefined = 0n;
    let loadCells = 0;
    let units: bigint | undefined = 0n;
    let readers = 0;
    for (const state of this.#devices.values()) {
      if (state.device.kinds.includes('weight')) {
        loadCells++;
        weight =
          weight === undefined || state.weights.length === 0
            ? undefined
            : weight + medianOf(state.weights.map((r) => r.value));
      }
      if (state.device.kinds.includes('count')) {
        readers++;
        units =
          units === undefined || state.rfidCount === undefined
            ? undefined
            : units + state.rfidCount.value + state.rfidDelta;
      }
    }
    return {
      ...(loadCells > 0 && weight !== undefined
        ? { weightGrams: weight - this.definition.policy.tareGrams }
        : {}),
      ...(readers > 0 && units !== undefined
        ? { rfidGrams: units * this.definition.unitWeightGrams }
        : {}),
    };
  }

  /** Open orders: ordered or shipped (a drop while only ordered is the warehouse executing it). */
  #judgeDrop(quantityGrams: bigint): void {
    const reference = this.#referenceGrams;
    if (reference === undefined) return;
    const toleranceGrams = bpsOf(reference, this.definition.policy.dropToleranceBps);
    if (quantityGrams + toleranceGrams >= reference) return;
    // Covered by open release orders: down to (quantity before them - their grams), within tolerance.
    let orderedGrams = 0n;
    let beforeGrams: bigint | undefined;
    for (const order of this.#orders.values()) {
      if (order.grams === undefined) continue;
      orderedGrams += order.grams;
      const before = order.beforeGrams ?? reference;
      beforeGrams = beforeGrams === undefined || before < beforeGrams ? before : beforeGrams;
    }
    if (beforeGrams !== undefined) {
      const floorGrams = beforeGrams - orderedGrams;
      if (quantityGrams + bpsOf(beforeGrams, this.definition.policy.dropToleranceBps) >= floorGrams)
        return;
    }
    this.#latch('unexplainedDrop', 'drop', {
      flag: 'unexplainedDrop',
      detail:
        orderedGrams > 0n
          ? `fell from ${reference} g to ${quantityGrams} g, beyond the ${orderedGrams} g of open release orders`
          : `fell from ${reference} g to ${quantityGrams} g with no open release order`,
    });
  }

  /**
   * The first open, unconfirmed order whose expected quantity the lot now shows within the
   * release margin, once the drop has settled there.
   */
  #matchingOrder(quantityGrams: bigint): bigint | undefined {
    const ids = [...this.#orders.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const id of ids) {
      const order = this.#orders.get(id)!;
      if (order.confirmed || order.grams === undefined || order.beforeGrams === undefined) continue;
      const expectedGrams = order.beforeGrams - order.grams;
      const marginGrams = bpsOf(order.beforeGrams, this.#releaseMatchBps());
      if (abs(quantityGrams - expectedGrams) > marginGrams) continue;
      if (this.#settledAt(expectedGrams, marginGrams)) return id;
    }
    return undefined;
  }

  /**
   * The readings the status rests on, in priority order for a capped evidence set: the latest
   * reading per device and kind and every median window first, then the flag readings since the
   * last attestation, newest first.
   */
  #evidence(): ReadingRef[] {
    const byKey = new Map<string, ReadingRef>();
    for (const state of this.#devices.values()) {
      for (const reading of state.latest.values()) byKey.set(readingKey(reading), reading);
      for (const reading of state.weights) byKey.set(readingKey(reading), reading);
    }
    for (let i = this.#flagged.length - 1; i >= 0; i--) {
      const reading = this.#flagged[i]!.reading;
      const key = readingKey(reading);
      if (!byKey.has(key)) byKey.set(key, reading);
    }
    return [...byKey.values()];
  }

  /**
   * An attestation taken at `snapshot.revision` is durable (signed and queued): the flags it
   * carried unlatch (causes still present latch again at the next status), flag readings up to it
   * leave the next evidence set, and the drop reference moves (see the file header).
   */
  markAttested(snapshot: AttestedSnapshot): boolean {
    // A late acknowledgement of an older draft must not roll the lot back.
    if (this.#lastAttested !== undefined && snapshot.sequence <= this.#lastAttested.sequence)
      return false;
    for (const [flag, latches] of this.#latches) {
      if ((snapshot.flags & CustodyFlag[flag]) === 0) continue;
      for (const [key, latch] of latches)
        if (latch.revision <= snapshot.revision) latches.delete(key);
    }
    this.#flagged = this.#flagged.filter(({ revision }) => revision > snapshot.revision);
    const quantity = snapshot.quantityGrams;
    if (
      this.#referenceGrams === undefined ||
      quantity >= this.#referenceGrams ||
      (snapshot.flags & CustodyFlag.unexplainedDrop) !== 0
    )
      this.#referenceGrams = quantity;
    if (snapshot.releaseOrderId !== undefined && snapshot.releaseOrderId !== 0n) {
      const order = this.#orders.get(snapshot.releaseOrderId);
      if (order) order.confirmed = true;
    }
    this.#lastAttested = snapshot;
    this.#revision++;
    return true;
  }

  /**
   * After a restart: the last attestation the gateway made, as recorded. Everything observed so far
   * (readings up to that attestation) counts as carried by it.
   */
  restoreAttested(snapshot: AttestedSnapshot, referenceGrams = snapshot.quantityGrams): void {
    this.#latches.clear();
    this.#flagged = [];
    this.#referenceGrams = referenceGrams;
    this.#lastAttested = snapshot;
    this.#revision++;
  }
}

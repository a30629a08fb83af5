// The ingest pipeline (ARCHITECTURE.md section 4): decode -> registry -> signature (worker pool)
// -> replay and gap -> clock skew -> plausibility -> accept or quarantine, then one group commit.
// `submit` resolves only after the verdict is durable, so a source acknowledges (MQTT PUBACK) only
// what survives a kill -9. Verdicts are judged in arrival order even though signatures are checked
// in parallel, because replay checks depend on order within a device.

import {
  checkSignatureShape,
  equalBytes,
  decodeSign1,
  parseDeviceTopic,
  toBeSigned,
  type Code,
  type ParsedDeviceTopic,
  type ReadingKind,
  type Reading,
} from '@pledgeguard/protocol';
import type { KeyObject } from 'node:crypto';
import { publicKeyObject } from '@pledgeguard/protocol/node';
import { checkReplay } from '../core/replay.js';
import { DEFAULT_REDELIVERY_WINDOW_MS, judgeIdenticalRepeat } from '../core/redelivery.js';
import { checkClockSkew, type SkewPolicy } from '../core/skew.js';
import { TraceHistory, checkPlausibility, type PlausibilityPolicy } from '../core/plausibility.js';
import type { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import type { Clock } from '../ports/clock.js';
import type {
  CommitItem,
  DeviceMark,
  QuarantinedItem,
  RegisteredDevice,
} from '../ports/evidence-store.js';
import type { VerifierPool } from './verifier-pool.js';

export type IngestSource = 'mqtt' | 'opcua' | 'replay';

/** Topics whose parse is kept: three per device (reading, birth, death) for 20,000 devices. */
const MAX_CACHED_TOPICS = 60_000;

export interface IngestMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly source: IngestSource;
}

export type IngestOutcome =
  | { readonly outcome: 'accepted'; readonly deviceId: string; readonly gap: boolean }
  | { readonly outcome: 'duplicate'; readonly deviceId: string }
  | {
      readonly outcome: 'quarantined';
      readonly code: Code;
      readonly detail: string;
      readonly deviceId?: string;
    }
  | { readonly outcome: 'ignored'; readonly detail: string };

export interface IngestOptions {
  readonly warehouseId: string;
  readonly store: EvidenceStore;
  readonly pool: VerifierPool;
  readonly clock: Clock;
  readonly skew: SkewPolicy;
  readonly plausibility: PlausibilityPolicy;
  /** Largest group commit. */
  readonly maxCommitBatch?: number;
  /** How long a verdict may wait for others to share its commit. [ms, default 5; 0: next tick] */
  readonly commitDelayMs?: number;
  /** Messages in the pipeline (verifying, judged, or waiting for commit) before submit waits. [default 2,000] */
  readonly maxInFlight?: number;
  /** Identical bytes this far behind the device's mark are a redelivery, older a replay. [ms, default 6 h] */
  readonly redeliveryWindowMs?: number;
  /**
   * Called with every group commit's items right after SQLite committed them, before any
   * acknowledgement: the custody engine and the live event stream follow the evidence log here.
   * It must not throw; it runs on the ingest thread, so keep it cheap.
   */
  readonly onCommitted?: (items: readonly CommitItem[]) => void;
}

/** Receives a message's outcome once its verdict is durable, or the error that stopped ingest. */
export type IngestCallback = (error: Error | null, outcome?: IngestOutcome) => void;

export interface IngestStats {
  accepted: number;
  duplicates: number;
  gaps: number;
  quarantined: Partial<Record<Code, number>>;
  /** Verdicts judged but not yet committed, plus signatures in flight. */
  inFlight: number;
  lastSeenMs: Map<string, number>;
  commits: number;
}

interface Ticket {
  readonly message: IngestMessage;
  readonly receivedAtMs: number;
  /** Called once: with the outcome after its commit, or with the error that stopped ingest. */
  readonly done: IngestCallback;
  /** Set when the ticket can be judged. */
  ready: boolean;
  early?: IngestOutcome;
  /** The decoded reading (the envelope's other parts are not kept: less to carry while in flight). */
  reading?: Reading;
  device?: RegisteredDevice;
  signatureValid?: boolean;
  /** Set when judged: what the commit writes (nothing for duplicates and ignored messages). */
  item?: CommitItem | undefined;
  outcome?: IngestOutcome;
}

export class IngestPipeline {
  readonly stats: IngestStats = {
    accepted: 0,
    duplicates: 0,
    gaps: 0,
    quarantined: {},
    inFlight: 0,
    lastSeenMs: new Map(),
    commits: 0,
  };
  readonly #options: IngestOptions;
  readonly #devices = new Map<string, RegisteredDevice>();
  /** Parsed public key per device, made on first use; a registry reload clears it. */
  readonly #keys = new Map<string, KeyObject | null>();
  /** Parsed topics: a device publishes under the same few topics all day. Cleared when full. */
  readonly #topics = new Map<string, ParsedDeviceTopic | undefined>();
  /** Tickets waiting for a slot, in arrival order, from #waitingHead on. */
  #waiting: Ticket[] = [];
  #waitingHead = 0;
  readonly #marks: Map<string, DeviceMark>;
  /** Trace history per device, then per kind (checkPlausibility updates it in place). */
  readonly #histories = new Map<string, Map<ReadingKind, TraceHistory>>();
  /** Envelopes judged but not committed yet, for redelivery checks within a batch. */
  readonly #uncommitted: Array<{
    readonly deviceId: string;
    readonly boot: number;
    readonly seq: number;
    readonly envelope: Uint8Array;
  }> = [];
  readonly #order: Ticket[] = [];
  /** Judged tickets waiting for the next group commit, in judging order. */
  #batch: Ticket[] = [];
  #commitScheduled = false;
  #failed: Error | undefined;

  constructor(options: IngestOptions) {
    this.#options = options;
    this.#marks = options.store.marks();
    this.reloadRegistry();
  }

  /** Re-reads the device registry (after an import, a revocation or a key rotation). */
  reloadRegistry(): void {
    this.#devices.clear();
    this.#keys.clear();
    for (const device of this.#options.store.devices()) this.#devices.set(device.deviceId, device);
  }

  device(deviceId: string): RegisteredDevice | undefined {
    return this.#devices.get(deviceId);
  }

  /**
   * Judges and durably records one message; resolves after the commit that holds its verdict.
   * At most `maxInFlight` messages are in the pipeline: beyond that, submit waits, and so does the
   * source (no PUBACK, no socket read), which slows the publishers instead of dropping.
   */
  submit(message: IngestMessage): Promise<IngestOutcome> {
    return new Promise((resolve, reject) =>
      this.enqueue(message, (error, outcome) => (error ? reject(error) : resolve(outcome!))),
    );
  }

  /**
   * As submit, with a callback instead of a promise: the path for sources that handle thousands of
   * messages a second (the embedded broker), where every object kept per message in flight costs
   * garbage-collector time.
   */
  enqueue(message: IngestMessage, done: IngestCallback): void {
    if (this.#failed) return done(this.#failed);
    const ticket: Ticket = {
      message,
      receivedAtMs: this.#options.clock.nowMs(),
      done,
      ready: false,
    };
    // Over the limit the ticket waits as a plain object (no pending async frame per message):
    // a broker hands over whole socket reads, tens of thousands of messages in a burst.
    if (this.stats.inFlight >= this.#maxInFlight || this.#waitingHead < this.#waiting.length)
      this.#waiting.push(ticket);
    else this.#admit(ticket);
  }

  #admit(ticket: Ticket): void {
    this.stats.inFlight++;
    this.#order.push(ticket);
    this.#prepare(ticket);
  }

  #prepare(ticket: Ticket): void {
    const { topic, payload } = ticket.message;
    const parsed = this.#parseTopic(topic);
    if (parsed === undefined)
      return this.#ready(ticket, { outcome: 'ignored', detail: `not a device topic: ${topic}` });
    if (parsed.warehouseId !== this.#options.warehouseId) {
      return this.#ready(
        ticket,
        quarantine(
          'PG_TOPIC_MISMATCH',
          `warehouse ${parsed.warehouseId} is not ${this.#options.warehouseId}`,
        ),
      );
    }
    // The last will is unsigned and advisory (PROTOCOL.md section 7): never evidence.
    if (parsed.kind === 'death')
      return this.#ready(ticket, { outcome: 'ignored', detail: `death of ${parsed.deviceId}` });
    const decoded = decodeSign1(payload);
    if (!decoded.ok) return this.#ready(ticket, quarantine(decoded.code, decoded.detail));
    const sign1 = decoded.value;
    ticket.reading = sign1.reading;
    if (sign1.kid !== parsed.deviceId) {
      return this.#ready(
        ticket,
        quarantine(
          'PG_TOPIC_MISMATCH',
          `${sign1.kid} published under ${parsed.deviceId}`,
          sign1.kid,
        ),
      );
    }
    const device = this.#devices.get(sign1.kid);
    if (!device)
      return this.#ready(
        ticket,
        quarantine('PG_DEVICE_UNKNOWN', `no device ${sign1.kid}`, sign1.kid),
      );
    if (device.revoked)
      return this.#ready(
        ticket,
        quarantine('PG_DEVICE_REVOKED', `device ${sign1.kid} is revoked`, sign1.kid),
      );
    if (device.alg !== sign1.alg) {
      return this.#ready(
        ticket,
        quarantine(
          'PG_ALG_MISMATCH',
          `envelope alg ${sign1.alg}, registered ${device.alg}`,
          sign1.kid,
        ),
      );
    }
    const shape = checkSignatureShape(sign1.alg, sign1.signature);
    if (!shape.ok) return this.#ready(ticket, quarantine(shape.code, shape.detail, sign1.kid));
    ticket.device = device;
    const key = this.#keyOf(device);
    if (key === null)
      return this.#ready(
        ticket,
        quarantine(
          'PG_KEY_INVALID',
          `registered key of ${device.deviceId} is not a valid ${device.alg} key`,
          sign1.kid,
        ),
      );
    this.#options.pool.submit(
      {
        alg: sign1.alg,
        key,
        message: toBeSigned(sign1.protectedBytes, sign1.payloadBytes),
        signature: sign1.signature,
      },
      (error, valid) => {
        if (error) return this.#fail(error);
        ticket.signatureValid = valid;
        this.#ready(ticket);
      },
    );
  }

  #parseTopic(topic: string): ParsedDeviceTopic | undefined {
    let parsed = this.#topics.get(topic);
    if (parsed === undefined && !this.#topics.has(topic)) {
      if (this.#topics.size >= MAX_CACHED_TOPICS) this.#topics.clear();
      parsed = parseDeviceTopic(topic);
      this.#topics.set(topic, parsed);
    }
    return parsed;
  }

  #keyOf(device: RegisteredDevice): KeyObject | null {
    let key = this.#keys.get(device.deviceId);
    if (key === undefined) {
      const parsed = publicKeyObject(device.alg, device.publicKey);
      key = parsed.ok ? parsed.value : null;
      this.#keys.set(device.deviceId, key);
    }
    return key;
  }

  #ready(ticket: Ticket, early?: IngestOutcome): void {
    ticket.ready = true;
    if (early) ticket.early = early;
    // Judge every ready ticket at the head, in arrival order.
    while (this.#order.length > 0 && this.#order[0]!.ready) {
      const head = this.#order.shift()!;
      let verdict;
      try {
        verdict = this.#judge(head);
      } catch (error) {
        head.done(error as Error);
        return this.#fail(error as Error);
      }
      this.#enqueueVerdict(head, verdict);
    }
  }

  #judge(ticket: Ticket): { item: CommitItem | undefined; outcome: IngestOutcome } {
    const { message, receivedAtMs, device } = ticket;
    if (ticket.early) {
      const early = ticket.early;
      if (early.outcome !== 'quarantined') return { item: undefined, outcome: early };
      const item: QuarantinedItem = {
        outcome: 'quarantined',
        code: early.code,
        detail: early.detail,
        topic: message.topic,
        envelope: message.payload,
        receivedAtMs,
        source: message.source,
        ...(ticket.reading
          ? {
              deviceId: ticket.reading.deviceId,
              boot: ticket.reading.boot,
              seq: ticket.reading.seq,
            }
          : {}),
      };
      return { item, outcome: early };
    }
    const reading = ticket.reading;
    if (!reading || !device) throw new Error('ticket judged without envelope or device');
    const mark = this.#marks.get(reading.deviceId);
    if (!ticket.signatureValid)
      return this.#refuse(
        ticket,
        mark,
        'PG_SIG_INVALID',
        `signature of ${reading.deviceId} does not verify`,
        false,
      );

    const replay = checkReplay(mark, reading);
    if (!replay.ok) {
      const prior =
        this.#uncommittedEnvelope(reading.deviceId, reading.boot, reading.seq) ??
        this.#options.store.findEnvelope(reading.deviceId, reading.boot, reading.seq);
      if (prior === undefined)
        return this.#refuse(
          ticket,
          mark,
          'PG_REPLAYED',
          `(${reading.boot}, ${reading.seq}) is at or below the mark (${mark?.boot}, ${mark?.seq})`,
          false,
        );
      if (equalBytes(prior, message.payload)) {
        // Identical bytes: a redelivery while recent, a replay of captured envelopes when old.
        const repeat = judgeIdenticalRepeat(
          mark?.deviceTimeMs,
          reading.deviceTimeMs,
          this.#options.redeliveryWindowMs ?? DEFAULT_REDELIVERY_WINDOW_MS,
        );
        if (!repeat.ok) return this.#refuse(ticket, mark, repeat.code, repeat.detail, false);
        return { item: undefined, outcome: { outcome: 'duplicate', deviceId: reading.deviceId } };
      }
      return this.#refuse(
        ticket,
        mark,
        'PG_EQUIVOCATION',
        `two different readings signed for (${reading.boot}, ${reading.seq})`,
        false,
      );
    }
    // Authentic and new from here on: every outcome below moves the mark.
    if (reading.bayId !== device.bayId)
      return this.#refuse(
        ticket,
        mark,
        'PG_DEVICE_MISMATCH',
        `bay ${reading.bayId}, registered ${device.bayId}`,
        true,
      );
    if (reading.kind !== 'heartbeat' && !device.kinds.includes(reading.kind)) {
      return this.#refuse(
        ticket,
        mark,
        'PG_DEVICE_MISMATCH',
        `kind ${reading.kind} is not registered for ${device.deviceId}`,
        true,
      );
    }
    const skew = checkClockSkew(
      {
        deviceTimeMs: reading.deviceTimeMs,
        receivedAtMs,
        live: message.topic.endsWith('/birth'),
        ...(mark?.boot === reading.boot && mark.deviceTimeMs !== undefined
          ? { previousDeviceTimeMs: mark.deviceTimeMs }
          : {}),
      },
      this.#options.skew,
    );
    if (!skew.ok) return this.#refuse(ticket, mark, skew.code, skew.detail, true);
    const plausible = checkPlausibility(
      reading.kind,
      reading.value,
      reading.deviceTimeMs,
      this.#historyOf(reading.deviceId, reading.kind),
      this.#options.plausibility,
    );
    if (!plausible.ok) return this.#refuse(ticket, mark, plausible.code, plausible.detail, true);

    this.#marks.set(reading.deviceId, {
      boot: reading.boot,
      seq: reading.seq,
      deviceTimeMs: reading.deviceTimeMs,
    });
    this.#uncommitted.push({
      deviceId: reading.deviceId,
      boot: reading.boot,
      seq: reading.seq,
      envelope: message.payload,
    });
    return {
      item: {
        outcome: 'accepted',
        deviceId: reading.deviceId,
        boot: reading.boot,
        seq: reading.seq,
        deviceTimeMs: reading.deviceTimeMs,
        kind: reading.kind,
        value: reading.value,
        bayId: reading.bayId,
        envelope: message.payload,
        receivedAtMs,
        source: message.source,
        gap: replay.gap,
      },
      outcome: { outcome: 'accepted', deviceId: reading.deviceId, gap: replay.gap },
    };
  }

  #historyOf(deviceId: string, kind: ReadingKind): TraceHistory {
    let byKind = this.#histories.get(deviceId);
    if (byKind === undefined) this.#histories.set(deviceId, (byKind = new Map()));
    let history = byKind.get(kind);
    if (history === undefined)
      byKind.set(kind, (history = new TraceHistory(this.#options.plausibility.historyLength)));
    return history;
  }

  /** The verdict for a decoded reading that is refused; authentic ones still move the mark. */
  #refuse(
    ticket: Ticket,
    mark: DeviceMark | undefined,
    code: Code,
    detail: string,
    authentic: boolean,
  ): { item: CommitItem; outcome: IngestOutcome } {
    const { message, receivedAtMs } = ticket;
    const reading = ticket.reading!;
    // A skewed clock must not become the reference the next reading is measured against.
    const deviceTimeMs = code === 'PG_CLOCK_SKEW' ? mark?.deviceTimeMs : reading.deviceTimeMs;
    const authenticMark = authentic
      ? {
          boot: reading.boot,
          seq: reading.seq,
          ...(deviceTimeMs !== undefined ? { deviceTimeMs } : {}),
        }
      : undefined;
    if (authenticMark) {
      this.#marks.set(reading.deviceId, authenticMark);
      this.#uncommitted.push({
        deviceId: reading.deviceId,
        boot: reading.boot,
        seq: reading.seq,
        envelope: message.payload,
      });
    }
    return {
      item: {
        outcome: 'quarantined',
        code,
        detail,
        topic: message.topic,
        envelope: message.payload,
        receivedAtMs,
        source: message.source,
        deviceId: reading.deviceId,
        boot: reading.boot,
        seq: reading.seq,
        ...(authenticMark ? { authenticMark } : {}),
      },
      outcome: { outcome: 'quarantined', code, detail, deviceId: reading.deviceId },
    };
  }

  /** An authentic envelope judged but not committed yet with this identity (a redelivery within a batch). */
  #uncommittedEnvelope(deviceId: string, boot: number, seq: number): Uint8Array | undefined {
    for (let i = this.#uncommitted.length - 1; i >= 0; i--) {
      const entry = this.#uncommitted[i]!;
      if (entry.seq === seq && entry.boot === boot && entry.deviceId === deviceId)
        return entry.envelope;
    }
    return undefined;
  }

  #enqueueVerdict(
    ticket: Ticket,
    verdict: { item: CommitItem | undefined; outcome: IngestOutcome },
  ): void {
    ticket.item = verdict.item;
    ticket.outcome = verdict.outcome;
    this.#batch.push(ticket);
    if (this.#batch.length >= (this.#options.maxCommitBatch ?? 2_000)) this.#commit();
    else if (!this.#commitScheduled) {
      this.#commitScheduled = true;
      // A short wait gathers more verdicts per transaction: with synchronous=FULL each commit is an
      // fsync that blocks this thread, so fewer, larger commits leave it free for parsing.
      const delayMs = this.#options.commitDelayMs ?? 5;
      if (delayMs > 0) setTimeout(() => this.#commit(), delayMs);
      else setImmediate(() => this.#commit());
    }
  }

  #commit(): void {
    this.#commitScheduled = false;
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    // Every uncommitted envelope so far was judged into this batch.
    const judged = this.#uncommitted.length;
    const items: CommitItem[] = [];
    for (const ticket of batch) if (ticket.item) items.push(ticket.item);
    try {
      if (items.length > 0) this.#options.store.commit(items);
    } catch (error) {
      // The disk refused: nothing in this batch is acknowledged, and the in-memory marks are now
      // ahead of the log, so stop; a restart reloads the truth from SQLite.
      return this.#fail(error as Error, batch);
    }
    this.stats.commits++;
    if (items.length > 0) this.#options.onCommitted?.(items);
    this.#uncommitted.splice(0, judged);
    for (const ticket of batch) {
      const outcome = ticket.outcome!;
      this.#count(outcome, ticket.receivedAtMs);
      this.stats.inFlight--;
      ticket.done(null, outcome);
    }
    this.#admitWaiting();
  }

  #admitWaiting(): void {
    while (this.stats.inFlight < this.#maxInFlight && this.#waitingHead < this.#waiting.length) {
      this.#admit(this.#waiting[this.#waitingHead++]!);
    }
    // Drop the admitted prefix now and then, not on every commit.
    if (this.#waitingHead > 4_096 && this.#waitingHead * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#waitingHead);
      this.#waitingHead = 0;
    }
  }

  get #maxInFlight(): number {
    return this.#options.maxInFlight ?? 2_000;
  }

  #count(outcome: IngestOutcome, atMs: number): void {
    switch (outcome.outcome) {
      case 'accepted':
        this.stats.accepted++;
        if (outcome.gap) this.stats.gaps++;
        this.stats.lastSeenMs.set(outcome.deviceId, atMs);
        break;
      case 'duplicate':
        this.stats.duplicates++;
        break;
      case 'quarantined':
        this.stats.quarantined[outcome.code] = (this.stats.quarantined[outcome.code] ?? 0) + 1;
        break;
      case 'ignored':
        break;
    }
  }

  #fail(error: Error, batch: readonly Ticket[] = []): void {
    this.#failed ??= new Error(`ingest stopped: ${error.message}`, { cause: error });
    for (const ticket of batch) ticket.done(this.#failed);
    for (const ticket of this.#order.splice(0)) ticket.done(this.#failed);
    for (const ticket of this.#waiting.splice(this.#waitingHead)) ticket.done(this.#failed);
    this.#waiting = [];
    this.#waitingHead = 0;
  }

  /** False once the evidence log refused a write: the process must restart. */
  get healthy(): boolean {
    return this.#failed === undefined;
  }

  /** Resolves when every submitted message has been committed. */
  async drain(): Promise<void> {
    while (this.stats.inFlight > 0 && !this.#failed)
      await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function quarantine(code: Code, detail: string, deviceId?: string): IngestOutcome {
  return { outcome: 'quarantined', code, detail, ...(deviceId !== undefined ? { deviceId } : {}) };
}

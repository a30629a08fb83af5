// The attestation loop (docs/custody.md): asks the custody service which lots are due, signs each
// draft with the gateway key, gathers the peers' co-signatures when the warehouse needs m > 1, and
// queues the result in the SQLite outbox, from which the submitter puts it on chain. A draft the
// peers refuse is discarded (the lot is drafted again on the next tick) and raises an alert.
import type { TypedDataDomain } from 'ethers';
import type { Logger } from 'pino';
import type { Attestation } from '@pledgeguard/contracts/eip712';
import { leafHash } from '../core/merkle.js';
import type { AttestationDraft as OutboxDraft } from '../adapters/chain/outbox.js';
import type { ChainFeeder } from './chain-feeder.js';
import {
  collectSignatures,
  evidenceToWire,
  toWireAttestation,
  type CosignProposal,
  type PeerEndpoint,
} from './cosign.js';
import type { AttestationDraft, CustodyService } from './custody.js';

export interface AttestLoopOptions {
  readonly warehouseId: string;
  readonly gatewayId: string;
  readonly custody: CustodyService;
  readonly feeder: ChainFeeder;
  /** Signatures the oracle needs (m); 1 when this gateway attests alone. */
  readonly threshold: number;
  /** The other gateways of the warehouse; asked when threshold > 1. */
  readonly peers: readonly PeerEndpoint[];
  /** Addresses of the warehouse's gateway set, whose signatures count. */
  readonly gatewayAddresses: readonly string[];
  readonly cosignTimeoutMs: number;
  /** How often the loop asks for due lots. [ms] */
  readonly intervalMs: number;
  readonly log: Logger;
  /** Every queued attestation (the event stream); and every refusal (an alert). */
  readonly onQueued?: (draft: AttestationDraft, outboxId: number) => void;
  readonly onRefused?: (draft: AttestationDraft, refusals: readonly string[]) => void;
}

/** The outbox row for a custody draft. */
export function toOutboxDraft(warehouseId: string, draft: AttestationDraft): OutboxDraft {
  const a: Attestation = draft.attestation;
  return {
    warehouseId,
    bayId: draft.bayId,
    lotId: draft.lotId,
    lotKey: draft.lotKey,
    sequence: a.sequence,
    quantityGrams: a.quantityGrams,
    flags: a.flags,
    readingsRoot: a.readingsRoot,
    observedAtS: a.observedAt,
    validUntilS: a.validUntil,
    releaseOrderId: a.releaseOrderId,
    proposer: 'self',
  };
}

export class AttestLoop {
  readonly #o: AttestLoopOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: AttestLoopOptions) {
    this.#o = options;
  }

  start(): void {
    this.#stopped = false;
    this.#timer = setInterval(() => void this.runOnce(), this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass over the due lots; passes never overlap. */
  runOnce(): Promise<void> {
    if (this.#running) return this.#running;
    this.#running = this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<void> {
    const drafts = this.#o.custody.due();
    await Promise.all(drafts.map((draft) => this.#attest(draft)));
  }

  async #attest(draft: AttestationDraft): Promise<void> {
    const o = this.#o;
    const outboxDraft = toOutboxDraft(o.warehouseId, draft);
    try {
      if (this.#stopped) return o.custody.discard(draft);
      let peerSignatures: ReadonlyArray<{ signer: string; signature: string }> = [];
      if (o.threshold > 1) {
        const own = await o.feeder.sign(outboxDraft);
        const proposal = this.#proposal(draft, own.signature);
        const collected = await collectSignatures(
          proposal,
          o.peers,
          o.feeder.domain as TypedDataDomain,
          o.gatewayAddresses,
          o.cosignTimeoutMs,
          o.threshold - 1,
        );
        peerSignatures = collected.signatures;
        if (collected.signatures.length + 1 < o.threshold) {
          const refusals = collected.refusals.map((r) => `${r.peer}: ${r.code} ${r.message}`);
          // Peers that already signed the lot at this or a later sequence: another gateway's
          // proposal won the race and covers this one. Not a disagreement; draft again later.
          if (collected.refusals.every((r) => r.code === 'PG_COSIGN_SUPERSEDED')) {
            o.log.debug({ lotId: draft.lotId, refusals }, 'attestation superseded by a peer');
            return o.custody.discard(draft);
          }
          o.log.warn(
            { lotId: draft.lotId, sequence: draft.attestation.sequence.toString(), refusals },
            'attestation refused by peers: no quorum',
          );
          o.onRefused?.(draft, refusals);
          return o.custody.discard(draft);
        }
      }
      const { id } = await o.feeder.attest(outboxDraft, draft.readingIds, peerSignatures);
      o.custody.markAttested(draft);
      o.log.info(
        {
          lotId: draft.lotId,
          outboxId: id,
          sequence: draft.attestation.sequence.toString(),
          quantityGrams: draft.attestation.quantityGrams.toString(),
          flags: draft.flagNames,
          reason: draft.reason,
          signatures: peerSignatures.length + 1,
        },
        'attestation queued',
      );
      o.onQueued?.(draft, id);
    } catch (error) {
      o.log.error({ err: error, lotId: draft.lotId }, 'attestation could not be queued');
      o.custody.discard(draft);
    }
  }

  #proposal(draft: AttestationDraft, signature: string): CosignProposal {
    const domain = this.#o.feeder.domain;
    return {
      version: 1,
      proposer: this.#o.gatewayId,
      chainId: BigInt(domain.chainId ?? 0).toString(),
      custodyOracle: String(domain.verifyingContract),
      lotId: draft.lotId,
      attestation: toWireAttestation(draft.attestation),
      evidence: evidenceToWire(
        draft.evidence.map((r) => ({
          deviceId: r.deviceId,
          boot: r.boot,
          seq: r.seq,
          leafHash: leafHash(r.envelope),
        })),
      ),
      signature,
    };
  }
}

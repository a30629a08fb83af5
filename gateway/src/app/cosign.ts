// Multi-gateway co-signing over HTTP (docs/custody.md "Co-signing"). The proposer sends each peer
// the attestation it signed plus the identities and leaf hashes of the readings it rests on; a peer
// judges it against its own evidence and status (core/cosign.ts), waiting briefly for readings that
// have not reached it yet, and answers with its own EIP-712 signature or a coded refusal. The
// proposer keeps only signatures that recover to a gateway of the warehouse's set.
import { getBytes, hexlify, verifyTypedData, type TypedDataDomain } from 'ethers';
import { z } from 'zod';
import { ATTESTATION_TYPES, type Attestation, type TypedDataSigner } from '@pledgeguard/contracts';
import { fail, ok, type Code, type Result } from '@pledgeguard/protocol';
import {
  judgeProposal,
  type CosignPolicy,
  type EvidenceRef,
  type OwnView,
  DEFAULT_COSIGN_POLICY,
} from '../core/cosign.js';
import type { Clock } from '../ports/clock.js';

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/, 'must be 0x-prefixed hex');
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 32 bytes of 0x hex');
const uint = z.string().regex(/^[0-9]{1,78}$/, 'must be a decimal integer string');

export const proposalSchema = z
  .object({
    version: z.literal(1),
    proposer: z.string().min(1).max(64),
    chainId: uint,
    custodyOracle: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    lotId: z.string().min(1).max(31),
    attestation: z
      .object({
        warehouseId: uint,
        bayId: bytes32,
        lotId: bytes32,
        sequence: uint,
        quantityGrams: uint,
        flags: z.number().int().min(0).max(0xff),
        readingsRoot: bytes32,
        observedAt: uint,
        validUntil: uint,
        releaseOrderId: uint,
      })
      .strict(),
    evidence: z
      .array(
        z
          .object({
            deviceId: z.string().min(1).max(64),
            boot: z.number().int().min(0),
            seq: z.number().int().min(0),
            leafHash: bytes32,
          })
          .strict(),
      )
      .max(4_096),
    signature: hex,
  })
  .strict();

export type CosignProposal = z.infer<typeof proposalSchema>;

export type CosignAnswer =
  | { readonly ok: true; readonly signer: string; readonly signature: string }
  | { readonly ok: false; readonly code: Code; readonly message: string };

export function toWireAttestation(a: Attestation): CosignProposal['attestation'] {
  return {
    warehouseId: a.warehouseId.toString(),
    bayId: a.bayId,
    lotId: a.lotId,
    sequence: a.sequence.toString(),
    quantityGrams: a.quantityGrams.toString(),
    flags: a.flags,
    readingsRoot: a.readingsRoot,
    observedAt: a.observedAt.toString(),
    validUntil: a.validUntil.toString(),
    releaseOrderId: a.releaseOrderId.toString(),
  };
}

export function fromWireAttestation(w: CosignProposal['attestation']): Attestation {
  return {
    warehouseId: BigInt(w.warehouseId),
    bayId: w.bayId,
    lotId: w.lotId,
    sequence: BigInt(w.sequence),
    quantityGrams: BigInt(w.quantityGrams),
    flags: w.flags,
    readingsRoot: w.readingsRoot,
    observedAt: BigInt(w.observedAt),
    validUntil: BigInt(w.validUntil),
    releaseOrderId: BigInt(w.releaseOrderId),
  };
}

export function evidenceToWire(refs: readonly EvidenceRef[]): CosignProposal['evidence'] {
  return refs.map((r) => ({
    deviceId: r.deviceId,
    boot: r.boot,
    seq: r.seq,
    leafHash: hexlify(r.leafHash),
  }));
}

/** Signer address of an EIP-712 attestation signature, or undefined when it does not recover. */
export function recoverSigner(
  domain: TypedDataDomain,
  attestation: Attestation,
  signature: string,
): string | undefined {
  try {
    return verifyTypedData(domain, ATTESTATION_TYPES, attestation, signature);
  } catch {
    return undefined;
  }
}

export interface CosignFollowerOptions {
  /** The oracle's EIP-712 domain (custodyDomain(chainId, oracle)). */
  readonly domain: TypedDataDomain;
  readonly warehouseNumber: bigint;
  /** Addresses whose proposals this gateway considers (the warehouse's other gateways). */
  readonly peerAddresses: readonly string[];
  readonly signer: TypedDataSigner;
  readonly clock: Clock;
  /** This gateway's own status of a lot, by lot id (the custody service). */
  readonly lotStatus: (lotId: string) => { quantityGrams: bigint; flags: number } | undefined;
  /** Leaf hash of the reading held here under that identity (the evidence log). */
  readonly leafOf: (deviceId: string, boot: number, seq: number) => Uint8Array | undefined;
  /** Highest sequence already signed for the lot (own attestations and co-signatures). */
  readonly lastSignedSequence: (lotKey: string) => bigint | undefined;
  /** Records a co-signature before it is sent, so a restart never signs a lower sequence. */
  readonly recordCosigned: (proposal: CosignProposal, lotKey: string, signature: string) => void;
  /** Called with every refusal: the disagreement is an alert on the follower too. */
  readonly onRefusal?: (proposal: CosignProposal | undefined, code: Code, detail: string) => void;
  readonly policy?: CosignPolicy;
  /** How long to wait for readings the proposal lists but that have not arrived here yet. [ms] */
  readonly waitMs?: number;
  readonly lotKeyOf: (attestation: Attestation) => string;
}

/** The peer side: judges proposals and signs the ones its own evidence supports. */
export class CosignFollower {
  readonly #o: CosignFollowerOptions;
  readonly #peers: Set<string>;
  /** One judgement per lot at a time, so two proposals cannot both pass the sequence check. */
  readonly #busy = new Map<string, Promise<unknown>>();

  constructor(options: CosignFollowerOptions) {
    this.#o = options;
    this.#peers = new Set(options.peerAddresses.map((a) => a.toLowerCase()));
  }

  async handle(body: unknown): Promise<CosignAnswer> {
    const parsed = proposalSchema.safeParse(body);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      this.#o.onRefusal?.(undefined, 'PG_COSIGN_MALFORMED', detail);
      return { ok: false, code: 'PG_COSIGN_MALFORMED', message: detail };
    }
    const proposal = parsed.data;
    const previous = this.#busy.get(proposal.lotId) ?? Promise.resolve();
    const turn = previous.then(() => this.#judge(proposal));
    this.#busy.set(
      proposal.lotId,
      turn.catch(() => undefined),
    );
    const verdict = await turn;
    if (verdict.ok) return verdict.value;
    this.#o.onRefusal?.(proposal, verdict.code, verdict.detail);
    return { ok: false, code: verdict.code, message: verdict.detail };
  }

  async #judge(proposal: CosignProposal): Promise<Result<CosignAnswer & { ok: true }>> {
    const o = this.#o;
    if (
      BigInt(proposal.chainId) !== BigInt(o.domain.chainId ?? -1) ||
      proposal.custodyOracle.toLowerCase() !== String(o.domain.verifyingContract).toLowerCase() ||
      BigInt(proposal.attestation.warehouseId) !== o.warehouseNumber
    )
      return fail(
        'PG_COSIGN_DOMAIN',
        `chain ${proposal.chainId}, oracle ${proposal.custodyOracle}`,
      );
    const attestation = fromWireAttestation(proposal.attestation);
    const proposer = recoverSigner(o.domain, attestation, proposal.signature);
    if (proposer === undefined || !this.#peers.has(proposer.toLowerCase()))
      return fail('PG_COSIGN_UNKNOWN_PEER', `signature recovers to ${proposer ?? 'nothing'}`);

    const lotKey = o.lotKeyOf(attestation);
    const claim = {
      lotId: proposal.lotId,
      sequence: attestation.sequence,
      quantityGrams: attestation.quantityGrams,
      flags: attestation.flags,
      readingsRoot: getBytes(attestation.readingsRoot),
      observedAtMs: Number(attestation.observedAt) * 1_000,
      evidence: proposal.evidence.map((e) => ({ ...e, leafHash: getBytes(e.leafHash) })),
    };
    const view = (): OwnView => ({
      lot: o.lotStatus(proposal.lotId),
      leafOf: o.leafOf,
      lastSignedSequence: o.lastSignedSequence(lotKey),
      nowMs: o.clock.nowMs(),
    });
    const policy = o.policy ?? DEFAULT_COSIGN_POLICY;
    let verdict = judgeProposal(claim, view(), policy);
    // Readings travel to each gateway on their own: give late ones a moment.
    const deadlineMs = Date.now() + (o.waitMs ?? 2_000);
    while (!verdict.ok && retryable(verdict.code) && Date.now() < deadlineMs) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      verdict = judgeProposal(claim, view(), policy);
    }
    if (!verdict.ok) return verdict;
    const signature = await o.signer.signTypedData(
      o.domain,
      ATTESTATION_TYPES,
      attestation as unknown as Record<string, unknown>,
    );
    o.recordCosigned(proposal, lotKey, signature);
    return ok({ ok: true, signer: o.signer.address, signature });
  }
}

/** Refusals that can turn into agreement once this gateway has seen the same readings. */
function retryable(code: Code): boolean {
  return (
    code === 'PG_COSIGN_EVIDENCE_MISSING' ||
    code === 'PG_COSIGN_QUANTITY_MISMATCH' ||
    code === 'PG_COSIGN_FLAGS_MISMATCH'
  );
}

export interface PeerEndpoint {
  /** Base URL of the peer gateway's HTTP API, e.g. http://10.0.0.12:8080 */
  readonly url: string;
  /** Bearer token with the gateway-peer role on that peer. */
  readonly token: string;
}

export interface CollectedSignatures {
  readonly signatures: ReadonlyArray<{ signer: string; signature: string }>;
  readonly refusals: ReadonlyArray<{ peer: string; code: string; message: string }>;
}

/**
 * The proposer side: asks every peer in parallel and keeps the signatures that recover to an
 * allowed gateway address. It returns as soon as `needed` valid signatures are in (the quorum:
 * a slow or dead peer does not delay the attestation), or when every peer has answered or timed
 * out. Unreachable peers count as refusals with the transport's code (UNREACHABLE), not a
 * catalogue code, reported with the peer's URL.
 */
export async function collectSignatures(
  proposal: CosignProposal,
  peers: readonly PeerEndpoint[],
  domain: TypedDataDomain,
  allowedSigners: readonly string[],
  timeoutMs: number,
  needed: number = peers.length,
): Promise<CollectedSignatures> {
  const allowed = new Set(allowedSigners.map((a) => a.toLowerCase()));
  const attestation = fromWireAttestation(proposal.attestation);
  const signatures: Array<{ signer: string; signature: string }> = [];
  const refusals: Array<{ peer: string; code: string; message: string }> = [];
  const judge = (peer: string, answer: Partial<CosignAnswer> & { message?: string }): void => {
    if (answer.ok === true && typeof answer.signature === 'string') {
      const signer = recoverSigner(domain, attestation, answer.signature);
      if (signer !== undefined && allowed.has(signer.toLowerCase())) {
        signatures.push({ signer, signature: answer.signature });
        return;
      }
      refusals.push({ peer, code: 'BAD_SIGNATURE', message: `recovers to ${signer ?? 'nothing'}` });
      return;
    }
    refusals.push({
      peer,
      code: String((answer as { code?: unknown }).code ?? 'UNKNOWN'),
      message: String(answer.message ?? ''),
    });
  };
  const ask = async (peer: PeerEndpoint): Promise<void> => {
    try {
      const response = await fetch(new URL('/api/v1/cosign', peer.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${peer.token}` },
        body: JSON.stringify(proposal),
        signal: AbortSignal.timeout(timeoutMs),
      });
      judge(peer.url, (await response.json()) as Partial<CosignAnswer> & { message?: string });
    } catch (error) {
      judge(peer.url, { ok: false, code: 'UNREACHABLE' as Code, message: String(error) });
    }
  };
  await new Promise<void>((resolve) => {
    let pending = peers.length;
    if (pending === 0 || needed <= 0) return resolve();
    for (const peer of peers)
      void ask(peer).then(() => {
        pending--;
        if (pending === 0 || signatures.length >= needed) resolve();
      });
  });
  return { signatures: [...signatures], refusals: [...refusals] };
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Wallet, hexlify } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTESTATION_TYPES,
  custodyDomain,
  label,
  lotKey,
  type Attestation,
} from '@pledgeguard/contracts';
import { compareEvidence, type EvidenceRef } from '../core/cosign.js';
import { leafHash, merkleRoot } from '../core/merkle.js';
import {
  CosignFollower,
  collectSignatures,
  evidenceToWire,
  toWireAttestation,
  type CosignProposal,
} from './cosign.js';

const NOW_MS = 1_790_000_000_000;
const ORACLE = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const domain = custodyDomain(31337n, ORACLE);
const wallets = [1, 2, 3].map((i) => new Wallet(hexlify(new Uint8Array(32).fill(i))));
const [proposerWallet, peerA, peerB] = wallets as [Wallet, Wallet, Wallet];

const envelopes = [0, 1, 2, 3, 4].map((i) => Uint8Array.of(0xd2, i, 9, 9));
const refs: EvidenceRef[] = envelopes
  .map((e, i) => ({ deviceId: `lc-${i % 2}`, boot: 1, seq: i, leafHash: leafHash(e) }))
  .sort(compareEvidence);
const held = new Map(refs.map((r) => [`${r.deviceId}/${r.boot}/${r.seq}`, r.leafHash]));

function attestationOf(quantityGrams: bigint, sequence: bigint): Attestation {
  return {
    warehouseId: 7n,
    bayId: label('B-07'),
    lotId: label('LOT-7'),
    sequence,
    quantityGrams,
    flags: 0,
    readingsRoot: hexlify(merkleRoot(refs.map((r) => r.leafHash))),
    observedAt: BigInt(NOW_MS / 1_000),
    validUntil: BigInt(NOW_MS / 1_000 + 120),
    releaseOrderId: 0n,
  };
}

async function proposalOf(attestation: Attestation, by = proposerWallet): Promise<CosignProposal> {
  return {
    version: 1,
    proposer: 'gw-1',
    chainId: '31337',
    custodyOracle: ORACLE,
    lotId: 'LOT-7',
    attestation: toWireAttestation(attestation),
    evidence: evidenceToWire(refs),
    signature: await by.signTypedData(domain, ATTESTATION_TYPES, attestation),
  };
}

function follower(wallet: Wallet, seenGrams: bigint) {
  const signed = new Map<string, bigint>();
  const refusals: string[] = [];
  const instance = new CosignFollower({
    domain,
    warehouseNumber: 7n,
    peerAddresses: wallets.map((w) => w.address),
    signer: wallet,
    clock: { nowMs: () => NOW_MS },
    lotStatus: (lotId) => (lotId === 'LOT-7' ? { quantityGrams: seenGrams, flags: 0 } : undefined),
    leafOf: (d, b, s) => held.get(`${d}/${b}/${s}`),
    lastSignedSequence: (key) => signed.get(key),
    recordCosigned: (p, key) => signed.set(key, BigInt(p.attestation.sequence)),
    onRefusal: (_p, code) => refusals.push(code),
    waitMs: 300,
    lotKeyOf: (a) => lotKey(a.warehouseId, a.bayId, a.lotId),
  });
  return { instance, refusals };
}

async function serve(handler: CosignFollower): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      void handler.handle(JSON.parse(body)).then((answer) => {
        res.writeHead(answer.ok ? 200 : 409, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('co-signing over HTTP', () => {
  const honestA = follower(peerA, 1_000_000_000n);
  const honestB = follower(peerB, 1_000_000_000n);
  const servers: Server[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    for (const f of [honestA, honestB]) {
      const { server, url } = await serve(f.instance);
      servers.push(server);
      urls.push(url);
    }
  });
  afterAll(() => servers.forEach((s) => s.close()));

  it('collects one valid signature per agreeing peer, each recovering to that peer', async () => {
    const proposal = await proposalOf(attestationOf(1_000_000_000n, 100n));
    const collected = await collectSignatures(
      proposal,
      urls.map((url) => ({ url, token: 't' })),
      domain,
      wallets.map((w) => w.address),
      5_000,
    );
    expect(collected.refusals).toEqual([]);
    expect(collected.signatures.map((s) => s.signer).sort()).toEqual(
      [peerA.address, peerB.address].sort(),
    );
  });

  it('gives a proposer that lies about the quantity no signature, and each peer records why', async () => {
    const proposal = await proposalOf(attestationOf(1_300_000_000n, 200n));
    const collected = await collectSignatures(
      proposal,
      urls.map((url) => ({ url, token: 't' })),
      domain,
      wallets.map((w) => w.address),
      5_000,
    );
    expect(collected.signatures).toEqual([]);
    expect(collected.refusals.map((r) => r.code)).toEqual([
      'PG_COSIGN_QUANTITY_MISMATCH',
      'PG_COSIGN_QUANTITY_MISMATCH',
    ]);
    expect(honestA.refusals).toContain('PG_COSIGN_QUANTITY_MISMATCH');
  });

  it('never signs the same lot sequence twice', async () => {
    const proposal = await proposalOf(attestationOf(1_000_000_000n, 300n));
    const first = await honestA.instance.handle(proposal);
    const again = await honestA.instance.handle(proposal);
    expect(first.ok).toBe(true);
    expect(again).toMatchObject({ ok: false, code: 'PG_COSIGN_SUPERSEDED' });
  });

  it('refuses a proposal signed by a key outside the warehouse gateway set', async () => {
    const stranger = new Wallet(hexlify(new Uint8Array(32).fill(9)));
    const proposal = await proposalOf(attestationOf(1_000_000_000n, 400n), stranger);
    expect(await honestB.instance.handle(proposal)).toMatchObject({
      ok: false,
      code: 'PG_COSIGN_UNKNOWN_PEER',
    });
  });

  it('refuses malformed bodies with a coded answer', async () => {
    expect(await honestB.instance.handle({ version: 1, lotId: 3 })).toMatchObject({
      ok: false,
      code: 'PG_COSIGN_MALFORMED',
    });
  });

  it('returns once the quorum is in, without waiting for a slow peer', async () => {
    const slow = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    servers.push(slow);
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    const proposal = await proposalOf(attestationOf(1_000_000_000n, 450n));
    const collected = await collectSignatures(
      proposal,
      [
        { url: slowUrl, token: 't' },
        { url: urls[0]!, token: 't' },
      ],
      domain,
      wallets.map((w) => w.address),
      30_000,
      1,
    );
    expect(collected.signatures.map((s) => s.signer)).toEqual([peerA.address]);
    expect(collected.refusals).toEqual([]);
    slow.closeAllConnections();
  });

  it('counts an unreachable peer as a refusal, not a signature', async () => {
    const proposal = await proposalOf(attestationOf(1_000_000_000n, 500n));
    const collected = await collectSignatures(
      proposal,
      [{ url: 'http://127.0.0.1:9', token: 't' }],
      domain,
      wallets.map((w) => w.address),
      1_000,
    );
    expect(collected.signatures).toEqual([]);
    expect(collected.refusals).toHaveLength(1);
  });
});

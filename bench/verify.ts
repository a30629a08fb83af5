// `npm run bench:verify`: signature verification throughput on this machine, in one run.
// Per algorithm: raw node:crypto verify/s (cached KeyObject, over the ToBeSigned bytes), noble
// verify/s, and full decode + verify/s of a reading envelope. Rounds of each measurement are
// interleaved so drift on a shared machine hits them alike; the median round counts.
// Last line: one JSON object. Bar (issue 2): envelope_over_raw >= 0.8 for Ed25519.

import { verify } from 'node:crypto';
import {
  ALGS,
  decodeSign1,
  generateKeyPair,
  nobleSigner,
  nobleVerifier,
  openEnvelope,
  resolverFromMap,
  signReading,
  toBeSigned,
  type Alg,
} from '../protocol/src/index.js';
import { nodeVerifier, publicKeyObject } from '../protocol/src/node.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400);
const ENVELOPES = 256;

/** Operations per second of `op` over one time-boxed round. */
function round(op: (i: number) => void): number {
  let count = 0;
  const start = process.hrtime.bigint();
  const budgetNs = BigInt(ROUND_MS) * 1_000_000n;
  let elapsedNs = 0n;
  while (elapsedNs < budgetNs) {
    for (let i = 0; i < 64; i++) op(count + i);
    count += 64;
    elapsedNs = process.hrtime.bigint() - start;
  }
  return (count * 1e9) / Number(elapsedNs);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function fixture(alg: Alg) {
  const { secretKey, publicKey } = generateKeyPair(alg);
  const signer = nobleSigner(alg, 'lc-b07-1', secretKey);
  const envelopes = Array.from({ length: ENVELOPES }, (_, seq) =>
    signReading(
      {
        deviceId: 'lc-b07-1',
        boot: 3,
        seq,
        deviceTimeMs: 1_795_000_000_000 + seq * 1000,
        kind: 'weight',
        value: 1_000_250_000n + BigInt(seq),
        bayId: 'B-07',
        firmware: '1.4.2',
      },
      signer,
    ),
  );
  const decoded = envelopes.map((bytes) => {
    const result = decodeSign1(bytes);
    if (!result.ok) throw new Error(result.detail);
    return {
      message: toBeSigned(result.value.protectedBytes, result.value.payloadBytes),
      signature: result.value.signature,
    };
  });
  const key = publicKeyObject(alg, publicKey);
  const node = nodeVerifier(alg, publicKey);
  const noble = nobleVerifier(alg, publicKey);
  if (!key.ok || !node.ok || !noble.ok) throw new Error('key setup failed');
  return {
    envelopes,
    decoded,
    keyObject: key.value,
    resolve: resolverFromMap(new Map([['lc-b07-1', node.value]])),
    noble: noble.value,
  };
}

const figures: Record<string, number> = {};
for (const alg of Object.keys(ALGS) as Alg[]) {
  const f = fixture(alg);
  const digest = alg === 'EdDSA' ? null : 'sha256';
  const key =
    alg === 'EdDSA' ? f.keyObject : { key: f.keyObject, dsaEncoding: 'ieee-p1363' as const };
  const raw = (i: number) => {
    const { message, signature } = f.decoded[i % ENVELOPES]!;
    if (!verify(digest, message, key, signature)) throw new Error('raw verify failed');
  };
  const envelope = (i: number) => {
    if (!openEnvelope(f.envelopes[i % ENVELOPES]!, f.resolve).ok)
      throw new Error('envelope verify failed');
  };
  const decodeOnly = (i: number) => {
    if (!decodeSign1(f.envelopes[i % ENVELOPES]!).ok) throw new Error('decode failed');
  };
  const noble = (i: number) => {
    const { message, signature } = f.decoded[i % ENVELOPES]!;
    if (!f.noble.verify(message, signature)) throw new Error('noble verify failed');
  };
  round(raw); // warm-up: JIT and OpenSSL state
  round(envelope);
  const rawRounds: number[] = [];
  const envelopeRounds: number[] = [];
  const decodeRounds: number[] = [];
  const nobleRounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    rawRounds.push(round(raw));
    envelopeRounds.push(round(envelope));
    decodeRounds.push(round(decodeOnly));
    if (r < 3) nobleRounds.push(round(noble));
    process.stderr.write(`\r${alg}: round ${r + 1}/${ROUNDS}`);
  }
  process.stderr.write('\n');
  const name = alg === 'EdDSA' ? 'ed25519' : alg.toLowerCase();
  const rawPerS = median(rawRounds);
  const envelopePerS = median(envelopeRounds);
  // Paired ratio per round, then the median: robust to a round slowed by other load.
  const ratio = median(rawRounds.map((rawRound, r) => envelopeRounds[r]! / rawRound));
  figures[`${name}_raw_per_s`] = Math.round(rawPerS);
  figures[`${name}_envelope_per_s`] = Math.round(envelopePerS);
  figures[`${name}_noble_per_s`] = Math.round(median(nobleRounds));
  figures[`${name}_decode_per_s`] = Math.round(median(decodeRounds));
  figures[`${name}_envelope_over_raw`] = Number(ratio.toFixed(3));
  console.log(
    `${alg.padEnd(7)} raw node:crypto ${rawPerS.toFixed(0).padStart(7)}/s  envelope ${envelopePerS.toFixed(0).padStart(7)}/s  ` +
      `ratio ${ratio.toFixed(3)}  decode-only ${figures[`${name}_decode_per_s`]}/s  noble ${figures[`${name}_noble_per_s`]}/s  ` +
      `node/noble ${(rawPerS / median(nobleRounds)).toFixed(1)}x`,
  );
}

const envelopeOverRaw = figures.ed25519_envelope_over_raw!;
console.log(
  envelopeOverRaw >= 0.8
    ? 'bar met: envelope_over_raw >= 0.8 (Ed25519)'
    : `BAR MISSED: envelope_over_raw ${envelopeOverRaw} < 0.8`,
);
console.log(JSON.stringify({ envelope_over_raw: envelopeOverRaw, ...figures }));

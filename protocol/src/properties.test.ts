// Differential and robustness properties (fast-check): noble-signed envelopes verify with
// node:crypto and the other way round; encoding round-trips; random or mutated bytes never crash
// the decoder, always yield a catalogued code, and never verify unless unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODES, isCode } from './codes.js';
import { ALGS, decodeSign1, encodeReading, type Alg } from './cose.js';
import { openEnvelope, resolverFromMap, signReading } from './envelope.js';
import { generateKeyPair, nobleSigner, nobleVerifier } from './noble.js';
import { nodeSigner, nodeVerifier } from './node.js';
import { ID_PATTERN, KINDS, type Reading, type ReadingKind } from './reading.js';

const ALG_NAMES = Object.keys(ALGS) as Alg[];
/** Runs of the robustness properties; raise for a long fuzz run: PG_FUZZ_RUNS=500000 npx vitest run protocol. */
const FUZZ_RUNS = Number(process.env.PG_FUZZ_RUNS ?? 5_000);
const idArb = fc.stringMatching(ID_PATTERN);

export const readingArb: fc.Arbitrary<Reading> = fc
  .record({
    deviceId: idArb,
    boot: fc.integer({ min: 0, max: 4_294_967_295 }),
    seq: fc.maxSafeNat(),
    deviceTimeMs: fc.maxSafeNat(),
    kind: fc.constantFrom(...(Object.keys(KINDS) as ReadingKind[])),
    bayId: idArb,
    firmware: fc.stringMatching(/^[A-Za-z0-9._+-]{1,32}$/),
    unit: fc.double({ min: 0, max: 1, noNaN: true }),
    tag: fc.uint8Array({ minLength: 1, maxLength: 32 }),
    enters: fc.boolean(),
  })
  .map(({ unit, tag, enters, ...rest }) => {
    const { min, max } = KINDS[rest.kind];
    if (rest.kind === 'rfid-event') return { ...rest, value: enters ? 1n : -1n, tag };
    const span = Number(max - min);
    return { ...rest, value: min + BigInt(Math.floor(unit * span)) };
  });

function keys(alg: Alg, kid: string) {
  const { secretKey, publicKey } = generateKeyPair(alg);
  const node = nodeVerifier(alg, publicKey);
  const noble = nobleVerifier(alg, publicKey);
  if (!node.ok || !noble.ok) throw new Error('fresh key rejected');
  return {
    noble: nobleSigner(alg, kid, secretKey),
    node: nodeSigner(alg, kid, secretKey),
    nodeVerifier: node.value,
    nobleVerifier: noble.value,
  };
}

describe('differential signing and verification', () => {
  it.each(ALG_NAMES)(
    '%s: noble signatures verify with node:crypto and node signatures with noble',
    (alg) => {
      fc.assert(
        fc.property(readingArb, (reading) => {
          const k = keys(alg, reading.deviceId);
          const viaNode = openEnvelope(
            signReading(reading, k.noble),
            resolverFromMap(new Map([[reading.deviceId, k.nodeVerifier]])),
          );
          const viaNoble = openEnvelope(
            signReading(reading, k.node),
            resolverFromMap(new Map([[reading.deviceId, k.nobleVerifier]])),
          );
          expect(viaNode.ok && viaNode.value.reading).toEqual(reading);
          expect(viaNoble.ok && viaNoble.value.reading).toEqual(reading);
        }),
        { numRuns: 150 },
      );
    },
  );
});

describe('encoding', () => {
  it('decode(encode(reading)) returns the reading for every valid reading', () => {
    const signer = { alg: 'EdDSA' as const, kid: '', sign: () => new Uint8Array(64) };
    fc.assert(
      fc.property(readingArb, (reading) => {
        const decoded = decodeSign1(signReading(reading, { ...signer, kid: reading.deviceId }));
        expect(decoded.ok && decoded.value.reading).toEqual(reading);
      }),
      { numRuns: 2_000 },
    );
  });

  it('encodes each reading to one canonical byte string', () => {
    fc.assert(
      fc.property(readingArb, (reading) => {
        expect(encodeReading({ ...reading })).toEqual(encodeReading(reading));
      }),
    );
  });

  it('refuses to encode an out-of-range reading (misuse throws RangeError)', () => {
    const reading: Reading = {
      deviceId: 'd',
      boot: 0,
      seq: 0,
      deviceTimeMs: 0,
      kind: 'humidity',
      value: 1_001n,
      bayId: 'b',
      firmware: '1',
    };
    expect(() => encodeReading(reading)).toThrow(RangeError);
  });
});

describe('decoder robustness', () => {
  const k = keys('EdDSA', 'lc-1');
  const resolve = resolverFromMap(new Map([['lc-1', k.nodeVerifier]]));
  const valid = signReading(
    {
      deviceId: 'lc-1',
      boot: 1,
      seq: 7,
      deviceTimeMs: 1_795_000_000_000,
      kind: 'weight',
      value: 12_345n,
      bayId: 'B-1',
      firmware: '1.0',
    },
    k.noble,
  );

  it('returns a catalogued code for random bytes and never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1_200 }), (bytes) => {
        const result = openEnvelope(bytes, resolve);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(isCode(result.code)).toBe(true);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('rejects maximally nested CBOR within the size limit without exhausting the stack', () => {
    for (const opener of [0x81, 0xa1, 0xd2]) {
      const nested = new Uint8Array(1_024).fill(opener);
      const result = openEnvelope(nested, resolve);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(isCode(result.code)).toBe(true);
    }
  });

  it('never accepts a mutated envelope: flips, truncations, insertions and splices yield a code', () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(),
        bit: fc.integer({ min: 0, max: 7 }),
      }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({
        kind: fc.constant('set' as const),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let bytes = Uint8Array.from(valid);
        for (const m of mutations) {
          const at = m.at % (bytes.length + 1);
          if (m.kind === 'flip' && at < bytes.length) bytes[at]! ^= 1 << m.bit;
          if (m.kind === 'set' && at < bytes.length) bytes[at] = m.byte;
          if (m.kind === 'truncate') bytes = bytes.subarray(0, at);
          if (m.kind === 'insert')
            bytes = Uint8Array.from([...bytes.subarray(0, at), m.byte, ...bytes.subarray(at)]);
        }
        const result = openEnvelope(bytes, resolve);
        const unchanged =
          bytes.length === valid.length && bytes.every((byte, i) => byte === valid[i]);
        expect(result.ok).toBe(unchanged);
        if (!result.ok) expect(Object.hasOwn(CODES, result.code)).toBe(true);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  KINDS,
  openEnvelope,
  resolverFromMap,
  signReading,
  type Alg,
  type Reading,
  type ReadingKind,
} from '@pledgeguard/protocol';
import { nodeVerifier } from '@pledgeguard/protocol/node';
import { makeSigner } from '../adapters/signers.js';
import { envelopeTemplate, signReadingFast } from './fast-envelope.js';

const kinds = Object.keys(KINDS) as ReadingKind[];
const readingArb = fc
  .record({
    boot: fc.integer({ min: 0, max: 4_294_967_295 }),
    seq: fc.oneof(
      fc.integer({ min: 0, max: 70_000 }),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    ),
    deviceTimeMs: fc.oneof(
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    ),
    kind: fc.constantFrom(...kinds),
    unit: fc.double({ min: 0, max: 1, noNaN: true }),
    tag: fc.uint8Array({ minLength: 1, maxLength: 32 }),
  })
  .map(({ boot, seq, deviceTimeMs, kind, unit, tag }): Reading => {
    const { min, max } = KINDS[kind];
    let value = min + BigInt(Math.floor(unit * Number(max - min)));
    if (kind === 'rfid-event') value = unit < 0.5 ? -1n : 1n;
    const base = {
      deviceId: 'lc-b07-1',
      boot,
      seq,
      deviceTimeMs,
      kind,
      value,
      bayId: 'B-07',
      firmware: 'sim-1.0.0',
    };
    return kind === 'rfid-event' ? { ...base, tag } : base;
  });

describe('fast envelope encoding', () => {
  it.each(['EdDSA', 'ES256', 'ES256K'] as Alg[])(
    'gives the same bytes as signReading, and the verifier accepts them (%s)',
    (alg) => {
      const keys = generateKeyPair(alg);
      const signer = makeSigner('node', alg, 'lc-b07-1', keys.secretKey);
      const template = envelopeTemplate(signer, 'B-07', 'sim-1.0.0');
      const verifier = nodeVerifier(alg, keys.publicKey);
      if (!verifier.ok) throw new Error(verifier.detail);
      const resolve = resolverFromMap(new Map([['lc-b07-1', verifier.value]]));
      fc.assert(
        fc.property(readingArb, (reading) => {
          const fast = signReadingFast(reading, template);
          const opened = openEnvelope(fast, resolve);
          expect(opened.ok).toBe(true);
          if (opened.ok) expect(opened.value.reading).toEqual(reading);
          // Ed25519 is deterministic, so the bytes must match signReading exactly; ECDSA here
          // signs with random nonces, so compare everything but the signature.
          const reference = signReading(reading, signer);
          if (alg === 'EdDSA') expect(Buffer.from(fast).equals(Buffer.from(reference))).toBe(true);
          else
            expect(
              Buffer.from(fast.subarray(0, -64)).equals(Buffer.from(reference.subarray(0, -64))),
            ).toBe(true);
        }),
        { numRuns: alg === 'EdDSA' ? 300 : 100 },
      );
    },
  );

  it('refuses misuse: another device, out-of-range values, a tag on the wrong kind', () => {
    const keys = generateKeyPair('EdDSA');
    const template = envelopeTemplate(makeSigner('node', 'EdDSA', 'd', keys.secretKey), 'B', 'f');
    const base: Reading = {
      deviceId: 'd',
      boot: 0,
      seq: 0,
      deviceTimeMs: 0,
      kind: 'door',
      value: 1n,
      bayId: 'B',
      firmware: 'f',
    };
    expect(() => signReadingFast({ ...base, deviceId: 'e' }, template)).toThrow(RangeError);
    expect(() => signReadingFast({ ...base, value: 2n }, template)).toThrow(RangeError);
    expect(() => signReadingFast({ ...base, tag: new Uint8Array(1) }, template)).toThrow(
      RangeError,
    );
  });
});

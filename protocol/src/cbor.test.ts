// The strict decoder's mapping from CBOR faults to protocol codes (PROTOCOL.md section 5), and its
// fast path held to cborg's answers.
import fc from 'fast-check';
import type { TagDecoder } from 'cborg/interface';
import { describe, expect, it } from 'vitest';
import { DEFER, decodeFast, decodeStrict, decodeWithCborg, encodeDeterministic } from './cbor.js';
import { encodeProtected, encodeReading, encodeSign1, toBeSigned } from './cose.js';
import { readingArb } from './properties.test.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('decodeStrict', () => {
  it.each([
    ['indefinite array', bytes(0x9f, 0x01, 0xff), 'PG_CBOR_INDEFINITE_LENGTH'],
    ['indefinite map', bytes(0xbf, 0x01, 0x02, 0xff), 'PG_CBOR_INDEFINITE_LENGTH'],
    ['indefinite byte string', bytes(0x5f, 0x41, 0x00, 0xff), 'PG_CBOR_INDEFINITE_LENGTH'],
    ['indefinite text string', bytes(0x7f, 0x61, 0x41, 0xff), 'PG_CBOR_INDEFINITE_LENGTH'],
    ['non-minimal uint', bytes(0x18, 0x05), 'PG_CBOR_NON_CANONICAL'],
    ['non-minimal negative int', bytes(0x38, 0x00), 'PG_CBOR_NON_CANONICAL'],
    ['non-minimal length', bytes(0x58, 0x01, 0x00), 'PG_CBOR_NON_CANONICAL'],
    ['duplicate integer key', bytes(0xa2, 0x01, 0x00, 0x01, 0x00), 'PG_CBOR_DUPLICATE_KEY'],
    ['float16', bytes(0xf9, 0x3c, 0x00), 'PG_CBOR_UNSUPPORTED_TYPE'],
    [
      'float64 nested in an array',
      bytes(0x81, 0xfb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18),
      'PG_CBOR_UNSUPPORTED_TYPE',
    ],
    ['undefined', bytes(0xf7), 'PG_CBOR_UNSUPPORTED_TYPE'],
    ['simple value', bytes(0xf0), 'PG_CBOR_UNSUPPORTED_TYPE'],
    ['unknown tag', bytes(0xc1, 0x00), 'PG_CBOR_UNSUPPORTED_TYPE'],
    ['reserved minor', bytes(0x1c), 'PG_CBOR_MALFORMED'],
    ['truncated', bytes(0x19, 0x01), 'PG_CBOR_MALFORMED'],
    ['trailing bytes', bytes(0x01, 0x02), 'PG_CBOR_MALFORMED'],
    ['stray break, the indefinite-length terminator', bytes(0xff), 'PG_CBOR_INDEFINITE_LENGTH'],
    ['empty input', bytes(), 'PG_CBOR_MALFORMED'],
  ])('rejects %s with its code, leaving the fast path to cborg', (_name, input, code) => {
    const result = decodeStrict(input);
    expect(result.ok ? 'ok' : result.code).toBe(code);
    expect(decodeFast(input)).toBe(DEFER);
  });

  it('decodes integer-keyed maps as Map and round-trips deterministic encodings', () => {
    const value = new Map<number, unknown>([
      [1, 'lc-1'],
      [2, -7],
      [3, Uint8Array.of(1, 2)],
    ]);
    const encoded = encodeDeterministic(value);
    const decoded = decodeStrict(encoded);
    expect(decoded.ok && decoded.value).toEqual(value);
    expect(decoded.ok && encodeDeterministic(decoded.value)).toEqual(encoded);
  });
});

/** Runs of the differential properties; PG_FUZZ_RUNS raises them as for the other fuzz tests. */
const RUNS = Number(process.env.PG_FUZZ_RUNS ?? 5_000);
const TAGS: Record<number, TagDecoder> = { 18: (decode) => ({ tag18: decode() }) };

/** CBOR values of every type the strict decoder accepts, nested. */
const valueArb = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.integer({ min: -30, max: 30 }),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom(true, false, null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .uniqueArray(fc.tuple(fc.oneof(fc.integer(), fc.string()), tie('value')), {
        selector: ([key]) => key,
        maxLength: 5,
      })
      .map((entries) => new Map(entries)),
  ),
})).value;

/** The values the fast path must take itself: safe integers, ASCII text, no bigints. */
const subsetArb = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) }),
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom(true, false, null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .uniqueArray(
        fc.tuple(fc.oneof(fc.maxSafeInteger(), fc.string({ maxLength: 40 })), tie('value')),
        {
          selector: ([key]) => key,
          maxLength: 5,
        },
      )
      .map((entries) => new Map(entries)),
  ),
})).value;

/** The fast path's answer, if it gives one, is cborg's answer; returns whether it gave one. */
function sameAsCborg(bytes: Uint8Array, tags?: Record<number, TagDecoder>): boolean {
  const fast = decodeFast(bytes, tags);
  if (fast === DEFER) return false;
  const reference = decodeWithCborg(bytes, tags);
  expect(reference.ok ? 'ok' : reference.code).toBe('ok');
  expect(fast).toStrictEqual(plain(reference.ok && reference.value));
  return true;
}

/**
 * cborg hands out Buffer views of a Buffer input, the fast path plain Uint8Array copies; callers
 * treat both as bytes (cose.ts plainBytes), so the comparison does too.
 */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [key, plain(item)]));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  return value;
}

describe('decodeFast (the fast path of decodeStrict)', () => {
  it('returns exactly what cborg decodes, for every deterministic encoding it takes', () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        sameAsCborg(encodeDeterministic(value));
      }),
      { numRuns: RUNS },
    );
  });

  it('takes every encoding of safe integers, ASCII text, bytes, arrays and maps itself', () => {
    fc.assert(
      fc.property(subsetArb, (value) => {
        expect(sameAsCborg(encodeDeterministic(value))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('returns what cborg returns, or defers, for random bytes and mutated encodings', () => {
    const mutated = fc
      .tuple(
        valueArb.map((value) => encodeDeterministic(value)),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.nat(),
      )
      .map(([bytes, sets, cut]) => {
        const copy = Uint8Array.from(bytes);
        for (const [at, byte] of sets) if (copy.length > 0) copy[at % copy.length] = byte;
        return copy.subarray(0, copy.length - (cut % 3));
      });
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated),
        fc.boolean(),
        (bytes, tagged) => {
          sameAsCborg(bytes, tagged ? TAGS : undefined);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('takes every valid envelope, protected header and reading payload itself', () => {
    fc.assert(
      fc.property(
        readingArb,
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (reading, signature) => {
          const protectedBytes = encodeProtected('EdDSA', reading.deviceId);
          const payloadBytes = encodeReading(reading);
          expect(sameAsCborg(protectedBytes)).toBe(true);
          expect(sameAsCborg(payloadBytes)).toBe(true);
          expect(sameAsCborg(encodeSign1(protectedBytes, payloadBytes, signature), TAGS)).toBe(
            true,
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('leaves integers beyond the safe range, non-ASCII text and untaken tags to cborg', () => {
    for (const value of [
      2n ** 53n,
      -(2n ** 53n),
      2n ** 64n - 1n,
      'grüße',
      'naïve text that runs past thirty-two bytes',
    ]) {
      const bytes = encodeDeterministic(value);
      expect(decodeFast(bytes)).toBe(DEFER);
      expect(decodeStrict(bytes)).toEqual({ ok: true, value });
    }
    expect(decodeFast(Uint8Array.of(0xd2, 0x01))).toBe(DEFER);
    expect(decodeFast(Uint8Array.of(0xd2, 0x01), TAGS)).toEqual({ tag18: 1 });
    expect(decodeFast(encodeDeterministic(2 ** 53 - 1))).toBe(2 ** 53 - 1);
    expect(decodeFast(encodeDeterministic(-(2 ** 53 - 1)))).toBe(-(2 ** 53 - 1));
  });

  it('copies byte strings out of a Buffer instead of sharing its memory', () => {
    const input = Buffer.from(encodeDeterministic([Uint8Array.of(1, 2, 3)]));
    const decoded = decodeFast(input) as Uint8Array[];
    input.fill(0);
    expect(decoded[0]).toStrictEqual(Uint8Array.of(1, 2, 3));
  });
});

describe('toBeSigned', () => {
  it('builds the RFC 9052 Sig_structure byte for byte as the CBOR encoder does, at every head size', () => {
    for (const protectedLength of [0, 23, 24, 255, 256, 1_000])
      for (const payloadLength of [0, 23, 24, 255, 256, 1_000]) {
        const protectedBytes = Uint8Array.from({ length: protectedLength }, (_, i) => i & 0xff);
        const payloadBytes = Uint8Array.from({ length: payloadLength }, (_, i) => ~i & 0xff);
        expect(toBeSigned(protectedBytes, payloadBytes)).toEqual(
          Uint8Array.from(
            encodeDeterministic(['Signature1', protectedBytes, new Uint8Array(), payloadBytes]),
          ),
        );
      }
  });
});

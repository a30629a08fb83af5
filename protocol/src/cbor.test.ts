// The strict decoder's mapping from CBOR faults to protocol codes (PROTOCOL.md section 5).
import { describe, expect, it } from 'vitest';
import { decodeStrict, encodeDeterministic } from './cbor.js';

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
  ])('rejects %s with its code', (_name, input, code) => {
    const result = decodeStrict(input);
    expect(result.ok ? 'ok' : result.code).toBe(code);
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

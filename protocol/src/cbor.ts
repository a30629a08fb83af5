// Strict CBOR (RFC 8949) for the wire protocol, on cborg. Decoding enforces deterministic encoding
// (section 4.2.1: shortest integers and lengths), definite lengths, no duplicate map keys, and no
// floats, undefined or unexpected tags. Every failure comes back as a coded value, never a throw.

import { Tokenizer, Type, decode, encode, rfc8949EncodeOptions } from 'cborg';
import type { DecodeOptions, TagDecoder } from 'cborg/interface';
import { fail, ok, type Code, type Result } from './codes.js';

const BASE_OPTIONS: DecodeOptions = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: true,
  useMaps: true,
  rejectDuplicateMapKeys: true,
};

/** Rejects floats (and any simple value cborg would decode as a number) at the token level. */
class IntegerOnlyTokenizer extends Tokenizer {
  override next() {
    const token = super.next();
    if (Type.equals(token.type, Type.float))
      throw new Error('CBOR decode error: float values are not allowed');
    return token;
  }
}

/** Decodes exactly one CBOR item. `tags` lists the tags the caller accepts. */
export function decodeStrict(
  bytes: Uint8Array,
  tags?: Record<number, TagDecoder>,
): Result<unknown> {
  try {
    const options: DecodeOptions = { ...BASE_OPTIONS, ...(tags ? { tags } : {}) };
    options.tokenizer = new IntegerOnlyTokenizer(bytes, options);
    return ok(decode(bytes, options));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fail(codeForCborError(message), message);
  }
}

/** Deterministic encoding (RFC 8949 section 4.2.1). */
export function encodeDeterministic(value: unknown): Uint8Array {
  return encode(value, rfc8949EncodeOptions);
}

// cborg reports failures as Error messages; map them once, here, to protocol codes.
const MESSAGE_CODES: ReadonlyArray<readonly [RegExp, Code]> = [
  [/more bytes than necessary/, 'PG_CBOR_NON_CANONICAL'],
  [/indefinite length/, 'PG_CBOR_INDEFINITE_LENGTH'],
  [/repeat map key/, 'PG_CBOR_DUPLICATE_KEY'],
  [
    /float values|undefined values|NaN values|Infinity values|simple values|tag not supported/,
    'PG_CBOR_UNSUPPORTED_TYPE',
  ],
];

function codeForCborError(message: string): Code {
  for (const [pattern, code] of MESSAGE_CODES) if (pattern.test(message)) return code;
  return 'PG_CBOR_MALFORMED';
}

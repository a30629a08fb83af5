// Strict CBOR (RFC 8949) for the wire protocol, on cborg. Decoding enforces deterministic encoding
// (section 4.2.1: shortest integers and lengths), definite lengths, no duplicate map keys, and no
// floats, undefined or unexpected tags. Every failure comes back as a coded value, never a throw.
//
// Decoding tries a fast path first (`decodeFast`): a small recursive reader for the well-formed,
// deterministic subset readings use, which allocates only the values it returns. cborg builds a
// token object per item and costs the gateway's ingest thread about 12 us and 8 KB of garbage per
// envelope. Anything the fast path does not fully vouch for (any fault, any type it does not handle)
// goes to cborg, so cborg alone decides every error and its code; a property test holds the fast
// path to returning exactly what cborg returns whenever it returns anything.

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
  const fast = decodeFast(bytes, tags);
  return fast === DEFER ? decodeWithCborg(bytes, tags) : ok(fast);
}

/** decodeStrict without the fast path: the reference the fast path is tested against. */
export function decodeWithCborg(
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

/** What decodeFast returns for input it leaves to cborg. */
export const DEFER: unique symbol = Symbol('defer to cborg');

/** Nesting beyond this goes to cborg (readings nest three deep). */
const FAST_MAX_DEPTH = 16;
/** Text strings up to this length are assembled by hand; longer ones by TextDecoder. */
const FAST_SHORT_TEXT = 32;
const fastTextDecoder = new TextDecoder('utf-8');

// Reader state: decoding is synchronous, and a tag decoder's nested decodeStrict saves and restores it.
let data: Uint8Array = new Uint8Array(0);
let pos = 0;
let fastTags: Record<number, TagDecoder> | undefined;

/**
 * The value cborg would decode from `bytes` under BASE_OPTIONS, or DEFER when the input is outside
 * the subset read here: definite lengths, shortest-form heads, integers in the safe range, ASCII
 * text, byte strings (as plain Uint8Array copies), arrays, maps with distinct integer or text
 * keys, false, true, null, and the tags in `tags`. Every malformed or non-deterministic input is
 * outside that subset. Exported for the differential test; callers use decodeStrict.
 */
export function decodeFast(bytes: Uint8Array, tags?: Record<number, TagDecoder>): unknown {
  const saved = { data, pos, fastTags };
  // A plain view, so that slice copies: Buffer's slice returns a view into the caller's buffer.
  data =
    bytes.constructor === Uint8Array
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = 0;
  fastTags = tags;
  try {
    const value = readItem(0);
    return pos === bytes.length ? value : DEFER;
  } finally {
    ({ data, pos, fastTags } = saved);
  }
}

/** The argument of the head at `pos` (advancing past it), or -1 when cborg must judge it. */
function readArgument(minor: number): number {
  if (minor < 24) return minor;
  const at = pos;
  switch (minor) {
    case 24: {
      if (at >= data.length) return -1;
      const value = data[at]!;
      pos = at + 1;
      return value < 24 ? -1 : value;
    }
    case 25: {
      if (at + 2 > data.length) return -1;
      const value = (data[at]! << 8) | data[at + 1]!;
      pos = at + 2;
      return value < 0x100 ? -1 : value;
    }
    case 26: {
      if (at + 4 > data.length) return -1;
      const value =
        data[at]! * 0x1000000 + ((data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!);
      pos = at + 4;
      return value < 0x10000 ? -1 : value;
    }
    case 27: {
      if (at + 8 > data.length) return -1;
      const high =
        data[at]! * 0x1000000 + ((data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!);
      const low =
        data[at + 4]! * 0x1000000 + ((data[at + 5]! << 16) | (data[at + 6]! << 8) | data[at + 7]!);
      pos = at + 8;
      // Shortest form needs a high word; 2^53 and above would be a bigint (left to cborg).
      return high === 0 || high >= 0x200000 ? -1 : high * 0x100000000 + low;
    }
    default:
      return -1; // 28-30 reserved, 31 indefinite length
  }
}

function readItem(depth: number): unknown {
  if (pos >= data.length || depth > FAST_MAX_DEPTH) return DEFER;
  const initial = data[pos++]!;
  const major = initial >> 5;
  const minor = initial & 0x1f;
  if (major === 7) {
    // false, true, null; floats, undefined and other simple values are cborg's to refuse
    if (minor === 20) return false;
    if (minor === 21) return true;
    if (minor === 22) return null;
    return DEFER;
  }
  const argument = readArgument(minor);
  if (argument < 0) return DEFER;
  switch (major) {
    case 0:
      return argument;
    case 1:
      // -1 - 2^53 + 1 is still safe; -2^53 would be a bigint (left to cborg)
      return argument === Number.MAX_SAFE_INTEGER ? DEFER : -1 - argument;
    case 2: {
      const end = pos + argument;
      if (end > data.length) return DEFER;
      const value = data.slice(pos, end);
      pos = end;
      return value;
    }
    case 3:
      return readAsciiText(argument);
    case 4: {
      // every item takes at least one byte: a longer count is truncated input
      if (argument > data.length - pos) return DEFER;
      const items = new Array<unknown>(argument);
      for (let i = 0; i < argument; i++) {
        const item = readItem(depth + 1);
        if (item === DEFER) return DEFER;
        items[i] = item;
      }
      return items;
    }
    case 5: {
      if (argument > (data.length - pos) / 2) return DEFER;
      const map = new Map<unknown, unknown>();
      for (let i = 0; i < argument; i++) {
        const key = readItem(depth + 1);
        if ((typeof key !== 'number' && typeof key !== 'string') || map.has(key)) return DEFER;
        const value = readItem(depth + 1);
        if (value === DEFER) return DEFER;
        map.set(key, value);
      }
      return map;
    }
    default: {
      // major 6, a tag
      const decoder = fastTags?.[argument];
      if (decoder === undefined) return DEFER;
      const content = readItem(depth + 1);
      if (content === DEFER) return DEFER;
      const end = pos;
      let called = false;
      const control = Object.assign(
        () => {
          if (called) throw new Error('tag content is read once');
          called = true;
          return content;
        },
        {
          entries: () => {
            throw new Error('map entries are read by cborg');
          },
        },
      );
      let value: unknown;
      try {
        value = decoder(control);
      } catch {
        return DEFER; // cborg runs the decoder again and reports what it throws
      }
      pos = end;
      return called ? value : DEFER;
    }
  }
}

function readAsciiText(length: number): unknown {
  const start = pos;
  const end = start + length;
  if (end > data.length) return DEFER;
  let text = '';
  for (let i = start; i < end; i++) {
    const byte = data[i]!;
    if (byte >= 0x80) return DEFER; // UTF-8 beyond ASCII: cborg's decoding decides
    if (length <= FAST_SHORT_TEXT) text += String.fromCharCode(byte);
  }
  pos = end;
  return length <= FAST_SHORT_TEXT ? text : fastTextDecoder.decode(data.subarray(start, end));
}

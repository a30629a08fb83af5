// COSE_Sign1 (RFC 9052 section 4.2) for PledgeGuard readings: the only allowed header parameters
// are alg (1) and kid (4), both in the protected header; the unprotected header is empty.

import { Tagged } from 'cborg';
import { fail, ok, type Result } from './codes.js';
import { plainBytes } from './bytes.js';
import { decodeStrict, encodeDeterministic } from './cbor.js';
import { readingFromMap, readingToMap, type Reading } from './reading.js';

/** Largest envelope accepted, in bytes. A reading encodes to about 120. */
export const MAX_ENVELOPE_BYTES = 1024;

/** [RFC 9052 4.2] COSE_Sign1 tag. */
export const COSE_SIGN1_TAG = 18;

/** Algorithms and their COSE identifiers ([RFC 9053 2.1, 2.2], [RFC 8812 3.2] for ES256K). */
export const ALGS = { EdDSA: -8, ES256: -7, ES256K: -47 } as const;
export type Alg = keyof typeof ALGS;

const ALG_BY_ID = new Map<number, Alg>(Object.entries(ALGS).map(([name, id]) => [id, name as Alg]));

const HEADER = { alg: 1, crit: 2, kid: 4 } as const;

/** A decoded, not yet verified, COSE_Sign1 carrying a reading. */
export interface Sign1 {
  readonly alg: Alg;
  readonly kid: string;
  readonly protectedBytes: Uint8Array;
  readonly payloadBytes: Uint8Array;
  readonly signature: Uint8Array;
  readonly reading: Reading;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });
const textEncoder = new TextEncoder();

// The tag decoder marks the array it wraps so only a tag-18 top level passes.
class TaggedSign1 {
  constructor(readonly content: unknown) {}
}
const SIGN1_TAGS = {
  [COSE_SIGN1_TAG]: (decodeContent: () => unknown) => new TaggedSign1(decodeContent()),
};

/** Decodes an envelope and its payload. Checks structure and headers, not the signature. */
export function decodeSign1(bytes: Uint8Array): Result<Sign1> {
  if (bytes.length > MAX_ENVELOPE_BYTES) {
    return fail('PG_ENVELOPE_TOO_LARGE', `${bytes.length} bytes > ${MAX_ENVELOPE_BYTES}`);
  }
  const outer = decodeStrict(bytes, SIGN1_TAGS);
  if (!outer.ok) {
    // Another tag at the top (COSE_Sign, COSE_Mac0, CWT...) is a wrong structure, not bad CBOR.
    const foreignTag =
      outer.code === 'PG_CBOR_UNSUPPORTED_TYPE' && bytes[0]! >> 5 === 6 && bytes[0] !== 0xd2;
    return foreignTag ? fail('PG_COSE_NOT_SIGN1', outer.detail) : outer;
  }
  if (!(outer.value instanceof TaggedSign1)) return fail('PG_COSE_NOT_SIGN1', 'not a tag-18 item');
  const parts = outer.value.content;
  if (!Array.isArray(parts) || parts.length !== 4) {
    return fail('PG_COSE_NOT_SIGN1', 'tag 18 must wrap a four-element array');
  }
  const [protectedBytes, unprotected, payloadBytes, signature] = parts as unknown[];
  if (!(protectedBytes instanceof Uint8Array))
    return fail('PG_COSE_STRUCTURE', 'protected must be a byte string');
  if (!(unprotected instanceof Map)) return fail('PG_COSE_STRUCTURE', 'unprotected must be a map');
  if (payloadBytes === null) return fail('PG_COSE_PAYLOAD_DETACHED', 'payload is nil');
  if (!(payloadBytes instanceof Uint8Array))
    return fail('PG_COSE_STRUCTURE', 'payload must be a byte string');
  if (!(signature instanceof Uint8Array))
    return fail('PG_COSE_STRUCTURE', 'signature must be a byte string');
  if (unprotected.size !== 0) {
    if (unprotected.has(HEADER.crit))
      return fail('PG_COSE_CRIT_UNSUPPORTED', 'crit is not supported');
    return fail('PG_COSE_HEADER_UNKNOWN', 'the unprotected header must be empty');
  }

  const header = decodeProtected(protectedBytes);
  if (!header.ok) return header;

  const payload = decodeStrict(payloadBytes);
  if (!payload.ok) return payload;
  if (!(payload.value instanceof Map)) return fail('PG_PAYLOAD_STRUCTURE', 'payload must be a map');
  const reading = readingFromMap(payload.value);
  if (!reading.ok) return reading;
  if (reading.value.deviceId !== header.value.kid) {
    return fail(
      'PG_PAYLOAD_KID_MISMATCH',
      `kid ${header.value.kid} signs device ${reading.value.deviceId}`,
    );
  }
  return ok({
    alg: header.value.alg,
    kid: header.value.kid,
    protectedBytes: plainBytes(protectedBytes),
    payloadBytes: plainBytes(payloadBytes),
    signature: plainBytes(signature),
    reading: reading.value,
  });
}

function decodeProtected(bytes: Uint8Array): Result<{ alg: Alg; kid: string }> {
  const decoded = decodeStrict(bytes);
  if (!decoded.ok) return decoded;
  const header = decoded.value;
  if (!(header instanceof Map)) return fail('PG_COSE_STRUCTURE', 'protected header must be a map');
  if (header.has(HEADER.crit)) return fail('PG_COSE_CRIT_UNSUPPORTED', 'crit is not supported');
  let previousKey = 0;
  for (const key of header.keys()) {
    if (key !== HEADER.alg && key !== HEADER.kid) {
      return fail('PG_COSE_HEADER_UNKNOWN', `header parameter ${String(key)} is not allowed`);
    }
    if (key <= previousKey)
      return fail('PG_CBOR_NON_CANONICAL', 'protected header keys out of order');
    previousKey = key;
  }
  const algId = header.get(HEADER.alg);
  const kidBytes = header.get(HEADER.kid);
  if (algId === undefined || kidBytes === undefined) {
    return fail('PG_COSE_HEADER_MISSING', 'protected header needs alg (1) and kid (4)');
  }
  if (typeof algId !== 'number') return fail('PG_COSE_HEADER_INVALID', 'alg must be an integer');
  const alg = ALG_BY_ID.get(algId);
  if (alg === undefined) return fail('PG_COSE_ALG_UNSUPPORTED', `alg ${algId} is not supported`);
  if (!(kidBytes instanceof Uint8Array))
    return fail('PG_COSE_HEADER_INVALID', 'kid must be a byte string');
  let kid: string;
  try {
    kid = textDecoder.decode(kidBytes);
  } catch {
    return fail('PG_COSE_HEADER_INVALID', 'kid must be UTF-8');
  }
  return ok({ alg, kid });
}

/** Serialized protected header for a device: {1: alg, 4: kid}. */
export function encodeProtected(alg: Alg, kid: string): Uint8Array {
  return encodeDeterministic(
    new Map<number, unknown>([
      [HEADER.alg, ALGS[alg]],
      [HEADER.kid, textEncoder.encode(kid)],
    ]),
  );
}

/** Canonical payload bytes of a reading. Throws RangeError on an invalid reading (misuse). */
export function encodeReading(reading: Reading): Uint8Array {
  return encodeDeterministic(readingToMap(reading));
}

// [RFC 9052 4.4] Sig_structure = ["Signature1", body_protected, external_aad, payload], with an
// empty external_aad. Built by hand: the byte layout is fixed and this is on the verify hot path.
const SIGNATURE1_PREFIX = Uint8Array.of(0x84, 0x6a, ...textEncoder.encode('Signature1'));

export function toBeSigned(protectedBytes: Uint8Array, payloadBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(
    SIGNATURE1_PREFIX.length +
      bstrHeadLength(protectedBytes.length) +
      protectedBytes.length +
      1 +
      bstrHeadLength(payloadBytes.length) +
      payloadBytes.length,
  );
  out.set(SIGNATURE1_PREFIX);
  let at = writeBstrHead(out, SIGNATURE1_PREFIX.length, protectedBytes.length);
  out.set(protectedBytes, at);
  at += protectedBytes.length;
  out[at++] = 0x40; // external_aad: the empty byte string
  at = writeBstrHead(out, at, payloadBytes.length);
  out.set(payloadBytes, at);
  return out;
}

/** [RFC 8949 3.1] length of the shortest head of a byte string (major type 2) of `length` bytes. */
function bstrHeadLength(length: number): number {
  if (length < 24) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  throw new RangeError(`byte string of ${length} bytes exceeds the protocol`);
}

/** Writes that head at `at`; returns the offset after it. */
function writeBstrHead(out: Uint8Array, at: number, length: number): number {
  if (length < 24) {
    out[at] = 0x40 | length;
    return at + 1;
  }
  if (length < 0x100) {
    out[at] = 0x58;
    out[at + 1] = length;
    return at + 2;
  }
  out[at] = 0x59;
  out[at + 1] = length >> 8;
  out[at + 2] = length & 0xff;
  return at + 3;
}

/** The envelope bytes: tag 18 over [protected, {}, payload, signature]. */
export function encodeSign1(
  protectedBytes: Uint8Array,
  payloadBytes: Uint8Array,
  signature: Uint8Array,
): Uint8Array {
  return encodeDeterministic(
    new Tagged(COSE_SIGN1_TAG, [protectedBytes, new Map(), payloadBytes, signature]),
  );
}

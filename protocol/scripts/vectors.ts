// Builds the committed COSE test vectors (protocol/vectors/cose-vectors.json): valid envelopes for
// every algorithm and kind, and one malformed, forged or non-canonical envelope per failure code.
// Deterministic: keys come from fixed seeds and noble signs deterministically (RFC 8032, RFC 6979),
// so regenerating yields identical bytes (a test checks it).

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  ALGS,
  ECDSA_CURVES,
  FIELD,
  KINDS,
  MAX_ENVELOPE_BYTES,
  bigintToBytes,
  bytesToBigint,
  encodeDeterministic,
  encodeProtected,
  encodeReading,
  keyPairFromSecret,
  nobleSigner,
  toBeSigned,
  type Alg,
  type Code,
  type Reading,
  type Signer,
} from '../src/index.js';

export interface VectorDevice {
  kid: string;
  alg: Alg;
  /** Test key only: published here so anyone can reproduce the vectors. Never use it in a device. */
  secretKey: string;
  publicKey: string;
}

export interface JsonReading extends Omit<Reading, 'value' | 'tag'> {
  value: string;
  tag?: string;
}

export interface Vector {
  name: string;
  description: string;
  envelope: string;
  expect: 'ok' | Code;
  reading?: JsonReading;
}

export interface VectorFile {
  description: string;
  devices: VectorDevice[];
  vectors: Vector[];
}

const enc = encodeDeterministic;
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));
/** [RFC 8949 3.1] an item head in shortest form (0..0xffff is all the vectors need). */
const head = (major: number, n: number) =>
  n < 24
    ? Uint8Array.of((major << 5) | n)
    : n < 256
      ? Uint8Array.of((major << 5) | 24, n)
      : Uint8Array.of((major << 5) | 25, n >> 8, n & 0xff);
const bstr = (bytes: Uint8Array) => cat(head(2, bytes.length), bytes);
/** A map from already-encoded [key, value] pairs, in the given order (duplicates allowed). */
const rawMap = (entries: Array<[Uint8Array, Uint8Array]>) =>
  cat(head(5, entries.length), ...entries.flat());

function device(kid: string, alg: Alg): VectorDevice & { signer: Signer } {
  const seed = sha256(new TextEncoder().encode(`pledgeguard vector key ${kid}`));
  const { secretKey, publicKey } = keyPairFromSecret(alg, seed);
  return {
    kid,
    alg,
    secretKey: bytesToHex(secretKey),
    publicKey: bytesToHex(publicKey),
    signer: nobleSigner(alg, kid, secretKey),
  };
}

const BASE: Reading = {
  deviceId: 'lc-b07-1',
  boot: 3,
  seq: 1042,
  deviceTimeMs: 1_795_000_000_000,
  kind: 'weight',
  value: 1_000_250_000n,
  bayId: 'B-07',
  firmware: '1.4.2',
};

/** Canonical payload entries of a reading, each key and value encoded separately. */
function entries(reading: Reading): Array<[Uint8Array, Uint8Array]> {
  const map = new Map<number, unknown>([
    [FIELD.deviceId, reading.deviceId],
    [FIELD.boot, reading.boot],
    [FIELD.seq, reading.seq],
    [FIELD.deviceTimeMs, reading.deviceTimeMs],
    [FIELD.kind, KINDS[reading.kind].code],
    [FIELD.value, Number(reading.value)],
    [FIELD.bayId, reading.bayId],
    [FIELD.firmware, reading.firmware],
  ]);
  if (reading.tag) map.set(FIELD.tag, reading.tag);
  return [...map].map(([key, value]) => [enc(key), enc(value)]);
}

/** Replaces (or appends) the encoded value of payload key `key`. */
function withEntry(list: Array<[Uint8Array, Uint8Array]>, key: number, value: Uint8Array) {
  const keyBytes = enc(key);
  const out = list.map(([k, v]): [Uint8Array, Uint8Array] =>
    bytesToHex(k) === bytesToHex(keyBytes) ? [k, value] : [k, v],
  );
  if (!list.some(([k]) => bytesToHex(k) === bytesToHex(keyBytes))) out.push([keyBytes, value]);
  return out;
}
const without = (list: Array<[Uint8Array, Uint8Array]>, key: number) =>
  list.filter(([k]) => bytesToHex(k) !== bytesToHex(enc(key)));

interface Parts {
  tag?: Uint8Array;
  arrayHead?: Uint8Array;
  protectedBytes?: Uint8Array;
  protectedItem?: Uint8Array;
  unprotected?: Uint8Array;
  payloadBytes?: Uint8Array;
  payloadItem?: Uint8Array;
  signature?: (message: Uint8Array) => Uint8Array;
  trailer?: Uint8Array;
}

/** An envelope over hand-chosen parts, signed by `signer` unless `signature` overrides it. */
function envelope(signer: Signer, parts: Parts = {}): Uint8Array {
  const protectedBytes = parts.protectedBytes ?? encodeProtected(signer.alg, signer.kid);
  const payloadBytes = parts.payloadBytes ?? encodeReading(BASE_FOR(signer));
  const signature = (parts.signature ?? ((message) => signer.sign(message)))(
    toBeSigned(protectedBytes, payloadBytes),
  );
  return cat(
    parts.tag ?? Uint8Array.of(0xd2),
    parts.arrayHead ?? head(4, 4),
    parts.protectedItem ?? bstr(protectedBytes),
    parts.unprotected ?? Uint8Array.of(0xa0),
    parts.payloadItem ?? bstr(payloadBytes),
    bstr(signature),
    parts.trailer ?? new Uint8Array(),
  );
}

const BASE_FOR = (signer: Signer): Reading => ({ ...BASE, deviceId: signer.kid });
const payloadOf = (list: Array<[Uint8Array, Uint8Array]>) => ({ payloadBytes: rawMap(list) });
const protectedMap = (list: Array<[number, unknown]>) =>
  rawMap(list.map(([k, v]) => [enc(k), enc(v)]));

function toJson(reading: Reading): JsonReading {
  const { value, tag, ...rest } = reading;
  return { ...rest, value: value.toString(), ...(tag ? { tag: bytesToHex(tag) } : {}) };
}

function highS(alg: 'ES256' | 'ES256K', signer: Signer) {
  const order = ECDSA_CURVES[alg].Point.Fn.ORDER;
  return (message: Uint8Array) => {
    const low = signer.sign(message);
    return cat(low.subarray(0, 32), bigintToBytes(order - bytesToBigint(low.subarray(32)), 32));
  };
}

export function buildVectors(): VectorFile {
  const ed = device('lc-b07-1', 'EdDSA');
  const p256 = device('th-b07-2', 'ES256');
  const k1 = device('rfid-b07-3', 'ES256K');
  const impostor = device('lc-b07-1', 'EdDSA');
  // Same kid, different seed: the signature of a device that is not the registered one.
  const forger = {
    ...impostor,
    signer: nobleSigner('EdDSA', 'lc-b07-1', sha256(new TextEncoder().encode('forger'))),
  };
  const p256AsEd = { ...p256, signer: nobleSigner('ES256', 'lc-b07-1', hexKey(p256.secretKey)) };
  const unknown = device('lc-unknown-9', 'EdDSA');
  const base = entries(BASE);
  const vectors: Vector[] = [];
  const add = (
    name: string,
    description: string,
    bytes: Uint8Array,
    expect: Vector['expect'],
    reading?: Reading,
  ) =>
    vectors.push({
      name,
      description,
      envelope: bytesToHex(bytes),
      expect,
      ...(reading ? { reading: toJson(reading) } : {}),
    });
  const valid = (name: string, description: string, signer: Signer, reading: Reading) =>
    add(
      name,
      description,
      envelope(signer, { payloadBytes: encodeReading(reading) }),
      'ok',
      reading,
    );

  // Valid envelopes: every algorithm, every kind.
  valid('ok-eddsa-weight', 'Ed25519 load-cell reading, 1,000.25 t in grams', ed.signer, BASE);
  valid('ok-eddsa-weight-negative', 'negative weight after tare (within range)', ed.signer, {
    ...BASE,
    value: -350n,
  });
  valid('ok-es256-temperature', 'P-256 temperature, 4.5 degC in milli-degC', p256.signer, {
    ...BASE,
    deviceId: p256.kid,
    kind: 'temperature',
    value: 4_500n,
  });
  valid('ok-es256-humidity', 'P-256 humidity, 61.3 % RH in per-mille', p256.signer, {
    ...BASE,
    deviceId: p256.kid,
    kind: 'humidity',
    value: 613n,
  });
  valid('ok-es256k-rfid-enter', 'secp256k1 RFID tag entering the bay', k1.signer, {
    ...BASE,
    deviceId: k1.kid,
    kind: 'rfid-event',
    value: 1n,
    tag: Uint8Array.from({ length: 12 }, (_, i) => 0xe2 + i),
  });
  valid('ok-es256k-count', 'secp256k1 RFID zone count', k1.signer, {
    ...BASE,
    deviceId: k1.kid,
    kind: 'count',
    value: 40n,
  });
  valid('ok-eddsa-door', 'door contact open', ed.signer, { ...BASE, kind: 'door', value: 1n });
  valid('ok-eddsa-tamper', 'tamper switch intact', ed.signer, {
    ...BASE,
    kind: 'tamper',
    value: 0n,
  });
  valid('ok-eddsa-heartbeat', 'heartbeat with uptime', ed.signer, {
    ...BASE,
    kind: 'heartbeat',
    value: 86_400n,
  });
  valid('ok-eddsa-max-seq', 'largest sequence number', ed.signer, {
    ...BASE,
    seq: Number.MAX_SAFE_INTEGER,
  });

  // Signatures.
  const good = envelope(ed.signer);
  const tamperedPayload = entries({ ...BASE, value: 999_000_000n });
  add(
    'sig-tampered-payload',
    'payload value changed after signing',
    envelope(ed.signer, {
      payloadBytes: encodeReading(BASE),
      payloadItem: bstr(rawMap(tamperedPayload)),
    }),
    'PG_SIG_INVALID',
  );
  const flipped = Uint8Array.from(good);
  flipped[flipped.length - 1]! ^= 0x01;
  add('sig-tampered-signature', 'one bit of the signature flipped', flipped, 'PG_SIG_INVALID');
  add(
    'sig-wrong-key',
    'signed by a key that is not the registered one for this kid',
    envelope(forger.signer),
    'PG_SIG_INVALID',
  );
  add(
    'sig-short',
    'signature of 63 bytes',
    envelope(ed.signer, { signature: (m) => ed.signer.sign(m).subarray(1) }),
    'PG_SIG_MALFORMED',
  );
  add(
    'sig-es256-high-s',
    'valid ECDSA signature with s > n/2 (malleated)',
    envelope(p256.signer, { signature: highS('ES256', p256.signer) }),
    'PG_SIG_NON_CANONICAL',
  );
  add(
    'sig-es256k-high-s',
    'valid secp256k1 signature with s > n/2',
    envelope(k1.signer, { signature: highS('ES256K', k1.signer) }),
    'PG_SIG_NON_CANONICAL',
  );
  add(
    'alg-mismatch',
    'device registered for EdDSA sends ES256',
    envelope(p256AsEd.signer),
    'PG_ALG_MISMATCH',
  );
  add(
    'alg-unsupported',
    'alg ES384 (-35)',
    envelope(ed.signer, {
      protectedBytes: protectedMap([
        [1, -35],
        [4, utf8(ed.kid)],
      ]),
    }),
    'PG_COSE_ALG_UNSUPPORTED',
  );
  add('device-unknown', 'kid not in the registry', envelope(unknown.signer), 'PG_DEVICE_UNKNOWN');

  // CBOR well-formedness and determinism.
  add('cbor-empty', 'no bytes at all', new Uint8Array(), 'PG_CBOR_MALFORMED');
  add(
    'cbor-truncated',
    'envelope cut 10 bytes short',
    good.subarray(0, good.length - 10),
    'PG_CBOR_MALFORMED',
  );
  add(
    'cbor-trailing-bytes',
    'a second item after the envelope',
    envelope(ed.signer, { trailer: Uint8Array.of(0x00) }),
    'PG_CBOR_MALFORMED',
  );
  add(
    'envelope-oversized',
    `more than ${MAX_ENVELOPE_BYTES} bytes`,
    envelope(ed.signer, { signature: () => new Uint8Array(MAX_ENVELOPE_BYTES) }),
    'PG_ENVELOPE_TOO_LARGE',
  );
  add(
    'cbor-non-minimal-int',
    'seq 1042 encoded in 4 bytes instead of 2',
    envelope(
      ed.signer,
      payloadOf(withEntry(base, FIELD.seq, Uint8Array.of(0x1a, 0, 0, 0x04, 0x12))),
    ),
    'PG_CBOR_NON_CANONICAL',
  );
  add(
    'cbor-non-minimal-tag',
    'tag 18 encoded in two bytes',
    envelope(ed.signer, { tag: Uint8Array.of(0xd8, 18) }),
    'PG_CBOR_NON_CANONICAL',
  );
  add(
    'cbor-unsorted-payload-keys',
    'payload keys seq before boot',
    envelope(ed.signer, payloadOf([base[0]!, base[2]!, base[1]!, ...base.slice(3)])),
    'PG_CBOR_NON_CANONICAL',
  );
  add(
    'cbor-unsorted-header-keys',
    'protected header kid before alg',
    envelope(ed.signer, {
      protectedBytes: rawMap([
        [enc(4), enc(utf8(ed.kid))],
        [enc(1), enc(ALGS.EdDSA)],
      ]),
    }),
    'PG_CBOR_NON_CANONICAL',
  );
  add(
    'cbor-duplicate-payload-key',
    'payload value given twice',
    envelope(ed.signer, payloadOf([...base.slice(0, 6), base[5]!, ...base.slice(6)])),
    'PG_CBOR_DUPLICATE_KEY',
  );
  add(
    'cbor-duplicate-header-key',
    'alg given twice in the protected header',
    envelope(ed.signer, {
      protectedBytes: rawMap([
        [enc(1), enc(-8)],
        [enc(1), enc(-8)],
        [enc(4), enc(utf8(ed.kid))],
      ]),
    }),
    'PG_CBOR_DUPLICATE_KEY',
  );
  const indefinite = envelope(ed.signer, {
    arrayHead: Uint8Array.of(0x9f),
    trailer: Uint8Array.of(0xff),
  });
  add(
    'cbor-indefinite-array',
    'envelope array of indefinite length',
    indefinite,
    'PG_CBOR_INDEFINITE_LENGTH',
  );
  const fullPayload = rawMap(base);
  add(
    'cbor-indefinite-map',
    'payload map of indefinite length',
    envelope(ed.signer, {
      payloadBytes: cat(Uint8Array.of(0xbf), fullPayload.subarray(1), Uint8Array.of(0xff)),
    }),
    'PG_CBOR_INDEFINITE_LENGTH',
  );
  const float = new Uint8Array(9);
  float[0] = 0xfb;
  new DataView(float.buffer).setFloat64(1, 1_000_250_000.5);
  add(
    'cbor-float-value',
    'value as a float64',
    envelope(ed.signer, payloadOf(withEntry(base, FIELD.value, float))),
    'PG_CBOR_UNSUPPORTED_TYPE',
  );
  const integralFloat = Uint8Array.of(0xf9, 0x3c, 0x00); // float16 1.0
  add(
    'cbor-integral-float',
    'door value 1 sent as float16 1.0',
    envelope(
      ed.signer,
      payloadOf(
        withEntry(entries({ ...BASE, kind: 'door', value: 1n }), FIELD.value, integralFloat),
      ),
    ),
    'PG_CBOR_UNSUPPORTED_TYPE',
  );

  // COSE structure and headers.
  add(
    'cose-untagged',
    'COSE_Sign1 array without tag 18',
    envelope(ed.signer, { tag: new Uint8Array() }),
    'PG_COSE_NOT_SIGN1',
  );
  add(
    'cose-wrong-tag',
    'tag 98 (COSE_Sign) around the array',
    envelope(ed.signer, { tag: Uint8Array.of(0xd8, 98) }),
    'PG_COSE_NOT_SIGN1',
  );
  add(
    'cose-three-elements',
    'array of three elements',
    cat(
      Uint8Array.of(0xd2, 0x83),
      bstr(encodeProtected('EdDSA', ed.kid)),
      Uint8Array.of(0xa0),
      bstr(encodeReading(BASE)),
    ),
    'PG_COSE_NOT_SIGN1',
  );
  add(
    'cose-protected-not-bstr',
    'protected header as a bare map',
    envelope(ed.signer, { protectedItem: encodeProtected('EdDSA', ed.kid) }),
    'PG_COSE_STRUCTURE',
  );
  add(
    'cose-detached-payload',
    'payload nil (detached content)',
    envelope(ed.signer, { payloadItem: Uint8Array.of(0xf6) }),
    'PG_COSE_PAYLOAD_DETACHED',
  );
  add(
    'cose-unprotected-kid',
    'kid in the unprotected header',
    envelope(ed.signer, { unprotected: rawMap([[enc(4), enc(utf8(ed.kid))]]) }),
    'PG_COSE_HEADER_UNKNOWN',
  );
  add(
    'cose-crit',
    'crit header naming label 99',
    envelope(ed.signer, {
      protectedBytes: protectedMap([
        [1, -8],
        [2, [99]],
        [4, utf8(ed.kid)],
      ]),
    }),
    'PG_COSE_CRIT_UNSUPPORTED',
  );
  add(
    'cose-content-type',
    'content type (3) header, not allowed',
    envelope(ed.signer, {
      protectedBytes: protectedMap([
        [1, -8],
        [3, 60],
        [4, utf8(ed.kid)],
      ]),
    }),
    'PG_COSE_HEADER_UNKNOWN',
  );
  add(
    'cose-kid-missing',
    'protected header with alg only',
    envelope(ed.signer, { protectedBytes: protectedMap([[1, -8]]) }),
    'PG_COSE_HEADER_MISSING',
  );
  add(
    'cose-kid-text',
    'kid as a text string',
    envelope(ed.signer, {
      protectedBytes: protectedMap([
        [1, -8],
        [4, ed.kid],
      ]),
    }),
    'PG_COSE_HEADER_INVALID',
  );
  add(
    'cose-kid-not-utf8',
    'kid bytes are not UTF-8',
    envelope(ed.signer, {
      protectedBytes: protectedMap([
        [1, -8],
        [4, Uint8Array.of(0xff, 0xfe)],
      ]),
    }),
    'PG_COSE_HEADER_INVALID',
  );
  add(
    'cose-kid-mismatch',
    'kid names another device than the payload',
    envelope(ed.signer, { payloadBytes: encodeReading({ ...BASE, deviceId: 'lc-b07-9' }) }),
    'PG_PAYLOAD_KID_MISMATCH',
  );

  // Payload schema.
  add(
    'payload-not-map',
    'payload is an array',
    envelope(ed.signer, { payloadBytes: enc([1, 2, 3]) }),
    'PG_PAYLOAD_STRUCTURE',
  );
  add(
    'payload-missing-bay',
    'bay id (7) left out',
    envelope(ed.signer, payloadOf(without(base, FIELD.bayId))),
    'PG_PAYLOAD_FIELD_MISSING',
  );
  add(
    'payload-unknown-field',
    'field 10 is not defined',
    envelope(ed.signer, payloadOf([...base, [enc(10), enc(1)]])),
    'PG_PAYLOAD_FIELD_UNKNOWN',
  );
  add(
    'payload-text-key',
    'a text-string key',
    envelope(ed.signer, payloadOf([...base, [enc('note'), enc('x')]])),
    'PG_PAYLOAD_FIELD_UNKNOWN',
  );
  add(
    'payload-value-as-text',
    'value as a text string',
    envelope(ed.signer, payloadOf(withEntry(base, FIELD.value, enc('1000')))),
    'PG_PAYLOAD_FIELD_TYPE',
  );
  add(
    'payload-humidity-range',
    'humidity 1,001 per-mille',
    envelope(
      ed.signer,
      payloadOf(
        withEntry(entries({ ...BASE, kind: 'humidity', value: 0n }), FIELD.value, enc(1001)),
      ),
    ),
    'PG_PAYLOAD_FIELD_RANGE',
  );
  add(
    'payload-kind-unknown',
    'kind 99',
    envelope(ed.signer, payloadOf(withEntry(base, FIELD.kind, enc(99)))),
    'PG_PAYLOAD_FIELD_RANGE',
  );
  add(
    'payload-seq-beyond-safe',
    'seq 2^53',
    envelope(
      ed.signer,
      payloadOf(withEntry(base, FIELD.seq, Uint8Array.of(0x1b, 0, 0x20, 0, 0, 0, 0, 0, 0))),
    ),
    'PG_PAYLOAD_FIELD_RANGE',
  );
  add(
    'payload-boot-negative',
    'boot -1',
    envelope(ed.signer, payloadOf(withEntry(base, FIELD.boot, enc(-1)))),
    'PG_PAYLOAD_FIELD_RANGE',
  );
  add(
    'payload-device-id-charset',
    'device id with a slash (would break MQTT topics)',
    envelope(nobleSigner('EdDSA', 'lc/b07', hexKey(ed.secretKey)), {
      payloadBytes: encodeRawReading({ ...BASE, deviceId: 'lc/b07' }),
    }),
    'PG_PAYLOAD_FIELD_RANGE',
  );
  add(
    'payload-rfid-without-tag',
    'rfid-event with no tag',
    envelope(
      k1.signer,
      payloadOf(entries({ ...BASE, deviceId: k1.kid, kind: 'rfid-event', value: 1n })),
    ),
    'PG_PAYLOAD_FIELD_MISSING',
  );
  add(
    'payload-tag-on-weight',
    'tag on a weight reading',
    envelope(ed.signer, payloadOf([...base, [enc(FIELD.tag), enc(Uint8Array.of(1, 2, 3))]])),
    'PG_PAYLOAD_FIELD_UNKNOWN',
  );

  const devices = [ed, p256, k1].map(({ kid, alg, secretKey, publicKey }) => ({
    kid,
    alg,
    secretKey,
    publicKey,
  }));
  return {
    description:
      'PledgeGuard COSE_Sign1 reading vectors (PROTOCOL.md). Verify each envelope against `devices` (kid -> alg, public key); `expect` is "ok" or the error code. Test keys only. Regenerate with `npm run vectors`.',
    devices,
    vectors,
  };
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function hexKey(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((byte) => parseInt(byte, 16)));
}

/** Payload bytes without validation, for readings the encoder would refuse. */
function encodeRawReading(reading: Reading): Uint8Array {
  return rawMap(entries(reading));
}

export function serialise(file: VectorFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

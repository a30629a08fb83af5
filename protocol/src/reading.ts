// The signed reading: payload fields, kinds, units and ranges (PROTOCOL.md section 3).
// Integers only on the wire. Values are bigint in code because they are quantities.

import { plainBytes } from './bytes.js';
import { fail, ok, type Result } from './codes.js';

/** Reading kinds, their wire code, unit and the range a device may report. */
export const KINDS = {
  weight: { code: 1, unit: 'g', min: -1_000_000_000_000n, max: 1_000_000_000_000n },
  count: { code: 2, unit: 'items', min: 0n, max: 1_000_000_000n },
  temperature: { code: 3, unit: 'milli-degC', min: -100_000n, max: 150_000n },
  humidity: { code: 4, unit: 'per-mille RH', min: 0n, max: 1_000n },
  door: { code: 5, unit: '0 closed / 1 open', min: 0n, max: 1n },
  tamper: { code: 6, unit: '0 intact / 1 tampered', min: 0n, max: 1n },
  'rfid-event': { code: 7, unit: '+1 tag entered / -1 tag left', min: -1n, max: 1n },
  heartbeat: { code: 8, unit: 's of uptime', min: 0n, max: 4_294_967_295n },
} as const;

export type ReadingKind = keyof typeof KINDS;

const KIND_BY_CODE = new Map<number, ReadingKind>(
  Object.entries(KINDS).map(([name, spec]) => [spec.code, name as ReadingKind]),
);

export function kindFromCode(code: number): ReadingKind | undefined {
  return KIND_BY_CODE.get(code);
}

/** A decoded reading. Identity is (deviceId, boot, seq). */
export interface Reading {
  readonly deviceId: string;
  /** Boot counter, incremented on every device start. [uint32] */
  readonly boot: number;
  /** Sequence number, strictly increasing within a boot. [0, 2^53-1] */
  readonly seq: number;
  /** Device clock at measurement. [ms since Unix epoch] */
  readonly deviceTimeMs: number;
  readonly kind: ReadingKind;
  /** In the unit of `kind` (KINDS[kind].unit). */
  readonly value: bigint;
  readonly bayId: string;
  readonly firmware: string;
  /** RFID tag (EPC) for `rfid-event` readings only. [1..32 bytes] */
  readonly tag?: Uint8Array;
}

/** Payload map keys, in canonical (ascending) order. */
export const FIELD = {
  deviceId: 1,
  boot: 2,
  seq: 3,
  deviceTimeMs: 4,
  kind: 5,
  value: 6,
  bayId: 7,
  firmware: 8,
  tag: 9,
} as const;

export const MAX_UINT32 = 4_294_967_295;
export const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const FIRMWARE_PATTERN = /^[A-Za-z0-9._+-]{1,32}$/;
export const MAX_TAG_BYTES = 32;

type FieldName = keyof typeof FIELD;
const NAME_BY_KEY = new Map<number, FieldName>(
  Object.entries(FIELD).map(([name, key]) => [key, name as FieldName]),
);

/** Turns a decoded payload map into a Reading, checking keys, order, types and ranges. */
export function readingFromMap(map: Map<unknown, unknown>): Result<Reading> {
  let previousKey = 0;
  for (const key of map.keys()) {
    if (typeof key !== 'number' || !NAME_BY_KEY.has(key)) {
      return fail('PG_PAYLOAD_FIELD_UNKNOWN', `payload key ${String(key)} is not defined`);
    }
    // [RFC 8949 4.2.1] deterministic maps sort keys bytewise; for small uints that is ascending.
    if (key <= previousKey) {
      return fail('PG_CBOR_NON_CANONICAL', `payload key ${key} follows key ${previousKey}`);
    }
    previousKey = key;
  }

  const deviceId = textField(map, 'deviceId', ID_PATTERN);
  if (!deviceId.ok) return deviceId;
  const boot = uintField(map, 'boot', MAX_UINT32);
  if (!boot.ok) return boot;
  const seq = uintField(map, 'seq', Number.MAX_SAFE_INTEGER);
  if (!seq.ok) return seq;
  const deviceTimeMs = uintField(map, 'deviceTimeMs', Number.MAX_SAFE_INTEGER);
  if (!deviceTimeMs.ok) return deviceTimeMs;
  const kindCode = uintField(map, 'kind', 255);
  if (!kindCode.ok) return kindCode;
  const kind = kindFromCode(kindCode.value);
  if (kind === undefined)
    return fail('PG_PAYLOAD_FIELD_RANGE', `kind ${kindCode.value} is not defined`);
  const value = intField(map, 'value');
  if (!value.ok) return value;
  const { min, max } = KINDS[kind];
  if (value.value < min || value.value > max) {
    return fail(
      'PG_PAYLOAD_FIELD_RANGE',
      `${kind} value ${value.value} is outside [${min}, ${max}]`,
    );
  }
  const bayId = textField(map, 'bayId', ID_PATTERN);
  if (!bayId.ok) return bayId;
  const firmware = textField(map, 'firmware', FIRMWARE_PATTERN);
  if (!firmware.ok) return firmware;

  const reading = {
    deviceId: deviceId.value,
    boot: boot.value,
    seq: seq.value,
    deviceTimeMs: deviceTimeMs.value,
    kind,
    value: value.value,
    bayId: bayId.value,
    firmware: firmware.value,
  };
  const tag = map.get(FIELD.tag);
  if (kind !== 'rfid-event') {
    if (tag !== undefined)
      return fail('PG_PAYLOAD_FIELD_UNKNOWN', `tag is only allowed on rfid-event`);
    return ok(reading);
  }
  if (tag === undefined) return fail('PG_PAYLOAD_FIELD_MISSING', 'rfid-event requires tag');
  if (!(tag instanceof Uint8Array))
    return fail('PG_PAYLOAD_FIELD_TYPE', 'tag must be a byte string');
  if (tag.length < 1 || tag.length > MAX_TAG_BYTES) {
    return fail('PG_PAYLOAD_FIELD_RANGE', `tag must be 1..${MAX_TAG_BYTES} bytes`);
  }
  if (value.value === 0n)
    return fail('PG_PAYLOAD_FIELD_RANGE', 'rfid-event value must be +1 or -1');
  return ok({ ...reading, tag: plainBytes(tag) });
}

/** The payload map for a reading, keys in canonical order. Misuse (bad values) throws. */
export function readingToMap(reading: Reading): Map<number, unknown> {
  const check = readingFromMap(rawMap(reading));
  if (!check.ok) throw new RangeError(`invalid reading: ${check.code}: ${check.detail}`);
  return rawMap(reading);
}

function rawMap(reading: Reading): Map<number, unknown> {
  const map = new Map<number, unknown>([
    [FIELD.deviceId, reading.deviceId],
    [FIELD.boot, reading.boot],
    [FIELD.seq, reading.seq],
    [FIELD.deviceTimeMs, reading.deviceTimeMs],
    [FIELD.kind, KINDS[reading.kind]?.code ?? -1],
    // Values in the safe-integer range go on the wire as plain CBOR integers.
    [FIELD.value, Number(reading.value)],
    [FIELD.bayId, reading.bayId],
    [FIELD.firmware, reading.firmware],
  ]);
  if (reading.tag !== undefined) map.set(FIELD.tag, reading.tag);
  return map;
}

function missing(name: FieldName) {
  return fail('PG_PAYLOAD_FIELD_MISSING', `${name} (key ${FIELD[name]}) is missing`);
}

function textField(map: Map<unknown, unknown>, name: FieldName, pattern: RegExp): Result<string> {
  const raw = map.get(FIELD[name]);
  if (raw === undefined) return missing(name);
  if (typeof raw !== 'string')
    return fail('PG_PAYLOAD_FIELD_TYPE', `${name} must be a text string`);
  if (!pattern.test(raw)) return fail('PG_PAYLOAD_FIELD_RANGE', `${name} must match ${pattern}`);
  return ok(raw);
}

function uintField(map: Map<unknown, unknown>, name: FieldName, max: number): Result<number> {
  const raw = map.get(FIELD[name]);
  if (raw === undefined) return missing(name);
  if (typeof raw === 'bigint') return fail('PG_PAYLOAD_FIELD_RANGE', `${name} is above ${max}`);
  if (typeof raw !== 'number') return fail('PG_PAYLOAD_FIELD_TYPE', `${name} must be an integer`);
  if (raw < 0 || raw > max)
    return fail('PG_PAYLOAD_FIELD_RANGE', `${name} ${raw} is outside [0, ${max}]`);
  return ok(raw);
}

function intField(map: Map<unknown, unknown>, name: FieldName): Result<bigint> {
  const raw = map.get(FIELD[name]);
  if (raw === undefined) return missing(name);
  if (typeof raw === 'bigint') return ok(raw);
  if (typeof raw !== 'number') return fail('PG_PAYLOAD_FIELD_TYPE', `${name} must be an integer`);
  return ok(BigInt(raw));
}

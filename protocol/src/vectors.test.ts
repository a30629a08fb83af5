// The committed COSE vectors: each envelope yields exactly its expected result on both verifier
// paths, and regenerating the file reproduces it byte for byte.
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { buildVectors, serialise, type VectorFile } from '../scripts/vectors.js';
import { CODES } from './codes.js';
import type { SignatureVerifier } from './curves.js';
import { openEnvelope, resolverFromMap } from './envelope.js';
import { nobleVerifier } from './noble.js';
import { nodeVerifier } from './node.js';

const path = new URL('../vectors/cose-vectors.json', import.meta.url);
const committed = readFileSync(path, 'utf8');
const file = JSON.parse(committed) as VectorFile;

function resolver(make: typeof nodeVerifier) {
  const verifiers = new Map<string, SignatureVerifier>();
  for (const device of file.devices) {
    const verifier = make(device.alg, hexToBytes(device.publicKey));
    if (!verifier.ok) throw new Error(verifier.detail);
    verifiers.set(device.kid, verifier.value);
  }
  return resolverFromMap(verifiers);
}

describe.each([
  ['node:crypto', resolver(nodeVerifier)],
  ['noble', resolver(nobleVerifier)],
] as const)('COSE vectors via %s', (_path, resolve) => {
  it.each(file.vectors.map((v) => [v.name, v] as const))(
    '%s yields its expected result',
    (_name, vector) => {
      const result = openEnvelope(hexToBytes(vector.envelope), resolve);
      if (vector.expect === 'ok') {
        expect(result.ok ? 'ok' : `${result.code}: ${result.detail}`).toBe('ok');
        if (!result.ok) return;
        const { value, tag, ...rest } = result.value.reading;
        expect({
          ...rest,
          value: value.toString(),
          ...(tag ? { tag: bytesToHex(tag) } : {}),
        }).toEqual(vector.reading);
      } else {
        expect(result.ok ? 'ok' : result.code).toBe(vector.expect);
      }
    },
  );
});

describe('COSE vector file', () => {
  it('regenerates byte-identical from its script', () => {
    expect(serialise(buildVectors())).toBe(committed);
  });

  it('covers every decode and verify code at least once, and every algorithm with a valid envelope', () => {
    const expected = new Set(file.vectors.map((v) => v.expect));
    const decodeAndVerify = Object.entries(CODES)
      .filter(
        ([code, info]) =>
          info.stage === 'decode' || info.stage === 'verify' || code === 'PG_DEVICE_UNKNOWN',
      )
      .map(([code]) => code);
    expect(decodeAndVerify.filter((code) => !expected.has(code as never))).toEqual([]);
    const validAlgs = new Set(
      file.vectors
        .filter((v) => v.expect === 'ok')
        .map((v) => file.devices.find((d) => d.kid === v.reading?.deviceId)?.alg),
    );
    expect([...validAlgs].sort()).toEqual(['ES256', 'ES256K', 'EdDSA']);
  });
});

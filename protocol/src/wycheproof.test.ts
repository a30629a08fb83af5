// Project Wycheproof (Apache-2.0, protocol/vectors/wycheproof): both signature paths agree with the
// standard on every valid and invalid case, for all three algorithms.
import { readFileSync } from 'node:fs';
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import type { Alg } from './cose.js';
import type { SignatureVerifier } from './curves.js';
import { nobleVerifier } from './noble.js';
import { nodeVerifier } from './node.js';
import type { Result } from './codes.js';

interface WycheproofFile {
  numberOfTests: number;
  testGroups: Array<{
    publicKey: { pk?: string; uncompressed?: string };
    tests: Array<{
      tcId: number;
      comment: string;
      msg: string;
      sig: string;
      result: 'valid' | 'invalid' | 'acceptable';
    }>;
  }>;
}

const FILES: Record<Alg, string> = {
  EdDSA: 'ed25519_test.json',
  ES256: 'ecdsa_secp256r1_sha256_p1363_test.json',
  ES256K: 'ecdsa_secp256k1_sha256_p1363_test.json',
};

const PATHS: Record<string, (alg: Alg, publicKey: Uint8Array) => Result<SignatureVerifier>> = {
  'node:crypto': nodeVerifier,
  noble: nobleVerifier,
};

function load(alg: Alg): WycheproofFile {
  return JSON.parse(
    readFileSync(new URL(`../vectors/wycheproof/${FILES[alg]}`, import.meta.url), 'utf8'),
  );
}

describe.each(Object.keys(FILES) as Alg[])('Wycheproof %s', (alg) => {
  const file = load(alg);
  const cases = file.testGroups.flatMap((group) =>
    group.tests.map((test) => ({
      ...test,
      publicKey: hexToBytes(group.publicKey.pk ?? group.publicKey.uncompressed ?? ''),
    })),
  );

  it('loads every test the file declares', () => {
    expect(cases.length).toBe(file.numberOfTests);
  });

  it.each(Object.keys(PATHS))(
    '%s accepts every valid and rejects every invalid signature',
    (path) => {
      const wrong: string[] = [];
      let checked = 0;
      for (const test of cases) {
        if (test.result === 'acceptable') continue;
        const verifier = PATHS[path]!(alg, test.publicKey);
        const verified =
          verifier.ok && verifier.value.verify(hexToBytes(test.msg), hexToBytes(test.sig));
        if (verified !== (test.result === 'valid'))
          wrong.push(`tcId ${test.tcId} (${test.comment}): ${test.result}`);
        checked++;
      }
      expect(wrong).toEqual([]);
      expect(checked).toBeGreaterThan(100);
    },
  );
});

import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  openEnvelope,
  resolverFromMap,
  signReading,
  type Alg,
  type Reading,
} from '@pledgeguard/protocol';
import { nodeVerifier } from '@pledgeguard/protocol/node';
import { derivedKeyPair, makeSigner } from './signers.js';

const reading = (deviceId: string): Reading => ({
  deviceId,
  boot: 2,
  seq: 17,
  deviceTimeMs: 1_795_000_000_000,
  kind: 'rfid-event',
  value: -1n,
  bayId: 'B-07',
  firmware: 'sim-1.0.0',
  tag: new Uint8Array(12).fill(7),
});

describe('device signers', () => {
  it.each(['EdDSA', 'ES256', 'ES256K'] as Alg[])(
    'node:crypto and noble envelopes both pass openEnvelope + nodeVerifier (%s)',
    (alg) => {
      const keys = generateKeyPair(alg);
      const verifier = nodeVerifier(alg, keys.publicKey);
      if (!verifier.ok) throw new Error(verifier.detail);
      const resolve = resolverFromMap(new Map([['dev-1', verifier.value]]));
      for (const kind of ['node', 'noble'] as const) {
        const envelope = signReading(
          reading('dev-1'),
          makeSigner(kind, alg, 'dev-1', keys.secretKey),
        );
        const opened = openEnvelope(envelope, resolve);
        expect(opened.ok, `${kind} ${alg}`).toBe(true);
        if (opened.ok) expect(opened.value.reading).toEqual(reading('dev-1'));
      }
    },
  );

  it('Ed25519 signatures are deterministic, so both paths give identical bytes', () => {
    const keys = generateKeyPair('EdDSA');
    const a = signReading(reading('d'), makeSigner('node', 'EdDSA', 'd', keys.secretKey));
    const b = signReading(reading('d'), makeSigner('noble', 'EdDSA', 'd', keys.secretKey));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it("an attacker's key makes envelopes the verifier rejects with PG_SIG_INVALID", () => {
    const keys = generateKeyPair('EdDSA');
    const attacker = derivedKeyPair('EdDSA', 1, 'attacker/d');
    const verifier = nodeVerifier('EdDSA', keys.publicKey);
    if (!verifier.ok) throw new Error(verifier.detail);
    const forged = signReading(reading('d'), makeSigner('node', 'EdDSA', 'd', attacker.secretKey));
    const opened = openEnvelope(forged, resolverFromMap(new Map([['d', verifier.value]])));
    expect(opened.ok ? 'ok' : opened.code).toBe('PG_SIG_INVALID');
  });
});

import { describe, expect, it } from 'vitest';
import {
  alterOneByte,
  buildEvidence,
  COSE_VECTORS,
  signedReadings,
} from '../../test/evidence-fixture.js';
import { verifyEvidence, type ChainAttestation } from './evidence.js';
import { hexToBytes } from './hex.js';
import { checkEnvelopeSignature } from './signature.js';

const LOT_KEY = '0x' + 'ab'.repeat(32);

function fixture() {
  const readings = signedReadings(3, 1_795_000_000_000);
  const { evidence, root } = buildEvidence(
    readings,
    {
      id: '1',
      lotKey: LOT_KEY,
      warehouseId: 7n,
      sequence: 42n,
      quantityGrams: 999_000_000n,
      flags: 0,
      observedAtS: 1_795_000_010,
    },
    {
      chainId: 31337n,
      custodyOracle: '0x' + '11'.repeat(20),
      txHash: '0x' + '22'.repeat(32),
      blockNumber: 9,
    },
  );
  const chain: ChainAttestation = {
    lotKey: LOT_KEY,
    warehouseId: 7n,
    sequence: 42n,
    quantityGrams: 999_000_000n,
    flags: 0,
    readingsRoot: root,
    observedAtS: 1_795_000_010n,
    validUntilS: 1_795_007_210n,
    blockNumber: 9,
    txHash: '0x' + '22'.repeat(32),
  };
  return { evidence, chain };
}

describe('envelope signatures (protocol/vectors/cose-vectors.json)', () => {
  const devices = new Map(COSE_VECTORS.devices.map((d) => [d.kid, d]));
  for (const vector of COSE_VECTORS.vectors) {
    const signedByKnownDevice = vector.expect !== 'PG_DEVICE_UNKNOWN';
    it(`${vector.name}: ${vector.expect === 'ok' ? 'verifies' : 'is refused'}`, () => {
      const envelope = hexToBytes(vector.envelope)!;
      // The evidence names the device and its key; take them from the vector's first device
      // whose kid appears in the envelope, or the first device for undecodable ones.
      const device =
        [...devices.values()].find((d) =>
          vector.envelope.includes(Buffer.from(d.kid).toString('hex')),
        ) ?? COSE_VECTORS.devices[0]!;
      const result = checkEnvelopeSignature(
        envelope,
        device.kid,
        device.alg,
        hexToBytes(device.publicKey)!,
      );
      if (vector.expect === 'ok') {
        expect(result).toMatchObject({ ok: true, kid: device.kid });
      } else {
        expect(result.ok).toBe(false);
        if (!result.ok && signedByKnownDevice && vector.expect !== 'PG_ALG_MISMATCH') {
          expect(result.code).toBe(vector.expect);
        }
      }
    });
  }
});

describe('verifyEvidence', () => {
  it('passes real signed readings whose root the chain holds', () => {
    const { evidence, chain } = fixture();
    const verdict = verifyEvidence(evidence, chain);
    expect(verdict.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.readings).toHaveLength(9);
    expect(verdict.rebuiltRoot).toBe(chain.readingsRoot);
  });

  it('fails when any single byte of any envelope is altered', () => {
    const { evidence, chain } = fixture();
    for (let readingIndex = 0; readingIndex < evidence.readings.length; readingIndex += 4) {
      const length = hexToBytes(evidence.readings[readingIndex]!.envelopeHex)!.length;
      for (let byteIndex = 0; byteIndex < length; byteIndex += 7) {
        const verdict = verifyEvidence(alterOneByte(evidence, readingIndex, byteIndex), chain);
        expect(verdict.ok, `reading ${readingIndex} byte ${byteIndex}`).toBe(false);
        expect(verdict.checks.find((c) => c.kind === 'chain-root')?.status).toBe('fail');
      }
    }
  });

  it('fails when the chain holds another root, quantity or sequence', () => {
    const { evidence, chain } = fixture();
    expect(verifyEvidence(evidence, { ...chain, readingsRoot: '0x' + '00'.repeat(32) }).ok).toBe(
      false,
    );
    expect(verifyEvidence(evidence, { ...chain, quantityGrams: 1n }).ok).toBe(false);
    expect(verifyEvidence(evidence, { ...chain, flags: 8 }).ok).toBe(false);
    expect(verifyEvidence(evidence, { error: 'no event' }).ok).toBe(false);
  });

  it('fails when the served key is not the signing key', () => {
    const { evidence, chain } = fixture();
    const swapped = structuredClone(evidence);
    swapped.readings[0]!.publicKeyHex =
      '0x' + COSE_VECTORS.devices[0]!.publicKey.replace(/^42/, '43');
    const verdict = verifyEvidence(swapped, chain);
    expect(verdict.ok).toBe(false);
    expect(verdict.readings[0]!.signature.status).toBe('fail');
  });

  it('fails when a reading is left out, even with valid proofs for the rest', () => {
    const { evidence, chain } = fixture();
    const partial = { ...evidence, readings: evidence.readings.slice(1) };
    const verdict = verifyEvidence(partial, chain);
    expect(verdict.ok).toBe(false);
    expect(verdict.checks.find((c) => c.kind === 'root')?.status).toBe('fail');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { verifyTypedData, Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ATTESTATION_TYPES,
  custodyDomain,
  label,
  type Attestation,
} from '@pledgeguard/contracts/eip712';
import { GatewayKey, KEY_REDACT_PATHS } from './gateway-key.js';

const HEX = Wallet.createRandom().privateKey;
const dir = mkdtempSync(join(tmpdir(), 'pg-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gateway key', () => {
  it('loads from a key file first, else from the named environment variable', () => {
    const file = join(dir, 'gateway.key');
    writeFileSync(file, `${HEX}\n`, { mode: 0o600 });
    const expected = new Wallet(HEX).address;
    expect(GatewayKey.load({ keyFile: file }, {}).address).toBe(expected);
    expect(GatewayKey.load({ keyEnv: 'MY_KEY' }, { MY_KEY: HEX }).address).toBe(expected);
    expect(GatewayKey.load({}, { PG_GATEWAY_CHAIN_KEY: HEX }).address).toBe(expected);
    expect(() => GatewayKey.load({}, {})).toThrow(/PG_GATEWAY_CHAIN_KEY/);
  });

  it('never shows the secret: not in errors, JSON, inspection or redacted logs', () => {
    const bad = `${HEX.slice(0, 64)}zz`;
    expect(() => GatewayKey.fromHex(bad, 'env X')).toThrow(/env X/);
    try {
      GatewayKey.fromHex(bad);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(bad.slice(2));
    }
    const key = GatewayKey.fromHex(HEX);
    const secret = HEX.slice(2);
    expect(JSON.stringify({ key })).not.toContain(secret);
    expect(inspect(key, { showHidden: true, depth: 5 })).not.toContain(secret);
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    pino({ redact: KEY_REDACT_PATHS }, sink).info({ chain: { privateKey: HEX }, key }, 'x');
    expect(logged).not.toContain(secret);
    expect(logged).toContain('[Redacted]');
  });

  it('signs EIP-712 attestations that recover to its address', async () => {
    const key = GatewayKey.fromHex(HEX);
    const domain = custodyDomain(31337n, '0x00000000000000000000000000000000000000aa');
    const attestation: Attestation = {
      warehouseId: 7n,
      bayId: label('B-07'),
      lotId: label('LOT-1'),
      sequence: 1n,
      quantityGrams: 1n,
      flags: 0,
      readingsRoot: `0x${'22'.repeat(32)}`,
      observedAt: 1n,
      validUntil: 2n,
      releaseOrderId: 0n,
    };
    const signature = await key.signAttestation(domain, attestation);
    expect(
      verifyTypedData(
        domain,
        ATTESTATION_TYPES,
        attestation as unknown as Record<string, unknown>,
        signature,
      ),
    ).toBe(key.address);
  });
});

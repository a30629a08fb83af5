import { describe, expect, it } from 'vitest';
import { generateKeyPair } from './noble.js';
import { parseManifest } from './manifest.js';
import { checkMqttPassword, checkMqttPasswordAsync, hashMqttPassword } from './node.js';
import { bytesToHex } from '@noble/hashes/utils.js';

const passwordHash = hashMqttPassword('device-secret', new Uint8Array(16));

function manifest(overrides: Record<string, unknown> = {}, device: Record<string, unknown> = {}) {
  return {
    version: 1,
    warehouseId: 'wh-qingdao-1',
    lots: [
      { lotId: 'LOT-7', bayId: 'B-07', commodity: 'copper cathode', unitWeightGrams: '1000000' },
    ],
    devices: [
      {
        deviceId: 'lc-b07-1',
        alg: 'EdDSA',
        publicKey: bytesToHex(generateKeyPair('EdDSA').publicKey),
        kinds: ['weight', 'tamper'],
        bayId: 'B-07',
        lotId: 'LOT-7',
        heartbeatMs: 60_000,
        mqttPasswordHash: passwordHash,
        ...device,
      },
    ],
    ...overrides,
  };
}

describe('parseManifest', () => {
  it('accepts a well-formed manifest', () => {
    expect(parseManifest(manifest()).ok).toBe(true);
  });

  it.each([
    ['version', manifest({ version: 2 }), '$.version'],
    ['warehouse id', manifest({ warehouseId: 'a/b' }), '$.warehouseId'],
    ['algorithm', manifest({}, { alg: 'RS256' }), '$.devices[0].alg'],
    ['key length', manifest({}, { publicKey: 'abcd' }), '$.devices[0].publicKey'],
    ['kinds', manifest({}, { kinds: ['weight', 'smell'] }), '$.devices[0].kinds'],
    ['lot reference', manifest({}, { lotId: 'LOT-404' }), '$.devices[0].lotId'],
    ['heartbeat', manifest({}, { heartbeatMs: 5 }), '$.devices[0].heartbeatMs'],
    ['password hash', manifest({}, { mqttPasswordHash: 'plain' }), '$.devices[0].mqttPasswordHash'],
    ['reserved device id', manifest({}, { deviceId: 'gateway' }), '$.devices[0].deviceId'],
  ])('rejects a bad %s and names the field', (_what, value, path) => {
    const result = parseManifest(value);
    expect(result.ok ? 'ok' : result.code).toBe('PG_MANIFEST_INVALID');
    expect(result.ok ? '' : result.detail.startsWith(`${path}:`)).toBe(true);
  });

  it('rejects a device id listed twice', () => {
    const value = manifest();
    const result = parseManifest({ ...value, devices: [...value.devices, ...value.devices] });
    expect(result.ok ? '' : result.detail).toMatch(/duplicate device lc-b07-1/);
  });
});

describe('MQTT device passwords', () => {
  it('checks the right password and refuses a wrong one or a malformed hash', () => {
    expect(checkMqttPassword('device-secret', passwordHash)).toBe(true);
    expect(checkMqttPassword('device-secreT', passwordHash)).toBe(false);
    expect(checkMqttPassword('device-secret', 'scrypt$x$8$1$00$00')).toBe(false);
  });

  it('gives the same answers off the main thread', async () => {
    expect(await checkMqttPasswordAsync('device-secret', passwordHash)).toBe(true);
    expect(await checkMqttPasswordAsync('device-secreT', passwordHash)).toBe(false);
    expect(await checkMqttPasswordAsync('device-secret', 'scrypt$x$8$1$00$00')).toBe(false);
  });
});

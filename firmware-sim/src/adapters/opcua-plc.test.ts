import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
} from 'node-opcua';
import {
  generateKeyPair,
  OPCUA_NAMESPACE_URI,
  openEnvelope,
  opcuaNodeIds,
  resolverFromMap,
  signReading,
  type Reading,
} from '@pledgeguard/protocol';
import { nodeVerifier } from '@pledgeguard/protocol/node';
import { fromOpcuaInt64, PlcServer } from './opcua-plc.js';
import { makeSigner } from './signers.js';
import { freePort } from '../testing/brokers.js';

const keys = generateKeyPair('EdDSA');
const reading: Reading = {
  deviceId: 'lc-b07-1',
  boot: 1,
  seq: 42,
  deviceTimeMs: 1_795_000_000_000,
  kind: 'weight',
  value: -1_250n,
  bayId: 'B-07',
  firmware: 'sim-1.0.0',
};
const envelope = signReading(reading, makeSigner('node', 'EdDSA', 'lc-b07-1', keys.secretKey));

let dir: string;
let plc: PlcServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pg-opcua-'));
  plc = new PlcServer({ port: await freePort(), pkiDir: join(dir, 'plc-pki') });
  await plc.start(['lc-b07-1', 'door-b07-1']);
  plc.update(reading, envelope);
}, 60_000);

afterAll(async () => {
  await plc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('OPC UA PLC simulator', () => {
  it.each([
    ['None', MessageSecurityMode.None, SecurityPolicy.None],
    [
      'SignAndEncrypt/Basic256Sha256',
      MessageSecurityMode.SignAndEncrypt,
      SecurityPolicy.Basic256Sha256,
    ],
  ] as const)(
    'a client reads SignedReading over %s and the envelope verifies; plain values match',
    async (label, securityMode, securityPolicy) => {
      const clientCertificateManager = new OPCUACertificateManager({
        rootFolder: join(dir, `client-pki-${securityMode}`),
        automaticallyAcceptUnknownCertificate: true,
      });
      const client = OPCUAClient.create({
        applicationName: 'pledgeguard-test-client',
        securityMode,
        securityPolicy,
        endpointMustExist: false,
        clientCertificateManager,
        connectionStrategy: { maxRetry: 2, initialDelay: 200, maxDelay: 1000 },
      });
      await client.connect(plc.endpointUrl);
      try {
        const session = await client.createSession();
        const ns = (await session.readNamespaceArray()).indexOf(OPCUA_NAMESPACE_URI);
        expect(ns, label).toBeGreaterThan(0);
        const ids = opcuaNodeIds('lc-b07-1');
        const read = (id: string) =>
          session.read({ nodeId: `ns=${ns};${id}`, attributeId: AttributeIds.Value });
        const signed = await read(ids.signedReading);
        const bytes = new Uint8Array(signed.value.value as Buffer);
        expect(Buffer.from(bytes).equals(Buffer.from(envelope))).toBe(true);
        const verifier = nodeVerifier('EdDSA', keys.publicKey);
        if (!verifier.ok) throw new Error(verifier.detail);
        const opened = openEnvelope(
          bytes,
          resolverFromMap(new Map([['lc-b07-1', verifier.value]])),
        );
        expect(opened.ok).toBe(true);
        expect((await read(ids.kind)).value.value).toBe('weight');
        expect((await read(ids.unit)).value.value).toBe('g');
        expect(fromOpcuaInt64((await read(ids.value)).value.value as number[])).toBe(-1_250n);
        expect(fromOpcuaInt64((await read(ids.deviceTimeMs)).value.value as number[])).toBe(
          1_795_000_000_000n,
        );
        await session.close();
      } finally {
        await client.disconnect();
      }
    },
    60_000,
  );
});

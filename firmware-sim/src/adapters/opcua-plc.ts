// Simulated PLC (node-opcua server): per device the node layout of PROTOCOL.md section 8, in
// namespace urn:pledgeguard:plc: a folder, the latest signed envelope (full assurance) and plain
// values (channel assurance only). Endpoints: None, and SignAndEncrypt with Basic256Sha256.
// Certificates are created offline, in pure JS, under the given PKI folder; nothing is written to
// the user's home directory (both certificate managers are passed in).

import { join } from 'node:path';
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  RegisterServerMethod,
  SecurityPolicy,
  StatusCodes,
  VariantArrayType,
  type UAVariable,
} from 'node-opcua';
import {
  KINDS,
  OPCUA_NAMESPACE_URI,
  opcuaNodeIds,
  toOpcuaInt64,
  type Reading,
} from '@pledgeguard/protocol';
import type { ReadingSink } from '../app/fleet.js';

export type OpcuaSecurity = 'none' | 'sign-encrypt' | 'both';

export interface PlcOptions {
  readonly port: number;
  /** Folder for the server's own PKI (certificate, private key, trusted/rejected lists). */
  readonly pkiDir: string;
  readonly security?: OpcuaSecurity;
  /** Accept any client certificate (simulation convenience; a real PLC pins its clients). */
  readonly acceptAnyClient?: boolean;
}

interface DeviceNodes {
  readonly signedReading: UAVariable;
  readonly kind: UAVariable;
  readonly value: UAVariable;
  readonly unit: UAVariable;
  readonly deviceTimeMs: UAVariable;
}

// The Int64 word conversion lives with the node layout in the protocol package.
export { fromOpcuaInt64, toOpcuaInt64 } from '@pledgeguard/protocol';

export class PlcServer implements ReadingSink {
  private server: OPCUAServer | undefined;
  private readonly nodes = new Map<string, DeviceNodes>();

  constructor(private readonly options: PlcOptions) {}

  get endpointUrl(): string {
    return `opc.tcp://127.0.0.1:${this.options.port}/UA/PledgeGuardPLC`;
  }

  /** The server certificate (DER), for clients that pin it. */
  get certificateDer(): Buffer | undefined {
    return this.server?.getCertificate();
  }

  async start(deviceIds: readonly string[]): Promise<void> {
    const { pkiDir, port } = this.options;
    const security = this.options.security ?? 'both';
    const serverCertificateManager = new OPCUACertificateManager({
      rootFolder: join(pkiDir, 'server'),
      automaticallyAcceptUnknownCertificate: this.options.acceptAnyClient ?? true,
    });
    const userCertificateManager = new OPCUACertificateManager({
      rootFolder: join(pkiDir, 'user'),
      automaticallyAcceptUnknownCertificate: this.options.acceptAnyClient ?? true,
    });
    await serverCertificateManager.initialize();
    await userCertificateManager.initialize();
    const server = new OPCUAServer({
      port,
      hostname: '127.0.0.1',
      resourcePath: '/UA/PledgeGuardPLC',
      serverCertificateManager,
      userCertificateManager,
      securityPolicies:
        security === 'none'
          ? [SecurityPolicy.None]
          : security === 'sign-encrypt'
            ? [SecurityPolicy.Basic256Sha256]
            : [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      securityModes:
        security === 'none'
          ? [MessageSecurityMode.None]
          : security === 'sign-encrypt'
            ? [MessageSecurityMode.SignAndEncrypt]
            : [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
      allowAnonymous: true,
      serverInfo: {
        applicationUri: 'urn:pledgeguard:plc-sim',
        productUri: 'pledgeguard-firmware-sim',
      },
      buildInfo: { productName: 'PledgeGuard PLC simulator', softwareVersion: '1.0.0' },
      // No LDS registration: the simulator runs offline.
      registerServerMethod: RegisterServerMethod.HIDDEN,
    });
    await server.initialize();
    const addressSpace = server.engine.addressSpace!;
    const namespace = addressSpace.registerNamespace(OPCUA_NAMESPACE_URI);
    const devicesFolder = namespace.addFolder(addressSpace.rootFolder.objects, {
      nodeId: 's=Devices',
      browseName: 'Devices',
    });
    for (const deviceId of deviceIds) {
      const ids = opcuaNodeIds(deviceId);
      const folder = namespace.addFolder(devicesFolder, {
        nodeId: ids.folder,
        browseName: deviceId,
      });
      const variable = (nodeId: string, browseName: string, dataType: DataType, value: unknown) =>
        namespace.addVariable({
          componentOf: folder,
          nodeId,
          browseName,
          dataType: DataType[dataType],
          value: { dataType, arrayType: VariantArrayType.Scalar, value },
        });
      this.nodes.set(deviceId, {
        signedReading: variable(
          ids.signedReading,
          'SignedReading',
          DataType.ByteString,
          Buffer.alloc(0),
        ),
        kind: variable(ids.kind, 'Kind', DataType.String, ''),
        value: variable(ids.value, 'Value', DataType.Int64, toOpcuaInt64(0n)),
        unit: variable(ids.unit, 'Unit', DataType.String, ''),
        deviceTimeMs: variable(ids.deviceTimeMs, 'DeviceTimeMs', DataType.Int64, toOpcuaInt64(0n)),
      });
    }
    await server.start();
    this.server = server;
  }

  update(reading: Reading, envelope: Uint8Array): void {
    const nodes = this.nodes.get(reading.deviceId);
    if (nodes === undefined) return;
    const sourceTimestamp = new Date(reading.deviceTimeMs);
    const set = (node: UAVariable, dataType: DataType, value: unknown) =>
      node.setValueFromSource(
        { dataType, arrayType: VariantArrayType.Scalar, value },
        StatusCodes.Good,
        sourceTimestamp,
      );
    set(nodes.signedReading, DataType.ByteString, Buffer.from(envelope));
    set(nodes.kind, DataType.String, reading.kind);
    set(nodes.value, DataType.Int64, toOpcuaInt64(reading.value));
    set(nodes.unit, DataType.String, KINDS[reading.kind].unit);
    set(nodes.deviceTimeMs, DataType.Int64, toOpcuaInt64(BigInt(reading.deviceTimeMs)));
  }

  async stop(): Promise<void> {
    await this.server?.shutdown(0);
    this.server = undefined;
  }
}

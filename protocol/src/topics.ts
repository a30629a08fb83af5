// MQTT topics and OPC UA node names (PROTOCOL.md sections 7 and 8).

import { ID_PATTERN } from './reading.js';

export const TOPIC_ROOT = 'pg/v1';
/** Readings, births and deaths are published at QoS 1. */
export const READING_QOS = 1;

export type DeviceTopicKind = 'reading' | 'birth' | 'death';

export function deviceTopic(warehouseId: string, deviceId: string, kind: DeviceTopicKind): string {
  assertId('warehouseId', warehouseId);
  assertId('deviceId', deviceId);
  return `${TOPIC_ROOT}/${warehouseId}/${deviceId}/${kind}`;
}

export function gatewayStatusTopic(warehouseId: string, gatewayId: string): string {
  assertId('warehouseId', warehouseId);
  assertId('gatewayId', gatewayId);
  return `${TOPIC_ROOT}/${warehouseId}/gateway/${gatewayId}/status`;
}

/** Subscription filter for every device topic of a warehouse. */
export function warehouseFilter(warehouseId: string): string {
  assertId('warehouseId', warehouseId);
  return `${TOPIC_ROOT}/${warehouseId}/+/+`;
}

export interface ParsedDeviceTopic {
  readonly warehouseId: string;
  readonly deviceId: string;
  readonly kind: DeviceTopicKind;
}

/** Parses a device topic; undefined for anything else (gateway status, foreign topics). */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return undefined;
  const [, , warehouseId = '', deviceId = '', kind = ''] = parts;
  if (deviceId === 'gateway' || !ID_PATTERN.test(warehouseId) || !ID_PATTERN.test(deviceId))
    return undefined;
  if (kind !== 'reading' && kind !== 'birth' && kind !== 'death') return undefined;
  return { warehouseId, deviceId, kind };
}

/** OPC UA namespace URI of the PLC and the string NodeIds of a device's variables. */
export const OPCUA_NAMESPACE_URI = 'urn:pledgeguard:plc';
export function opcuaNodeIds(deviceId: string) {
  assertId('deviceId', deviceId);
  return {
    folder: `s=Devices.${deviceId}`,
    signedReading: `s=Devices.${deviceId}.SignedReading`,
    kind: `s=Devices.${deviceId}.Kind`,
    value: `s=Devices.${deviceId}.Value`,
    unit: `s=Devices.${deviceId}.Unit`,
    deviceTimeMs: `s=Devices.${deviceId}.DeviceTimeMs`,
  } as const;
}

/** OPC UA Int64 values as node-opcua carries them: [high, low] 32-bit words, two's complement. */
export function toOpcuaInt64(value: bigint): [number, number] {
  const bits = BigInt.asUintN(64, value);
  return [Number(bits >> 32n), Number(bits & 0xffff_ffffn)];
}

export function fromOpcuaInt64(words: readonly number[]): bigint {
  return BigInt.asIntN(64, (BigInt(words[0] ?? 0) << 32n) | BigInt(words[1] ?? 0));
}

function assertId(name: string, value: string): void {
  if (!ID_PATTERN.test(value)) throw new RangeError(`${name} "${value}" must match ${ID_PATTERN}`);
}

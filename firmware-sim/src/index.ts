// @pledgeguard/firmware-sim: simulated warehouse devices. Devices, MQTT and OPC UA land with their issue.
export * from './identity.js';

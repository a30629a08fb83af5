// @pledgeguard/firmware-sim: simulated warehouse devices (README.md). The pure core (physics,
// scenario timeline, queue policy) and the adapters the end-to-end harness drives.
export * from './identity.js';
export * from './core/scenario-schema.js';
export * from './core/engine.js';
export * from './core/steady.js';
export * from './core/duration.js';
export { DEVICE_TYPES, KINDS_OF_TYPE, type DeviceType } from './core/sensors.js';
export { loadScenarioFile } from './adapters/scenario-file.js';
export { Fleet, type DeviceIdentity, type FleetOptions, type ReadingSink } from './app/fleet.js';
export { bootIdentities, ephemeralIdentities } from './app/identities.js';
export { ShardedFleet, splitScenario } from './app/shards.js';
export { provisionScenario } from './app/provision.js';
export { readDeviceState, type DeviceState } from './adapters/state-file.js';
export { main as runCli } from './cli.js';

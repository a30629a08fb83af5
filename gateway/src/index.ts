// @pledgeguard/gateway: the edge gateway (README.md). What the end-to-end harness and the later
// custody, chain and HTTP parts build on: start a gateway, its config, the ingest pipeline and the
// evidence log, and the pure core.
export { startGateway, type RunningGateway } from './app/gateway.js';
export { configSchema, loadConfig, ConfigError, type GatewayConfig } from './config.js';
export {
  IngestPipeline,
  type IngestMessage,
  type IngestOutcome,
  type IngestStats,
} from './app/ingest.js';
export { replayQuarantine, REPLAYABLE_CODES } from './app/quarantine-replay.js';
export {
  EvidenceStore,
  type InclusionProof,
  type EpochRow,
  type QuarantineRow,
} from './adapters/sqlite/evidence-store.js';
export type { Clock } from './ports/clock.js';
export * from './core/replay.js';
export * from './core/skew.js';
export * from './core/plausibility.js';
export * from './core/merkle.js';

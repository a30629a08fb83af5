// Shared plumbing of the CLI commands: the validated config and the evidence log it names.
import { mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import { ConfigError, loadConfig } from '../config.js';
import { CliError, EXIT_USAGE } from './errors.js';

export type CliConfig = ReturnType<typeof loadConfig>;

/** Loads and validates the config (file, then PG_GATEWAY_* overrides); bad config exits 2. */
export function cliConfig(file: string | undefined): CliConfig {
  try {
    return loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError(error.message, EXIT_USAGE, { cause: error });
    throw error;
  }
}

/** A config path resolved as the gateway resolves it (relative to the config file's folder). */
export function configPath(config: CliConfig, path: string): string {
  return isAbsolute(path) ? path : join(config.baseDir, path);
}

/** Opens the evidence log of the configured data directory (created when missing). */
export function openStore(config: CliConfig): EvidenceStore {
  const dataDir = configPath(config, config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  return new EvidenceStore(join(dataDir, 'evidence.db'), {
    synchronous: config.evidence.synchronous,
    // Readings a replay accepts reach InfluxDB through the spool, as ingested ones do.
    ...(config.influx ? { spool: { maxPoints: config.influx.maxSpoolRows } } : {}),
  });
}

/** Runs `work` with the store open, closing it afterwards whatever happens. */
export async function withStore<T>(
  config: CliConfig,
  work: (store: EvidenceStore) => T | Promise<T>,
): Promise<T> {
  const store = openStore(config);
  try {
    return await work(store);
  } finally {
    store.close();
  }
}

// `pledgeguard start --config <file>`: the production gateway, run until SIGINT or SIGTERM. The one
// implementation shared with gateway/src/main.ts (`pledgeguard-gateway --config`).
import { pino, type Logger } from 'pino';
import { KEY_REDACT_PATHS } from '../adapters/chain/gateway-key.js';
import { startGateway, type RunningGateway } from '../app/gateway.js';
import { gatewayClock } from '../app/simulated-clock.js';
import type { loadConfig } from '../config.js';

/** The gateway's root logger: pino JSON lines on stdout, secrets redacted. */
export function gatewayLogger(config: ReturnType<typeof loadConfig>): Logger {
  return pino({
    level: config.log.level,
    base: { gateway: config.gatewayId },
    redact: ['*.password', '*.passwordHash', '*.mqttPasswordHash', ...KEY_REDACT_PATHS],
  });
}

/** Starts the gateway and stops it cleanly on SIGINT/SIGTERM (exit 0, or 1 when stopping fails). */
export async function runGateway(config: ReturnType<typeof loadConfig>): Promise<RunningGateway> {
  const log = gatewayLogger(config);
  // The system clock, or (simulations and tests only) the simulator's scaled warehouse clock.
  if (config.simulation)
    log.warn(
      { simulation: config.simulation },
      'simulation clock: the gateway runs on a time-scaled warehouse clock (simulations and tests only, never on a real site)',
    );
  const gateway = await startGateway(config, log, gatewayClock(config));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    gateway.stop().then(
      () => process.exit(0),
      (error: Error) => {
        log.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return gateway;
}

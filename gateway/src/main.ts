// `pledgeguard-gateway --config gateway.yaml`: runs the gateway until SIGINT or SIGTERM.
import { pino } from 'pino';
import { systemClock } from './ports/clock.js';
import { ConfigError, loadConfig } from './config.js';
import { startGateway } from './app/gateway.js';

const USAGE = `usage: pledgeguard-gateway --config <file.yaml>

Environment overrides: PG_GATEWAY_<PATH>, e.g. PG_GATEWAY_MQTT__EMBEDDED__PORT=1884.
See gateway/README.md for every setting and its default.`;

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const configIndex = argv.indexOf('--config');
  const file = configIndex >= 0 ? argv[configIndex + 1] : undefined;
  let config;
  try {
    config = loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const log = pino({
    level: config.log.level,
    base: { gateway: config.gatewayId },
    redact: ['*.password', '*.passwordHash', '*.mqttPasswordHash'],
  });
  const gateway = await startGateway(config, log, systemClock);
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
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`gateway failed to start: ${error.message}`);
  process.exit(1);
});

// `pledgeguard-gateway --config gateway.yaml`: runs the gateway until SIGINT or SIGTERM.
import { ConfigError, loadConfig } from './config.js';
import { isAbsolute, join } from 'node:path';
import { opcuaPkiDir } from './app/gateway.js';
import { runGateway } from './cli/start.js';

const USAGE = `usage: pledgeguard-gateway --config <file.yaml>
       pledgeguard-gateway opcua-certs list --config <file.yaml>
       pledgeguard-gateway opcua-certs approve <thumbprint> --config <file.yaml>

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
  if (argv[0] === 'opcua-certs') return opcuaCerts(argv, config);
  await runGateway(config);
}

/** Lists refused OPC UA server certificates, or approves one by thumbprint. */
async function opcuaCerts(argv: string[], config: ReturnType<typeof loadConfig>): Promise<void> {
  // node-opcua (about 80 MB) loads only for this command, not for a gateway without a PLC.
  const { approveCertificate, rejectedCertificates } = await import('./adapters/opcua/trust.js');
  const pkiDir = opcuaPkiDir(config, (path) =>
    isAbsolute(path) ? path : join(config.baseDir, path),
  );
  if (argv[1] === 'list') {
    const rejected = rejectedCertificates(pkiDir);
    if (rejected.length === 0) console.log(`no rejected server certificates in ${pkiDir}/rejected`);
    for (const certificate of rejected)
      console.log(
        `${certificate.thumbprint}  valid to ${certificate.validTo}  ${certificate.subject.replaceAll('\n', ', ')}`,
      );
    return;
  }
  if (argv[1] === 'approve' && argv[2] && !argv[2].startsWith('--')) {
    const approved = await approveCertificate(undefined, pkiDir, argv[2]);
    console.log(
      `trusted ${approved.thumbprint} (${approved.subject.replaceAll('\n', ', ')}); restart the gateway or wait for its next reconnect`,
    );
    return;
  }
  console.error(USAGE);
  process.exit(2);
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`gateway failed to start: ${error.message}`);
  process.exit(1);
});

// `pledgeguard certs list|approve`: OPC UA server-certificate trust (adapters/opcua/trust.ts). A
// refused PLC certificate lands in <pki>/rejected; the operator checks its thumbprint with the PLC
// vendor's screen and approves it.
import type { Command } from 'commander';
import { cliConfig, configPath, type CliConfig } from './context.js';
import { CliError } from './errors.js';
import type { Output } from './output.js';

/** The OPC UA client's PKI folder, as the gateway resolves it. */
export async function certsPkiDir(config: CliConfig): Promise<string> {
  const { opcuaPkiDir } = await import('../app/gateway.js');
  return opcuaPkiDir(config, (path) => configPath(config, path));
}

/** node-opcua takes seconds to load: only the certificate commands pay for it. */
const trust = () => import('../adapters/opcua/trust.js');

export function registerCerts(program: Command, out: Output): void {
  const certs = program
    .command('certs')
    .description('OPC UA server certificates: list the refused ones, approve one by thumbprint');

  certs
    .command('list')
    .description('list refused OPC UA server certificates (thumbprint, expiry, subject)')
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(async (options: { config?: string }) => {
      const pkiDir = await certsPkiDir(cliConfig(options.config));
      const rejected = (await trust()).rejectedCertificates(pkiDir);
      if (rejected.length === 0) out.log(`no rejected server certificates in ${pkiDir}/rejected`);
      for (const certificate of rejected)
        out.log(
          `${certificate.thumbprint}  valid to ${certificate.validTo}  ${certificate.subject.replaceAll('\n', ', ')}`,
        );
    });

  certs
    .command('approve')
    .description(
      'trust a refused OPC UA server certificate (compare the thumbprint with the PLC first)',
    )
    .argument('<thumbprint>', 'SHA-1 thumbprint, hex, as `certs list` shows it')
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(async (thumbprint: string, options: { config?: string }) => {
      const pkiDir = await certsPkiDir(cliConfig(options.config));
      try {
        const approved = await (await trust()).approveCertificate(undefined, pkiDir, thumbprint);
        out.log(
          `trusted ${approved.thumbprint} (${approved.subject.replaceAll('\n', ', ')}); the gateway uses it at its next reconnect`,
        );
      } catch (error) {
        if (error instanceof RangeError) throw new CliError(error.message);
        throw error;
      }
    });
}

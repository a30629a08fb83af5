// The `pledgeguard` command tree (commander). Every command has a description and `--help`;
// cli.test.ts walks this tree so a command without help fails the build.
import { Command, CommanderError } from 'commander';
import { registerBackup } from './backup.js';
import { registerCerts } from './certs.js';
import { cliConfig } from './context.js';
import { registerDeploy } from './deploy.js';
import { registerDevices } from './devices.js';
import { registerDoctor } from './doctor.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './errors.js';
import { processOutput, type Output } from './output.js';
import { registerQuarantine } from './quarantine.js';
import { registerTokens } from './tokens.js';
import { registerVerify } from './verify.js';

export function buildProgram(out: Output = processOutput): Command {
  const program = new Command('pledgeguard')
    .description(
      'PledgeGuard gateway operations: run the gateway, manage devices, certificates, quarantine and API tokens, deploy contracts, verify a reading, diagnose a site',
    )
    // Before any subcommand exists, so every one inherits it.
    .configureOutput({
      writeOut: (text) => out.log(text.replace(/\n$/, '')),
      writeErr: (text) => out.error(text.replace(/\n$/, '')),
    })
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 a failed check or operation, 2 bad usage or configuration.\nConfig values can be overridden from the environment: PG_GATEWAY_<PATH>, e.g. PG_GATEWAY_MQTT__EMBEDDED__PORT=1884.',
    );

  program
    .command('start')
    .description(
      'run the gateway (production) until SIGINT or SIGTERM; logs are JSON lines on stdout',
    )
    .requiredOption('-c, --config <file>', 'gateway config file (YAML)')
    .action(async (options: { config: string }) => {
      const config = cliConfig(options.config);
      const { runGateway } = await import('./start.js');
      await runGateway(config);
    });

  program
    .command('dev')
    .description(
      'run the whole demo system from a source checkout (anvil, contracts, gateway, dashboard, simulated PLC and devices): the same as npm start',
    )
    .option('--reset', 'wipe the demo data directory first')
    .option('--data-dir <dir>', 'demo data directory (default: .pledgeguard in the repository)')
    .option('--http-port <port>', 'dashboard and API port (default 8080)')
    .option('--mqtt-port <port>', 'embedded MQTT broker port (default 1883)')
    .option('--opcua-port <port>', 'simulated OPC UA PLC port, 0 for none (default 4840)')
    .action(async (options: Record<string, string | boolean | undefined>) => {
      const { runDev } = await import('./dev.js');
      const code = await runDev(options);
      if (code !== 0) throw new CliError('', code === 2 ? 2 : 1);
    });

  registerDevices(program, out);
  registerCerts(program, out);
  registerQuarantine(program, out);
  registerVerify(program, out);
  registerDeploy(program, out);
  registerTokens(program, out);
  registerDoctor(program, out);
  registerBackup(program, out);

  // Usage errors exit 2 (commander's own default is 1).
  const exitOverride = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** Runs the CLI and returns the exit code (the caller exits; long-running `start` keeps running). */
export async function runCli(
  argv: readonly string[],
  out: Output = processOutput,
): Promise<number> {
  const program = buildProgram(out);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.help' ||
        error.code === 'commander.version'
      )
        return EXIT_OK;
      return EXIT_USAGE;
    }
    if (error instanceof CliError) {
      if (error.message) out.error(error.message);
      return error.exitCode;
    }
    out.error(`pledgeguard: ${(error as Error).stack ?? String(error)}`);
    return EXIT_FAILED;
  }
}

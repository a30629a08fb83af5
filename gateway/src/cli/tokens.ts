// `pledgeguard tokens create|list|revoke`: API tokens (docs/api.md), through the API's own token
// store (adapters/http/token-store.ts): `pg_` + 64 hex digits (256 random bits), shown once; the
// `api_tokens` table keeps only the SHA-256.
import type { Command } from 'commander';
import { API_ROLES, ApiTokenStore, isApiRole } from '../adapters/http/token-store.js';
import { systemClock } from '../ports/clock.js';
import { cliConfig, withStore } from './context.js';
import { CliError, usageError } from './errors.js';
import type { Output } from './output.js';

export function registerTokens(program: Command, out: Output): void {
  const tokens = program
    .command('tokens')
    .description('API tokens for banks, auditors, operators and peer gateways');

  tokens
    .command('create')
    .description('create a token and print it once (store it now: only its hash is kept)')
    .requiredOption('--name <name>', 'who holds it, e.g. bank-a-risk-desk (unique)')
    .requiredOption('--role <role>', `one of ${API_ROLES.join(', ')}`)
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(async (options: { name: string; role: string; config?: string }) => {
      const role = options.role;
      if (!isApiRole(role)) throw usageError(`--role must be one of ${API_ROLES.join(', ')}`);
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(options.name))
        throw usageError('--name: 1-64 letters, digits, dot, dash or underscore');
      await withStore(cliConfig(options.config), (store) => {
        const tokenStore = new ApiTokenStore(store.database);
        if (tokenStore.list().some((row) => row.name === options.name))
          throw new CliError(`a token named ${options.name} exists already (pick another name)`);
        const { token } = tokenStore.create(options.name, role, systemClock.nowMs());
        out.log(token);
        out.progress(`token ${options.name} (${role}) created; it is not shown again`);
      });
    });

  tokens
    .command('list')
    .description('list tokens by name and role (the tokens themselves are not stored)')
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(async (options: { config?: string }) => {
      await withStore(cliConfig(options.config), (store) => {
        for (const row of new ApiTokenStore(store.database).list())
          out.log(
            `${row.name}  ${row.role}  created ${new Date(row.createdAtMs).toISOString()}` +
              (row.revokedAtMs !== null
                ? `  REVOKED ${new Date(row.revokedAtMs).toISOString()}`
                : ''),
          );
      });
    });

  tokens
    .command('revoke')
    .description('revoke a token by name: the API refuses it from now on')
    .argument('<name>', 'token name')
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(async (name: string, options: { config?: string }) => {
      await withStore(cliConfig(options.config), (store) => {
        if (!new ApiTokenStore(store.database).revoke(name, systemClock.nowMs()))
          throw new CliError(`no active token named ${name}`);
        out.log(`revoked ${name}`);
      });
    });
}

// `pledgeguard backup <file>`: an online backup of the evidence log while the gateway runs (SQLite's
// backup API through better-sqlite3: a consistent snapshot, page by page, without stopping writers).
// Progress is printed as pages are copied. The OPC UA PKI folder is copied separately (see
// docs/operator-guide.md, "Backups").
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { cliConfig, withStore } from './context.js';
import { CliError } from './errors.js';
import type { Output } from './output.js';

export function registerBackup(program: Command, out: Output): void {
  program
    .command('backup')
    .description('copy the evidence log to <file> while the gateway runs (SQLite online backup)')
    .argument('<file>', 'destination file (must not exist)')
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(async (file: string, options: { config?: string }) => {
      const destination = resolve(file);
      if (existsSync(destination)) throw new CliError(`${destination} exists: pick a new name`);
      await withStore(cliConfig(options.config), async (store) => {
        const startedMs = Date.now();
        let lastReportMs = 0;
        const result = await store.database.backup(destination, {
          progress: ({ totalPages, remainingPages }) => {
            if (Date.now() - lastReportMs > 1_000) {
              lastReportMs = Date.now();
              out.progress(`${totalPages - remainingPages} of ${totalPages} pages`);
            }
            return 1_000; // pages per step; writers proceed between steps
          },
        });
        out.log(
          `backed up ${result.totalPages} pages to ${destination} in ${Date.now() - startedMs} ms`,
        );
      });
    });
}

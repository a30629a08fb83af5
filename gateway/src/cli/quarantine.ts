// `pledgeguard quarantine list|replay`: what the gateway refused, and re-submitting a refused
// reading after a registry fix (device imported, key rotated) through the real ingest pipeline
// (app/quarantine-replay.ts). Replay writes the evidence log, so it runs with the gateway stopped;
// against a running gateway use the API (POST /api/v1/quarantine/:id/replay, docs/api.md).
import { Option, type Command } from 'commander';
import type { EvidenceStore, QuarantineRow } from '../adapters/sqlite/evidence-store.js';
import type { IngestPipeline } from '../app/ingest.js';
import { REPLAYABLE_CODES, replayQuarantine } from '../app/quarantine-replay.js';
import type { VerifierPool } from '../app/verifier-pool.js';
import { systemClock } from '../ports/clock.js';
import { cliConfig, withStore, type CliConfig } from './context.js';
import { CliError, usageError } from './errors.js';
import type { Output } from './output.js';

export function registerQuarantine(program: Command, out: Output): void {
  const quarantine = program
    .command('quarantine')
    .description('readings the gateway refused: list them, replay one after a registry fix');

  quarantine
    .command('list')
    .description('list quarantined readings, oldest first')
    .option('--code <code>', 'only this code, e.g. PG_DEVICE_UNKNOWN')
    .option('--device <id>', 'only this device')
    .option('--limit <n>', 'at most this many rows', '100')
    .option('--unresolved', 'only rows not yet replayed')
    .option('--json', 'one JSON object per line')
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(
      async (options: {
        code?: string;
        device?: string;
        limit: string;
        unresolved?: boolean;
        json?: boolean;
        config?: string;
      }) => {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw usageError('--limit must be a positive integer');
        await withStore(cliConfig(options.config), (store) => {
          const rows = store.quarantine({
            limit,
            ...(options.code ? { code: options.code } : {}),
            ...(options.device ? { deviceId: options.device } : {}),
            ...(options.unresolved ? { unresolved: true } : {}),
          });
          for (const row of rows)
            out.log(options.json ? JSON.stringify(rowJson(row)) : rowLine(row));
          if (!options.json) out.progress(`${rows.length} row(s)`);
        });
      },
    );

  quarantine
    .command('replay')
    .description(
      `re-submit quarantined readings through the ingest pipeline (curable codes: ${REPLAYABLE_CODES.join(', ')}); run with the gateway stopped`,
    )
    .argument('[id]', 'quarantine row id (or --all)')
    .option('--all', 'every unresolved curable row (filter with --device / --code)')
    .option('--device <id>', 'with --all: only this device')
    .option('--code <code>', 'with --all: only this code')
    .option(
      '--api <url>',
      "replay one row through a running gateway's API instead (POST /api/v1/quarantine/:id/replay)",
    )
    .addOption(
      new Option('--token <token>', 'with --api: an operator-admin token').env('PG_API_TOKEN'),
    )
    .option('-c, --config <file>', 'gateway config file (YAML)')
    .action(
      async (
        idText: string | undefined,
        options: {
          all?: boolean;
          device?: string;
          code?: string;
          api?: string;
          token?: string;
          config?: string;
        },
      ) => {
        if ((idText === undefined) === !options.all) throw usageError('give a row id or --all');
        if (options.api) {
          if (idText === undefined || !options.token)
            throw usageError('--api replays one row id and needs --token (or PG_API_TOKEN)');
          return replayThroughApi(options.api, options.token, Number(idText), out);
        }
        if (options.code && !(REPLAYABLE_CODES as readonly string[]).includes(options.code))
          throw usageError(`--code must be one of ${REPLAYABLE_CODES.join(', ')}`);
        const config = cliConfig(options.config);
        await refuseIfGatewayRuns(config);
        await withStore(config, async (store) => {
          const { VerifierPool } = await import('../app/verifier-pool.js');
          const pool = new VerifierPool({ threads: 0, batchSize: config.verify.batchSize });
          try {
            const ingest = await pipeline(config, store, pool);
            if (idText !== undefined) await replayOne(store, ingest, Number(idText), out);
            else {
              out.progress('replaying every unresolved curable row');
              const summary = await replayQuarantine(store, ingest, systemClock, {
                ...(options.device ? { deviceId: options.device } : {}),
                ...(options.code
                  ? { code: options.code as (typeof REPLAYABLE_CODES)[number] }
                  : {}),
              });
              out.log(`replayed ${summary.replayed}: ${JSON.stringify(summary.outcomes)}`);
            }
          } finally {
            await pool.close();
          }
        });
      },
    );
}

async function pipeline(
  config: CliConfig,
  store: EvidenceStore,
  pool: VerifierPool,
): Promise<IngestPipeline> {
  const { IngestPipeline } = await import('../app/ingest.js');
  const { DEFAULT_PLAUSIBILITY_POLICY } = await import('../core/plausibility.js');
  return new IngestPipeline({
    warehouseId: config.warehouseId,
    store,
    pool,
    clock: systemClock,
    skew: config.skew,
    plausibility: DEFAULT_PLAUSIBILITY_POLICY,
    commitDelayMs: 0,
  });
}

async function replayOne(
  store: EvidenceStore,
  ingest: IngestPipeline,
  id: number,
  out: Output,
): Promise<void> {
  if (!Number.isInteger(id) || id < 1) throw usageError('the row id must be a positive integer');
  const row = store.database
    .prepare('SELECT code, resolved_at_ms FROM quarantine WHERE id = ?')
    .get(id) as { code: string; resolved_at_ms: number | null } | undefined;
  if (!row) throw new CliError(`no quarantine row ${id}`);
  if (row.resolved_at_ms !== null) throw new CliError(`quarantine row ${id} is already resolved`);
  if (!(REPLAYABLE_CODES as readonly string[]).includes(row.code))
    throw new CliError(
      `quarantine row ${id} has ${row.code}, which a registry fix cannot cure (curable: ${REPLAYABLE_CODES.join(', ')})`,
    );
  const full = store
    .quarantine({ code: row.code, unresolved: true, limit: 1_000_000 })
    .find((candidate) => candidate.id === id)!;
  const outcome = await ingest.submit({
    topic: full.topic,
    payload: full.envelope,
    source: 'replay',
  });
  const label = outcome.outcome === 'quarantined' ? outcome.code : outcome.outcome;
  store.resolveQuarantine(id, `replayed: ${label}`, systemClock.nowMs());
  out.log(
    `row ${id}: ${label}${outcome.outcome === 'quarantined' ? ` (${outcome.detail}; quarantined anew)` : ''}`,
  );
  if (outcome.outcome === 'quarantined')
    throw new CliError(`row ${id} failed again: ${outcome.code}`);
}

/** The running gateway replays the row itself, so its in-memory registry and marks stay in step. */
async function replayThroughApi(apiUrl: string, token: string, id: number, out: Output) {
  if (!Number.isInteger(id) || id < 1) throw usageError('the row id must be a positive integer');
  const url = new URL(`/api/v1/quarantine/${id}/replay`, apiUrl);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new CliError(`cannot reach the gateway API at ${url}: ${(error as Error).message}`);
  }
  const body = (await response.json().catch(() => ({}))) as {
    outcome?: string;
    code?: string | null;
    detail?: string | null;
    message?: string;
  };
  if (!response.ok)
    throw new CliError(
      `${url} answered ${response.status} ${body.code ?? ''} ${body.message ?? ''}`.trim(),
    );
  const label =
    body.outcome === 'quarantined' ? (body.code ?? 'quarantined') : (body.outcome ?? '?');
  out.log(
    `row ${id}: ${label}${body.outcome === 'quarantined' ? ` (${body.detail ?? ''}; quarantined anew)` : ''}`,
  );
  if (body.outcome === 'quarantined') throw new CliError(`row ${id} failed again: ${label}`);
}

/** Two writers of one evidence log would disagree on replay marks: refuse while the gateway answers. */
async function refuseIfGatewayRuns(config: CliConfig): Promise<void> {
  const host =
    config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}/health`;
  const running = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
    () => true,
    () => false,
  );
  if (running)
    throw new CliError(
      `a gateway answers at ${url}: stop it first, or replay through its API (--api <url> --token <operator-admin token>)`,
    );
}

function rowJson(row: QuarantineRow) {
  const { envelope, ...rest } = row;
  return { ...rest, envelopeBytes: envelope.length };
}

function rowLine(row: QuarantineRow): string {
  const identity = row.deviceId
    ? `${row.deviceId}/${row.boot ?? '?'}/${row.seq ?? '?'}`
    : '(unknown device)';
  const when = new Date(row.receivedAtMs).toISOString();
  const resolved = row.resolution ? `  [${row.resolution}]` : '';
  return `${row.id}  ${when}  ${row.code}  ${identity}  ${row.detail}${resolved}`;
}

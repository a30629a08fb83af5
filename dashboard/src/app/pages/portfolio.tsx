// Portfolio: every loan across every configured gateway; state, debt and thresholds from the
// chain (InventoryLoan.getLoan over read-only RPC), lot evidence from the gateways.
import { useEffect, useMemo } from 'preact/hooks';
import { formatBps, formatCountdown, formatTonnes, formatUsd } from '../../format.js';
import type { ApiClient } from '../api.js';
import type { ChainLoan } from '../chain.js';
import { infoOf, must, useApp } from '../context.js';
import { useLive, useLoad, useNowS } from '../hooks.js';
import type { Info, Loan, Lot } from '../types.js';

interface Row {
  key: string;
  gatewayIndex: number;
  gateway: string;
  info: Info;
  loan: Loan;
  lot: Lot | undefined;
}

async function loadRows(clients: ApiClient[]): Promise<{ rows: Row[]; errors: string[] }> {
  const errors: string[] = [];
  const seen = new Set<string>();
  const perGateway = await Promise.all(
    clients.map(async (client, gatewayIndex) => {
      try {
        const [info, loans, lots] = await Promise.all([
          infoOf(client),
          must(client, client.get<Loan[]>('/loans')),
          must(client, client.get<Lot[]>('/lots')),
        ]);
        const lotById = new Map(lots.map((l) => [l.lotId, l]));
        return loans.map((loan) => ({
          key: `${info.chainId}:${info.contracts.inventoryLoan.toLowerCase()}:${loan.loanId}`,
          gatewayIndex,
          gateway: client.label,
          info,
          loan,
          lot: lotById.get(loan.lotId),
        }));
      } catch (error) {
        errors.push((error as Error).message);
        return [];
      }
    }),
  );
  // Two gateways of one warehouse list the same loans: one row per loan on chain.
  const rows = perGateway.flat().filter((row) => !seen.has(row.key) && seen.add(row.key));
  return { rows, errors };
}

async function loadChain(
  rows: Row[],
  rpcOverride: string,
): Promise<Map<string, ChainLoan | string>> {
  const out = new Map<string, ChainLoan | string>();
  if (rows.length === 0) return out;
  // ethers loads after the first paint: the cards render from the gateways' data first.
  const { providerFor, readLoan } = await import('../chain.js');
  await Promise.all(
    rows.map(async (row) => {
      try {
        const provider = providerFor(rpcOverride || row.info.rpcUrl, BigInt(row.info.chainId));
        out.set(
          row.key,
          await readLoan(provider, row.info.contracts.inventoryLoan, row.loan.loanId),
        );
      } catch (error) {
        out.set(row.key, (error as Error).message);
      }
    }),
  );
  return out;
}

export function PortfolioPage() {
  const { clients, rpcOverride } = useApp();
  const loaded = useLoad(() => loadRows(clients), [clients]);
  const rows = useMemo(() => loaded.data?.rows ?? [], [loaded.data]);
  const chain = useLoad(() => loadChain(rows, rpcOverride), [rows, rpcOverride]);
  useLive(['chain', 'attestation'], loaded.reload, 1000);
  const nowS = useNowS();

  useEffect(() => {
    if (
      loaded.data &&
      rows.length > 0 &&
      performance.getEntriesByName('pg-portfolio-ready').length === 0
    ) {
      performance.mark('pg-portfolio-ready');
    }
  }, [loaded.data, rows.length]);
  useEffect(() => {
    if (
      chain.data &&
      rows.length > 0 &&
      rows.every((r) => chain.data!.has(r.key)) &&
      performance.getEntriesByName('pg-portfolio-chain').length === 0
    ) {
      performance.mark('pg-portfolio-chain');
    }
  }, [chain.data, rows.length]);

  return (
    <section>
      <h1>
        Portfolio{' '}
        <small>
          {rows.length} loans · {clients.length} gateways
        </small>
      </h1>
      {loaded.data?.errors.map((e) => (
        <p class="error" key={e}>
          {e}
        </p>
      ))}
      {loaded.error && <p class="error">{loaded.error}</p>}
      {!loaded.data && <p>Loading…</p>}
      <div class="loans" data-testid="loans">
        {rows.map((row) => (
          <LoanCard row={row} chain={chain.data?.get(row.key)} nowS={nowS} key={row.key} />
        ))}
      </div>
    </section>
  );
}

function LoanCard({
  row,
  chain,
  nowS,
}: {
  row: Row;
  chain: ChainLoan | string | undefined;
  nowS: number;
}) {
  const onChain = typeof chain === 'object' ? chain : undefined;
  const loan = row.loan;
  const state = onChain?.state ?? loan.state;
  const maxBps = onChain?.maxLtvBps ?? Number(loan.maxLtvBps);
  const callBps = onChain?.marginCallLtvBps ?? Number(loan.marginCallLtvBps);
  const defaultBps = onChain?.defaultLtvBps ?? Number(loan.defaultLtvBps);
  const ltvBps = onChain?.ltvBps ?? (loan.ltvBps === null ? null : Number(loan.ltvBps));
  const debt = onChain?.debt ?? BigInt(loan.debt);
  const deadlineS = onChain ? onChain.callDeadlineS || null : loan.cureDeadlineS;
  const lot = row.lot;
  return (
    <article class={`loan state-${state}`} data-testid={`loan-${loan.loanId}`} data-state={state}>
      <div class="loan-head">
        <span class={`chip chip-${state}`} data-testid="state">
          {state === 'MarginCall' ? 'Margin call' : state}
        </span>
        <a href={`#/lot/${row.gatewayIndex}/${encodeURIComponent(loan.lotId)}`}>
          Loan {loan.loanId} · {loan.lotId}
        </a>
        <span
          class="source"
          title={typeof chain === 'string' ? chain : 'state read from the chain'}
        >
          {onChain ? 'on chain' : typeof chain === 'string' ? 'chain unreachable' : 'gateway'}
        </span>
      </div>
      <LtvBar ltvBps={ltvBps} maxBps={maxBps} callBps={callBps} defaultBps={defaultBps} />
      <dl>
        <dt>Debt</dt>
        <dd>{formatUsd(debt)}</dd>
        <dt>Lot</dt>
        <dd>
          {lot ? formatTonnes(BigInt(lot.quantityGrams)) : '—'} {loan.commodity}
        </dd>
        {state === 'MarginCall' && deadlineS !== null && (
          <>
            <dt>Cure</dt>
            <dd class="countdown" data-testid="countdown">
              {formatCountdown(deadlineS - nowS)}
            </dd>
          </>
        )}
        <dt>Flags</dt>
        <dd>
          {loan.frozen && <span class="flag">frozen</span>}
          {onChain?.custodyFresh === false && <span class="flag">custody stale</span>}
          {onChain?.priceFresh === false && <span class="flag">price stale</span>}
          {onChain?.breach && onChain.breach !== 'None' && (
            <span class="flag">breach: {onChain.breach}</span>
          )}
          {lot?.unverified && <span class="flag">unverified</span>}
          {lot?.flagNames.map((f) => (
            <span class="flag" key={f}>
              {f}
            </span>
          ))}
          {!loan.frozen &&
            !lot?.unverified &&
            (lot?.flagNames.length ?? 0) === 0 &&
            onChain?.custodyFresh !== false &&
            onChain?.priceFresh !== false &&
            (onChain?.breach ?? 'None') === 'None' &&
            'none'}
        </dd>
        <dt>Warehouse</dt>
        <dd class="muted">{row.info.warehouseId}</dd>
      </dl>
    </article>
  );
}

/** LTV against its thresholds; the scale ends a little past the default level. */
export function LtvBar(props: {
  ltvBps: number | null;
  maxBps: number;
  callBps: number;
  defaultBps: number;
}) {
  const ltv = props.ltvBps ?? 0;
  const scale = Math.max(props.defaultBps * 1.15, ltv * 1.02, 1);
  const pct = (bps: number) => `${Math.min(100, (bps / scale) * 100).toFixed(2)}%`;
  const ltvText = props.ltvBps === null ? '—' : formatBps(BigInt(props.ltvBps));
  const level =
    ltv >= props.defaultBps
      ? 'default'
      : ltv >= props.callBps
        ? 'call'
        : ltv > props.maxBps
          ? 'over'
          : 'ok';
  return (
    <div class="ltv" data-testid="ltv" title={`LTV ${ltvText}`}>
      <div class={`ltv-fill ltv-${level}`} style={{ width: pct(ltv) }} />
      <i
        class="tick tick-max"
        style={{ left: pct(props.maxBps) }}
        title={`max ${formatBps(BigInt(props.maxBps))}`}
      />
      <i
        class="tick tick-call"
        style={{ left: pct(props.callBps) }}
        title={`margin call ${formatBps(BigInt(props.callBps))}`}
      />
      <i
        class="tick tick-default"
        style={{ left: pct(props.defaultBps) }}
        title={`default ${formatBps(BigInt(props.defaultBps))}`}
      />
      <span class="ltv-label">
        LTV {ltvText} · max {formatBps(BigInt(props.maxBps))} · call{' '}
        {formatBps(BigInt(props.callBps))} · default {formatBps(BigInt(props.defaultBps))}
      </span>
    </div>
  );
}

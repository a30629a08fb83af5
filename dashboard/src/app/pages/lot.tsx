// Lot page: quantity over time with thresholds and events, alerts timeline, attestations with
// their transactions, and "Verify this status" on any confirmed attestation.
import { useMemo, useState } from 'preact/hooks';
import { formatTonnes, shortHex } from '../../format.js';
import { must, useApp } from '../context.js';
import { useLive, useLoad } from '../hooks.js';
import type { Alert, Attestation, Lot, Series } from '../types.js';
import { QuantityChart } from './chart.js';
import { VerifyPanel } from './verify-panel.js';

const CHART_POINTS = 600;
const DAY_MS = 86_400_000;
const RANGES: [string, number][] = [
  ['24 h', DAY_MS],
  ['7 d', 7 * DAY_MS],
  ['30 d', 30 * DAY_MS],
];

export function LotPage({ gatewayIndex, lotId }: { gatewayIndex: number; lotId: string }) {
  const { clients } = useApp();
  const client = clients[gatewayIndex];
  const id = encodeURIComponent(lotId);
  const [rangeMs, setRangeMs] = useState(30 * DAY_MS);
  const [chosenId, setChosenId] = useState<string | undefined>();
  const series = useLoad(async () => {
    if (!client) throw new Error(`no gateway #${gatewayIndex}`);
    const toMs = Date.now();
    return must(
      client,
      client.get<Series>(
        `/lots/${id}/series?fromMs=${toMs - rangeMs}&toMs=${toMs}&points=${CHART_POINTS}`,
      ),
    );
  }, [client, id, rangeMs]);
  const details = useLoad(async () => {
    if (!client) throw new Error(`no gateway #${gatewayIndex}`);
    const [lots, alerts, attestations] = await Promise.all([
      must(client, client.get<Lot[]>('/lots')),
      must(client, client.get<Alert[]>(`/lots/${id}/alerts`)),
      must(client, client.get<Attestation[]>(`/lots/${id}/attestations?limit=20`)),
    ]);
    return { lot: lots.find((l) => l.lotId === lotId), alerts, attestations };
  }, [client, id]);
  useLive(['reading'], series.reload, 5000);
  useLive(['alert', 'attestation', 'chain'], details.reload, 1000);

  const lot = details.data?.lot;
  // The attestation to verify: the one picked in the table, else the latest with a transaction.
  const latest = useMemo(
    () =>
      details.data?.attestations.find((a) => chosenId !== undefined && String(a.id) === chosenId) ??
      details.data?.attestations.find((a) => a.txHash),
    [details.data, chosenId],
  );
  if (!client) return <p class="error">No gateway #{gatewayIndex}</p>;
  return (
    <section>
      <h1>
        Lot {lotId} <small>{client.label}</small>
      </h1>
      {lot && (
        <p class="summary">
          {formatTonnes(BigInt(lot.quantityGrams))} {lot.commodity} in bay {lot.bayId}
          {lot.receiptGrams && <> · receipt {formatTonnes(BigInt(lot.receiptGrams))}</>}
          {lot.flagNames.map((f) => (
            <span class="flag" key={f}>
              {f}
            </span>
          ))}
          {lot.unverified && <span class="flag">unverified</span>}
        </p>
      )}
      {series.error && <p class="error">{series.error}</p>}
      <div class="ranges">
        {RANGES.map(([label, ms]) => (
          <button key={label} class={ms === rangeMs ? 'active' : ''} onClick={() => setRangeMs(ms)}>
            {label}
          </button>
        ))}
      </div>
      {series.data && <QuantityChart series={series.data} />}
      {latest && (
        <div class="card">
          <h2>
            {chosenId === undefined ? 'Latest status on chain' : `Attestation ${latest.sequence}`}:{' '}
            {formatTonnes(BigInt(latest.quantityGrams))}, flags{' '}
            {latest.flagNames.length ? latest.flagNames.join(', ') : 'none'}
          </h2>
          <VerifyPanel client={client} attestationId={String(latest.id)} key={latest.id} />
        </div>
      )}
      {details.error && <p class="error">{details.error}</p>}
      <div class="two">
        <div>
          <h2>Alerts</h2>
          <ol class="timeline" data-testid="alerts">
            {details.data?.alerts.map((a) => (
              <li key={String(a.id)} class={a.clearedAtMs ? 'cleared' : 'open'}>
                <time>{new Date(a.atMs).toLocaleString()}</time> <b>{a.kind}</b> {a.detail}
                {a.deviceId && <span class="muted"> · {a.deviceId}</span>}
                {a.clearedAtMs && (
                  <span class="muted"> · cleared {new Date(a.clearedAtMs).toLocaleString()}</span>
                )}
              </li>
            ))}
            {details.data?.alerts.length === 0 && <li class="muted">no alerts</li>}
          </ol>
        </div>
        <div>
          <h2>Attestations</h2>
          <div class="scroll">
            <table data-testid="attestations">
              <thead>
                <tr>
                  <th>seq</th>
                  <th>observed</th>
                  <th>quantity</th>
                  <th>flags</th>
                  <th>status</th>
                  <th>tx</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {details.data?.attestations.map((a) => (
                  <tr key={a.id}>
                    <td>{a.sequence}</td>
                    <td>{new Date(a.observedAtS * 1000).toLocaleString()}</td>
                    <td>{formatTonnes(BigInt(a.quantityGrams))}</td>
                    <td>{a.flagNames.join(', ') || '—'}</td>
                    <td>{a.status}</td>
                    <td class="mono" title={a.txHash ?? ''}>
                      {a.txHash ? shortHex(a.txHash) : '—'}
                    </td>
                    <td>
                      {a.txHash && (
                        <button
                          onClick={() => setChosenId(String(a.id))}
                          data-testid={`pick-${a.id}`}
                        >
                          Verify
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      </div>
    </section>
  );
}

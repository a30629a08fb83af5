// Quarantined messages with their reason; operators can replay one after a registry fix.
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api.js';
import { must, useApp } from '../context.js';
import { useLive, useLoad } from '../hooks.js';
import type { QuarantineItem } from '../types.js';

export function QuarantinePage() {
  const { clients } = useApp();
  const loaded = useLoad(
    () =>
      Promise.all(
        clients.map(async (c) => ({
          client: c,
          items: await must(c, c.get<QuarantineItem[]>('/quarantine?limit=200')),
        })),
      ),
    [clients],
  );
  useLive(['quarantine'], loaded.reload, 2000);
  return (
    <section>
      <h1>Quarantine</h1>
      {loaded.error && <p class="error">{loaded.error}</p>}
      {loaded.data?.map(({ client, items }) => (
        <div key={client.label}>
          <h2>{client.label}</h2>
          <div class="scroll">
            <table data-testid="quarantine">
              <thead>
                <tr>
                  <th>received</th>
                  <th>code</th>
                  <th>device</th>
                  <th>reason</th>
                  <th>resolution</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {items.map((q) => (
                  <QuarantineRow
                    client={client}
                    item={q}
                    onDone={loaded.reload}
                    key={String(q.id)}
                  />
                ))}
                {items.length === 0 && (
                  <tr>
                    <td colSpan={6} class="muted">
                      nothing quarantined
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </div>
      ))}
    </section>
  );
}

function QuarantineRow({
  client,
  item,
  onDone,
}: {
  client: ApiClient;
  item: QuarantineItem;
  onDone: () => void;
}) {
  const [outcome, setOutcome] = useState<string | undefined>();
  async function replay() {
    const result = await client.post<unknown>(
      `/quarantine/${encodeURIComponent(String(item.id))}/replay`,
    );
    setOutcome(
      result.ok
        ? `replayed: ${JSON.stringify(result.value)}`
        : `${result.error.code}: ${result.error.message}`,
    );
    if (result.ok) onDone();
  }
  return (
    <tr>
      <td>{new Date(item.receivedAtMs).toLocaleString()}</td>
      <td class="mono">{item.code}</td>
      <td>
        {item.deviceId ?? '—'}
        {item.deviceId && item.seq !== null && (
          <span class="muted">
            {' '}
            {item.boot}/{item.seq}
          </span>
        )}
      </td>
      <td>
        {item.detail}
        {!item.authentic && <span class="flag">unauthenticated</span>}
      </td>
      <td>{item.resolvedAtMs ? `${item.resolution ?? 'resolved'}` : 'open'}</td>
      <td>
        {!item.resolvedAtMs && <button onClick={replay}>Replay</button>}
        {outcome && <div class="muted">{outcome}</div>}
      </td>
    </tr>
  );
}

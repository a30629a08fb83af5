// Token entry and gateway list (stored in localStorage): one portfolio across many warehouses.
import { useState } from 'preact/hooks';
import type { GatewayConfig } from '../api.js';

export function SettingsPage(props: {
  gateways: GatewayConfig[];
  rpcOverride: string;
  onSave: (gateways: GatewayConfig[], rpcOverride: string) => void;
}) {
  const [rows, setRows] = useState<GatewayConfig[]>(props.gateways);
  const [rpc, setRpc] = useState(props.rpcOverride);
  const update = (i: number, patch: Partial<GatewayConfig>) =>
    setRows(rows.map((row, j) => (j === i ? { ...row, ...patch } : row)));
  return (
    <section class="settings">
      <h1>Gateways &amp; tokens</h1>
      <p class="muted">
        One row per warehouse gateway. Leave the URL empty for the gateway that serves this page.
        Tokens stay in this browser (localStorage).
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          props.onSave(
            rows
              .filter((r) => r.token.trim() !== '')
              .map((r) => ({ url: r.url.trim(), token: r.token.trim() })),
            rpc.trim(),
          );
        }}
      >
        {rows.map((row, i) => (
          <div class="gateway-row" key={i}>
            <input
              placeholder="https://gateway.example (empty: this origin)"
              value={row.url}
              onInput={(e) => update(i, { url: (e.target as HTMLInputElement).value })}
              data-testid={`gateway-url-${i}`}
            />
            <input
              placeholder="API token"
              type="password"
              value={row.token}
              onInput={(e) => update(i, { token: (e.target as HTMLInputElement).value })}
              data-testid={`gateway-token-${i}`}
            />
            <button type="button" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setRows([...rows, { url: '', token: '' }])}>
          Add gateway
        </button>
        <label>
          Chain RPC (optional; default: each gateway's advertised read-only RPC)
          <input
            value={rpc}
            onInput={(e) => setRpc((e.target as HTMLInputElement).value)}
            placeholder="https://rpc.example"
          />
        </label>
        <button type="submit" data-testid="save-gateways">
          Save
        </button>
      </form>
    </section>
  );
}

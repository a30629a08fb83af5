// Devices of every gateway: health, last seen, key, rejections by code; revoke for operators.
import { shortHex } from '../../format.js';
import { must, useApp } from '../context.js';
import { useLive, useLoad } from '../hooks.js';
import type { Device } from '../types.js';

export function DevicesPage() {
  const { clients } = useApp();
  const loaded = useLoad(
    () =>
      Promise.all(
        clients.map(async (c) => ({
          client: c,
          devices: await must(c, c.get<Device[]>('/devices')),
        })),
      ),
    [clients],
  );
  useLive(['quarantine', 'reading'], loaded.reload, 10_000);
  return (
    <section>
      <h1>Devices</h1>
      {loaded.error && <p class="error">{loaded.error}</p>}
      {loaded.data?.map(({ client, devices }) => (
        <div key={client.label}>
          <h2>{client.label}</h2>
          <div class="scroll">
            <table data-testid="devices">
              <thead>
                <tr>
                  <th>device</th>
                  <th>health</th>
                  <th>last seen</th>
                  <th>bay / lot</th>
                  <th>key</th>
                  <th>rejections</th>
                </tr>
              </thead>
              <tbody>
                {devices.map((d) => (
                  <tr key={d.deviceId}>
                    <td>
                      {d.deviceId}
                      <div class="muted">{d.kinds.join(', ')}</div>
                    </td>
                    <td>
                      <span
                        class={`chip ${d.revoked ? 'chip-Defaulted' : d.online ? 'chip-Active' : 'chip-MarginCall'}`}
                      >
                        {d.revoked ? 'revoked' : d.online ? 'online' : 'offline'}
                      </span>
                    </td>
                    <td>{d.lastSeenMs ? new Date(d.lastSeenMs).toLocaleString() : 'never'}</td>
                    <td>
                      {d.bayId} / {d.lotId ?? '—'}
                    </td>
                    <td class="mono" title={d.publicKeyHex}>
                      {d.alg} v{d.keyVersion} {shortHex(d.publicKeyHex, 4)}
                    </td>
                    <td>
                      {Object.entries(d.rejections).map(([code, count]) => (
                        <div key={code}>
                          {code}: {count}
                        </div>
                      ))}
                      {Object.keys(d.rejections).length === 0 && '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ))}
    </section>
  );
}

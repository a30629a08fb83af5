// OPC UA trust list: trusted and rejected certificates; operators approve a rejected one.
import { useState } from 'preact/hooks';
import { must, useApp } from '../context.js';
import { useLoad } from '../hooks.js';
import type { Certificate } from '../types.js';

export function CertificatesPage() {
  const { clients } = useApp();
  const loaded = useLoad(
    () =>
      Promise.all(
        clients.map(async (c) => ({
          client: c,
          certificates: await must(c, c.get<Certificate[]>('/certificates')),
        })),
      ),
    [clients],
  );
  const [message, setMessage] = useState<string | undefined>();
  return (
    <section>
      <h1>Certificates</h1>
      {loaded.error && <p class="error">{loaded.error}</p>}
      {message && <p class="muted">{message}</p>}
      {loaded.data?.map(({ client, certificates }) => (
        <div key={client.label}>
          <h2>{client.label}</h2>
          <div class="scroll">
            <table data-testid="certificates">
              <thead>
                <tr>
                  <th>subject</th>
                  <th>thumbprint</th>
                  <th>status</th>
                  <th>expires</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {certificates.map((cert) => (
                  <tr key={cert.thumbprint}>
                    <td>{cert.subject}</td>
                    <td class="mono">{cert.thumbprint}</td>
                    <td>
                      <span
                        class={`chip ${cert.status === 'trusted' ? 'chip-Active' : 'chip-Defaulted'}`}
                      >
                        {cert.status}
                      </span>
                    </td>
                    <td class={cert.expiresInDays < 30 ? 'warn' : ''}>
                      {new Date(cert.notAfterMs).toLocaleDateString()} ({cert.expiresInDays} d)
                    </td>
                    <td>
                      {cert.status === 'rejected' && (
                        <button
                          onClick={async () => {
                            const r = await client.post(
                              `/certificates/${encodeURIComponent(cert.thumbprint)}/approve`,
                            );
                            setMessage(
                              r.ok
                                ? `approved ${cert.subject}`
                                : `${r.error.code}: ${r.error.message}`,
                            );
                            if (r.ok) loaded.reload();
                          }}
                        >
                          Approve
                        </button>
                      )}
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

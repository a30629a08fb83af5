// "Verify this status": runs dashboard/src/verify against the evidence of one attestation and the
// CustodyAttested event read from the chain, and shows every check.
import { useState } from 'preact/hooks';
import { shortHex } from '../../format.js';
import type { EvidenceResponse, Verdict } from '../../verify/index.js';
import type { ApiClient } from '../api.js';
import { infoOf, useApp } from '../context.js';

export function VerifyPanel({
  client,
  attestationId,
}: {
  client: ApiClient;
  attestationId: string;
}) {
  const { rpcOverride } = useApp();
  const [verdict, setVerdict] = useState<Verdict | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [running, setRunning] = useState(false);

  async function run() {
    setRunning(true);
    setError(undefined);
    setVerdict(undefined);
    try {
      const evidence = await client.get<EvidenceResponse>(
        `/attestations/${encodeURIComponent(attestationId)}/evidence`,
      );
      if (!evidence.ok) throw new Error(`${evidence.error.code}: ${evidence.error.message}`);
      // The verifier (noble curves, CBOR, ethers) loads on first use.
      const [{ readChainAttestation, verifyEvidence }, { providerFor }] = await Promise.all([
        import('../../verify/index.js'),
        import('../chain.js'),
      ]);
      const info = await infoOf(client);
      const provider = providerFor(rpcOverride || info.rpcUrl, BigInt(info.chainId));
      const chain = await readChainAttestation(provider, evidence.value);
      setVerdict(verifyEvidence(evidence.value, chain));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setRunning(false);
    }
  }

  return (
    <div class="verify" data-testid="verify-panel">
      <button onClick={run} disabled={running} data-testid="verify-button">
        {running ? 'Verifying…' : 'Verify this status'}
      </button>
      {error && (
        <p class="verdict fail" data-testid="verdict">
          FAILED: {error}
        </p>
      )}
      {verdict && (
        <>
          <p class={`verdict ${verdict.ok ? 'pass' : 'fail'}`} data-testid="verdict">
            {verdict.ok ? 'VERIFIED' : 'FAILED'}:{' '}
            {verdict.ok
              ? `${verdict.readings.length} device signatures and the Merkle root match the chain`
              : 'the evidence does not match what the chain holds'}
          </p>
          <div class="scroll">
            <table class="checks">
              <thead>
                <tr>
                  <th>check</th>
                  <th>subject</th>
                  <th>result</th>
                </tr>
              </thead>
              <tbody>
                {verdict.checks.map((c, i) => (
                  <tr class={c.status} key={`c${i}`}>
                    <td>{c.kind}</td>
                    <td>{c.subject}</td>
                    <td title={c.detail}>
                      {c.status === 'pass' ? '✔' : '✘'} {shortDetail(c.detail)}
                    </td>
                  </tr>
                ))}
                {verdict.readings.map((r) => (
                  <tr
                    class={
                      r.signature.status === 'pass' && r.proof.status === 'pass' ? 'pass' : 'fail'
                    }
                    key={r.readingId}
                  >
                    <td>reading #{r.leafIndex}</td>
                    <td>
                      {r.deviceId} {r.summary ?? ''}
                    </td>
                    <td title={`${r.signature.detail}\n${r.proof.detail}`}>
                      signature {r.signature.status === 'pass' ? '✔' : '✘'} · proof{' '}
                      {r.proof.status === 'pass' ? '✔' : '✘'}
                      {r.signature.status === 'fail' && ` ${r.signature.detail}`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}

function shortDetail(detail: string): string {
  return detail.replace(/0x[0-9a-fA-F]{20,}/g, (hex) => shortHex(hex));
}

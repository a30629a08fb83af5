// OPC UA server-certificate trust, made explicit: refused certificates land in <pki>/rejected,
// an operator lists them and approves one by thumbprint (`pledgeguard-gateway opcua-certs`).
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import type { Logger } from 'pino';

export interface RejectedCertificate {
  /** SHA-1 thumbprint, lowercase hex (what OPC UA tools show). */
  readonly thumbprint: string;
  readonly subject: string;
  readonly validTo: string;
  readonly file: string;
}

export function rejectedCertificates(pkiDir: string): RejectedCertificate[] {
  const folder = join(pkiDir, 'rejected');
  let files: string[];
  try {
    files = readdirSync(folder).filter((file) => /\.(der|pem)$/.test(file));
  } catch {
    return [];
  }
  return files.map((file) => {
    const certificate = new X509Certificate(readFileSync(join(folder, file)));
    return {
      thumbprint: certificate.fingerprint.replaceAll(':', '').toLowerCase(),
      subject: certificate.subject,
      validTo: certificate.validTo,
      file,
    };
  });
}

/** Trusts a rejected server certificate; `manager` may be omitted to open the PKI folder directly. */
export async function approveCertificate(
  manager: OPCUACertificateManager | undefined,
  pkiDir: string,
  thumbprint: string,
  log?: Logger,
): Promise<RejectedCertificate> {
  const entry = rejectedCertificates(pkiDir).find(
    (certificate) => certificate.thumbprint === thumbprint.toLowerCase(),
  );
  if (!entry)
    throw new RangeError(
      `no rejected certificate with thumbprint ${thumbprint} in ${join(pkiDir, 'rejected')}`,
    );
  const certificates =
    manager ??
    new OPCUACertificateManager({
      rootFolder: pkiDir,
      automaticallyAcceptUnknownCertificate: false,
    });
  if (!manager) await certificates.initialize();
  await certificates.trustCertificate(
    new X509Certificate(readFileSync(join(pkiDir, 'rejected', entry.file))).raw,
  );
  log?.info(
    { thumbprint: entry.thumbprint, subject: entry.subject },
    'opcua server certificate approved',
  );
  return entry;
}

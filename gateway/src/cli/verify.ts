// `pledgeguard verify <reading-id>`: fetches a reading's evidence from the gateway API
// (docs/api.md: GET /readings/:id, GET /attestations/:id/evidence) and checks it against the chain
// through the verifier's own RPC endpoint (verify-evidence.ts). Exit 0 only when every check holds.
import { readFileSync } from 'node:fs';
import { parseManifest, type DeviceManifest } from '@pledgeguard/protocol';
import { Option, type Command } from 'commander';
import { CliError, usageError } from './errors.js';
import type { Output } from './output.js';
import type { ReadingEvidence, VerifyVerdict } from './verify-evidence.js';

interface ApiReading {
  readingId: number;
  deviceId: string;
  boot: number;
  seq: number;
  envelopeHex: string;
  attestations: number[];
}

interface ApiAttestationEvidence {
  attestation: {
    id: number;
    sequence: string;
    readingsRoot: string;
    lotKey: string;
    warehouseId: string;
    bayIdBytes32: string;
    lotIdBytes32: string;
  };
  chain: {
    chainId: number;
    custodyOracle: string;
    txHash: string | null;
    blockNumber: number | null;
  };
  readings: Array<{
    readingId: number;
    deviceId: string;
    alg: string;
    publicKeyHex: string;
    envelopeHex: string;
    leafIndex: number;
    proof: string[];
  }>;
  leafCount: number;
}

/** Reads the API answers for one reading into the verifier's evidence (no conclusion drawn). */
export async function fetchReadingEvidence(
  apiUrl: string,
  token: string,
  readingId: number,
  attestationId?: number,
): Promise<ReadingEvidence> {
  const get = async <T>(path: string): Promise<T> => {
    const url = new URL(`/api/v1${path}`, apiUrl);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new CliError(`cannot reach the gateway API at ${url}: ${(error as Error).message}`);
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
      throw new CliError(
        `${url} answered ${response.status} ${body.code ?? ''} ${body.message ?? ''}`.trim(),
      );
    }
    return (await response.json()) as T;
  };
  const reading = await get<ApiReading>(`/readings/${readingId}`);
  const chosen = attestationId ?? reading.attestations.at(-1);
  if (chosen === undefined)
    throw new CliError(
      `reading ${readingId} is in no attestation yet: its lot has not been attested since it arrived`,
    );
  const evidence = await get<ApiAttestationEvidence>(`/attestations/${chosen}/evidence`);
  const entry = evidence.readings.find((item) => item.readingId === readingId);
  if (!entry) throw new CliError(`attestation ${chosen} does not list reading ${readingId}`);
  if (!evidence.chain.txHash)
    throw new CliError(`attestation ${chosen} is not on chain yet (no transaction)`);
  return {
    reading: {
      id: readingId,
      deviceId: reading.deviceId,
      boot: reading.boot,
      seq: reading.seq,
      envelope: entry.envelopeHex,
    },
    device: { alg: entry.alg, publicKey: entry.publicKeyHex },
    attestation: {
      lotKey: evidence.attestation.lotKey,
      sequence: evidence.attestation.sequence,
      readingsRoot: evidence.attestation.readingsRoot,
      txHash: evidence.chain.txHash,
      oracle: evidence.chain.custodyOracle,
      lot: {
        warehouseId: evidence.attestation.warehouseId,
        bayIdBytes32: evidence.attestation.bayIdBytes32,
        lotIdBytes32: evidence.attestation.lotIdBytes32,
      },
    },
    proof: { index: entry.leafIndex, treeSize: evidence.leafCount, path: entry.proof },
  };
}

export function printVerdict(out: Output, verdict: VerifyVerdict): void {
  for (const check of verdict.checks)
    out.log(
      `${check.ok ? 'ok  ' : 'FAIL'}  ${check.name.padEnd(9)} ${check.code ? `${check.code} ` : ''}${check.detail}`,
    );
  for (const item of verdict.trusted) out.log(`note  trusted   ${item}`);
  out.log(
    verdict.ok
      ? 'VERIFIED: the reading is authentic and part of the evidence of the on-chain attestation'
      : 'NOT VERIFIED: see the failed checks above',
  );
}

export function registerVerify(program: Command, out: Output): void {
  program
    .command('verify')
    .description(
      "check a reading without trusting the gateway: its device signature, its Merkle proof, and the attestation's root read from the chain",
    )
    .argument('<readingId>', 'reading id (as in the API and the dashboard)')
    .requiredOption('--api <url>', 'gateway base URL, e.g. http://gateway:8080')
    .addOption(
      new Option(
        '--token <token>',
        'API token with the auditor role (keeps it out of `ps`: env PG_API_TOKEN)',
      )
        .env('PG_API_TOKEN')
        .makeOptionMandatory(),
    )
    .requiredOption('--rpc <url>', 'your own JSON-RPC endpoint of the chain')
    .option('--oracle <address>', 'CustodyOracle address from your own deployment record')
    .option('--manifest <file>', 'your own copy of the device manifest, to check the device key')
    .option('--attestation <id>', 'check against this attestation (default: the latest holding it)')
    .option('--json', 'print the verdict as JSON')
    .action(
      async (
        readingIdText: string,
        options: {
          api: string;
          token: string;
          rpc: string;
          oracle?: string;
          manifest?: string;
          attestation?: string;
          json?: boolean;
        },
      ) => {
        const readingId = positiveInt(readingIdText, 'reading id');
        const manifest = options.manifest ? readManifest(options.manifest) : undefined;
        out.progress(`fetching evidence of reading ${readingId} from ${options.api}`);
        const evidence = await fetchReadingEvidence(
          options.api,
          options.token,
          readingId,
          options.attestation !== undefined
            ? positiveInt(options.attestation, '--attestation')
            : undefined,
        );
        out.progress(`reading the attestation ${evidence.attestation.txHash} from ${options.rpc}`);
        const { connect } = await import('@pledgeguard/contracts/chain');
        const { verifyReadingEvidence } = await import('./verify-evidence.js');
        const provider = connect(options.rpc);
        try {
          const verdict = await verifyReadingEvidence(evidence, provider, {
            ...(options.oracle ? { oracle: options.oracle } : {}),
            ...(manifest ? { manifest } : {}),
          });
          if (options.json)
            out.log(
              JSON.stringify(verdict, (_, value: unknown) =>
                typeof value === 'bigint' ? value.toString() : value,
              ),
            );
          else printVerdict(out, verdict);
          if (!verdict.ok) throw new CliError('verification failed', 1);
        } finally {
          provider.destroy();
        }
      },
    );
}

function positiveInt(text: string, what: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw usageError(`${what} must be a positive integer`);
  return Number(text);
}

function readManifest(file: string): DeviceManifest {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw usageError(`cannot read manifest ${file}: ${(error as Error).message}`);
  }
  const parsed = parseManifest(value);
  if (!parsed.ok) throw usageError(`invalid manifest ${file}: ${parsed.detail}`);
  return parsed.value;
}

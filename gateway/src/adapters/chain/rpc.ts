// JSON-RPC plumbing of the chain adapter, and the one place where ethers and RPC errors become
// PledgeGuard codes (STYLE.md rule 3). PLATFORM.md traps: ethers' call cache reused nonces
// (cacheTimeout -1), and a request to a chain that stopped answering must time out rather than
// hang for ethers' default 5 minutes, so the submitter can back off and retry.
import { FetchRequest, JsonRpcProvider } from 'ethers';
import { decodeRevert, type DecodedRevert } from '@pledgeguard/contracts/chain';
import type { Code } from '@pledgeguard/protocol';

/** A JSON-RPC provider without call cache or batching, on a known chain, with a request timeout. */
export function chainProvider(
  rpcUrl: string,
  chainId: number,
  options: { requestTimeoutMs?: number; pollingIntervalMs?: number } = {},
): JsonRpcProvider {
  const request = new FetchRequest(rpcUrl);
  request.timeout = options.requestTimeoutMs ?? 10_000;
  return new JsonRpcProvider(request, chainId, {
    cacheTimeout: -1,
    batchMaxCount: 1,
    batchStallTime: 0,
    pollingInterval: options.pollingIntervalMs ?? 250,
    staticNetwork: true,
  });
}

/**
 * Chain failure codes (protocol/src/codes.ts, stage 'chain'): the node did not answer; a call or
 * transaction reverted (`revert` holds the decoded error); the node refused the nonce or the
 * replacement fee; the node refused the request otherwise.
 */
export type ChainErrorCode = Extract<
  Code,
  'PG_CHAIN_UNAVAILABLE' | 'PG_CHAIN_REVERTED' | 'PG_CHAIN_NONCE' | 'PG_CHAIN_REJECTED'
>;

export class ChainError extends Error {
  constructor(
    readonly code: ChainErrorCode,
    message: string,
    readonly revert?: DecodedRevert,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'ChainError';
  }
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** Translates anything ethers or the node threw into a ChainError, keeping it as `cause`. */
export function translateChainError(error: unknown): ChainError {
  if (error instanceof ChainError) return error;
  const revert = decodeRevert(error);
  if (revert)
    return new ChainError('PG_CHAIN_REVERTED', describeRevert(revert), revert, { cause: error });
  const text = flatten(error);
  const record = (error ?? {}) as { code?: unknown; shortMessage?: unknown };
  if (record.code === 'CALL_EXCEPTION' || /execution reverted|revert/i.test(text))
    return new ChainError('PG_CHAIN_REVERTED', shortMessage(error), undefined, { cause: error });
  if (
    record.code === 'NONCE_EXPIRED' ||
    record.code === 'REPLACEMENT_UNDERPRICED' ||
    /nonce too low|nonce too high|replacement transaction underpriced|already known|underpriced/i.test(
      text,
    )
  )
    return new ChainError('PG_CHAIN_NONCE', shortMessage(error), undefined, { cause: error });
  if (
    record.code === 'TIMEOUT' ||
    record.code === 'NETWORK_ERROR' ||
    record.code === 'SERVER_ERROR' ||
    [...UNAVAILABLE_CODES].some((code) => text.includes(code)) ||
    /socket hang up|fetch failed|timeout|other side closed|connect/i.test(text)
  )
    return new ChainError('PG_CHAIN_UNAVAILABLE', shortMessage(error), undefined, { cause: error });
  return new ChainError('PG_CHAIN_REJECTED', shortMessage(error), undefined, { cause: error });
}

export function describeRevert(revert: DecodedRevert): string {
  const args = revert.args.map((arg) => (typeof arg === 'bigint' ? arg.toString() : String(arg)));
  return `${revert.name}(${args.join(', ')})`;
}

function shortMessage(error: unknown): string {
  const record = (error ?? {}) as { shortMessage?: unknown; message?: unknown };
  if (typeof record.shortMessage === 'string') return record.shortMessage;
  if (typeof record.message === 'string') return record.message.split('\n')[0] ?? 'error';
  return String(error);
}

/** Message, code and nested causes, for pattern matching only. */
function flatten(error: unknown, depth = 0): string {
  if (depth > 5 || error === null || typeof error !== 'object') return String(error ?? '');
  const record = error as Record<string, unknown>;
  const parts = [record.code, record.message, record.shortMessage].filter(
    (part) => typeof part === 'string',
  );
  for (const key of ['cause', 'error', 'info']) {
    if (record[key] !== undefined) parts.push(flatten(record[key], depth + 1));
  }
  return parts.join(' | ');
}

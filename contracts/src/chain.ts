// ethers v6 plumbing shared by deploy, tests and benches. PLATFORM.md: the provider's call cache
// made rapid sends reuse nonces (cacheTimeout -1 turns it off), and tx.wait() sometimes never
// returned against anvil, so receipts are polled with eth_getTransactionReceipt and a timeout.
// Request batching is off: its stall made every RPC round trip 10 ms longer.
import {
  HDNodeWallet,
  Interface,
  JsonRpcProvider,
  Mnemonic,
  type ContractTransactionResponse,
  type InterfaceAbi,
  type TransactionReceipt,
  type TransactionResponse,
} from 'ethers';
import { ANVIL_MNEMONIC } from './anvil.js';
import { ARTIFACT_ABIS } from './abis.js';

/** A JSON-RPC provider with ethers' call cache disabled and polling tuned for a local chain. */
export function connect(rpcUrl: string, chainId?: number): JsonRpcProvider {
  return new JsonRpcProvider(rpcUrl, chainId, {
    cacheTimeout: -1,
    batchStallTime: 0, // the default 10 ms wait for batching costs ~50 ms per sent transaction
    pollingInterval: 50,
    staticNetwork: chainId !== undefined,
  });
}

/** The i-th funded anvil dev account, connected to `provider`. */
export function anvilAccount(provider: JsonRpcProvider, index: number): HDNodeWallet {
  const mnemonic = Mnemonic.fromPhrase(ANVIL_MNEMONIC);
  return HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${index}`).connect(provider);
}

/**
 * A transaction that reverted on chain (status 0). A receipt carries no revert data, so `data` is
 * what replaying the call against the state before its block returned (exact when the block holds
 * only this transaction, as with anvil's automine; best effort otherwise): decodeRevert reads it.
 */
export class TransactionRevertedError extends Error {
  constructor(
    readonly receipt: TransactionReceipt,
    readonly data?: string,
  ) {
    const name = data === undefined ? undefined : pledgeGuardInterface.parseError(data)?.name;
    super(
      `transaction ${receipt.hash} reverted in block ${receipt.blockNumber}${name ? ` (${name})` : ''}`,
    );
    this.name = 'TransactionRevertedError';
  }
}

/**
 * The revert data of a mined, reverted transaction, by replaying it: on the parent block's state,
 * or, where the node keeps no history (anvil --prune-history), on the latest state.
 */
async function replayRevertData(
  provider: JsonRpcProvider,
  receipt: TransactionReceipt,
): Promise<string | undefined> {
  const tx = await provider.getTransaction(receipt.hash).catch(() => null);
  if (!tx) return undefined;
  for (const blockTag of [receipt.blockNumber - 1, 'latest']) {
    try {
      await provider.call({ from: tx.from, to: tx.to, data: tx.data, value: tx.value, blockTag });
      return undefined; // it succeeds there: other transactions made it revert
    } catch (error) {
      const data = findRevertData(error, 0);
      if (data !== undefined) return data;
    }
  }
  return undefined;
}

/** Polls eth_getTransactionReceipt for `hash` until mined or `timeoutMs` passes. */
export async function waitForReceipt(
  provider: JsonRpcProvider,
  hash: string,
  timeoutMs = 30_000,
): Promise<TransactionReceipt> {
  const deadline = Date.now() + timeoutMs;
  let delayMs = 2;
  for (;;) {
    const receipt = await provider.getTransactionReceipt(hash);
    if (receipt) {
      if (receipt.status !== 1)
        throw new TransactionRevertedError(receipt, await replayRevertData(provider, receipt));
      return receipt;
    }
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 100);
  }
}

/** Sends (awaits the send promise) and waits for the receipt by polling; throws on revert. */
export async function sendAndWait(
  send: Promise<TransactionResponse | ContractTransactionResponse>,
  timeoutMs = 30_000,
): Promise<TransactionReceipt> {
  const tx = await send;
  const provider = tx.provider;
  if (!(provider instanceof JsonRpcProvider))
    throw new TypeError('sendAndWait: needs a JsonRpcProvider');
  return waitForReceipt(provider, tx.hash, timeoutMs);
}

/** Every PledgeGuard error, event and function, to decode reverts from any contract in a call. */
export const pledgeGuardInterface = new Interface(mergeAbis(Object.values(ARTIFACT_ABIS)));

function mergeAbis(abis: readonly InterfaceAbi[]): InterfaceAbi {
  const seen = new Set<string>();
  const merged: unknown[] = [];
  for (const abi of abis) {
    for (const fragment of abi as readonly { type: string; name?: string }[]) {
      if (
        fragment.type === 'constructor' ||
        fragment.type === 'fallback' ||
        fragment.type === 'receive'
      )
        continue;
      const key = `${fragment.type}:${fragment.name ?? ''}:${JSON.stringify(fragment)}`;
      const byName = `${fragment.type}:${fragment.name ?? ''}`;
      if (seen.has(key) || seen.has(byName)) continue;
      seen.add(key);
      seen.add(byName);
      merged.push(fragment);
    }
  }
  return merged as InterfaceAbi;
}

/** A decoded custom Solidity error. */
export interface DecodedRevert {
  name: string;
  args: unknown[];
}

/** Finds revert data anywhere in an ethers error and decodes it against every PledgeGuard ABI. */
export function decodeRevert(error: unknown): DecodedRevert | undefined {
  const data = findRevertData(error, 0);
  if (data === undefined) return undefined;
  const parsed = pledgeGuardInterface.parseError(data);
  return parsed ? { name: parsed.name, args: [...parsed.args] } : undefined;
}

function findRevertData(value: unknown, depth: number): string | undefined {
  if (depth > 6 || value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const data = record.data;
  if (typeof data === 'string' && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
  for (const key of ['data', 'error', 'info', 'cause', 'payload']) {
    const found = findRevertData(record[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

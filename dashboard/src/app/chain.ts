// Read-only chain access for the browser (ethers v6): loan state straight from InventoryLoan,
// so the portfolio does not rest on a gateway's word. One provider per RPC URL.

import { Contract, JsonRpcProvider, Network } from 'ethers';
import type { LoanState } from './types.js';

const LOAN_ABI = [
  'function getLoan(uint256 loanId) view returns (tuple(address lender, uint16 maxLtvBps, uint16 marginCallLtvBps, uint16 defaultLtvBps, uint32 curePeriodSeconds, uint8 state, address borrower, uint40 callDeadline, uint40 breachSince, uint128 principal, uint128 debt, uint256 receiptId, bytes32 lotKey, bytes32 commodity, uint64 clearedSequence, uint40 recountAt, uint64 pendingReleaseOrderId))',
];

const STATES: (LoanState | 'None')[] = [
  'None',
  'Active',
  'MarginCall',
  'Defaulted',
  'Enforced',
  'Closed',
];

const providers = new Map<string, JsonRpcProvider>();

/** A provider for `rpcUrl` on `chainId`: no call cache (PLATFORM.md), fixed network. */
export function providerFor(rpcUrl: string, chainId: bigint): JsonRpcProvider {
  const key = `${chainId}@${rpcUrl}`;
  let provider = providers.get(key);
  if (!provider) {
    provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), {
      staticNetwork: true,
      cacheTimeout: -1,
      batchMaxCount: 100,
    });
    providers.set(key, provider);
  }
  return provider;
}

export interface ChainLoan {
  state: LoanState | 'None';
  debt: bigint;
  principal: bigint;
  maxLtvBps: number;
  marginCallLtvBps: number;
  defaultLtvBps: number;
  callDeadlineS: number;
  breachSinceS: number;
  lotKey: string;
}

export async function readLoan(
  provider: JsonRpcProvider,
  inventoryLoan: string,
  loanId: string,
): Promise<ChainLoan> {
  const contract = new Contract(inventoryLoan, LOAN_ABI, provider);
  const loan = (await contract.getFunction('getLoan')(BigInt(loanId))) as {
    state: bigint;
    debt: bigint;
    principal: bigint;
    maxLtvBps: bigint;
    marginCallLtvBps: bigint;
    defaultLtvBps: bigint;
    callDeadline: bigint;
    breachSince: bigint;
    lotKey: string;
  };
  return {
    state: STATES[Number(loan.state)] ?? 'None',
    debt: loan.debt,
    principal: loan.principal,
    maxLtvBps: Number(loan.maxLtvBps),
    marginCallLtvBps: Number(loan.marginCallLtvBps),
    defaultLtvBps: Number(loan.defaultLtvBps),
    callDeadlineS: Number(loan.callDeadline),
    breachSinceS: Number(loan.breachSince),
    lotKey: loan.lotKey,
  };
}

// Read-only chain access for the browser (ethers v6): loan state straight from InventoryLoan,
// so the portfolio does not rest on a gateway's word. One provider per RPC URL.

import { Contract, JsonRpcProvider, Network } from 'ethers';
import type { LoanState } from './types.js';

const LOAN_ABI = [
  'function health(uint256 loanId) view returns (uint256 valueUnits, uint256 ltvBps, bool custodyFresh, bool priceFresh, uint8 breach)',
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
  /** LTV at the latest custody and price [bps], as the contract computes it; null if unreadable. */
  ltvBps: number | null;
  custodyFresh: boolean | null;
  priceFresh: boolean | null;
  /** Why custody counts as breached right now ('None' when it does not). */
  breach: 'None' | 'Flagged' | 'Shortfall' | 'Silent' | null;
}

const BREACHES = ['None', 'Flagged', 'Shortfall', 'Silent'] as const;
/** Above this the LTV is shown as "no value" (the contract's max uint for debt without value). */
const LTV_DISPLAY_LIMIT = 10n ** 9n;

export async function readLoan(
  provider: JsonRpcProvider,
  inventoryLoan: string,
  loanId: string,
): Promise<ChainLoan> {
  const contract = new Contract(inventoryLoan, LOAN_ABI, provider);
  const [loanResult, health] = await Promise.all([
    contract.getFunction('getLoan')(BigInt(loanId)),
    contract
      .getFunction('health')(BigInt(loanId))
      .catch(() => null) as Promise<{
      ltvBps: bigint;
      custodyFresh: boolean;
      priceFresh: boolean;
      breach: bigint;
    } | null>,
  ]);
  const loan = loanResult as {
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
    ltvBps: health && health.ltvBps < LTV_DISPLAY_LIMIT ? Number(health.ltvBps) : null,
    custodyFresh: health ? health.custodyFresh : null,
    priceFresh: health ? health.priceFresh : null,
    breach: health ? (BREACHES[Number(health.breach)] ?? null) : null,
  };
}

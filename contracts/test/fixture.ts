// Test world: a fresh anvil per suite, everything deployed, named actors, and helpers that speak
// the domain (attest a lot, set a price, issue a receipt, open a loan, jump in time).
import {
  HDNodeWallet,
  Wallet,
  ZeroHash,
  type ContractTransactionResponse,
  type JsonRpcProvider,
} from 'ethers';
import { expect } from 'vitest';
import { startAnvil, type AnvilHandle } from '../src/anvil.js';
import {
  anvilAccount,
  connect,
  decodeRevert,
  pledgeGuardInterface,
  sendAndWait,
} from '../src/chain.js';
import { deployPledgeGuard, type Deployed, type DeployOptions } from '../src/deploy.js';
import { custodyDomain, label, lotKey, signAttestation, type Attestation } from '../src/eip712.js';
import type { ICustodyOracle } from '../types/index.js';
import type { IInventoryLoan } from '../types/InventoryLoan.js';

export const USD = 1_000_000n; // settlement token units per USD (6 decimals)
export const TONNE = 1_000_000n; // grams per tonne
export const PRICE_DECIMALS = 8n;
export const HOUR = 3600;
export const WAREHOUSE_ID = 7n;
export const COPPER = label('COPPER');
/** Price per tonne in feed units (8 decimals) from whole dollars. */
export const usdPerTonne = (dollars: bigint | number): bigint =>
  BigInt(dollars) * 10n ** PRICE_DECIMALS;

/** DOMAIN.md defaults: max LTV 70%, call 75%, default 85%, cure 48 h, loan $6.3m. */
export const DEFAULT_TERMS: IInventoryLoan.LoanTermsStruct = {
  principal: 6_300_000n * USD,
  maxLtvBps: 7000,
  marginCallLtvBps: 7500,
  defaultLtvBps: 8500,
  curePeriodSeconds: 48 * HOUR,
};

export interface Lot {
  warehouseId: bigint;
  bayId: string;
  lotId: string;
  key: string;
}

export function lot(bay: string, lotName: string, warehouseId = WAREHOUSE_ID): Lot {
  const bayId = label(bay);
  const lotId = label(lotName);
  return { warehouseId, bayId, lotId, key: lotKey(warehouseId, bayId, lotId) };
}

export interface AttestOptions {
  quantityGrams: bigint;
  flags?: number;
  sequence?: bigint;
  releaseOrderId?: bigint;
  validForSeconds?: number;
  signers?: HDNodeWallet[];
  readingsRoot?: string;
}

export class World {
  readonly sequences = new Map<string, bigint>();
  private snapshotId = '';

  constructor(
    readonly anvil: AnvilHandle,
    readonly provider: JsonRpcProvider,
    readonly admin: HDNodeWallet,
    readonly lender: HDNodeWallet,
    readonly lenderB: HDNodeWallet,
    readonly borrower: HDNodeWallet,
    readonly borrowerB: HDNodeWallet,
    readonly warehouse: HDNodeWallet,
    readonly reporter: HDNodeWallet,
    readonly auditor: HDNodeWallet,
    readonly keeper: HDNodeWallet,
    readonly outsider: HDNodeWallet,
    readonly gateways: HDNodeWallet[],
    readonly contracts: Deployed,
    readonly chainId: bigint,
  ) {}

  get oracle() {
    return this.contracts.custodyOracle;
  }
  get receipts() {
    return this.contracts.warehouseReceipt;
  }
  get loans() {
    return this.contracts.inventoryLoan;
  }
  get token() {
    return this.contracts.settlementToken;
  }
  get feed() {
    const feed = this.contracts.priceFeeds.COPPER;
    if (!feed) throw new Error('no COPPER feed');
    return feed;
  }
  get domain() {
    return custodyDomain(this.chainId, this.contracts.deployment.contracts.custodyOracle);
  }

  async now(): Promise<bigint> {
    const block = await this.provider.getBlock('latest');
    return BigInt(block!.timestamp);
  }

  /** Moves chain time forward and mines a block. */
  async increaseTime(seconds: number): Promise<void> {
    await this.provider.send('evm_increaseTime', [seconds]);
    await this.provider.send('evm_mine', []);
  }

  async snapshot(): Promise<void> {
    this.snapshotId = (await this.provider.send('evm_snapshot', [])) as string;
    this.sequences.clear();
  }

  async revert(): Promise<void> {
    await this.provider.send('evm_revert', [this.snapshotId]);
  }

  /** The attestation the gateways would sign for `target` now (sequence auto-increments). */
  async attestation(target: Lot, options: AttestOptions): Promise<Attestation> {
    const now = await this.now();
    const sequence = options.sequence ?? (this.sequences.get(target.key) ?? 0n) + 1n;
    if (sequence > (this.sequences.get(target.key) ?? 0n)) this.sequences.set(target.key, sequence);
    return {
      warehouseId: target.warehouseId,
      bayId: target.bayId,
      lotId: target.lotId,
      sequence,
      quantityGrams: options.quantityGrams,
      flags: options.flags ?? 0,
      readingsRoot: options.readingsRoot ?? ZeroHash.replace(/00$/, '01'),
      observedAt: now,
      validUntil: now + BigInt(options.validForSeconds ?? 2 * HOUR),
      releaseOrderId: options.releaseOrderId ?? 0n,
    };
  }

  async sign(attestation: Attestation, signers?: HDNodeWallet[]): Promise<string> {
    return signAttestation(signers ?? this.gateways.slice(0, 2), this.domain, attestation);
  }

  /** Signs with two of the three gateways and submits from the keeper. */
  async attest(target: Lot, options: AttestOptions): Promise<Attestation> {
    const attestation = await this.attestation(target, options);
    const signatures = await this.sign(attestation, options.signers);
    await sendAndWait(this.oracle.connect(this.keeper).attest(attestation, signatures));
    return attestation;
  }

  async setPrice(answer: bigint): Promise<void> {
    await sendAndWait(this.feed.connect(this.reporter).submit(answer));
  }

  /** Attests `quantityGrams` for the lot, then issues a receipt for it to `owner`. */
  async issueReceipt(target: Lot, quantityGrams: bigint, owner = this.borrower): Promise<bigint> {
    await this.attest(target, { quantityGrams });
    const receipt = await sendAndWait(
      this.receipts
        .connect(this.warehouse)
        .issue(owner.address, receiptParams(target, quantityGrams)),
    );
    const event = receipt.logs
      .map((log) => this.receipts.interface.parseLog(log))
      .find((parsed) => parsed?.name === 'ReceiptIssued');
    return event!.args.receiptId as bigint;
  }

  async openLoan(
    receiptId: bigint,
    terms: IInventoryLoan.LoanTermsStruct = DEFAULT_TERMS,
    borrower = this.borrower,
    lender = this.lender,
  ): Promise<bigint> {
    await sendAndWait(this.loans.connect(lender).open(receiptId, borrower.address, terms));
    return this.loans.loanCount();
  }

  /** The DOMAIN.md baseline: 1,000 t of copper at USD 9,000/t, $6.3m drawn at 70% LTV. */
  async copperLoan(
    bay = 'B-07',
    lotName = 'LOT-1',
  ): Promise<{ target: Lot; receiptId: bigint; loanId: bigint }> {
    const target = lot(bay, lotName);
    await this.setPrice(usdPerTonne(9000));
    const receiptId = await this.issueReceipt(target, 1000n * TONNE);
    const loanId = await this.openLoan(receiptId);
    await sendAndWait(this.loans.connect(this.borrower).draw(loanId, 6_300_000n * USD));
    return { target, receiptId, loanId };
  }

  async loanState(loanId: bigint): Promise<number> {
    return Number((await this.loans.getLoan(loanId)).state);
  }
}

export function receiptParams(target: Lot, quantityGrams: bigint) {
  return {
    warehouseId: target.warehouseId,
    quantityGrams,
    issuedAt: 0,
    bayId: target.bayId,
    lotId: target.lotId,
    commodity: COPPER,
    quality: {
      minTemperatureMilliC: -20_000,
      maxTemperatureMilliC: 45_000,
      maxHumidityPermille: 800,
      maxExcursionSeconds: 1800,
    },
  };
}

/** Starts anvil, deploys with DOMAIN.md defaults, funds and approves; gateways 2-of-3. */
export async function createWorld(options: DeployOptions = {}): Promise<World> {
  const anvil = await startAnvil();
  const provider = connect(anvil.rpcUrl, anvil.chainId);
  const accounts = Array.from({ length: 10 }, (_, i) => anvilAccount(provider, i));
  const [
    admin,
    lender,
    lenderB,
    borrower,
    borrowerB,
    warehouse,
    reporter,
    auditor,
    keeper,
    outsider,
  ] = accounts as [
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
  ];
  const gateways = Array.from({ length: 5 }, (_, i) =>
    HDNodeWallet.fromPhrase(
      Wallet.createRandom().mnemonic!.phrase,
      undefined,
      `m/44'/60'/0'/0/${i}`,
    ),
  );
  const contracts = await deployPledgeGuard(admin, {
    lenders: [lender.address, lenderB.address],
    borrowers: [borrower.address, borrowerB.address],
    warehouseOperators: [warehouse.address],
    priceReporters: [reporter.address],
    auditors: [auditor.address],
    gatewaySets: [
      {
        warehouseId: WAREHOUSE_ID,
        gateways: gateways.slice(0, 3).map((g) => g.address),
        threshold: 2,
      },
    ],
    ...options,
  });
  const loanAddress = contracts.deployment.contracts.inventoryLoan;
  for (const account of [lender, lenderB, borrower, borrowerB, keeper]) {
    await sendAndWait(contracts.settlementToken.mint(account.address, 100_000_000n * USD));
    await sendAndWait(contracts.settlementToken.connect(account).approve(loanAddress, 2n ** 255n));
  }
  const chainId = (await provider.getNetwork()).chainId;
  return new World(
    anvil,
    provider,
    admin,
    lender,
    lenderB,
    borrower,
    borrowerB,
    warehouse,
    reporter,
    auditor,
    keeper,
    outsider,
    gateways,
    contracts,
    chainId,
  );
}

/** Awaits `action` and asserts it reverted with custom error `name` (and `args`, when given). */
export async function expectRevert(
  action: Promise<ContractTransactionResponse> | Promise<unknown>,
  name: string,
  args?: unknown[],
): Promise<void> {
  let failure: unknown;
  try {
    const result = await action;
    if (result && typeof result === 'object' && 'hash' in result)
      await sendAndWait(Promise.resolve(result as ContractTransactionResponse));
  } catch (error) {
    failure = error;
  }
  expect(failure, `expected revert ${name}`).toBeDefined();
  const decoded = decodeRevert(failure);
  expect(decoded?.name, `revert of ${String(failure)}`).toBe(name);
  if (args) expect(decoded?.args).toEqual(args);
}

/** The contract-side enum values. */
export const LoanState = {
  None: 0,
  Active: 1,
  MarginCall: 2,
  Defaulted: 3,
  Enforced: 4,
  Closed: 5,
} as const;
export const DefaultReason = {
  CureDeadlinePassed: 0n,
  DefaultLtvReached: 1n,
  CustodyBreachUncured: 2n,
} as const;
export const BreachCause = { None: 0n, Flagged: 1n, Shortfall: 2n, Silent: 3n } as const;
export const ReleaseState = {
  None: 0n,
  Ordered: 1n,
  Shipped: 2n,
  Finalized: 3n,
  Cancelled: 4n,
} as const;

export type { ICustodyOracle };

/** Every PledgeGuard event in a receipt, decoded: [name, args]. */
export function eventsOf(receipt: {
  logs: readonly { topics: readonly string[]; data: string }[];
}): [string, unknown[]][] {
  return receipt.logs.flatMap((log) => {
    let parsed: ReturnType<typeof pledgeGuardInterface.parseLog>;
    try {
      parsed = pledgeGuardInterface.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      return []; // ERC-20 and ERC-721 Transfer share a topic but not a layout; not needed here
    }
    return parsed ? [[parsed.name, [...parsed.args]] as [string, unknown[]]] : [];
  });
}

/** The args of the one event `name` in a receipt; fails if absent. */
export function eventArgs(
  receipt: { logs: readonly { topics: readonly string[]; data: string }[] },
  name: string,
): unknown[] {
  const found = eventsOf(receipt).filter(([eventName]) => eventName === name);
  expect(
    found.map(([n]) => n),
    `events in receipt`,
  ).toContain(name);
  return found[0]![1];
}

/** LTV [bps] rounded up, as the contract computes it. */
export function ltvBps(debtUnits: bigint, quantityGrams: bigint, answer: bigint): bigint {
  const value = (quantityGrams * USD * answer) / (TONNE * 10n ** PRICE_DECIMALS);
  return (debtUnits * 10_000n + value - 1n) / value;
}

// A real chain for dashboard tests and the bench: a fresh anvil, PledgeGuard deployed, one
// gateway key (1-of-1) for warehouse 7, copper loans at DOMAIN.md's numbers, price moves.

import type { HDNodeWallet } from 'ethers';
import { type JsonRpcProvider } from 'ethers';
import { startAnvil, type AnvilHandle } from '@pledgeguard/contracts/anvil';
import { anvilAccount, connect, sendAndWait } from '@pledgeguard/contracts/chain';
import { deployPledgeGuard, type Deployed } from '@pledgeguard/contracts/deploy';
import { custodyDomain, label, lotKey, signAttestation } from '@pledgeguard/contracts/eip712';

export const WAREHOUSE_ID = 7n;
export const USD = 1_000_000n; // settlement token units per USD
export const TONNE = 1_000_000n; // grams
const PRICE_DECIMALS = 8n;
export const usdPerTonne = (dollars: number): bigint => BigInt(dollars) * 10n ** PRICE_DECIMALS;
export const COPPER = label('COPPER');

export interface LotRef {
  bayId: string;
  lotId: string;
  bayIdBytes32: string;
  lotIdBytes32: string;
  key: string;
}

export function lotRef(bayId: string, lotId: string): LotRef {
  const bayIdBytes32 = label(bayId);
  const lotIdBytes32 = label(lotId);
  return {
    bayId,
    lotId,
    bayIdBytes32,
    lotIdBytes32,
    key: lotKey(WAREHOUSE_ID, bayIdBytes32, lotIdBytes32),
  };
}

export interface Attested {
  sequence: bigint;
  quantityGrams: bigint;
  observedAtS: bigint;
  validUntilS: bigint;
  txHash: string;
  blockNumber: number;
}

export class ChainWorld {
  private lastSequence = new Map<string, bigint>();

  constructor(
    readonly anvil: AnvilHandle,
    readonly provider: JsonRpcProvider,
    readonly contracts: Deployed,
    readonly accounts: Record<
      'admin' | 'lender' | 'borrower' | 'warehouse' | 'reporter' | 'keeper',
      HDNodeWallet
    >,
    readonly gateway: HDNodeWallet,
  ) {}

  get chainId(): bigint {
    return BigInt(this.anvil.chainId);
  }

  /** What `GET /api/v1/info` says about the chain. */
  info(warehouseId = 'wh-qingdao-1', gatewayId = 'gw-1') {
    const d = this.contracts.deployment.contracts;
    return {
      warehouseId,
      gatewayId,
      chainId: this.chainId.toString(),
      rpcUrl: this.anvil.rpcUrl,
      contracts: {
        custodyOracle: d.custodyOracle,
        inventoryLoan: d.inventoryLoan,
        warehouseReceipt: d.warehouseReceipt,
        priceFeeds: d.priceFeeds,
      },
    };
  }

  async nowS(): Promise<bigint> {
    return BigInt((await this.provider.getBlock('latest'))!.timestamp);
  }

  /** Attests `quantityGrams` of `lot` with `readingsRoot`, signed by the gateway key. */
  async attest(
    lot: LotRef,
    quantityGrams: bigint,
    readingsRoot: string,
    flags = 0,
    options: { sequence?: bigint } = {},
  ): Promise<Attested> {
    const now = await this.nowS();
    const sequence = options.sequence ?? (this.lastSequence.get(lot.key) ?? 0n) + 1n;
    this.lastSequence.set(lot.key, sequence);
    const attestation = {
      warehouseId: WAREHOUSE_ID,
      bayId: lot.bayIdBytes32,
      lotId: lot.lotIdBytes32,
      sequence,
      quantityGrams,
      flags,
      readingsRoot,
      observedAt: now,
      validUntil: now + 7200n,
      releaseOrderId: 0n,
    };
    const domain = custodyDomain(this.chainId, this.contracts.deployment.contracts.custodyOracle);
    const signatures = await signAttestation([this.gateway], domain, attestation);
    const receipt = await sendAndWait(
      this.contracts.custodyOracle.connect(this.accounts.keeper).attest(attestation, signatures),
    );
    return {
      sequence,
      quantityGrams,
      observedAtS: now,
      validUntilS: now + 7200n,
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
    };
  }

  async setPrice(dollarsPerTonne: number): Promise<void> {
    await sendAndWait(
      this.contracts.priceFeeds
        .COPPER!.connect(this.accounts.reporter)
        .submit(usdPerTonne(dollarsPerTonne)),
    );
  }

  /** Receipt for `quantityGrams` (needs a fresh attestation), loan at 70/75/85 %, drawn at 70 %. */
  async openLoan(lot: LotRef, quantityGrams: bigint, drawUnits: bigint): Promise<bigint> {
    const { warehouseReceipt, inventoryLoan } = this.contracts;
    const issued = await sendAndWait(
      warehouseReceipt.connect(this.accounts.warehouse).issue(this.accounts.borrower.address, {
        warehouseId: WAREHOUSE_ID,
        quantityGrams,
        issuedAt: 0,
        bayId: lot.bayIdBytes32,
        lotId: lot.lotIdBytes32,
        commodity: COPPER,
        quality: {
          minTemperatureMilliC: -20_000,
          maxTemperatureMilliC: 45_000,
          maxHumidityPermille: 800,
          maxExcursionSeconds: 1800,
        },
      }),
    );
    const id = issued.logs
      .map((log) => warehouseReceipt.interface.parseLog(log))
      .find((parsed) => parsed?.name === 'ReceiptIssued')!.args.receiptId as bigint;
    await sendAndWait(
      inventoryLoan.connect(this.accounts.lender).open(id, this.accounts.borrower.address, {
        principal: drawUnits * 2n,
        maxLtvBps: 7000,
        marginCallLtvBps: 7500,
        defaultLtvBps: 8500,
        curePeriodSeconds: 48 * 3600,
      }),
    );
    const loanId = await inventoryLoan.loanCount();
    await sendAndWait(inventoryLoan.connect(this.accounts.borrower).draw(loanId, drawUnits));
    return loanId;
  }

  async poke(loanId: bigint): Promise<void> {
    await sendAndWait(this.contracts.inventoryLoan.connect(this.accounts.keeper).poke(loanId));
  }

  async stop(): Promise<void> {
    await this.anvil.stop();
  }
}

export async function startChainWorld(): Promise<ChainWorld> {
  const anvil = await startAnvil();
  const provider = connect(anvil.rpcUrl, anvil.chainId);
  const [admin, lender, borrower, warehouse, reporter, keeper, gateway] = Array.from(
    { length: 7 },
    (_, i) => anvilAccount(provider, i),
  ) as HDNodeWallet[];
  const contracts = await deployPledgeGuard(admin!, {
    lenders: [lender!.address],
    borrowers: [borrower!.address],
    warehouseOperators: [warehouse!.address],
    priceReporters: [reporter!.address],
    gatewaySets: [{ warehouseId: WAREHOUSE_ID, gateways: [gateway!.address], threshold: 1 }],
  });
  const loanAddress = contracts.deployment.contracts.inventoryLoan;
  for (const account of [lender!, borrower!, keeper!]) {
    await sendAndWait(contracts.settlementToken.mint(account.address, 100_000_000n * USD));
    await sendAndWait(contracts.settlementToken.connect(account).approve(loanAddress, 2n ** 255n));
  }
  return new ChainWorld(
    anvil,
    provider,
    contracts,
    {
      admin: admin!,
      lender: lender!,
      borrower: borrower!,
      warehouse: warehouse!,
      reporter: reporter!,
      keeper: keeper!,
    },
    gateway!,
  );
}

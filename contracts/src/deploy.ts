// Deploys every PledgeGuard contract, wires them, grants roles, and describes the result as a
// Deployment (written to a JSON file by scripts/deploy.ts). Used by tests, benches and `npm start`.
import type { ContractFactory, JsonRpcProvider, Signer } from 'ethers';
import { sendAndWait } from './chain.js';
import { label } from './eip712.js';
import { ROLES } from './roles.js';
import {
  CustodyOracle__factory,
  InventoryLoan__factory,
  PriceFeed__factory,
  TestStablecoin__factory,
  WarehouseReceipt__factory,
  type CustodyOracle,
  type InventoryLoan,
  type PriceFeed,
  type TestStablecoin,
  type WarehouseReceipt,
} from '../types/index.js';

export interface CommodityConfig {
  /** Short label, e.g. 'COPPER' (bytes32 on chain). */
  name: string;
  description: string; // e.g. 'Copper cathode USD/t'
  decimals: number; // of the feed answer
  heartbeatSeconds: number;
  /** First price posted by the deployer, if it holds the price-reporter role. [10^decimals per t] */
  initialPrice?: bigint;
}

export interface GatewaySetConfig {
  warehouseId: bigint;
  gateways: string[];
  threshold: number;
}

export interface RiskParametersConfig {
  breachGraceSeconds: number;
  custodyStaleBreachSeconds: number;
  breachFlagMask: number;
  quantityToleranceBps: number;
}

export interface DeployOptions {
  lenders?: string[];
  borrowers?: string[];
  warehouseOperators?: string[];
  priceReporters?: string[];
  auditors?: string[];
  pausers?: string[];
  commodities?: CommodityConfig[];
  gatewaySets?: GatewaySetConfig[];
  riskParameters?: RiskParametersConfig;
  /** Longest validity an attestation may claim [s]. */
  maxValiditySeconds?: number;
}

/** What a deployment file holds. */
export interface Deployment {
  chainId: string;
  deployedAtBlock: number;
  admin: string;
  contracts: {
    custodyOracle: string;
    warehouseReceipt: string;
    inventoryLoan: string;
    settlementToken: string;
    priceFeeds: Record<string, string>;
  };
  roles: Record<string, string[]>;
  commodities: CommodityConfig[];
  riskParameters: RiskParametersConfig;
  maxValiditySeconds: number;
}

export interface Deployed {
  deployment: Deployment;
  custodyOracle: CustodyOracle;
  warehouseReceipt: WarehouseReceipt;
  inventoryLoan: InventoryLoan;
  settlementToken: TestStablecoin;
  priceFeeds: Record<string, PriceFeed>;
}

/** Defaults: 24 h breach grace, 1 h of silence is a breach, every flag a breach, 0.5% tolerance. */
export const DEFAULT_RISK_PARAMETERS: RiskParametersConfig = {
  breachGraceSeconds: 24 * 3600,
  custodyStaleBreachSeconds: 3600,
  breachFlagMask: 0xff,
  quantityToleranceBps: 50,
};

export const DEFAULT_COMMODITIES: CommodityConfig[] = [
  { name: 'COPPER', description: 'Copper cathode USD/t', decimals: 8, heartbeatSeconds: 26 * 3600 },
];

async function deployContract<F extends ContractFactory>(
  factory: F,
  args: Parameters<F['getDeployTransaction']>,
): Promise<string> {
  const request = await factory.getDeployTransaction(...args);
  const receipt = await sendAndWait(factory.runner!.sendTransaction!(request));
  if (!receipt.contractAddress) throw new Error('deployment receipt without contract address');
  return receipt.contractAddress;
}

/** Deploys and wires everything with `admin` as DEFAULT_ADMIN_ROLE of every contract. */
export async function deployPledgeGuard(
  admin: Signer,
  options: DeployOptions = {},
): Promise<Deployed> {
  const provider = admin.provider as JsonRpcProvider;
  const adminAddress = await admin.getAddress();
  const risk = options.riskParameters ?? DEFAULT_RISK_PARAMETERS;
  const maxValiditySeconds = options.maxValiditySeconds ?? 24 * 3600;
  const commodities = options.commodities ?? DEFAULT_COMMODITIES;

  const tokenAddress = await deployContract(new TestStablecoin__factory(admin), [adminAddress]);
  const oracleAddress = await deployContract(new CustodyOracle__factory(admin), [
    adminAddress,
    maxValiditySeconds,
  ]);
  const receiptAddress = await deployContract(new WarehouseReceipt__factory(admin), [
    adminAddress,
    oracleAddress,
  ]);
  const loanAddress = await deployContract(new InventoryLoan__factory(admin), [
    adminAddress,
    tokenAddress,
    oracleAddress,
    receiptAddress,
    risk,
  ]);
  const settlementToken = TestStablecoin__factory.connect(tokenAddress, admin);
  const custodyOracle = CustodyOracle__factory.connect(oracleAddress, admin);
  const warehouseReceipt = WarehouseReceipt__factory.connect(receiptAddress, admin);
  const inventoryLoan = InventoryLoan__factory.connect(loanAddress, admin);

  const roles: Record<string, string[]> = {
    lender: options.lenders ?? [],
    borrower: options.borrowers ?? [],
    warehouseOperator: options.warehouseOperators ?? [],
    priceReporter: options.priceReporters ?? [],
    auditor: options.auditors ?? [],
    pauser: options.pausers ?? [adminAddress],
  };
  await sendAndWait(warehouseReceipt.grantRole(ROLES.lienManager, loanAddress));
  for (const account of roles.warehouseOperator ?? []) {
    await sendAndWait(warehouseReceipt.grantRole(ROLES.warehouseOperator, account));
    await sendAndWait(inventoryLoan.grantRole(ROLES.warehouseOperator, account));
  }
  for (const name of ['lender', 'borrower', 'auditor', 'pauser'] as const) {
    for (const account of roles[name] ?? [])
      await sendAndWait(inventoryLoan.grantRole(ROLES[name], account));
  }

  const priceFeeds: Record<string, PriceFeed> = {};
  for (const commodity of commodities) {
    const feedAddress = await deployContract(new PriceFeed__factory(admin), [
      adminAddress,
      commodity.decimals,
      commodity.description,
    ]);
    const feed = PriceFeed__factory.connect(feedAddress, admin);
    priceFeeds[commodity.name] = feed;
    for (const account of roles.priceReporter ?? [])
      await sendAndWait(feed.grantRole(ROLES.priceReporter, account));
    await sendAndWait(
      inventoryLoan.setPriceFeed(label(commodity.name), feedAddress, commodity.heartbeatSeconds),
    );
    if (commodity.initialPrice !== undefined) {
      if (!(roles.priceReporter ?? []).includes(adminAddress)) {
        await sendAndWait(feed.grantRole(ROLES.priceReporter, adminAddress));
      }
      await sendAndWait(feed.submit(commodity.initialPrice));
    }
  }
  for (const set of options.gatewaySets ?? []) {
    await sendAndWait(custodyOracle.rotateGateways(set.warehouseId, set.gateways, set.threshold));
  }

  const network = await provider.getNetwork();
  const deployment: Deployment = {
    chainId: network.chainId.toString(),
    deployedAtBlock: await provider.getBlockNumber(),
    admin: adminAddress,
    contracts: {
      custodyOracle: oracleAddress,
      warehouseReceipt: receiptAddress,
      inventoryLoan: loanAddress,
      settlementToken: tokenAddress,
      priceFeeds: Object.fromEntries(
        await Promise.all(
          Object.entries(priceFeeds).map(async ([name, feed]) => [name, await feed.getAddress()]),
        ),
      ),
    },
    roles,
    commodities,
    riskParameters: risk,
    maxValiditySeconds,
  };
  return {
    deployment,
    custodyOracle,
    warehouseReceipt,
    inventoryLoan,
    settlementToken,
    priceFeeds,
  };
}

/** A Deployment as JSON (bigints as decimal strings). */
export function deploymentJson(deployment: Deployment): string {
  return `${JSON.stringify(deployment, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`;
}

/** The typed contracts of an existing deployment (a deployment file read back), on `signer`. */
export function attachPledgeGuard(signer: Signer, deployment: Deployment): Deployed {
  const { contracts } = deployment;
  return {
    deployment,
    custodyOracle: CustodyOracle__factory.connect(contracts.custodyOracle, signer),
    warehouseReceipt: WarehouseReceipt__factory.connect(contracts.warehouseReceipt, signer),
    inventoryLoan: InventoryLoan__factory.connect(contracts.inventoryLoan, signer),
    settlementToken: TestStablecoin__factory.connect(contracts.settlementToken, signer),
    priceFeeds: Object.fromEntries(
      Object.entries(contracts.priceFeeds).map(([name, address]) => [
        name,
        PriceFeed__factory.connect(address, signer),
      ]),
    ),
  };
}

// The `chain` section of the gateway config (docs/custody.md): where the contracts are, which key
// signs and pays, and how the submitter, listener and keeper pace themselves. Merged into
// config.ts as `chain`; units are in the names. Contracts come either from a deployment JSON
// written by `npm run contracts:deploy` or inline.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address');
const ms = z.number().int().min(0);

export const chainContractsSchema = z
  .object({
    custodyOracle: address,
    inventoryLoan: address,
    warehouseReceipt: address,
    /** Commodity name (e.g. COPPER) -> PriceFeed address. */
    priceFeeds: z.record(z.string(), address).default({}),
  })
  .strict();

export const chainConfigSchema = z
  .object({
    /** JSON-RPC endpoint of the chain node. */
    rpcUrl: z.string().regex(/^https?:\/\//, 'must start with http:// or https://'),
    /** Chain id; default: the deployment file's. */
    chainId: z.number().int().min(1).optional(),
    /** Deployment JSON from `npm run contracts:deploy` (relative to the config file). */
    deployment: z.string().min(1).optional(),
    /** Contract addresses, when no deployment file is given (or to override it). */
    contracts: chainContractsSchema.optional(),
    /** First block the listener reads; default the deployment block (else 0). */
    fromBlock: z.number().int().min(0).optional(),
    /** The chain's uint64 number for this gateway's warehouseId. */
    warehouseNumber: z
      .union([z.number().int().min(0), z.string().regex(/^\d+$/)])
      .transform((value) => BigInt(value)),
    /** File holding the gateway's private key (0x + 64 hex); else the variable keyEnv. */
    keyFile: z.string().min(1).optional(),
    keyEnv: z.string().min(1).default('PG_GATEWAY_CHAIN_KEY'),
    /** Signatures an attestation needs before it is submitted (the warehouse's m). */
    threshold: z.number().int().min(1).max(16).default(1),
    /** Blocks that must hold a transaction before it counts as confirmed (1 = mined). */
    confirmations: z.number().int().min(1).max(1_000).default(2),
    /** Lots per attestBatch transaction. */
    batchSize: z.number().int().min(1).max(200).default(20),
    /** Re-send with higher fees when a transaction is not mined within this. [ms] */
    stuckAfterMs: ms.min(1_000).default(30_000),
    /** Fee increase per bump. [%] */
    feeBumpPercent: z.number().int().min(10).max(200).default(25),
    /** Highest fee per gas the gateway pays. [gwei] */
    maxFeePerGasGwei: z.number().int().min(1).default(500),
    /** Submitter's idle re-check of the outbox. [ms] */
    submitPollMs: ms.min(10).default(500),
    /** Listener's head re-check. [ms] */
    listenPollMs: ms.min(10).default(1_000),
    /** First retry delay while the node is unreachable; doubles up to retryMaxMs, with jitter. [ms] */
    retryInitialMs: ms.min(10).default(250),
    retryMaxMs: ms.min(10).default(10_000),
    /** Timeout of one JSON-RPC request. [ms] */
    requestTimeoutMs: ms.min(100).default(10_000),
    /** Blocks per eth_getLogs. */
    maxBlockRange: z.number().int().min(1).default(2_000),
    /** Recent block hashes kept for reorg detection. [blocks] */
    keepBlocks: z.number().int().min(2).default(256),
    /** Poke loans after attestations and price updates. */
    keeper: z.boolean().default(true),
  })
  .strict()
  .refine((config) => config.deployment !== undefined || config.contracts !== undefined, {
    message: 'give either deployment (a contracts:deploy JSON file) or contracts',
    path: ['contracts'],
  });

export type ChainConfig = z.infer<typeof chainConfigSchema>;
export type ChainContracts = z.infer<typeof chainContractsSchema>;

/** What the chain feeder needs, with the deployment file read. */
export interface ResolvedChain {
  readonly chainId: number;
  readonly contracts: ChainContracts;
  readonly fromBlock: number;
}

const deploymentSchema = z.object({
  chainId: z.union([z.string(), z.number()]).transform((value) => Number(value)),
  deployedAtBlock: z.number().int().min(0),
  contracts: z.object({
    custodyOracle: address,
    inventoryLoan: address,
    warehouseReceipt: address,
    priceFeeds: z.record(z.string(), address),
  }),
});

/** Reads the deployment file (relative to `baseDir`) and merges it with the inline values. */
export function resolveChain(config: ChainConfig, baseDir: string): ResolvedChain {
  let fromFile: z.infer<typeof deploymentSchema> | undefined;
  if (config.deployment) {
    const path = isAbsolute(config.deployment)
      ? config.deployment
      : join(baseDir, config.deployment);
    const parsed = deploymentSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success)
      throw new RangeError(
        `chain.deployment ${path}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    fromFile = parsed.data;
  }
  const contracts = config.contracts ?? {
    custodyOracle: fromFile!.contracts.custodyOracle,
    inventoryLoan: fromFile!.contracts.inventoryLoan,
    warehouseReceipt: fromFile!.contracts.warehouseReceipt,
    priceFeeds: fromFile!.contracts.priceFeeds,
  };
  const chainId = config.chainId ?? fromFile?.chainId;
  if (chainId === undefined)
    throw new RangeError('chain.chainId: needed when no deployment file is given');
  return { chainId, contracts, fromBlock: config.fromBlock ?? fromFile?.deployedAtBlock ?? 0 };
}

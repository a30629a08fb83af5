// The chain feeder: one object that runs the gateway's chain half (docs/custody.md): the outbox
// over the evidence log, the submitter that lands its attestations, the listener that follows the
// contracts' events, and the keeper that pokes loans after attestations and price updates. The
// custody service calls `attest` (sign with the gateway key + enqueue) or `enqueue` (co-signed),
// and receives release orders and confirmations through `handlers`.
import { isAbsolute, join } from 'node:path';
import type Database from 'better-sqlite3';
import type { TypedDataDomain } from 'ethers';
import type { Logger } from 'pino';
import { custodyDomain } from '@pledgeguard/contracts/eip712';
import type { Clock } from '../ports/clock.js';
import { GatewayKey } from '../adapters/chain/gateway-key.js';
import { Keeper } from '../adapters/chain/keeper.js';
import { ChainListener, type ListenerHandlers } from '../adapters/chain/listener.js';
import {
  AttestationOutbox,
  toChainAttestation,
  type AttestationDraft,
  type CollectedSignature,
  type EnqueueResult,
  type OutboxRow,
} from '../adapters/chain/outbox.js';
import { chainProvider } from '../adapters/chain/rpc.js';
import { AttestationSubmitter } from '../adapters/chain/submitter.js';
import { resolveChain, type ChainConfig } from './chain-config.js';

export interface ChainFeederOptions {
  readonly config: ChainConfig;
  /** The evidence log's database (EvidenceStore.database). */
  readonly db: Database.Database;
  /** Folder relative paths (deployment, key file) resolve against. */
  readonly baseDir: string;
  readonly clock: Clock;
  /** The root logger; components get children. */
  readonly log: Logger;
  /** Where the key comes from when config.keyFile is unset. */
  readonly env?: NodeJS.ProcessEnv;
  /** A key loaded elsewhere (tests); overrides keyFile/keyEnv. */
  readonly key?: GatewayKey;
  /** Chain events for the custody service, API and dashboard (release orders, loans, ...). */
  readonly handlers?: ListenerHandlers;
  /** This gateway's attestations that reached the confirmation depth. */
  readonly onConfirmed?: (rows: readonly OutboxRow[]) => void;
}

export class ChainFeeder {
  readonly outbox: AttestationOutbox;
  readonly submitter: AttestationSubmitter;
  readonly listener: ChainListener;
  readonly keeper: Keeper | undefined;
  readonly key: GatewayKey;
  readonly domain: TypedDataDomain;
  readonly #config: ChainConfig;
  readonly #log: Logger;

  constructor(options: ChainFeederOptions) {
    const { config, db, clock, log, baseDir } = options;
    this.#config = config;
    this.#log = log.child({ component: 'chain' });
    const resolved = resolveChain(config, baseDir);
    const keyFile =
      config.keyFile && !isAbsolute(config.keyFile)
        ? join(baseDir, config.keyFile)
        : config.keyFile;
    this.key = options.key ?? GatewayKey.load({ keyFile, keyEnv: config.keyEnv }, options.env);
    const provider = chainProvider(config.rpcUrl, resolved.chainId, {
      requestTimeoutMs: config.requestTimeoutMs,
      pollingIntervalMs: config.submitPollMs,
    });
    this.domain = custodyDomain(BigInt(resolved.chainId), resolved.contracts.custodyOracle);
    this.outbox = new AttestationOutbox(db, clock);
    this.submitter = new AttestationSubmitter({
      outbox: this.outbox,
      provider,
      signer: this.key.signer(provider),
      chainId: resolved.chainId,
      oracleAddress: resolved.contracts.custodyOracle,
      warehouseNumber: config.warehouseNumber,
      threshold: config.threshold,
      confirmations: config.confirmations,
      stuckAfterMs: config.stuckAfterMs,
      feeBumpPercent: config.feeBumpPercent,
      maxFeePerGasCap: BigInt(config.maxFeePerGasGwei) * 1_000_000_000n,
      batchSize: config.batchSize,
      pollIntervalMs: config.submitPollMs,
      retryInitialMs: config.retryInitialMs,
      retryMaxMs: config.retryMaxMs,
      fromBlock: resolved.fromBlock,
      clock,
      log: log.child({ component: 'chain-submitter' }),
      ...(options.onConfirmed ? { onConfirmed: options.onConfirmed } : {}),
      onMined: () => this.listener.wake(), // see our attestation or poke's effects at once
    });
    this.keeper = config.keeper
      ? new Keeper({
          db,
          send: (call) => this.submitter.enqueueCall(call),
          inventoryLoan: resolved.contracts.inventoryLoan,
          log: log.child({ component: 'chain-keeper' }),
        })
      : undefined;
    this.listener = new ChainListener({
      db,
      provider,
      contracts: resolved.contracts,
      fromBlock: resolved.fromBlock,
      pollIntervalMs: config.listenPollMs,
      maxBlockRange: config.maxBlockRange,
      keepBlocks: config.keepBlocks,
      retryInitialMs: config.retryInitialMs,
      clock,
      log: log.child({ component: 'chain-listener' }),
      handlers: this.#handlers(options.handlers ?? {}),
    });
  }

  /** The gateway key's address (its gateway identity on chain). */
  get address(): string {
    return this.key.address;
  }

  start(): void {
    this.submitter.start();
    this.listener.start();
    this.#log.info({ address: this.key.address }, 'chain feeder started');
  }

  /** Stops; pending and in-flight attestations stay in the outbox for the next start. */
  async stop(): Promise<void> {
    await Promise.all([this.submitter.stop(), this.listener.stop()]);
  }

  /** This gateway's signature over `draft` (for co-signing a peer's proposal). */
  async sign(draft: AttestationDraft): Promise<CollectedSignature> {
    const attestation = toChainAttestation(draft, this.#config.warehouseNumber);
    return {
      signer: this.key.address,
      signature: await this.key.signAttestation(this.domain, attestation),
    };
  }

  /** Signs `draft` and puts it in the outbox with its evidence (and any peers' signatures). */
  async attest(
    draft: AttestationDraft,
    evidenceReadingIds: readonly number[],
    peerSignatures: readonly CollectedSignature[] = [],
  ): Promise<EnqueueResult> {
    const own = await this.sign(draft);
    const result = this.outbox.enqueue(draft, evidenceReadingIds, own, peerSignatures);
    this.submitter.wake();
    return result;
  }

  /** Adds a peer's signature to a queued attestation and wakes the submitter. */
  addSignature(id: number, signature: CollectedSignature): number {
    const count = this.outbox.addSignature(id, signature);
    this.submitter.wake();
    return count;
  }

  #handlers(user: ListenerHandlers): ListenerHandlers {
    const keeper = this.keeper;
    const log = this.#log;
    const background = (work: Promise<unknown>): void => {
      work.catch((error: Error) => log.error({ err: error.message }, 'keeper failed'));
    };
    return {
      ...user,
      onCustodyAttested: (event) => {
        user.onCustodyAttested?.(event);
        if (keeper) background(keeper.afterAttestation(event.lotKey));
      },
      onPriceUpdated: (event) => {
        user.onPriceUpdated?.(event);
        if (keeper && event.commodity) background(keeper.afterPriceUpdate(event.commodity));
      },
    };
  }
}

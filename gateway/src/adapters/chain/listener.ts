// Follows the PledgeGuard contracts' events (docs/custody.md): eth_getLogs from a persisted cursor
// (`chain_cursor`), each range committed in one transaction with the hashes of the blocks it read
// (`chain_blocks`), then handed to the callbacks. Reorgs: before each range the cursor's block hash
// is compared with the chain's; on a mismatch the listener walks back through the remembered hashes
// to the newest block still on the chain, marks every event above it removed, re-derives the
// release orders they touched, and reads again from there. Callbacks may therefore see an event
// again after a reorg (and `onReorg` first): they must be idempotent.
import type Database from 'better-sqlite3';
import type { Interface, JsonRpcProvider, Log } from 'ethers';
import type { Logger } from 'pino';
import {
  CustodyOracle__factory,
  InventoryLoan__factory,
  PriceFeed__factory,
  WarehouseReceipt__factory,
} from '@pledgeguard/contracts/types';
import { label } from '@pledgeguard/contracts/eip712';
import type { Clock } from '../../ports/clock.js';

export type ContractName = 'CustodyOracle' | 'InventoryLoan' | 'WarehouseReceipt' | 'PriceFeed';

export interface FollowedContracts {
  readonly custodyOracle: string;
  readonly inventoryLoan: string;
  readonly warehouseReceipt: string;
  /** Commodity name (e.g. 'COPPER') -> PriceFeed address. */
  readonly priceFeeds: Readonly<Record<string, string>>;
}

/** One followed event, as stored in chain_events (args: bigints as decimal strings). */
export interface ChainEvent {
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly logIndex: number;
  readonly txHash: string;
  readonly contract: ContractName;
  /** Emitting address (lower case). */
  readonly address: string;
  readonly name: string;
  readonly args: Readonly<Record<string, string | boolean | unknown[]>>;
  readonly blockTimeS: number;
}

export type ReleaseOrderStatus = 'ordered' | 'shipped' | 'cancelled' | 'finalized';

export interface ReleaseOrderUpdate {
  readonly orderId: bigint;
  readonly loanId: bigint;
  readonly lotKey: string | null;
  readonly grams: bigint; // [g] to release
  /** [g] the attested quantity when ordered (ReleaseOrdered): what finalizeRelease measures from. */
  readonly quantityBeforeGrams?: bigint;
  readonly status: ReleaseOrderStatus;
  /** Finalized: what the confirming attestation showed. [g] */
  readonly attestedGrams?: bigint;
}

export interface CustodyAttestedEvent {
  readonly lotKey: string;
  readonly warehouseNumber: bigint;
  readonly sequence: bigint;
  readonly quantityGrams: bigint;
  readonly flags: number;
  readonly readingsRoot: string;
  readonly observedAtS: bigint;
  readonly validUntilS: bigint;
  readonly blockNumber: number;
  readonly txHash: string;
}

export interface PriceUpdatedEvent {
  /** Commodity as bytes32 label (as receipts carry it) and its name when known. */
  readonly commodity: string;
  readonly commodityName: string | undefined;
  readonly feed: string;
  readonly answer: bigint;
  readonly roundId: bigint;
  readonly updatedAtS: bigint;
  readonly blockNumber: number;
}

export interface ListenerHandlers {
  /** Every new event, in chain order. */
  onEvent?(event: ChainEvent): void;
  onReleaseOrder?(update: ReleaseOrderUpdate): void;
  onCustodyAttested?(event: CustodyAttestedEvent): void;
  onPriceUpdated?(event: PriceUpdatedEvent): void;
  /** InventoryLoan events (margin calls, cures, defaults, breaches, ...). */
  onLoanEvent?(event: ChainEvent): void;
  /** A reorg removed `removed` (already marked in chain_events); reading resumes above `ancestorBlock`. */
  onReorg?(info: { ancestorBlock: number; removed: readonly ChainEvent[] }): void;
}

export interface ChainListenerOptions {
  readonly db: Database.Database;
  readonly provider: JsonRpcProvider;
  readonly contracts: FollowedContracts;
  /** First block to read when there is no cursor (the deployment block). */
  readonly fromBlock: number;
  /** Cursor name in chain_cursor. Default 'pledgeguard'. */
  readonly name?: string;
  /** Head re-check interval. [ms] Default 1,000. */
  readonly pollIntervalMs?: number;
  /** Blocks per eth_getLogs. Default 2,000. */
  readonly maxBlockRange?: number;
  /** How far back block hashes are kept for reorg detection. [blocks] Default 256. */
  readonly keepBlocks?: number;
  /** Delay after a failed poll, doubled up to 10 s. [ms] Default 500. */
  readonly retryInitialMs?: number;
  readonly clock: Clock;
  /** Child logger { component: 'chain-listener' }. */
  readonly log: Logger;
  readonly handlers?: ListenerHandlers;
}

interface Followed {
  readonly contract: ContractName;
  readonly iface: Interface;
  readonly commodityName?: string;
}

interface EventRow {
  block_number: number;
  block_hash: string;
  log_index: number;
  tx_hash: string;
  contract: ContractName;
  name: string;
  args: string;
  block_time_s: number;
}

const RELEASE_STATUS: Record<string, ReleaseOrderStatus> = {
  ReleaseOrdered: 'ordered',
  ReleaseShipped: 'shipped',
  ReleaseCancelled: 'cancelled',
  ReleaseFinalized: 'finalized',
};

export class ChainListener {
  readonly #options: ChainListenerOptions;
  readonly #name: string;
  readonly #followed = new Map<string, Followed>();
  readonly #statements;
  #running: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #failures = 0;

  constructor(options: ChainListenerOptions) {
    this.#options = options;
    this.#name = options.name ?? 'pledgeguard';
    const { contracts } = options;
    this.#follow(
      contracts.custodyOracle,
      'CustodyOracle',
      CustodyOracle__factory.createInterface(),
    );
    this.#follow(
      contracts.inventoryLoan,
      'InventoryLoan',
      InventoryLoan__factory.createInterface(),
    );
    this.#follow(
      contracts.warehouseReceipt,
      'WarehouseReceipt',
      WarehouseReceipt__factory.createInterface(),
    );
    for (const [name, address] of Object.entries(contracts.priceFeeds))
      this.#follow(address, 'PriceFeed', PriceFeed__factory.createInterface(), name);
    const db = options.db;
    this.#statements = {
      cursor: db.prepare('SELECT block_number, block_hash FROM chain_cursor WHERE name = ?'),
      setCursor: db.prepare(
        `INSERT INTO chain_cursor (name, block_number, block_hash) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash`,
      ),
      putBlock: db.prepare(
        'INSERT OR REPLACE INTO chain_blocks (block_number, block_hash) VALUES (?, ?)',
      ),
      blocksDown: db.prepare(
        'SELECT block_number, block_hash FROM chain_blocks WHERE block_number <= ? ORDER BY block_number DESC',
      ),
      pruneBlocks: db.prepare('DELETE FROM chain_blocks WHERE block_number < ?'),
      dropBlocksAbove: db.prepare('DELETE FROM chain_blocks WHERE block_number > ?'),
      insertEvent: db.prepare(
        `INSERT INTO chain_events (block_number, block_hash, log_index, tx_hash, contract, name, args, block_time_s)
         VALUES (@blockNumber, @blockHash, @logIndex, @txHash, @contract, @name, @args, @blockTimeS)
         ON CONFLICT (block_hash, log_index) DO UPDATE SET removed = 0`,
      ),
      eventsAbove: db.prepare(
        'SELECT * FROM chain_events WHERE block_number > ? AND removed = 0 ORDER BY block_number, log_index',
      ),
      removeAbove: db.prepare(
        'UPDATE chain_events SET removed = 1 WHERE block_number > ? AND removed = 0',
      ),
      releaseEvents: db.prepare(
        `SELECT * FROM chain_events WHERE removed = 0 AND contract = 'InventoryLoan'
           AND name IN ('ReleaseOrdered', 'ReleaseShipped', 'ReleaseCancelled', 'ReleaseFinalized')
           AND json_extract(args, '$.orderId') = ? ORDER BY block_number, log_index`,
      ),
      releaseOrder: db.prepare('SELECT * FROM release_orders WHERE order_id = ?'),
      upsertRelease: db.prepare(
        `INSERT INTO release_orders (order_id, loan_id, lot_key, grams, status, updated_at_ms)
         VALUES (@orderId, @loanId, @lotKey, @grams, @status, @nowMs)
         ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, updated_at_ms = excluded.updated_at_ms,
           loan_id = excluded.loan_id, lot_key = coalesce(excluded.lot_key, release_orders.lot_key),
           grams = CASE WHEN excluded.grams = '0' THEN release_orders.grams ELSE excluded.grams END`,
      ),
      deleteRelease: db.prepare('DELETE FROM release_orders WHERE order_id = ?'),
    };
  }

  #follow(address: string, contract: ContractName, iface: Interface, commodityName?: string): void {
    this.#followed.set(address.toLowerCase(), {
      contract,
      iface,
      ...(commodityName ? { commodityName } : {}),
    });
  }

  start(): void {
    if (this.#running) throw new TypeError('ChainListener already started');
    this.#running = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
  }

  /** Reads now instead of at the next poll (e.g. right after one of our transactions was mined). */
  wake(): void {
    this.#wake?.();
  }

  /** The last block fully processed, or undefined before the first range. */
  cursor(): { blockNumber: number; blockHash: string } | undefined {
    const row = this.#statements.cursor.get(this.#name) as
      { block_number: number; block_hash: string } | undefined;
    return row ? { blockNumber: row.block_number, blockHash: row.block_hash } : undefined;
  }

  /** Reads until the head once (or handles one reorg); true when anything moved. Used by tests. */
  async poll(): Promise<boolean> {
    let moved = false;
    while (await this.#step()) moved = true;
    return moved;
  }

  async #run(): Promise<void> {
    const { log } = this.#options;
    while (!this.#stopping) {
      let delayMs = this.#options.pollIntervalMs ?? 1_000;
      try {
        delayMs = (await this.#step()) ? 0 : delayMs;
        this.#failures = 0;
      } catch (error) {
        this.#failures += 1;
        delayMs = Math.min(
          10_000,
          (this.#options.retryInitialMs ?? 500) * 2 ** (this.#failures - 1),
        );
        log.warn(
          { err: (error as Error).message, failures: this.#failures, delayMs },
          'chain poll failed',
        );
      }
      if (!this.#stopping)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
    }
  }

  /** One range (or one reorg rewind); true when it moved. */
  async #step(): Promise<boolean> {
    const { provider, fromBlock } = this.#options;
    const cursor = this.cursor() ?? { blockNumber: fromBlock - 1, blockHash: '' };
    if (cursor.blockHash) {
      const block = await provider.getBlock(cursor.blockNumber);
      if (!block || block.hash !== cursor.blockHash) {
        await this.#rewind(cursor.blockNumber);
        return true;
      }
    }
    const head = await provider.getBlockNumber();
    if (head <= cursor.blockNumber) return false;
    const from = cursor.blockNumber + 1;
    const to = Math.min(head, cursor.blockNumber + (this.#options.maxBlockRange ?? 2_000));
    const logs = await provider.getLogs({
      address: [...this.#followed.keys()],
      fromBlock: from,
      toBlock: to,
    });
    const headers = new Map<number, { hash: string; timestamp: number }>();
    for (const blockNumber of new Set([...logs.map((entry) => entry.blockNumber), to])) {
      const block = await provider.getBlock(blockNumber);
      if (!block?.hash) throw new Error(`block ${blockNumber} vanished while reading (reorg)`);
      headers.set(blockNumber, { hash: block.hash, timestamp: block.timestamp });
    }
    for (const entry of logs)
      if (headers.get(entry.blockNumber)!.hash !== entry.blockHash)
        throw new Error(`block ${entry.blockNumber} changed while reading (reorg)`);
    const events = logs
      .filter((entry) => !entry.removed)
      .map((entry) => this.#decode(entry, headers.get(entry.blockNumber)!.timestamp))
      .filter((event): event is ChainEvent => event !== undefined);
    const releases = this.#commit(events, headers, to);
    this.#dispatch(events, releases);
    return true;
  }

  #decode(entry: Log, blockTimeS: number): ChainEvent | undefined {
    const followed = this.#followed.get(entry.address.toLowerCase());
    if (!followed) return undefined;
    let parsed;
    try {
      parsed = followed.iface.parseLog({ topics: [...entry.topics], data: entry.data });
    } catch {
      return undefined; // a log the ABI cannot decode (not one of ours)
    }
    if (!parsed) return undefined;
    const args: Record<string, string | boolean | unknown[]> = {};
    parsed.fragment.inputs.forEach((input, index) => {
      args[input.name] = plain(parsed.args[index]) as string | boolean | unknown[];
    });
    return {
      blockNumber: entry.blockNumber,
      blockHash: entry.blockHash,
      logIndex: entry.index,
      txHash: entry.transactionHash,
      contract: followed.contract,
      address: entry.address.toLowerCase(),
      name: parsed.name,
      args,
      blockTimeS,
    };
  }

  /** Stores a range in one transaction; returns the release-order updates it made. */
  #commit(
    events: readonly ChainEvent[],
    headers: ReadonlyMap<number, { hash: string }>,
    to: number,
  ): ReleaseOrderUpdate[] {
    const statements = this.#statements;
    const nowMs = this.#options.clock.nowMs();
    return this.#options.db.transaction(() => {
      const releases: ReleaseOrderUpdate[] = [];
      for (const event of events) {
        statements.insertEvent.run({
          blockNumber: event.blockNumber,
          blockHash: event.blockHash,
          logIndex: event.logIndex,
          txHash: event.txHash,
          contract: event.contract,
          name: event.name,
          args: JSON.stringify({ ...event.args, address: event.address }),
          blockTimeS: event.blockTimeS,
        });
        const release = this.#applyRelease(event, nowMs);
        if (release) releases.push(release);
        if (event.contract === 'InventoryLoan' && event.name === 'PriceFeedSet') {
          const feed = String(event.args.feed).toLowerCase();
          if (!this.#followed.has(feed))
            this.#follow(feed, 'PriceFeed', PriceFeed__factory.createInterface());
        }
      }
      for (const [blockNumber, header] of headers)
        statements.putBlock.run(blockNumber, header.hash);
      statements.setCursor.run(this.#name, to, headers.get(to)!.hash);
      statements.pruneBlocks.run(to - (this.#options.keepBlocks ?? 256));
      return releases;
    })();
  }

  #applyRelease(event: ChainEvent, nowMs: number): ReleaseOrderUpdate | undefined {
    const status = event.contract === 'InventoryLoan' ? RELEASE_STATUS[event.name] : undefined;
    if (!status) return undefined;
    const orderId = String(event.args.orderId);
    const known = this.#statements.releaseOrder.get(orderId) as
      { loan_id: string; lot_key: string | null; grams: string } | undefined;
    const grams = status === 'ordered' ? String(event.args.quantityGrams) : (known?.grams ?? '0');
    const lotKey =
      status === 'ordered' ? String(event.args.lotKey).toLowerCase() : (known?.lot_key ?? null);
    this.#statements.upsertRelease.run({
      orderId,
      loanId: String(event.args.loanId),
      lotKey,
      grams,
      status,
      nowMs,
    });
    return {
      orderId: BigInt(orderId),
      loanId: BigInt(String(event.args.loanId)),
      lotKey,
      grams: BigInt(grams),
      status,
      ...(status === 'ordered'
        ? { quantityBeforeGrams: BigInt(String(event.args.quantityBeforeGrams)) }
        : {}),
      ...(status === 'finalized'
        ? { attestedGrams: BigInt(String(event.args.attestedGrams)) }
        : {}),
    };
  }

  /** Finds the newest remembered block still on the chain and drops everything above it. */
  async #rewind(cursorBlock: number): Promise<void> {
    const { provider, log, fromBlock } = this.#options;
    let ancestor = { blockNumber: fromBlock - 1, blockHash: '' };
    const remembered = this.#statements.blocksDown.all(cursorBlock) as Array<{
      block_number: number;
      block_hash: string;
    }>;
    for (const row of remembered) {
      const block = await provider.getBlock(row.block_number);
      if (block?.hash === row.block_hash) {
        ancestor = { blockNumber: row.block_number, blockHash: row.block_hash };
        break;
      }
    }
    const nowMs = this.#options.clock.nowMs();
    const removed = this.#options.db.transaction(() => {
      const rows = this.#statements.eventsAbove.all(ancestor.blockNumber) as EventRow[];
      this.#statements.removeAbove.run(ancestor.blockNumber);
      this.#statements.dropBlocksAbove.run(ancestor.blockNumber);
      this.#statements.setCursor.run(this.#name, ancestor.blockNumber, ancestor.blockHash);
      const orders = new Set(
        rows
          .filter((row) => row.name in RELEASE_STATUS)
          .map((row) => String((JSON.parse(row.args) as { orderId: string }).orderId)),
      );
      for (const orderId of orders) this.#rederiveRelease(orderId, nowMs);
      return rows.map(fromEventRow);
    })();
    log.warn(
      {
        fromBlock: cursorBlock,
        ancestorBlock: ancestor.blockNumber,
        removedEvents: removed.length,
      },
      'chain reorg: rewound',
    );
    this.#call(() =>
      this.#options.handlers?.onReorg?.({ ancestorBlock: ancestor.blockNumber, removed }),
    );
  }

  /** A release order's row from the events still on the chain (deleted when none is left). */
  #rederiveRelease(orderId: string, nowMs: number): void {
    this.#statements.deleteRelease.run(orderId);
    for (const row of this.#statements.releaseEvents.all(orderId) as EventRow[])
      this.#applyRelease(fromEventRow(row), nowMs);
  }

  #dispatch(events: readonly ChainEvent[], releases: readonly ReleaseOrderUpdate[]): void {
    const handlers = this.#options.handlers;
    if (!handlers) return;
    let releaseIndex = 0;
    for (const event of events) {
      this.#call(() => handlers.onEvent?.(event));
      if (event.contract === 'InventoryLoan') {
        if (event.name in RELEASE_STATUS) {
          const release = releases[releaseIndex++];
          if (release) this.#call(() => handlers.onReleaseOrder?.(release));
        }
        this.#call(() => handlers.onLoanEvent?.(event));
      } else if (event.contract === 'CustodyOracle' && event.name === 'CustodyAttested') {
        this.#call(() => handlers.onCustodyAttested?.(custodyAttested(event)));
      } else if (event.contract === 'PriceFeed' && event.name === 'AnswerUpdated') {
        const name = this.#followed.get(event.address)?.commodityName;
        this.#call(() =>
          handlers.onPriceUpdated?.({
            commodity: name ? label(name) : '',
            commodityName: name,
            feed: event.address,
            answer: BigInt(String(event.args.current)),
            roundId: BigInt(String(event.args.roundId)),
            updatedAtS: BigInt(String(event.args.updatedAt)),
            blockNumber: event.blockNumber,
          }),
        );
      }
    }
  }

  #call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#options.log.error({ err: (error as Error).message }, 'chain event handler failed');
    }
  }
}

function custodyAttested(event: ChainEvent): CustodyAttestedEvent {
  const arg = (name: string): string => String(event.args[name]);
  return {
    lotKey: arg('lotKey').toLowerCase(),
    warehouseNumber: BigInt(arg('warehouseId')),
    sequence: BigInt(arg('sequence')),
    quantityGrams: BigInt(arg('quantityGrams')),
    flags: Number(arg('flags')),
    readingsRoot: arg('readingsRoot'),
    observedAtS: BigInt(arg('observedAt')),
    validUntilS: BigInt(arg('validUntil')),
    blockNumber: event.blockNumber,
    txHash: event.txHash,
  };
}

function fromEventRow(row: EventRow): ChainEvent {
  const { address, ...args } = JSON.parse(row.args) as Record<string, string>;
  return {
    blockNumber: row.block_number,
    blockHash: row.block_hash,
    logIndex: row.log_index,
    txHash: row.tx_hash,
    contract: row.contract,
    address: address ?? '',
    name: row.name,
    args,
    blockTimeS: row.block_time_s,
  };
}

/** Event values as JSON-safe data: bigints as decimal strings, nested results as arrays. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return [...value].map(plain);
  return value;
}

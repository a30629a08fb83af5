// Submits the outbox's attestations to CustodyOracle (docs/custody.md): one transaction in flight
// per sending account, with the nonce chosen here and written to the outbox before the broadcast
// (write-ahead, so a restart knows what may be on its way). Several lots pending go together in
// one attestBatch (one row per lot per transaction, lowest sequence first, so a lot's attestations
// land in order). While the node does not answer, the loop backs off (capped exponential, jitter).
// A transaction not mined within stuckAfterMs is re-signed with the same nonce and higher fees
// (only one of the two can ever be mined). A mined transaction counts as confirmed once
// `confirmations` blocks hold it. Idempotency rests on the oracle: a lot's sequence must increase,
// so an attestation can succeed once at most; when a submission reverts (or a nonce was consumed
// by a transaction we lost track of), each row is reconciled against the chain: its
// CustodyAttested event means confirmed, a later sequence on chain means superseded, else pending.
import {
  Transaction,
  type JsonRpcProvider,
  type TransactionReceipt,
  type TransactionResponse,
  type Wallet,
} from 'ethers';
import type { Logger } from 'pino';
import { CustodyOracle__factory } from '@pledgeguard/contracts/types';
import type { Clock } from '../../ports/clock.js';
import {
  packedSignatures,
  toChainAttestation,
  type AttestationOutbox,
  type OutboxRow,
} from './outbox.js';
import { describeRevert, translateChainError, type ChainError } from './rpc.js';

export interface SubmitterOptions {
  readonly outbox: AttestationOutbox;
  readonly provider: JsonRpcProvider;
  /** The gateway's account (GatewayKey.signer(provider)); no other process may send from it. */
  readonly signer: Wallet;
  readonly chainId: number;
  readonly oracleAddress: string;
  /** The chain's number for this warehouse (`chain.warehouseNumber`). */
  readonly warehouseNumber: bigint;
  /** Signatures an attestation needs before it is submitted (the warehouse's m). Default 1. */
  readonly threshold?: number;
  /** Blocks that must hold a transaction before its rows are confirmed (1 = mined). Default 1. */
  readonly confirmations?: number;
  /** Re-send with higher fees when not mined within this. [ms] Default 15,000. */
  readonly stuckAfterMs?: number;
  /** Fee increase per bump. [%] Default 25 (nodes want >= 10). */
  readonly feeBumpPercent?: number;
  /** Highest fee per gas the gateway pays. [wei] Default 500 gwei. */
  readonly maxFeePerGasCap?: bigint;
  /** Lots per attestBatch. Default 20. */
  readonly batchSize?: number;
  /** Idle re-check of the outbox and of the transaction in flight. [ms] Default 500. */
  readonly pollIntervalMs?: number;
  /** First retry delay while the node is unreachable. [ms] Default 250. */
  readonly retryInitialMs?: number;
  /** Retry delay cap. [ms] Default 10,000. */
  readonly retryMaxMs?: number;
  /** First block to search for CustodyAttested events when reconciling (the deployment block). */
  readonly fromBlock?: number;
  readonly clock: Clock;
  /** Child logger { component: 'chain-submitter' }. */
  readonly log: Logger;
  /** Called once per transaction whose rows reached the confirmation depth. */
  readonly onConfirmed?: (rows: readonly OutboxRow[]) => void;
  /** Called when a transaction of ours (attestations or a call) is mined, e.g. to wake the listener. */
  readonly onMined?: (receipt: TransactionReceipt) => void;
}

/** A plain contract call the keeper wants sent from the gateway's account (e.g. poke). */
export interface ContractCall {
  /** Calls with the same key while one waits are sent once. */
  readonly key: string;
  readonly to: string;
  readonly data: string;
}

export type CallOutcome =
  | { readonly status: 'mined'; readonly receipt: TransactionReceipt }
  | { readonly status: 'reverted'; readonly reason: string }
  | { readonly status: 'dropped'; readonly reason: string };

interface QueuedCall extends ContractCall {
  readonly settle: (outcome: CallOutcome) => void;
  readonly outcome: Promise<CallOutcome>;
}

interface InFlight {
  readonly kind: 'attest' | 'call';
  readonly rows: readonly OutboxRow[];
  readonly call: QueuedCall | undefined;
  readonly to: string;
  readonly data: string;
  readonly nonce: number;
  readonly gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** Every hash sent with this nonce, oldest first: any one of them may be mined. */
  readonly hashes: string[];
  signed: string;
  lastSendMs: number;
  needsBroadcast: boolean;
}

const GWEI = 1_000_000_000n;

export class AttestationSubmitter {
  readonly #options: SubmitterOptions;
  readonly #oracle;
  readonly #threshold: number;
  readonly #confirmations: number;
  readonly #stuckAfterMs: number;
  readonly #batchSize: number;
  readonly #calls: QueuedCall[] = [];
  /** Lot key -> time before which the lot is not submitted (observed in the chain's future). */
  readonly #deferredUntilMs = new Map<string, number>();
  #inFlight: InFlight | undefined;
  #recovered = false;
  #isolateRemaining = 0;
  #failures = 0;
  #running: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(options: SubmitterOptions) {
    const batchSize = options.batchSize ?? 20;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize: expected a positive integer, got ${batchSize}`);
    const confirmations = options.confirmations ?? 1;
    if (!Number.isSafeInteger(confirmations) || confirmations < 1)
      throw new RangeError(`confirmations: expected an integer >= 1, got ${confirmations}`);
    this.#options = options;
    this.#oracle = CustodyOracle__factory.connect(options.oracleAddress, options.provider);
    this.#threshold = options.threshold ?? 1;
    this.#confirmations = confirmations;
    this.#stuckAfterMs = options.stuckAfterMs ?? 15_000;
    this.#batchSize = batchSize;
  }

  start(): void {
    if (this.#running) throw new TypeError('AttestationSubmitter already started');
    this.#running = this.#run();
  }

  /** Stops after the step in progress; what is unsent or unconfirmed stays in the outbox. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
    for (const call of this.#calls.splice(0))
      call.settle({ status: 'dropped', reason: 'submitter stopped' });
  }

  /** Re-checks the outbox now (call after enqueueing). */
  wake(): void {
    this.#wake?.();
  }

  /** Queues a call (sent after pending attestations); resolves when mined, reverted or dropped. */
  enqueueCall(call: ContractCall): Promise<CallOutcome> {
    const queued = this.#calls.find((entry) => entry.key === call.key);
    if (queued) return queued.outcome;
    let settle!: (outcome: CallOutcome) => void;
    const outcome = new Promise<CallOutcome>((resolve) => (settle = resolve));
    this.#calls.push({ ...call, settle, outcome });
    this.wake();
    return outcome;
  }

  /** For health and metrics. */
  status(): { inFlightTx: string | undefined; queuedCalls: number; consecutiveFailures: number } {
    return {
      inFlightTx: this.#inFlight?.hashes.at(-1),
      queuedCalls: this.#calls.length,
      consecutiveFailures: this.#failures,
    };
  }

  async #run(): Promise<void> {
    const { log } = this.#options;
    while (!this.#stopping) {
      let delayMs = this.#options.pollIntervalMs ?? 500;
      try {
        if (await this.#step()) delayMs = 0;
        if (this.#failures > 0) log.info({ failures: this.#failures }, 'chain reachable again');
        this.#failures = 0;
      } catch (caught) {
        const error = translateChainError(caught);
        this.#failures += 1;
        delayMs = this.#backoffMs();
        const fields = { code: error.code, err: error.message, failures: this.#failures, delayMs };
        if (error.code === 'PG_CHAIN_UNAVAILABLE') log.warn(fields, 'chain unavailable; retrying');
        else log.error(fields, 'chain submission step failed; retrying');
      }
      if (!this.#stopping) await this.#sleep(delayMs);
    }
  }

  #backoffMs(): number {
    const initial = this.#options.retryInitialMs ?? 250;
    const max = this.#options.retryMaxMs ?? 10_000;
    const capped = Math.min(max, initial * 2 ** Math.min(this.#failures - 1, 20));
    return Math.round(capped * (0.5 + Math.random() * 0.5)); // jitter: peers do not retry in step
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  /** One round; true when something moved and the next round should follow at once. */
  async #step(): Promise<boolean> {
    if (!this.#recovered) {
      await this.#recover();
      this.#recovered = true;
    }
    let moved = false;
    if (this.#inFlight) moved = await this.#checkInFlight();
    moved = (await this.#checkConfirmations()) || moved;
    if (!this.#inFlight)
      moved = (await this.#sendAttestations()) || (await this.#sendCall()) || moved;
    return moved;
  }

  // ---- recovery after a restart ----

  /** Rows left `submitted` without a block by a previous run: adopt, confirm or requeue them. */
  async #recover(): Promise<void> {
    const unmined = this.#options.outbox.submitted().filter((row) => row.blockNumber === null);
    const byTx = groupBy(unmined, (row) => row.txHash ?? '');
    const latestNonce = await this.#options.provider.getTransactionCount(
      this.#options.signer.address,
      'latest',
    );
    for (const [txHash, rows] of byTx) {
      const receipt = txHash ? await this.#options.provider.getTransactionReceipt(txHash) : null;
      if (receipt) {
        await this.#attestationMined(rows, receipt);
        continue;
      }
      const nonce = rows[0]?.nonce ?? null;
      const known = txHash ? await this.#options.provider.getTransaction(txHash) : null;
      if (known && nonce !== null && nonce >= latestNonce && !this.#inFlight) {
        this.#inFlight = this.#adopt(rows, known);
        continue;
      }
      if (nonce !== null && latestNonce > nonce) {
        for (const row of rows) await this.#reconcile(row, 'nonce used while the gateway was down');
      } else {
        this.#options.outbox.requeue(
          rows.map((row) => row.id),
          'transaction lost in a restart',
        );
      }
    }
    if (byTx.size > 0) this.#options.log.info({ transactions: byTx.size }, 'outbox recovered');
  }

  /** The in-flight state of a transaction a previous run sent and the node still holds. */
  #adopt(rows: readonly OutboxRow[], known: TransactionResponse): InFlight {
    const { to, data } = this.#attestCall(rows);
    return {
      kind: 'attest',
      rows,
      call: undefined,
      to,
      data,
      nonce: known.nonce,
      gasLimit: known.gasLimit,
      maxFeePerGas: known.maxFeePerGas ?? GWEI,
      maxPriorityFeePerGas: known.maxPriorityFeePerGas ?? GWEI,
      hashes: [known.hash],
      signed: '', // re-signed on the first fee bump
      lastSendMs: this.#options.clock.nowMs(),
      needsBroadcast: false,
    };
  }

  // ---- the transaction in flight ----

  async #checkInFlight(): Promise<boolean> {
    const flight = this.#inFlight!;
    const { provider, signer, clock, log } = this.#options;
    if (flight.needsBroadcast) await this.#broadcast(flight);
    for (const hash of [...flight.hashes].reverse()) {
      const receipt = await provider.getTransactionReceipt(hash);
      if (!receipt) continue;
      this.#inFlight = undefined;
      this.#options.onMined?.(receipt);
      if (flight.kind === 'call') this.#callMined(flight.call!, receipt);
      else await this.#attestationMined(flight.rows, receipt);
      return true;
    }
    const latestNonce = await provider.getTransactionCount(signer.address, 'latest');
    if (latestNonce > flight.nonce) {
      // The nonce went to a transaction we no longer track (a replacement the node dropped us
      // the receipt of, or a send from elsewhere): what landed is read from the chain itself.
      this.#inFlight = undefined;
      log.warn(
        { nonce: flight.nonce, hashes: flight.hashes },
        'nonce consumed by another transaction',
      );
      if (flight.kind === 'call')
        flight.call!.settle({ status: 'dropped', reason: 'nonce consumed' });
      for (const row of flight.rows) await this.#reconcile(row, 'nonce consumed');
      return true;
    }
    if (clock.nowMs() - flight.lastSendMs >= this.#stuckAfterMs) {
      await this.#bump(flight);
      return false;
    }
    return false;
  }

  async #bump(flight: InFlight): Promise<void> {
    const { provider, signer, clock, outbox, log } = this.#options;
    const percent = BigInt(this.#options.feeBumpPercent ?? 25);
    const cap = this.#options.maxFeePerGasCap ?? 500n * GWEI;
    const raise = (fee: bigint): bigint => (fee * (100n + percent)) / 100n + 1n;
    const market = await provider.getFeeData();
    const priority = max(raise(flight.maxPriorityFeePerGas), market.maxPriorityFeePerGas ?? 0n);
    const fee = min(cap, max(raise(flight.maxFeePerGas), market.maxFeePerGas ?? 0n, priority));
    if (fee <= flight.maxFeePerGas) {
      log.warn(
        { nonce: flight.nonce, maxFeePerGas: fee.toString() },
        'fee cap reached; re-broadcasting',
      );
      flight.lastSendMs = clock.nowMs();
      flight.needsBroadcast = true;
      await this.#broadcast(flight);
      return;
    }
    flight.maxFeePerGas = fee;
    flight.maxPriorityFeePerGas = min(priority, fee);
    flight.signed = await signer.signTransaction(this.#transaction(flight));
    const hash = Transaction.from(flight.signed).hash!;
    flight.hashes.push(hash);
    if (flight.kind === 'attest')
      outbox.markSubmitted(
        flight.rows.map((row) => row.id),
        hash,
        flight.nonce,
      );
    flight.lastSendMs = clock.nowMs();
    flight.needsBroadcast = true;
    log.info(
      { nonce: flight.nonce, tx: hash, maxFeePerGas: fee.toString(), sends: flight.hashes.length },
      'transaction not mined in time; fee bumped',
    );
    await this.#broadcast(flight);
  }

  async #broadcast(flight: InFlight): Promise<void> {
    if (!flight.signed) {
      flight.needsBroadcast = false;
      return;
    }
    try {
      await this.#options.provider.broadcastTransaction(flight.signed);
      flight.needsBroadcast = false;
    } catch (caught) {
      const error = translateChainError(caught);
      if (error.code === 'PG_CHAIN_UNAVAILABLE') throw error; // stays flagged; re-sent next round
      flight.needsBroadcast = false; // known, replaced or nonce used: the receipt and nonce checks tell
      this.#options.log.warn({ code: error.code, err: error.message }, 'broadcast refused');
    }
  }

  #transaction(flight: InFlight): Transaction {
    return Transaction.from({
      type: 2,
      chainId: this.#options.chainId,
      to: flight.to,
      data: flight.data,
      nonce: flight.nonce,
      gasLimit: flight.gasLimit,
      maxFeePerGas: flight.maxFeePerGas,
      maxPriorityFeePerGas: flight.maxPriorityFeePerGas,
    });
  }

  async #estimateGas(to: string, data: string): Promise<bigint> {
    const gas = await this.#options.provider.estimateGas({
      from: this.#options.signer.address,
      to,
      data,
    });
    return (gas * 12n) / 10n + 10_000n; // headroom: the state may change before it is mined
  }

  /** Pre-flights (a revert throws before any nonce is used), signs, records, broadcasts. */
  async #send(
    kind: InFlight['kind'],
    rows: readonly OutboxRow[],
    call: QueuedCall | undefined,
    to: string,
    data: string,
  ): Promise<void> {
    const { provider, signer, clock, outbox, log } = this.#options;
    const gasLimit = await this.#estimateGas(to, data);
    const fees = await provider.getFeeData();
    const nonce = await provider.getTransactionCount(signer.address, 'latest');
    const flight: InFlight = {
      kind,
      rows,
      call,
      to,
      data,
      nonce,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas ?? GWEI,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas ?? GWEI,
      hashes: [],
      signed: '',
      lastSendMs: clock.nowMs(),
      needsBroadcast: true,
    };
    flight.signed = await signer.signTransaction(this.#transaction(flight));
    const hash = Transaction.from(flight.signed).hash!;
    flight.hashes.push(hash);
    if (kind === 'attest')
      outbox.markSubmitted(
        rows.map((row) => row.id),
        hash,
        nonce,
      ); // write-ahead
    this.#inFlight = flight;
    log.info(
      { tx: hash, nonce, kind, attestations: rows.map((row) => row.id) },
      'transaction sent',
    );
    await this.#broadcast(flight);
  }

  // ---- attestations ----

  #attestCall(rows: readonly OutboxRow[]): { to: string; data: string } {
    const { warehouseNumber, oracleAddress } = this.#options;
    const attestations = rows.map((row) => toChainAttestation(row, warehouseNumber));
    const signatures = rows.map((row) => packedSignatures(row));
    const iface = this.#oracle.interface;
    const data =
      rows.length === 1
        ? iface.encodeFunctionData('attest', [attestations[0]!, signatures[0]!])
        : iface.encodeFunctionData('attestBatch', [attestations, signatures]);
    return { to: oracleAddress, data };
  }

  /** The next batch: per lot its lowest pending sequence, lots in enqueue order. */
  #nextBatch(): OutboxRow[] {
    const nowMs = this.#options.clock.nowMs();
    const firstPerLot = new Map<string, OutboxRow>();
    for (const row of this.#options.outbox.pending()) {
      const first = firstPerLot.get(row.lotKey);
      if (!first || row.sequence < first.sequence) firstPerLot.set(row.lotKey, row);
    }
    const limit = this.#isolateRemaining > 0 ? 1 : this.#batchSize;
    const batch: OutboxRow[] = [];
    for (const row of firstPerLot.values()) {
      if ((this.#deferredUntilMs.get(row.lotKey) ?? 0) > nowMs) continue;
      if (row.signatures.length < this.#threshold) continue; // co-signing still collecting
      if (!this.#wellFormed(row)) continue;
      batch.push(row);
      if (batch.length >= limit) break;
    }
    return batch;
  }

  /** A row that cannot even be encoded (a lot key of another warehouse) must not block the queue. */
  #wellFormed(row: OutboxRow): boolean {
    try {
      toChainAttestation(row, this.#options.warehouseNumber);
      return true;
    } catch (error) {
      this.#options.outbox.markRefused([row.id], (error as Error).message);
      this.#options.log.error(
        { attestation: row.id, err: (error as Error).message },
        'malformed attestation refused',
      );
      return false;
    }
  }

  async #sendAttestations(): Promise<boolean> {
    const batch = this.#nextBatch();
    if (batch.length === 0) return false;
    const { to, data } = this.#attestCall(batch);
    try {
      await this.#send('attest', batch, undefined, to, data);
      if (this.#isolateRemaining > 0) this.#isolateRemaining -= 1;
    } catch (caught) {
      const error = translateChainError(caught);
      if (error.code !== 'PG_CHAIN_REVERTED' || this.#inFlight) throw error;
      await this.#preflightReverted(batch, error);
    }
    return true;
  }

  /** The batch would revert: settle the lot the error names, or isolate rows to find it. */
  async #preflightReverted(batch: readonly OutboxRow[], error: ChainError): Promise<void> {
    const { outbox, log, clock } = this.#options;
    const revert = error.revert;
    const named = revert?.args[0];
    const row =
      typeof named === 'string'
        ? batch.find((candidate) => candidate.lotKey === named.toLowerCase())
        : undefined;
    const reason = revert ? describeRevert(revert) : error.message;
    if (row && revert) {
      if (revert.name === 'CustodySequenceNotIncreasing') {
        await this.#reconcile(row, reason);
        return;
      }
      if (revert.name === 'CustodyObservedInFuture') {
        this.#deferredUntilMs.set(row.lotKey, clock.nowMs() + (this.#options.retryMaxMs ?? 10_000));
        outbox.recordError([row.id], `PG_CHAIN_REVERTED: ${reason}`);
        log.warn(
          { attestation: row.id, reason },
          'attestation observed in the chain future; deferred',
        );
        return;
      }
      outbox.markRefused([row.id], `PG_CHAIN_REVERTED: ${reason}`);
      log.error(
        { attestation: row.id, lotKey: row.lotKey, reason },
        'attestation refused by the oracle',
      );
      return;
    }
    if (batch.length > 1) {
      this.#isolateRemaining = batch.length; // submit one by one until the culprit is found
      log.warn({ reason, attestations: batch.map((r) => r.id) }, 'batch reverts; isolating');
      return;
    }
    outbox.markRefused([batch[0]!.id], `PG_CHAIN_REVERTED: ${reason}`);
    log.error({ attestation: batch[0]!.id, reason }, 'attestation refused by the oracle');
  }

  async #attestationMined(rows: readonly OutboxRow[], receipt: TransactionReceipt): Promise<void> {
    const { outbox, log } = this.#options;
    if (receipt.status === 1) {
      outbox.markMined(
        rows.map((row) => row.id),
        receipt.hash,
        receipt.blockNumber,
      );
      return;
    }
    log.warn(
      { tx: receipt.hash, block: receipt.blockNumber },
      'attestation transaction reverted on chain',
    );
    if (rows.length > 1) this.#isolateRemaining = rows.length;
    for (const row of rows) await this.#reconcile(row, `transaction ${receipt.hash} reverted`);
  }

  /** Settles `row` from the chain: landed (its event) -> mined, later sequence -> superseded, else pending. */
  async #reconcile(row: OutboxRow, reason: string): Promise<void> {
    const { outbox, provider, log } = this.#options;
    const topic = this.#oracle.interface.getEvent('CustodyAttested').topicHash;
    const logs = await provider.getLogs({
      address: this.#options.oracleAddress,
      topics: [topic, row.lotKey],
      fromBlock: this.#options.fromBlock ?? 0,
      toBlock: 'latest',
    });
    for (const entry of logs) {
      const parsed = this.#oracle.interface.parseLog(entry);
      if (parsed && (parsed.args.sequence as bigint) === row.sequence) {
        outbox.markLanded(row.id, entry.transactionHash, entry.blockNumber);
        log.info(
          { attestation: row.id, tx: entry.transactionHash, reason },
          'attestation found on chain',
        );
        return;
      }
    }
    const [custody] = await this.#oracle.latestCustody(row.lotKey);
    if (custody.sequence >= row.sequence) {
      outbox.markSuperseded([row.id], `chain holds sequence ${custody.sequence} (${reason})`);
      log.warn(
        { attestation: row.id, chainSequence: custody.sequence.toString(), reason },
        'attestation superseded',
      );
      return;
    }
    outbox.requeue([row.id], reason);
  }

  async #checkConfirmations(): Promise<boolean> {
    const { outbox, provider, log } = this.#options;
    const mined = outbox.submitted().filter((row) => row.blockNumber !== null);
    if (mined.length === 0) return false;
    const head = await provider.getBlockNumber();
    let moved = false;
    for (const [txHash, rows] of groupBy(mined, (row) => `${row.txHash}`)) {
      const blockNumber = rows[0]!.blockNumber!;
      if (head - blockNumber + 1 < this.#confirmations) continue;
      const receipt = await provider.getTransactionReceipt(txHash);
      if (!receipt) {
        outbox.requeue(
          rows.map((row) => row.id),
          `transaction ${txHash} left the chain (reorg)`,
        );
        log.warn({ tx: txHash }, 'mined transaction left the chain; requeued');
        moved = true;
        continue;
      }
      if (receipt.blockNumber !== blockNumber) {
        outbox.markMined(
          rows.map((row) => row.id),
          txHash,
          receipt.blockNumber,
        );
        continue;
      }
      const ids = rows.map((row) => row.id);
      outbox.markConfirmed(ids, txHash, blockNumber);
      log.info({ tx: txHash, block: blockNumber, attestations: ids }, 'attestations confirmed');
      moved = true;
      this.#options.onConfirmed?.(ids.map((id) => outbox.byId(id)!));
    }
    return moved;
  }

  // ---- keeper calls ----

  async #sendCall(): Promise<boolean> {
    const call = this.#calls.shift();
    if (!call) return false;
    try {
      await this.#send('call', [], call, call.to, call.data);
    } catch (caught) {
      const error = translateChainError(caught);
      if (error.code === 'PG_CHAIN_REVERTED' && !this.#inFlight) {
        call.settle({
          status: 'reverted',
          reason: error.revert ? describeRevert(error.revert) : error.message,
        });
        return true;
      }
      if (!this.#inFlight) this.#calls.unshift(call); // not sent: try again after the backoff
      throw error;
    }
    return true;
  }

  #callMined(call: QueuedCall, receipt: TransactionReceipt): void {
    if (receipt.status === 1) call.settle({ status: 'mined', receipt });
    else call.settle({ status: 'reverted', reason: `transaction ${receipt.hash} reverted` });
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function max(...values: bigint[]): bigint {
  return values.reduce((a, b) => (a > b ? a : b));
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

// Performs a scenario's `actions` (scenario-schema.ts) on chain at their scenario times, as the
// parties of DOMAIN.md would: the price reporter posts prices, the warehouse issues receipts and
// marks releases shipped, the banks open loans, the borrower draws, repays and asks for releases.
// Each action's outcome (ok, or the decoded custom error) is recorded for `expect.rejectedActions`.
// A revoked device is a gateway operator action: the harness passes a callback for it.
import type {
  ContractTransactionResponse,
  HDNodeWallet,
  JsonRpcProvider,
  Signer,
  TransactionReceipt,
} from 'ethers';
import {
  anvilAccount,
  decodeRevert,
  pledgeGuardInterface,
  sendAndWait,
} from '@pledgeguard/contracts/chain';
import type { Deployed, DeployOptions } from '@pledgeguard/contracts/deploy';
import { label, lotKey } from '@pledgeguard/contracts/eip712';
import type { Scenario, ScenarioAction, ScenarioLot } from '../core/scenario-schema.js';

/** The people of DOMAIN.md, as chain accounts. Lenders are named as in scenario files. */
/**
 * A view call, tried again when the node answers without revert data (anvil, busy with
 * anvil_setTime and mining, sometimes fails an eth_call with an empty error); a real revert, or
 * 20 failures in a row, is thrown.
 */
async function readRetry<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (decodeRevert(error) !== undefined || attempt >= 20) throw error;
      await sleep(100);
    }
  }
}

/** Mint refusals that the next attestation can lift (noise under the receipt, a fresh flag). */
const CUSTODY_RACES = new Set([
  'ReceiptExceedsAttested',
  'ReceiptCustodyStale',
  'ReceiptCustodyFlagged',
]);

export interface ChainParties {
  readonly admin: Signer;
  readonly lenders: Readonly<Record<string, Signer>>;
  readonly borrower: Signer;
  readonly warehouse: Signer;
  readonly priceReporter: Signer;
  readonly auditor: Signer;
}

/** Anvil accounts 0-6: admin, bank-a, bank-b, borrower, warehouse, price reporter, auditor. */
export function anvilParties(provider: JsonRpcProvider): ChainParties & {
  readonly accounts: HDNodeWallet[];
} {
  const accounts = Array.from({ length: 7 }, (_, i) => anvilAccount(provider, i));
  const [admin, bankA, bankB, borrower, warehouse, priceReporter, auditor] = accounts as [
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
    HDNodeWallet,
  ];
  return {
    accounts,
    admin,
    lenders: { 'bank-a': bankA, 'bank-b': bankB },
    borrower,
    warehouse,
    priceReporter,
    auditor,
  };
}

/** Role grants for deployPledgeGuard so the parties may act. */
export async function partyRoles(parties: ChainParties): Promise<DeployOptions> {
  const address = (signer: Signer) => signer.getAddress();
  return {
    lenders: await Promise.all(Object.values(parties.lenders).map(address)),
    borrowers: [await address(parties.borrower)],
    warehouseOperators: [await address(parties.warehouse)],
    priceReporters: [await address(parties.priceReporter)],
    auditors: [await address(parties.auditor)],
  };
}

/** The price feed name of a lot's commodity: its first word in capitals ('copper cathode' -> 'COPPER'). */
export function commodityLabel(commodity: string): string {
  const word = /[A-Za-z0-9]+/.exec(commodity)?.[0];
  if (word === undefined)
    throw new RangeError(`commodity "${commodity}" has no word to name a feed`);
  return word.toUpperCase().slice(0, 31);
}

/** micro-USD -> settlement token units (`decimals` of the token). */
export function microUsdToUnits(microUsd: bigint, decimals: number): bigint {
  return decimals >= 6
    ? microUsd * 10n ** BigInt(decimals - 6)
    : microUsd / 10n ** BigInt(6 - decimals);
}

/** micro-USD per tonne -> a feed answer with `decimals` (feeds answer per tonne). */
export function microUsdToAnswer(microUsdPerTonne: bigint, decimals: number): bigint {
  return microUsdToUnits(microUsdPerTonne, decimals);
}

/** Mints settlement tokens to lenders and borrower (admin holds MINTER) and approves the loans. */
export async function fundParties(
  deployed: Deployed,
  parties: ChainParties,
  amountMicroUsd = 100_000_000_000_000n,
): Promise<void> {
  const token = deployed.settlementToken.connect(parties.admin);
  const units = microUsdToUnits(amountMicroUsd, Number(await token.decimals()));
  const spender = deployed.deployment.contracts.inventoryLoan;
  for (const party of [...Object.values(parties.lenders), parties.borrower]) {
    await sendAndWait(token.mint(await party.getAddress(), units));
    await sendAndWait(deployed.settlementToken.connect(party).approve(spender, 2n ** 255n));
  }
}

export type ActionOutcome =
  | {
      readonly key: string;
      readonly type: string;
      readonly atMs: number;
      readonly ok: true;
      readonly txHashes: string[];
    }
  | {
      readonly key: string;
      readonly type: string;
      readonly atMs: number;
      readonly ok: false;
      /** The custom error's name (e.g. ReceiptLotKeyLive), or 'Error' when none decodes. */
      readonly error: string;
      readonly args: unknown[];
      readonly message: string;
    };

export interface ChainActionsOptions {
  readonly scenario: Scenario;
  readonly deployed: Deployed;
  readonly parties: ChainParties;
  /** The chain's number for the scenario's warehouse (gateway config `chain.warehouseNumber`). */
  readonly warehouseNumber: bigint;
  /** Operator action at the gateway(s): revoke a device key. */
  readonly revokeDevice: (deviceId: string) => Promise<void> | void;
  /** Runs before every transaction (e.g. ChainClock.sync, so block time is warehouse time). */
  readonly beforeSend?: () => Promise<unknown>;
  /** How long mint-receipt waits for a fresh, clean attestation covering the quantity. [wall ms] */
  readonly custodyWaitMs?: number;
  /** How long a shipped release waits for its confirming attestation before finalizing. [wall ms] */
  readonly confirmWaitMs?: number;
}

/** One step on the schedule: a scenario action, or a follow-up of one (shipping a release). */
interface Step {
  readonly key: string;
  readonly atMs: number;
  readonly type: string;
  readonly run: () => Promise<TransactionReceipt[]>;
}

export class ChainActions {
  /** Outcome of every step so far, in execution order. */
  readonly outcomes: ActionOutcome[] = [];
  /** Scenario receipt id -> chain receipt id. */
  readonly receiptIds = new Map<string, bigint>();
  /** Scenario receipt id -> chain loan id. */
  readonly loanIds = new Map<string, bigint>();
  /** Release action key -> chain order id. */
  readonly orderIds = new Map<string, bigint>();
  private readonly steps: Step[];
  private readonly background: Promise<void>[] = [];
  private stopped = false;
  private decimals: { token: number; feeds: Record<string, number> } | undefined;

  constructor(private readonly options: ChainActionsOptions) {
    this.steps = options.scenario.actions
      .map((action, index) => this.stepOf(action, index))
      .sort((a, b) => a.atMs - b.atMs);
  }

  /** The key an action's outcome is recorded under: its id, else `#<index>`. */
  static keyOf(action: ScenarioAction, index: number): string {
    return action.id ?? `#${index}`;
  }

  /** The outcome recorded under `key`, if that step ran. */
  outcome(key: string): ActionOutcome | undefined {
    return this.outcomes.find((o) => o.key === key);
  }

  /**
   * Runs every step when the scenario offset reaches its time (`offsetNowMs`, e.g.
   * Fleet.offsetNowMs), one after another; resolves when all ran or stop() was called.
   */
  async run(offsetNowMs: () => number): Promise<void> {
    while (this.steps.length > 0 && !this.stopped) {
      const step = this.steps[0]!;
      if (offsetNowMs() < step.atMs) {
        await sleep(5);
        continue;
      }
      this.steps.shift();
      await this.perform(step);
    }
    await Promise.all(this.background);
  }

  /** Stops scheduling; running steps finish. */
  stop(): void {
    this.stopped = true;
  }

  /** Performs one scenario action now (outside of run()) and returns its outcome. */
  async execute(action: ScenarioAction, index: number): Promise<ActionOutcome> {
    return this.perform(this.stepOf(action, index));
  }

  private async perform(step: Step): Promise<ActionOutcome> {
    let outcome: ActionOutcome;
    try {
      const receipts = await step.run();
      outcome = {
        key: step.key,
        type: step.type,
        atMs: step.atMs,
        ok: true,
        txHashes: receipts.map((r) => r.hash),
      };
    } catch (error) {
      const decoded = decodeRevert(error);
      outcome = {
        key: step.key,
        type: step.type,
        atMs: step.atMs,
        ok: false,
        error: decoded?.name ?? 'Error',
        args: decoded?.args ?? [],
        message: (error as Error).message,
      };
    }
    this.outcomes.push(outcome);
    return outcome;
  }

  private stepOf(action: ScenarioAction, index: number): Step {
    const key = ChainActions.keyOf(action, index);
    const base = { key, atMs: action.at, type: action.type };
    switch (action.type) {
      case 'set-price':
        return { ...base, run: () => this.setPrice(BigInt(action.priceMicroUsdPerTonne)) };
      case 'mint-receipt':
        return { ...base, run: () => this.mintReceipt(action) };
      case 'open-loan':
        return { ...base, run: () => this.openLoan(action) };
      case 'repay':
        return {
          ...base,
          run: async () => {
            const loans = this.options.deployed.inventoryLoan.connect(
              this.options.parties.borrower,
            );
            const units = microUsdToUnits(
              BigInt(action.amountMicroUsd),
              await this.tokenDecimals(),
            );
            return [await this.send(() => loans.repay(this.loanOf(action.receiptId), units))];
          },
        };
      case 'release-order':
        return { ...base, run: () => this.requestRelease(action, key) };
      case 'revoke-device':
        return {
          ...base,
          run: async () => {
            await this.options.revokeDevice(action.deviceId);
            return [];
          },
        };
    }
  }

  private async tokenDecimals(): Promise<number> {
    return (await this.loadDecimals()).token;
  }

  private async loadDecimals(): Promise<{ token: number; feeds: Record<string, number> }> {
    if (this.decimals) return this.decimals;
    const { deployed } = this.options;
    const feeds: Record<string, number> = {};
    for (const [name, feed] of Object.entries(deployed.priceFeeds))
      feeds[name] = Number(await feed.decimals());
    this.decimals = { token: Number(await deployed.settlementToken.decimals()), feeds };
    return this.decimals;
  }

  /** The feeds of the scenario's commodities get the price (scenarios price one commodity). */
  private async setPrice(microUsdPerTonne: bigint): Promise<TransactionReceipt[]> {
    const { feeds } = await this.loadDecimals();
    const names = new Set(this.options.scenario.lots.map((lot) => commodityLabel(lot.commodity)));
    const receipts: TransactionReceipt[] = [];
    for (const name of names) {
      const feed = this.options.deployed.priceFeeds[name];
      if (feed === undefined) throw new RangeError(`no price feed ${name} deployed`);
      const answer = microUsdToAnswer(microUsdPerTonne, feeds[name]!);
      receipts.push(
        await this.send(() => feed.connect(this.options.parties.priceReporter).submit(answer)),
      );
    }
    return receipts;
  }

  private lotOf(lotId: string): ScenarioLot {
    const lot = this.options.scenario.lots.find((l) => l.lotId === lotId);
    if (lot === undefined) throw new RangeError(`no lot ${lotId} in the scenario`);
    return lot;
  }

  /** The physical lot key of a scenario lot on chain. */
  lotKeyOf(lotId: string): string {
    const lot = this.lotOf(lotId);
    return lotKey(this.options.warehouseNumber, label(lot.bayId), label(lot.lotId));
  }

  private async mintReceipt(
    action: Extract<ScenarioAction, { type: 'mint-receipt' }>,
  ): Promise<TransactionReceipt[]> {
    const { deployed, parties } = this.options;
    const lot = this.lotOf(action.lotId);
    const quantityGrams = BigInt(action.quantityGrams);
    // The custody check and the issue are two steps: an attestation a few kg under the receipt
    // (load-cell noise) can land between them. Like drawPrincipal, try again on the next
    // attestations until custodyWaitMs; other refusals (ReceiptLotKeyLive, ...) are outcomes.
    const deadline = Date.now() + (this.options.custodyWaitMs ?? 15_000);
    let receipt: TransactionReceipt;
    for (;;) {
      await this.awaitCustody(this.lotKeyOf(action.lotId), quantityGrams);
      try {
        receipt = await this.send(() =>
          deployed.warehouseReceipt
            .connect(parties.warehouse)
            .issue(parties.borrower.getAddress(), {
              warehouseId: this.options.warehouseNumber,
              quantityGrams,
              issuedAt: 0,
              bayId: label(lot.bayId),
              lotId: label(lot.lotId),
              commodity: label(commodityLabel(lot.commodity)),
              quality: {
                minTemperatureMilliC: -20_000,
                maxTemperatureMilliC: lot.maxTemperatureMilliC ?? 45_000,
                maxHumidityPermille: lot.maxHumidityPerMille ?? 800,
                maxExcursionSeconds: Math.floor((lot.maxExcursionMs ?? 1_800_000) / 1000),
              },
            }),
        );
        break;
      } catch (error) {
        const name = decodeRevert(error)?.name;
        if (!name || !CUSTODY_RACES.has(name) || Date.now() > deadline || this.stopped) throw error;
        await sleep(50);
      }
    }
    this.receiptIds.set(action.receiptId, eventArg(receipt, 'ReceiptIssued', 'receiptId'));
    return [receipt];
  }

  /**
   * Waits (bounded) until the lot's latest attestation is fresh, unflagged and covers
   * `quantityGrams`: the receipt may not outrun the goods. On timeout the issue goes ahead and
   * its revert (ReceiptNoCustody, ReceiptCustodyStale, ...) is the recorded outcome.
   */
  private async awaitCustody(key: string, quantityGrams: bigint): Promise<void> {
    const oracle = this.options.deployed.custodyOracle;
    const deadline = Date.now() + (this.options.custodyWaitMs ?? 15_000);
    while (Date.now() < deadline && !this.stopped) {
      await this.options.beforeSend?.();
      const [custody, fresh] = await readRetry(() => oracle.latestCustody(key));
      if (fresh && custody.flags === 0n && custody.quantityGrams >= quantityGrams) return;
      await sleep(50);
    }
  }

  private async openLoan(
    action: Extract<ScenarioAction, { type: 'open-loan' }>,
  ): Promise<TransactionReceipt[]> {
    const { deployed, parties } = this.options;
    const lender = parties.lenders[action.lender];
    if (lender === undefined) throw new RangeError(`no lender ${action.lender} among the parties`);
    const principal = microUsdToUnits(BigInt(action.principalMicroUsd), await this.tokenDecimals());
    const opened = await this.send(() =>
      deployed.inventoryLoan
        .connect(lender)
        .open(this.receiptOf(action.receiptId), parties.borrower.getAddress(), {
          principal,
          maxLtvBps: action.maxLtvBps,
          marginCallLtvBps: action.marginCallLtvBps,
          defaultLtvBps: action.defaultLtvBps,
          curePeriodSeconds: Math.floor(action.cure / 1000),
        }),
    );
    const loanId = eventArg(opened, 'LoanOpened', 'loanId');
    this.loanIds.set(action.receiptId, loanId);
    return [opened, await this.drawPrincipal(loanId, principal)];
  }

  /**
   * Draws the principal. DOMAIN.md's loan is drawn at exactly max LTV, and LTV counts the lesser of
   * the receipt's and the attested quantity: a load cell's noise a few kg under the receipt makes
   * it 7001 bps. Like a bank's back office, try again on the next attestations (bounded by
   * custodyWaitMs); the last refusal is the outcome.
   */
  private async drawPrincipal(loanId: bigint, principal: bigint): Promise<TransactionReceipt> {
    const { deployed, parties } = this.options;
    const deadline = Date.now() + (this.options.custodyWaitMs ?? 15_000);
    for (;;) {
      const lotKeyOfLoan = (await readRetry(() => deployed.inventoryLoan.getLoan(loanId))).lotKey;
      const [before] = await readRetry(() => deployed.custodyOracle.latestCustody(lotKeyOfLoan));
      try {
        return await this.send(() =>
          deployed.inventoryLoan.connect(parties.borrower).draw(loanId, principal),
        );
      } catch (error) {
        if (decodeRevert(error)?.name !== 'LoanLtvAboveMax' || Date.now() > deadline) throw error;
      }
      while (Date.now() <= deadline && !this.stopped) {
        const [now] = await readRetry(() => deployed.custodyOracle.latestCustody(lotKeyOfLoan));
        if (now.sequence !== before.sequence) break;
        await sleep(50);
      }
    }
  }

  private async requestRelease(
    action: Extract<ScenarioAction, { type: 'release-order' }>,
    key: string,
  ): Promise<TransactionReceipt[]> {
    const { deployed, parties } = this.options;
    const loanId = this.loanOf(action.receiptId);
    const ordered = await this.send(() =>
      deployed.inventoryLoan.connect(parties.borrower).requestRelease(loanId, action.quantityGrams),
    );
    const orderId = eventArg(ordered, 'ReleaseOrdered', 'orderId');
    this.orderIds.set(key, orderId);
    // The warehouse marks the order shipped once the pallets have left, as the scenario tells.
    this.insertStep({
      key: `${key}/shipped`,
      type: 'mark-shipped',
      atMs: this.shippedAtMs(action),
      run: async () => {
        const shipped = await this.send(() =>
          deployed.inventoryLoan.connect(parties.warehouse).markShipped(orderId),
        );
        this.background.push(this.finalizeWhenConfirmed(key, action.receiptId, orderId));
        return [shipped];
      },
    });
    return [ordered];
  }

  /** End of the first pallet removal in the lot's bay that starts at or after the order. */
  private shippedAtMs(action: Extract<ScenarioAction, { type: 'release-order' }>): number {
    const receiptLot = this.options.scenario.actions.find(
      (a) => a.type === 'mint-receipt' && a.receiptId === action.receiptId,
    );
    const lotId = receiptLot?.type === 'mint-receipt' ? receiptLot.lotId : undefined;
    const bayId = this.options.scenario.lots.find((l) => l.lotId === lotId)?.bayId;
    const removal = this.options.scenario.events.find(
      (e) => e.type === 'remove-pallets' && e.bayId === bayId && e.from >= action.at,
    );
    return removal?.type === 'remove-pallets' ? removal.to : action.at;
  }

  /** Anyone may finalize a release an attestation confirmed; the harness does it for the story. */
  private async finalizeWhenConfirmed(
    key: string,
    receiptId: string,
    orderId: bigint,
  ): Promise<void> {
    const { deployed } = this.options;
    const lotKeyOfLoan = (
      await readRetry(() => deployed.inventoryLoan.getLoan(this.loanOf(receiptId)))
    ).lotKey;
    const deadline = Date.now() + (this.options.confirmWaitMs ?? 30_000);
    while (Date.now() < deadline && !this.stopped) {
      const confirmation = await readRetry(() =>
        deployed.custodyOracle.releaseConfirmation(lotKeyOfLoan, orderId),
      );
      if (confirmation.sequence !== 0n) break;
      await sleep(50);
    }
    await this.perform({
      key: `${key}/finalized`,
      type: 'finalize-release',
      atMs: -1,
      run: async () => [
        await this.send(() =>
          deployed.inventoryLoan.connect(this.options.parties.borrower).finalizeRelease(orderId),
        ),
      ],
    });
  }

  private insertStep(step: Step): void {
    const at = this.steps.findIndex((s) => s.atMs > step.atMs);
    this.steps.splice(at < 0 ? this.steps.length : at, 0, step);
  }

  private receiptOf(receiptId: string): bigint {
    const id = this.receiptIds.get(receiptId);
    if (id === undefined) throw new RangeError(`receipt ${receiptId} was not minted`);
    return id;
  }

  private loanOf(receiptId: string): bigint {
    const id = this.loanIds.get(receiptId);
    if (id === undefined) throw new RangeError(`no loan opened on receipt ${receiptId}`);
    return id;
  }

  private async send(
    transaction: () => Promise<ContractTransactionResponse>,
  ): Promise<TransactionReceipt> {
    await this.options.beforeSend?.();
    return sendAndWait(transaction());
  }
}

/** The named argument of the first `name` event in a receipt. */
function eventArg(receipt: TransactionReceipt, name: string, arg: string): bigint {
  for (const log of receipt.logs) {
    let parsed;
    try {
      parsed = pledgeGuardInterface.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      continue; // ERC-20/721 Transfer share a topic with a different layout
    }
    if (parsed?.name === name) return parsed.args.getValue(arg) as bigint;
  }
  throw new Error(`no ${name} event in transaction ${receipt.hash}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

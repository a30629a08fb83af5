// The keeper (docs/custody.md): InventoryLoan acts only when poked, so after an attestation lands
// the gateway pokes every open loan on that lot, and after a price update every open loan of that
// commodity. poke is permissionless; it is sent from the gateway's account through the submitter
// (one transaction in flight per account). Which loan sits on which lot and commodity, and in which
// state, is read from the followed events in chain_events (LoanOpened -> receipt, ReceiptIssued ->
// lot key and commodity, and the state events); only Active and MarginCall loans are poked (the
// contract refuses the others).
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { InventoryLoan__factory } from '@pledgeguard/contracts/types';
import type { CallOutcome, ContractCall } from './submitter.js';

export interface KeeperOptions {
  readonly db: Database.Database;
  /** Sends calls from the gateway's account (AttestationSubmitter.enqueueCall). */
  readonly send: (call: ContractCall) => Promise<CallOutcome>;
  readonly inventoryLoan: string;
  /** Child logger { component: 'chain-keeper' }. */
  readonly log: Logger;
}

export type LoanStateName = 'Active' | 'MarginCall' | 'Defaulted' | 'Enforced' | 'Closed';

export interface KnownLoan {
  readonly loanId: bigint;
  readonly receiptId: bigint;
  readonly lotKey: string;
  /** bytes32 label, e.g. label('COPPER'). */
  readonly commodity: string;
  readonly state: LoanStateName;
}

const STATE_AFTER: Record<string, LoanStateName> = {
  LoanOpened: 'Active',
  MarginCalled: 'MarginCall',
  MarginCallCured: 'Active',
  LoanDefaulted: 'Defaulted',
  LoanEnforced: 'Enforced',
  LoanClosed: 'Closed',
};
const POKEABLE = new Set<LoanStateName>(['Active', 'MarginCall']);

export class Keeper {
  readonly #options: KeeperOptions;
  readonly #iface = InventoryLoan__factory.createInterface();
  readonly #events;

  constructor(options: KeeperOptions) {
    this.#options = options;
    this.#events = options.db.prepare(
      `SELECT name, args FROM chain_events WHERE removed = 0
         AND ((contract = 'InventoryLoan' AND name IN ('LoanOpened', 'MarginCalled', 'MarginCallCured',
               'LoanDefaulted', 'LoanEnforced', 'LoanClosed'))
           OR (contract = 'WarehouseReceipt' AND name = 'ReceiptIssued'))
       ORDER BY block_number, log_index`,
    );
  }

  /** Every loan the followed events show, with its lot, commodity and latest state. */
  loans(): KnownLoan[] {
    const receipts = new Map<string, { lotKey: string; commodity: string }>();
    const loans = new Map<string, { receiptId: string; state: LoanStateName }>();
    for (const row of this.#events.all() as Array<{ name: string; args: string }>) {
      const args = JSON.parse(row.args) as Record<string, string>;
      if (row.name === 'ReceiptIssued') {
        receipts.set(args.receiptId!, {
          lotKey: args.lotKey!.toLowerCase(),
          commodity: args.commodity!.toLowerCase(),
        });
      } else if (row.name === 'LoanOpened') {
        loans.set(args.loanId!, { receiptId: args.receiptId!, state: 'Active' });
      } else {
        const loan = loans.get(args.loanId!);
        if (loan) loan.state = STATE_AFTER[row.name]!;
      }
    }
    const known: KnownLoan[] = [];
    for (const [loanId, loan] of loans) {
      const receipt = receipts.get(loan.receiptId);
      if (!receipt) continue;
      known.push({
        loanId: BigInt(loanId),
        receiptId: BigInt(loan.receiptId),
        lotKey: receipt.lotKey,
        commodity: receipt.commodity,
        state: loan.state,
      });
    }
    return known;
  }

  /** Pokes the open loans on `lotKey` (after an attestation for it landed). */
  afterAttestation(lotKey: string): Promise<CallOutcome[]> {
    const key = lotKey.toLowerCase();
    return this.#pokeAll(
      this.loans().filter((loan) => loan.lotKey === key),
      `lot ${key}`,
    );
  }

  /** Pokes the open loans of `commodity` (bytes32 label) after its price changed. */
  afterPriceUpdate(commodity: string): Promise<CallOutcome[]> {
    const key = commodity.toLowerCase();
    return this.#pokeAll(
      this.loans().filter((loan) => loan.commodity === key),
      `commodity ${key}`,
    );
  }

  /** Sends poke(loanId); calls for the same loan still waiting are merged. */
  poke(loanId: bigint): Promise<CallOutcome> {
    return this.#options.send({
      key: `poke:${loanId}`,
      to: this.#options.inventoryLoan,
      data: this.#iface.encodeFunctionData('poke', [loanId]),
    });
  }

  async #pokeAll(loans: readonly KnownLoan[], reason: string): Promise<CallOutcome[]> {
    const open = loans.filter((loan) => POKEABLE.has(loan.state));
    if (open.length === 0) return [];
    const { log } = this.#options;
    log.debug({ loans: open.map((loan) => loan.loanId.toString()), reason }, 'poking loans');
    const outcomes = await Promise.all(open.map((loan) => this.poke(loan.loanId)));
    outcomes.forEach((outcome, index) => {
      if (outcome.status !== 'mined')
        log.info(
          {
            loanId: open[index]!.loanId.toString(),
            status: outcome.status,
            reason: outcome.reason,
          },
          'poke not applied',
        );
    });
    return outcomes;
  }
}

// The chain's view of loans and receipts, folded from the events the chain listener stored in
// `chain_events` (event names and arguments as in contracts/solidity/interfaces/*.sol). Arguments
// are read by parameter name; numbers may arrive as JSON numbers or decimal strings.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { LOAN_STATES } from './schemas.js';

export interface StoredChainEvent {
  readonly id: number;
  readonly blockNumber: number;
  readonly txHash: string;
  readonly contract: string;
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly blockTimeS: number;
}

export interface ReceiptState {
  readonly receiptId: string;
  lotKey: string;
  warehouseId: string;
  bayIdBytes32: string;
  lotIdBytes32: string;
  commodityBytes32: string;
  quantityGrams: bigint;
  delivered: boolean;
}

export interface LoanState {
  readonly loanId: string;
  lender: string;
  borrower: string;
  receiptId: string;
  principal: bigint;
  debt: bigint;
  state: (typeof LOAN_STATES)[number];
  frozen: boolean;
  ltvBps: number | null;
  maxLtvBps: number;
  marginCallLtvBps: number;
  defaultLtvBps: number;
  cureDeadlineS: number | null;
  readonly ltvHistory: Array<{ atS: number; ltvBps: number }>;
  readonly events: StoredChainEvent[];
}

export interface ChainView {
  readonly loans: Map<string, LoanState>;
  readonly receipts: Map<string, ReceiptState>;
}

/** Events carrying `ltvBps`: the LTV history of a loan. */
const LTV_EVENTS = new Set(['LoanDrawn', 'MarginCalled', 'MarginCallCured', 'LoanDefaulted']);
/** Enum values of BreachCause.None in either encoding. */
const NO_BREACH = new Set(['0', 'None']);

/** Folds events (oldest first, reorged ones already left out) into loans and receipts. */
export function foldChainEvents(events: readonly StoredChainEvent[]): ChainView {
  const loans = new Map<string, LoanState>();
  const receipts = new Map<string, ReceiptState>();
  const loansByReceipt = new Map<string, LoanState[]>();
  for (const event of events) {
    const a = event.args;
    const receiptId = a.receiptId !== undefined ? dec(a.receiptId) : undefined;
    if (event.name === 'ReceiptIssued' && receiptId !== undefined) {
      receipts.set(receiptId, {
        receiptId,
        lotKey: str(a.lotKey),
        warehouseId: dec(a.warehouseId),
        bayIdBytes32: str(a.bayId),
        lotIdBytes32: str(a.lotId),
        commodityBytes32: str(a.commodity),
        quantityGrams: big(a.quantityGrams),
        delivered: false,
      });
    } else if (event.name === 'ReceiptQuantityChanged' && receiptId !== undefined) {
      const receipt = receipts.get(receiptId);
      if (receipt) receipt.quantityGrams = big(a.quantityGrams);
    } else if (event.name === 'ReceiptDelivered' && receiptId !== undefined) {
      const receipt = receipts.get(receiptId);
      if (receipt) receipt.delivered = true;
    }
    if (event.name === 'LoanOpened') {
      const loan: LoanState = {
        loanId: dec(a.loanId),
        lender: str(a.lender),
        borrower: str(a.borrower),
        receiptId: dec(a.receiptId),
        principal: big(a.principal),
        debt: 0n,
        state: 'Active',
        frozen: false,
        ltvBps: null,
        maxLtvBps: num(a.maxLtvBps),
        marginCallLtvBps: num(a.marginCallLtvBps),
        defaultLtvBps: num(a.defaultLtvBps),
        cureDeadlineS: null,
        ltvHistory: [],
        events: [],
      };
      loans.set(loan.loanId, loan);
      loansByReceipt.set(loan.receiptId, [...(loansByReceipt.get(loan.receiptId) ?? []), loan]);
    }
    const loan = a.loanId !== undefined ? loans.get(dec(a.loanId)) : undefined;
    if (loan) applyLoanEvent(loan, event);
    else if (receiptId !== undefined)
      for (const owner of loansByReceipt.get(receiptId) ?? []) owner.events.push(event);
  }
  return { loans, receipts };
}

function applyLoanEvent(loan: LoanState, event: StoredChainEvent): void {
  const a = event.args;
  loan.events.push(event);
  if (LTV_EVENTS.has(event.name) && a.ltvBps !== undefined) {
    loan.ltvBps = num(a.ltvBps);
    loan.ltvHistory.push({ atS: event.blockTimeS, ltvBps: loan.ltvBps });
  }
  switch (event.name) {
    case 'LoanDrawn':
    case 'LoanRepaid':
      loan.debt = big(a.debt);
      break;
    case 'MarginCalled':
      loan.state = 'MarginCall';
      loan.cureDeadlineS = num(a.deadline);
      break;
    case 'MarginCallCured':
      loan.state = 'Active';
      loan.cureDeadlineS = null;
      break;
    case 'CureDeadlineExtended':
      loan.cureDeadlineS = num(a.deadline);
      break;
    case 'LoanDefaulted':
      loan.state = 'Defaulted';
      break;
    case 'LoanEnforced':
      loan.state = 'Enforced';
      loan.debt = big(a.debt);
      break;
    case 'LoanClosed':
      loan.state = 'Closed';
      loan.debt = 0n;
      loan.cureDeadlineS = null;
      break;
    case 'CustodyBreachRecorded':
      loan.frozen = !NO_BREACH.has(String(a.cause));
      break;
    case 'RecountRecorded':
      if (a.breachCleared === true || a.breachCleared === 'true') loan.frozen = false;
      break;
  }
}

/** bytes32 label (ethers encodeBytes32String) -> text; the hex itself when it is not one. */
export function labelText(bytes32: string): string {
  try {
    const bytes = hexToBytes(bytes32.replace(/^0x/, ''));
    const end = bytes.indexOf(0);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(0, end === -1 ? bytes.length : end),
    );
    return end > 0 && bytes.subarray(end).every((byte) => byte === 0) ? text : bytes32;
  } catch {
    return bytes32;
  }
}

/** Text -> bytes32 label (UTF-8, right-padded; at most 31 bytes), as contracts/src/eip712.ts label(). */
export function labelBytes32(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > 31) throw new RangeError(`label longer than 31 bytes: ${text}`);
  const padded = new Uint8Array(32);
  padded.set(bytes);
  return `0x${bytesToHex(padded)}`;
}

/** keccak256(abi.encode(uint64 warehouseId, bytes32 bayId, bytes32 lotId)), as eip712.ts lotKey(). */
export function lotKeyOf(warehouseNumber: bigint, bayId: string, lotId: string): string {
  const encoded = new Uint8Array(96);
  encoded.set(hexToBytes(warehouseNumber.toString(16).padStart(64, '0')), 0);
  encoded.set(hexToBytes(labelBytes32(bayId).slice(2)), 32);
  encoded.set(hexToBytes(labelBytes32(lotId).slice(2)), 64);
  return `0x${bytesToHex(keccak_256(encoded))}`;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : String(value ?? '');
}
function dec(value: unknown): string {
  return big(value).toString();
}
function big(value: unknown): bigint {
  try {
    return BigInt(value as string | number | bigint);
  } catch {
    return 0n;
  }
}
function num(value: unknown): number {
  return Number(big(value));
}

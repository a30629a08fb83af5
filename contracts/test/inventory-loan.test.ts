import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendAndWait } from '../src/chain.js';
import { CustodyFlag, label } from '../src/eip712.js';
import { ROLES } from '../src/roles.js';
import {
  BreachCause,
  DEFAULT_TERMS,
  DefaultReason,
  HOUR,
  LoanState,
  ReleaseState,
  TONNE,
  USD,
  createWorld,
  eventArgs,
  expectRevert,
  lot,
  receiptParams,
  usdPerTonne,
  type World,
} from './fixture.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
}, 60_000);
afterAll(async () => world.anvil.stop());
beforeEach(async () => world.snapshot());
afterEach(async () => world.revert());

const terms = (overrides: Partial<typeof DEFAULT_TERMS>) => ({ ...DEFAULT_TERMS, ...overrides });
const poke = async (loanId: bigint) => sendAndWait(world.loans.connect(world.keeper).poke(loanId));

describe('opening a loan', () => {
  it('opens Active with the terms and places the lien on the receipt', async () => {
    await world.setPrice(usdPerTonne(9000));
    const target = lot('B-07', 'LOT-1');
    const receiptId = await world.issueReceipt(target, 1000n * TONNE);
    const receipt = await sendAndWait(
      world.loans.connect(world.lender).open(receiptId, world.borrower.address, DEFAULT_TERMS),
    );
    expect(eventArgs(receipt, 'LoanOpened')).toEqual([
      1n,
      world.lender.address,
      world.borrower.address,
      receiptId,
      6_300_000n * USD,
      7000n,
      7500n,
      8500n,
      48n * 3600n,
    ]);
    expect(eventArgs(receipt, 'LienPlaced')).toEqual([
      receiptId,
      world.contracts.deployment.contracts.inventoryLoan,
      1n,
    ]);
    const loan = await world.loans.getLoan(1n);
    expect([Number(loan.state), loan.lotKey, loan.commodity, loan.debt]).toEqual([
      LoanState.Active,
      target.key,
      label('COPPER'),
      0n,
    ]);
  });

  it('LTV levels must satisfy 0 < max < call < default <= 100% (LoanInvalidLtvLevels)', async () => {
    const receiptId = await world.issueReceipt(lot('B-07', 'LOT-1'), 1000n * TONNE);
    const open = (t: typeof DEFAULT_TERMS) =>
      world.loans.connect(world.lender).open(receiptId, world.borrower.address, t);
    await expectRevert(open(terms({ maxLtvBps: 7500 })), 'LoanInvalidLtvLevels', [
      7500n,
      7500n,
      8500n,
    ]);
    await expectRevert(open(terms({ marginCallLtvBps: 8500 })), 'LoanInvalidLtvLevels', [
      7000n,
      8500n,
      8500n,
    ]);
    await expectRevert(open(terms({ defaultLtvBps: 10_001 })), 'LoanInvalidLtvLevels', [
      7000n,
      7500n,
      10_001n,
    ]);
    await expectRevert(open(terms({ maxLtvBps: 0 })), 'LoanInvalidLtvLevels', [0n, 7500n, 8500n]);
  });

  it('the cure period is bounded (LoanInvalidCurePeriod)', async () => {
    const receiptId = await world.issueReceipt(lot('B-07', 'LOT-1'), 1000n * TONNE);
    await expectRevert(
      world.loans
        .connect(world.lender)
        .open(receiptId, world.borrower.address, terms({ curePeriodSeconds: 60 })),
      'LoanInvalidCurePeriod',
      [60n, 3600n, 30n * 24n * 3600n],
    );
  });

  it('rejects a zero principal (LoanZeroAmount)', async () => {
    const receiptId = await world.issueReceipt(lot('B-07', 'LOT-1'), 1000n * TONNE);
    await expectRevert(
      world.loans
        .connect(world.lender)
        .open(receiptId, world.borrower.address, terms({ principal: 0n })),
      'LoanZeroAmount',
      [],
    );
  });

  it('the borrower must hold the borrower role (LoanBorrowerNotAllowed)', async () => {
    const receiptId = await world.issueReceipt(lot('B-07', 'LOT-1'), 1000n * TONNE, world.outsider);
    await expectRevert(
      world.loans.connect(world.lender).open(receiptId, world.outsider.address, DEFAULT_TERMS),
      'LoanBorrowerNotAllowed',
      [world.outsider.address],
    );
  });

  it('the borrower must own the receipt (LoanReceiptNotOwnedByBorrower)', async () => {
    const receiptId = await world.issueReceipt(
      lot('B-07', 'LOT-1'),
      1000n * TONNE,
      world.borrowerB,
    );
    await expectRevert(
      world.loans.connect(world.lender).open(receiptId, world.borrower.address, DEFAULT_TERMS),
      'LoanReceiptNotOwnedByBorrower',
      [receiptId, world.borrowerB.address],
    );
  });

  it('a commodity without a price feed cannot be lent against (LoanNoPriceFeed)', async () => {
    const target = lot('B-08', 'ZN-1');
    await world.attest(target, { quantityGrams: 10n * TONNE });
    await sendAndWait(
      world.receipts.connect(world.warehouse).issue(world.borrower.address, {
        ...receiptParams(target, 10n * TONNE),
        commodity: label('ZINC'),
      }),
    );
    await expectRevert(
      world.loans.connect(world.lender).open(1n, world.borrower.address, DEFAULT_TERMS),
      'LoanNoPriceFeed',
      [label('ZINC')],
    );
  });

  it('only a lender opens (AccessControlUnauthorizedAccount) and a pause blocks opening (EnforcedPause)', async () => {
    const receiptId = await world.issueReceipt(lot('B-07', 'LOT-1'), 1000n * TONNE);
    await expectRevert(
      world.loans.connect(world.borrower).open(receiptId, world.borrower.address, DEFAULT_TERMS),
      'AccessControlUnauthorizedAccount',
      [world.borrower.address, ROLES.lender],
    );
    await sendAndWait(world.loans.pause());
    await expectRevert(
      world.loans.connect(world.lender).open(receiptId, world.borrower.address, DEFAULT_TERMS),
      'EnforcedPause',
      [],
    );
  });

  it('an unknown loan id is rejected (LoanUnknown)', async () => {
    await expectRevert(world.loans.poke(42n), 'LoanUnknown', [42n]);
  });
});

describe('draw and repay', () => {
  async function openCopper(principal = 6_300_000n * USD) {
    await world.setPrice(usdPerTonne(9000));
    const target = lot('B-07', 'LOT-1');
    const receiptId = await world.issueReceipt(target, 1000n * TONNE);
    const loanId = await world.openLoan(receiptId, terms({ principal }));
    return { target, receiptId, loanId };
  }
  const draw = (loanId: bigint, amount: bigint, from = world.borrower) =>
    world.loans.connect(from).draw(loanId, amount);

  it('a draw moves tokens from lender to borrower and records the debt at LTV <= max', async () => {
    const { loanId } = await openCopper();
    const before = await world.token.balanceOf(world.borrower.address);
    const receipt = await sendAndWait(draw(loanId, 6_300_000n * USD));
    expect(eventArgs(receipt, 'LoanDrawn')).toEqual([
      loanId,
      6_300_000n * USD,
      6_300_000n * USD,
      7000n,
    ]);
    expect((await world.token.balanceOf(world.borrower.address)) - before).toBe(6_300_000n * USD);
  });

  it('a draw above max LTV is rejected (LoanLtvAboveMax)', async () => {
    const { loanId } = await openCopper(7_000_000n * USD);
    await expectRevert(draw(loanId, 6_300_001n * USD), 'LoanLtvAboveMax', [loanId, 7001n, 7000n]);
  });

  it('a draw above the principal is rejected (LoanDrawExceedsPrincipal)', async () => {
    const { loanId } = await openCopper(1_000_000n * USD);
    await sendAndWait(draw(loanId, 600_000n * USD));
    await expectRevert(draw(loanId, 500_000n * USD), 'LoanDrawExceedsPrincipal', [
      loanId,
      500_000n * USD,
      400_000n * USD,
    ]);
  });

  it('only the borrower draws (LoanNotBorrower) and never zero (LoanZeroAmount)', async () => {
    const { loanId } = await openCopper();
    await expectRevert(draw(loanId, USD, world.outsider), 'LoanNotBorrower', [
      loanId,
      world.outsider.address,
    ]);
    await expectRevert(draw(loanId, 0n), 'LoanZeroAmount', []);
  });

  it('stale custody blocks draws (LoanStaleCustody)', async () => {
    const { loanId, target } = await openCopper();
    const validUntil = (await world.oracle.latestCustody(target.key))[0].validUntil;
    await world.increaseTime(2 * HOUR + 1);
    await world.setPrice(usdPerTonne(9000));
    await expectRevert(draw(loanId, USD), 'LoanStaleCustody', [target.key, validUntil]);
  });

  it('a stale price blocks draws (LoanStalePrice)', async () => {
    const { loanId, target } = await openCopper();
    const [, , , updatedAt] = await world.feed.latestRoundData();
    await world.increaseTime(26 * HOUR + 1);
    await world.attest(target, { quantityGrams: 1000n * TONNE });
    await expectRevert(draw(loanId, USD), 'LoanStalePrice', [
      label('COPPER'),
      updatedAt,
      26n * 3600n,
    ]);
  });

  it('a non-positive price blocks draws (LoanInvalidPrice)', async () => {
    const { loanId } = await openCopper();
    await world.setPrice(0n);
    await expectRevert(draw(loanId, USD), 'LoanInvalidPrice', [label('COPPER'), 0n]);
    await world.setPrice(-5n);
    await expectRevert(draw(loanId, USD), 'LoanInvalidPrice', [label('COPPER'), -5n]);
  });

  it('a pause blocks draws (EnforcedPause) but never repayment', async () => {
    const { loanId } = await openCopper();
    await sendAndWait(draw(loanId, 1_000_000n * USD));
    await sendAndWait(world.loans.pause());
    await expectRevert(draw(loanId, USD), 'EnforcedPause', []);
    await sendAndWait(world.loans.connect(world.borrower).repay(loanId, 400_000n * USD));
    expect((await world.loans.getLoan(loanId)).debt).toBe(600_000n * USD);
  });

  it('repayment pays the lender and cannot exceed the debt (LoanRepayExceedsDebt) or be zero (LoanZeroAmount)', async () => {
    const { loanId } = await openCopper();
    await sendAndWait(draw(loanId, 1_000_000n * USD));
    const lenderBefore = await world.token.balanceOf(world.lender.address);
    const receipt = await sendAndWait(
      world.loans.connect(world.keeper).repay(loanId, 250_000n * USD),
    );
    expect(eventArgs(receipt, 'LoanRepaid')).toEqual([
      loanId,
      world.keeper.address,
      250_000n * USD,
      750_000n * USD,
    ]);
    expect((await world.token.balanceOf(world.lender.address)) - lenderBefore).toBe(250_000n * USD);
    await expectRevert(
      world.loans.connect(world.borrower).repay(loanId, 750_001n * USD),
      'LoanRepayExceedsDebt',
      [loanId, 750_001n * USD, 750_000n * USD],
    );
    await expectRevert(world.loans.connect(world.borrower).repay(loanId, 0n), 'LoanZeroAmount', []);
  });

  it('full repayment closes the loan and lifts the lien; the receipt moves again', async () => {
    const { loanId, receiptId } = await openCopper();
    await sendAndWait(draw(loanId, 1_000_000n * USD));
    const receipt = await sendAndWait(
      world.loans.connect(world.borrower).repay(loanId, 1_000_000n * USD),
    );
    expect(eventArgs(receipt, 'LoanClosed')).toEqual([loanId]);
    expect(eventArgs(receipt, 'LienLifted')).toEqual([
      receiptId,
      world.contracts.deployment.contracts.inventoryLoan,
      loanId,
    ]);
    expect(await world.loanState(loanId)).toBe(LoanState.Closed);
    await sendAndWait(
      world.receipts
        .connect(world.borrower)
        .transferFrom(world.borrower.address, world.outsider.address, receiptId),
    );
    await expectRevert(world.loans.connect(world.borrower).repay(loanId, 1n), 'LoanWrongState', [
      loanId,
      BigInt(LoanState.Closed),
    ]);
  });

  it('a loan with no debt closes on request of borrower or lender only (LoanDebtOutstanding, LoanNotBorrower)', async () => {
    const { loanId } = await openCopper();
    await sendAndWait(draw(loanId, USD));
    await expectRevert(world.loans.connect(world.borrower).close(loanId), 'LoanDebtOutstanding', [
      loanId,
      USD,
    ]);
    await sendAndWait(world.loans.connect(world.borrower).repay(loanId, USD));
    const { loanId: second } = {
      loanId: await world.openLoan((await world.loans.getLoan(loanId)).receiptId),
    };
    await expectRevert(world.loans.connect(world.outsider).close(second), 'LoanNotBorrower', [
      second,
      world.outsider.address,
    ]);
    await sendAndWait(world.loans.connect(world.lender).close(second));
    expect(await world.loanState(second)).toBe(LoanState.Closed);
    await expectRevert(world.loans.connect(world.lender).close(second), 'LoanWrongState', [
      second,
      BigInt(LoanState.Closed),
    ]);
  });
});

describe('poke: margin call, hysteresis, default, enforcement', () => {
  it('Active -> MarginCall when LTV reaches the call level, with deadline = now + cure period', async () => {
    const { loanId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7920));
    const receipt = await poke(loanId);
    const [id, ltv, deadline] = eventArgs(receipt, 'MarginCalled') as [bigint, bigint, bigint];
    const block = await world.provider.getBlock(receipt.blockNumber);
    expect([id, ltv, deadline]).toEqual([loanId, 7955n, BigInt(block!.timestamp) + 48n * 3600n]);
    expect(await world.loanState(loanId)).toBe(LoanState.MarginCall);
  });

  it('a healthy loan stays Active on poke, and poke without news changes nothing', async () => {
    const { loanId } = await world.copperLoan();
    const receipt = await poke(loanId);
    expect(receipt.logs).toHaveLength(0);
    expect(await world.loanState(loanId)).toBe(LoanState.Active);
  });

  it('hysteresis: a call does not clear between max and call LTV, only at or below max', async () => {
    const { loanId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7920));
    await poke(loanId);
    await world.setPrice(usdPerTonne(8700)); // LTV 72.4%: below the call level, above max
    await poke(loanId);
    expect(await world.loanState(loanId)).toBe(LoanState.MarginCall);
    await world.setPrice(usdPerTonne(9000)); // LTV 70%: back at max
    const receipt = await poke(loanId);
    expect(eventArgs(receipt, 'MarginCallCured')).toEqual([loanId, 7000n]);
    expect(await world.loanState(loanId)).toBe(LoanState.Active);
  });

  it('the deadline never moves earlier: re-pokes keep it, lender extensions only move it later', async () => {
    const { loanId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7920));
    await poke(loanId);
    const deadline = (await world.loans.getLoan(loanId)).callDeadline;
    await world.increaseTime(HOUR);
    await poke(loanId);
    expect((await world.loans.getLoan(loanId)).callDeadline).toBe(deadline);
    await expectRevert(
      world.loans.connect(world.lender).extendCureDeadline(loanId, deadline),
      'LoanDeadlineNotLater',
      [loanId, deadline, deadline],
    );
    await expectRevert(
      world.loans.connect(world.borrower).extendCureDeadline(loanId, deadline + 1n),
      'LoanNotLender',
      [loanId, world.borrower.address],
    );
    const receipt = await sendAndWait(
      world.loans.connect(world.lender).extendCureDeadline(loanId, deadline + 3600n),
    );
    expect(eventArgs(receipt, 'CureDeadlineExtended')).toEqual([
      loanId,
      deadline,
      deadline + 3600n,
    ]);
  });

  it('a new call after a cure keeps an extended deadline rather than shortening it', async () => {
    const { loanId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7920));
    await poke(loanId);
    const first = (await world.loans.getLoan(loanId)).callDeadline;
    await sendAndWait(
      world.loans.connect(world.lender).extendCureDeadline(loanId, first + 3n * 24n * 3600n),
    );
    await world.setPrice(usdPerTonne(9000));
    await poke(loanId); // cured
    await world.setPrice(usdPerTonne(7920));
    const receipt = await poke(loanId); // called again: now + 48 h would be earlier
    expect(eventArgs(receipt, 'MarginCalled')[2]).toBe(first + 3n * 24n * 3600n);
  });

  it('a deadline can only be extended while called (LoanWrongState)', async () => {
    const { loanId } = await world.copperLoan();
    await expectRevert(
      world.loans.connect(world.lender).extendCureDeadline(loanId, 1n),
      'LoanWrongState',
      [loanId, BigInt(LoanState.Active)],
    );
  });

  it('MarginCall -> Defaulted when the deadline passes uncured', async () => {
    const { loanId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7920));
    await poke(loanId);
    await world.increaseTime(48 * HOUR + 1);
    await world.setPrice(usdPerTonne(7920));
    await world.attest(lot('B-07', 'LOT-1'), { quantityGrams: 1000n * TONNE });
    const receipt = await poke(loanId);
    expect(eventArgs(receipt, 'LoanDefaulted')).toEqual([
      loanId,
      DefaultReason.CureDeadlinePassed,
      7955n,
    ]);
  });

  it('a stale price never forces a default by itself, even past the deadline', async () => {
    const { loanId, target } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7920));
    await poke(loanId);
    await world.increaseTime(48 * HOUR + 1);
    await world.attest(target, { quantityGrams: 1000n * TONNE }); // custody fresh, price 48 h old
    await poke(loanId);
    expect(await world.loanState(loanId)).toBe(LoanState.MarginCall);
  });

  it('Active -> Defaulted at once when LTV reaches the default level', async () => {
    const { loanId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7400));
    const receipt = await poke(loanId);
    expect(eventArgs(receipt, 'LoanDefaulted')).toEqual([
      loanId,
      DefaultReason.DefaultLtvReached,
      8514n,
    ]);
  });

  it('Defaulted -> Enforced by the lender: the receipt goes to the lender, debt stays on record', async () => {
    const { loanId, receiptId } = await world.copperLoan();
    await expectRevert(world.loans.connect(world.lender).enforce(loanId), 'LoanWrongState', [
      loanId,
      BigInt(LoanState.Active),
    ]);
    await world.setPrice(usdPerTonne(7400));
    await poke(loanId);
    await expectRevert(world.loans.connect(world.borrower).enforce(loanId), 'LoanNotLender', [
      loanId,
      world.borrower.address,
    ]);
    await expectRevert(world.loans.poke(loanId), 'LoanWrongState', [
      loanId,
      BigInt(LoanState.Defaulted),
    ]);
    const receipt = await sendAndWait(world.loans.connect(world.lender).enforce(loanId));
    expect(eventArgs(receipt, 'LoanEnforced')).toEqual([
      loanId,
      world.lender.address,
      6_300_000n * USD,
    ]);
    expect(eventArgs(receipt, 'LienEnforced')).toEqual([
      receiptId,
      world.contracts.deployment.contracts.inventoryLoan,
      world.lender.address,
    ]);
    expect(await world.receipts.ownerOf(receiptId)).toBe(world.lender.address);
    expect(await world.loanState(loanId)).toBe(LoanState.Enforced);
  });

  it('MarginCall -> Closed: full repayment during a call lifts the lien and closes the loan', async () => {
    const { loanId, receiptId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7920));
    await poke(loanId);
    const receipt = await sendAndWait(
      world.loans.connect(world.borrower).repay(loanId, 6_300_000n * USD),
    );
    expect(eventArgs(receipt, 'LoanClosed')).toEqual([loanId]);
    expect((await world.receipts.lienOf(receiptId)).holder).toBe(
      '0x0000000000000000000000000000000000000000',
    );
  });

  it('a defaulted loan can still be repaid in full, which closes it (never back to Active)', async () => {
    const { loanId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7400));
    await poke(loanId);
    await sendAndWait(world.loans.connect(world.borrower).repay(loanId, 6_300_000n * USD));
    expect(await world.loanState(loanId)).toBe(LoanState.Closed);
  });

  it('pause blocks neither poke, cure nor enforcement', async () => {
    const { loanId } = await world.copperLoan();
    await sendAndWait(world.loans.pause());
    await world.setPrice(usdPerTonne(7920));
    await poke(loanId);
    await sendAndWait(world.loans.connect(world.borrower).repay(loanId, 756_000n * USD));
    expect(await world.loanState(loanId)).toBe(LoanState.Active);
    await world.setPrice(usdPerTonne(6000));
    await poke(loanId);
    await sendAndWait(world.loans.connect(world.lender).enforce(loanId));
    expect(await world.loanState(loanId)).toBe(LoanState.Enforced);
  });
});

describe('custody breach', () => {
  it('a breach flag is recorded on poke and freezes draws and releases (LoanFrozen)', async () => {
    const { loanId, target } = await world.copperLoan();
    await sendAndWait(world.loans.connect(world.borrower).repay(loanId, 1_000_000n * USD));
    await world.attest(target, { quantityGrams: 1000n * TONNE, flags: CustodyFlag.tamper });
    await expectRevert(world.loans.connect(world.borrower).draw(loanId, USD), 'LoanCustodyBreach', [
      loanId,
      BreachCause.Flagged,
    ]);
    const receipt = await poke(loanId);
    const [, cause, flags, since] = eventArgs(receipt, 'CustodyBreachRecorded') as bigint[];
    expect([cause, flags]).toEqual([BreachCause.Flagged, BigInt(CustodyFlag.tamper)]);
    await world.attest(target, { quantityGrams: 1000n * TONNE }); // clean again, but the freeze holds
    await expectRevert(world.loans.connect(world.borrower).draw(loanId, USD), 'LoanFrozen', [
      loanId,
      since,
    ]);
    await expectRevert(
      world.loans.connect(world.borrower).requestRelease(loanId, TONNE),
      'LoanFrozen',
      [loanId, since],
    );
  });

  it('an auditor recount covering the receipt clears the freeze; a short count does not', async () => {
    const { loanId, target } = await world.copperLoan();
    await sendAndWait(world.loans.connect(world.borrower).repay(loanId, 1_000_000n * USD));
    await world.attest(target, {
      quantityGrams: 1000n * TONNE,
      flags: CustodyFlag.sensorDisagreement,
    });
    await poke(loanId);
    await expectRevert(
      world.loans.connect(world.outsider).recordRecount(loanId, 1000n * TONNE),
      'AccessControlUnauthorizedAccount',
      [world.outsider.address, ROLES.auditor],
    );
    const short = await sendAndWait(
      world.loans.connect(world.auditor).recordRecount(loanId, 900n * TONNE),
    );
    expect(eventArgs(short, 'RecountRecorded')).toEqual([
      loanId,
      world.auditor.address,
      900n * TONNE,
      false,
    ]);
    expect((await world.loans.getLoan(loanId)).breachSince).not.toBe(0n);
    const full = await sendAndWait(
      world.loans.connect(world.auditor).recordRecount(loanId, 1000n * TONNE),
    );
    expect(eventArgs(full, 'RecountRecorded')).toEqual([
      loanId,
      world.auditor.address,
      1000n * TONNE,
      true,
    ]);
    await poke(loanId); // the flagged attestation the recount covered does not re-freeze
    await sendAndWait(world.loans.connect(world.borrower).draw(loanId, USD));
  });

  it('a breach that stays past the grace escalates to default', async () => {
    const { loanId, target } = await world.copperLoan();
    await world.attest(target, { quantityGrams: 1000n * TONNE, flags: CustodyFlag.replayAttempt });
    await poke(loanId);
    await world.increaseTime(24 * HOUR);
    const receipt = await poke(loanId);
    expect(eventArgs(receipt, 'LoanDefaulted')[1]).toBe(DefaultReason.CustodyBreachUncured);
  });

  it('a recount on a closed loan is rejected (LoanWrongState)', async () => {
    const { loanId } = await world.copperLoan();
    await sendAndWait(world.loans.connect(world.borrower).repay(loanId, 6_300_000n * USD));
    await expectRevert(
      world.loans.connect(world.auditor).recordRecount(loanId, 1n),
      'LoanWrongState',
      [loanId, BigInt(LoanState.Closed)],
    );
  });

  it('custody stale within the bound blocks draws but is no breach; stale past it is a Silent breach', async () => {
    const { loanId } = await world.copperLoan();
    await sendAndWait(world.loans.connect(world.borrower).repay(loanId, 1_000_000n * USD));
    await world.increaseTime(2 * HOUR + 60); // attestation valid 2 h; breach after 1 h more
    await world.setPrice(usdPerTonne(9000));
    await poke(loanId);
    expect((await world.loans.getLoan(loanId)).breachSince).toBe(0n);
    await world.increaseTime(HOUR);
    const receipt = await poke(loanId);
    expect(eventArgs(receipt, 'CustodyBreachRecorded')[1]).toBe(BreachCause.Silent);
  });

  it('an attested quantity below the receipt with no release order is a Shortfall breach', async () => {
    const { loanId, target } = await world.copperLoan();
    await world.attest(target, { quantityGrams: 960n * TONNE });
    const receipt = await poke(loanId);
    expect(eventArgs(receipt, 'CustodyBreachRecorded')[1]).toBe(BreachCause.Shortfall);
  });

  it('a drop within the quantity tolerance (load-cell noise) is no breach', async () => {
    const { loanId, target } = await world.copperLoan();
    await world.attest(target, { quantityGrams: 995n * TONNE }); // 0.5%
    const receipt = await poke(loanId);
    expect(receipt.logs).toHaveLength(0);
  });
});

describe('partial release', () => {
  async function releasable() {
    const setup = await world.copperLoan();
    await sendAndWait(world.loans.connect(world.borrower).repay(setup.loanId, 1_890_000n * USD));
    return setup;
  }
  const request = (loanId: bigint, grams: bigint, from = world.borrower) =>
    world.loans.connect(from).requestRelease(loanId, grams);

  it('ordered -> shipped -> confirmed by an attestation with the matching drop -> finalized', async () => {
    const { loanId, target, receiptId } = await releasable();
    const ordered = await sendAndWait(request(loanId, 300n * TONNE));
    expect(eventArgs(ordered, 'ReleaseOrdered')).toEqual([
      1n,
      loanId,
      target.key,
      300n * TONNE,
      1000n * TONNE,
    ]);
    const shipped = await sendAndWait(world.loans.connect(world.warehouse).markShipped(1n));
    expect(eventArgs(shipped, 'ReleaseShipped')).toEqual([1n, loanId]);
    await expectRevert(world.loans.finalizeRelease(1n), 'LoanReleaseNotConfirmed', [1n]);
    await world.attest(target, { quantityGrams: 700n * TONNE, releaseOrderId: 1n });
    const finalized = await sendAndWait(world.loans.connect(world.keeper).finalizeRelease(1n));
    expect(eventArgs(finalized, 'ReleaseFinalized')).toEqual([1n, loanId, 700n * TONNE]);
    expect(await world.receipts.quantityGramsOf(receiptId)).toBe(700n * TONNE);
    expect((await world.loans.getReleaseOrder(1n)).state).toBe(ReleaseState.Finalized);
    await expectRevert(world.loans.finalizeRelease(1n), 'LoanReleaseWrongState', [
      1n,
      ReleaseState.Finalized,
    ]);
  });

  it('a confirmation whose quantity does not match the ordered drop is rejected (LoanReleaseDropMismatch)', async () => {
    const { loanId, target } = await releasable();
    await sendAndWait(request(loanId, 300n * TONNE));
    await sendAndWait(world.loans.connect(world.warehouse).markShipped(1n));
    await world.attest(target, { quantityGrams: 650n * TONNE, releaseOrderId: 1n });
    await expectRevert(world.loans.finalizeRelease(1n), 'LoanReleaseDropMismatch', [
      1n,
      700n * TONNE,
      650n * TONNE,
    ]);
  });

  it('the shipped drop pending confirmation is not a shortfall breach', async () => {
    const { loanId, target } = await releasable();
    await sendAndWait(request(loanId, 300n * TONNE));
    await sendAndWait(world.loans.connect(world.warehouse).markShipped(1n));
    await world.attest(target, { quantityGrams: 700n * TONNE });
    expect((await poke(loanId)).logs).toHaveLength(0);
  });

  it('a release must leave collateral (LoanReleaseExceedsCollateral) and keep LTV within max (LoanLtvAboveMax)', async () => {
    const { loanId } = await releasable();
    await expectRevert(request(loanId, 1000n * TONNE), 'LoanReleaseExceedsCollateral', [
      loanId,
      1000n * TONNE,
      1000n * TONNE,
    ]);
    await expectRevert(request(loanId, 301n * TONNE), 'LoanLtvAboveMax', [loanId, 7011n, 7000n]);
    await expectRevert(request(loanId, 0n), 'LoanZeroAmount', []);
  });

  it('one release at a time (LoanReleasePending); the borrower may cancel an unshipped order', async () => {
    const { loanId } = await releasable();
    await sendAndWait(request(loanId, 100n * TONNE));
    await expectRevert(request(loanId, 100n * TONNE), 'LoanReleasePending', [loanId, 1n]);
    await expectRevert(world.loans.connect(world.outsider).cancelRelease(1n), 'LoanNotBorrower', [
      loanId,
      world.outsider.address,
    ]);
    const cancelled = await sendAndWait(world.loans.connect(world.borrower).cancelRelease(1n));
    expect(eventArgs(cancelled, 'ReleaseCancelled')).toEqual([1n, loanId]);
    await expectRevert(
      world.loans.connect(world.warehouse).markShipped(1n),
      'LoanReleaseWrongState',
      [1n, ReleaseState.Cancelled],
    );
    await sendAndWait(request(loanId, 100n * TONNE));
  });

  it('only the borrower requests (LoanNotBorrower), only the warehouse ships, unknown orders are rejected', async () => {
    const { loanId } = await releasable();
    await expectRevert(request(loanId, TONNE, world.outsider), 'LoanNotBorrower', [
      loanId,
      world.outsider.address,
    ]);
    await sendAndWait(request(loanId, TONNE));
    await expectRevert(
      world.loans.connect(world.outsider).markShipped(1n),
      'AccessControlUnauthorizedAccount',
      [world.outsider.address, ROLES.warehouseOperator],
    );
    await expectRevert(world.loans.connect(world.warehouse).markShipped(9n), 'LoanReleaseUnknown', [
      9n,
    ]);
  });

  it('a stale price blocks release requests (LoanStalePrice) and a pause blocks them (EnforcedPause)', async () => {
    const { loanId, target } = await releasable();
    await sendAndWait(world.loans.pause());
    await expectRevert(request(loanId, TONNE), 'EnforcedPause', []);
    await sendAndWait(world.loans.unpause());
    const [, , , updatedAt] = await world.feed.latestRoundData();
    await world.increaseTime(26 * HOUR + 1);
    await world.attest(target, { quantityGrams: 1000n * TONNE });
    await expectRevert(request(loanId, TONNE), 'LoanStalePrice', [
      label('COPPER'),
      updatedAt,
      26n * 3600n,
    ]);
  });

  it('a called loan cannot ship a release (LoanWrongState); a frozen one neither (LoanFrozen)', async () => {
    const { loanId, target } = await releasable();
    await sendAndWait(request(loanId, 100n * TONNE));
    await world.attest(target, { quantityGrams: 1000n * TONNE, flags: CustodyFlag.tamper });
    const breach = await poke(loanId);
    const since = eventArgs(breach, 'CustodyBreachRecorded')[3];
    await expectRevert(world.loans.connect(world.warehouse).markShipped(1n), 'LoanFrozen', [
      loanId,
      since,
    ]);
    await world.setPrice(usdPerTonne(5900)); // 4.41m / 5.9m = 74.7%... push over the call level
    await world.setPrice(usdPerTonne(5800));
    await poke(loanId);
    await expectRevert(world.loans.connect(world.warehouse).markShipped(1n), 'LoanWrongState', [
      loanId,
      BigInt(LoanState.MarginCall),
    ]);
  });

  it('finalizing after the loan closed is rejected (LoanWrongState)', async () => {
    const { loanId, target } = await releasable();
    await sendAndWait(request(loanId, 100n * TONNE));
    await sendAndWait(world.loans.connect(world.warehouse).markShipped(1n));
    await world.attest(target, { quantityGrams: 900n * TONNE, releaseOrderId: 1n });
    await sendAndWait(world.loans.connect(world.borrower).repay(loanId, 4_410_000n * USD));
    await expectRevert(world.loans.finalizeRelease(1n), 'LoanWrongState', [
      loanId,
      BigInt(LoanState.Closed),
    ]);
  });
});

describe('admin parameters', () => {
  it('price feed heartbeats and risk parameters are bounded (LoanParameterOutOfBounds)', async () => {
    const feed = world.contracts.deployment.contracts.priceFeeds.COPPER!;
    await expectRevert(
      world.loans.setPriceFeed(label('COPPER'), feed, 59),
      'LoanParameterOutOfBounds',
      ['heartbeatSeconds', 59n, 60n, 7n * 24n * 3600n],
    );
    const ok = {
      breachGraceSeconds: 3600,
      custodyStaleBreachSeconds: 3600,
      breachFlagMask: 0xff,
      quantityToleranceBps: 50,
    };
    await expectRevert(
      world.loans.setRiskParameters({ ...ok, breachGraceSeconds: 8 * 24 * 3600 }),
      'LoanParameterOutOfBounds',
      ['breachGraceSeconds', 8n * 24n * 3600n, 600n, 7n * 24n * 3600n],
    );
    await expectRevert(
      world.loans.setRiskParameters({ ...ok, custodyStaleBreachSeconds: 60 }),
      'LoanParameterOutOfBounds',
      ['custodyStaleBreachSeconds', 60n, 600n, 3n * 24n * 3600n],
    );
    await expectRevert(
      world.loans.setRiskParameters({ ...ok, breachFlagMask: 0 }),
      'LoanParameterOutOfBounds',
      ['breachFlagMask', 0n, 1n, 255n],
    );
    await expectRevert(
      world.loans.setRiskParameters({ ...ok, quantityToleranceBps: 501 }),
      'LoanParameterOutOfBounds',
      ['quantityToleranceBps', 501n, 0n, 500n],
    );
    const receipt = await sendAndWait(world.loans.setRiskParameters(ok));
    expect(eventArgs(receipt, 'RiskParametersSet')).toEqual([3600n, 3600n, 255n, 50n]);
  });

  it('a flag outside the breach mask does not freeze the loan', async () => {
    const { loanId, target } = await world.copperLoan();
    const mask = 0xff & ~CustodyFlag.qualityExcursion;
    await sendAndWait(
      world.loans.setRiskParameters({
        breachGraceSeconds: 86_400,
        custodyStaleBreachSeconds: 3600,
        breachFlagMask: mask,
        quantityToleranceBps: 50,
      }),
    );
    await world.attest(target, {
      quantityGrams: 1000n * TONNE,
      flags: CustodyFlag.qualityExcursion,
    });
    expect((await poke(loanId)).logs).toHaveLength(0);
  });

  it('only the pauser pauses (AccessControlUnauthorizedAccount)', async () => {
    await expectRevert(
      world.loans.connect(world.outsider).pause(),
      'AccessControlUnauthorizedAccount',
      [world.outsider.address, ROLES.pauser],
    );
  });
});

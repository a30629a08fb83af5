// DOMAIN.md scenarios 1, 2, 4 and 6 at contract level, with their numbers: copper USD 9,000/t,
// 1,000 t (value $9.0m), loan $6.3m, max LTV 70%, margin call 75%, default 85%, cure 48 h.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendAndWait } from '../src/chain.js';
import {
  BreachCause,
  DefaultReason,
  HOUR,
  LoanState,
  TONNE,
  USD,
  createWorld,
  eventArgs,
  expectRevert,
  lot,
  ltvBps,
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

const poke = async (loanId: bigint) => sendAndWait(world.loans.connect(world.keeper).poke(loanId));

describe('scenario 1: price drop, call, cure', () => {
  it('value $9.0m, loan $6.3m is LTV 70%; price -12% puts LTV at 79.5% and calls with a 48 h deadline', async () => {
    const { loanId } = await world.copperLoan();
    const [valueUnits, ltvAtOpen] = await world.loans.health(loanId);
    expect([valueUnits, ltvAtOpen]).toEqual([9_000_000n * USD, 7000n]);
    await world.setPrice(usdPerTonne(7920)); // 9,000 x 0.88
    const [valueAfterDrop, ltvAfterDrop] = await world.loans.health(loanId);
    expect(valueAfterDrop).toBe(7_920_000n * USD);
    expect(ltvAfterDrop).toBe(7955n); // 79.55%, rounded up
    expect(ltvAfterDrop).toBe(ltvBps(6_300_000n * USD, 1000n * TONNE, usdPerTonne(7920)));
    const receipt = await poke(loanId);
    const [, ltv, deadline] = eventArgs(receipt, 'MarginCalled') as bigint[];
    const block = await world.provider.getBlock(receipt.blockNumber);
    expect(ltv).toBe(7955n);
    expect(deadline).toBe(BigInt(block!.timestamp) + 48n * 3600n);
  });

  it('cure by repaying to max LTV at the latest price: $756k brings $6.3m to $5.544m = 70% of $7.92m', async () => {
    const { loanId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7920));
    await poke(loanId);
    await sendAndWait(world.loans.connect(world.borrower).repay(loanId, 755_999n * USD));
    expect(await world.loanState(loanId)).toBe(LoanState.MarginCall); // one dollar short: still called
    const receipt = await sendAndWait(world.loans.connect(world.borrower).repay(loanId, 1n * USD));
    expect(eventArgs(receipt, 'MarginCallCured')).toEqual([loanId, 7000n]);
    expect((await world.loans.getLoan(loanId)).debt).toBe(5_544_000n * USD);
  });

  it('cure by pledging more goods: 137 t more attested and added to the receipt, then a poke', async () => {
    const { loanId, target, receiptId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7920));
    await poke(loanId);
    await world.attest(target, { quantityGrams: 1137n * TONNE });
    await sendAndWait(
      world.receipts.connect(world.warehouse).increaseQuantity(receiptId, 137n * TONNE),
    );
    const receipt = await poke(loanId);
    expect(eventArgs(receipt, 'MarginCallCured')).toEqual([loanId, 6997n]); // 6.3m / 9,005,040 = 69.96%, rounded up
  });
});

describe('scenario 2: no cure -> default', () => {
  it('the deadline passes without a cure: default recorded, releases frozen, enforcement possible', async () => {
    const { loanId, target, receiptId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7920));
    await poke(loanId);
    await world.increaseTime(47 * HOUR);
    await world.setPrice(usdPerTonne(7920));
    await world.attest(target, { quantityGrams: 1000n * TONNE });
    await poke(loanId);
    expect(await world.loanState(loanId)).toBe(LoanState.MarginCall); // still inside the cure window
    await world.increaseTime(HOUR + 1);
    const receipt = await poke(loanId);
    expect(eventArgs(receipt, 'LoanDefaulted')).toEqual([
      loanId,
      DefaultReason.CureDeadlinePassed,
      7955n,
    ]);
    await expectRevert(
      world.loans.connect(world.borrower).requestRelease(loanId, TONNE),
      'LoanWrongState',
      [loanId, BigInt(LoanState.Defaulted)],
    );
    await sendAndWait(world.loans.connect(world.lender).enforce(loanId));
    expect(await world.receipts.ownerOf(receiptId)).toBe(world.lender.address);
  });

  it('LTV reaching the default level (85%) defaults at once: USD 7,400/t gives 85.14%', async () => {
    const { loanId } = await world.copperLoan();
    await world.setPrice(usdPerTonne(7420)); // 6.3m / 7.42m = 84.91%: a call, not yet a default
    await poke(loanId);
    expect(await world.loanState(loanId)).toBe(LoanState.MarginCall);
    await world.setPrice(usdPerTonne(7400));
    const receipt = await poke(loanId);
    expect(eventArgs(receipt, 'LoanDefaulted')).toEqual([
      loanId,
      DefaultReason.DefaultLtvReached,
      8514n,
    ]);
  });
});

describe('scenario 4: partial repayment and release', () => {
  it('repaying 30% ($1.89m) allows releasing 300 t (LTV stays 70%) but not 301 t', async () => {
    const { loanId, target, receiptId } = await world.copperLoan();
    await sendAndWait(world.loans.connect(world.borrower).repay(loanId, 1_890_000n * USD));
    expect((await world.loans.getLoan(loanId)).debt).toBe(4_410_000n * USD);
    await expectRevert(
      world.loans.connect(world.borrower).requestRelease(loanId, 301n * TONNE),
      'LoanLtvAboveMax',
      [loanId, ltvBps(4_410_000n * USD, 699n * TONNE, usdPerTonne(9000)), 7000n],
    );
    await sendAndWait(world.loans.connect(world.borrower).requestRelease(loanId, 300n * TONNE));
    await sendAndWait(world.loans.connect(world.warehouse).markShipped(1n));
    await world.attest(target, { quantityGrams: 700n * TONNE, releaseOrderId: 1n }); // the next attestation
    await sendAndWait(world.loans.finalizeRelease(1n));
    expect(await world.receipts.quantityGramsOf(receiptId)).toBe(700n * TONNE);
    const [valueUnits, ltv] = await world.loans.health(loanId);
    expect([valueUnits, ltv]).toEqual([6_300_000n * USD, 7000n]);
    expect((await poke(loanId)).logs).toHaveLength(0); // healthy, nothing to do
  });

  it('a drop without a release order is a breach: 40 t gone, custody shortfall, loan frozen', async () => {
    const { loanId, target } = await world.copperLoan();
    await world.attest(target, { quantityGrams: 960n * TONNE });
    const receipt = await poke(loanId);
    expect(eventArgs(receipt, 'CustodyBreachRecorded')[1]).toBe(BreachCause.Shortfall);
    await expectRevert(
      world.loans.connect(world.borrower).requestRelease(loanId, TONNE),
      'LoanFrozen',
      [loanId, eventArgs(receipt, 'CustodyBreachRecorded')[3]],
    );
  });
});

describe('scenario 6: double pledge', () => {
  it('a lot pledged to bank A is rejected under a new receipt id for bank B: the lot key is live', async () => {
    const { target, receiptId } = await world.copperLoan(); // bank A = lender
    await expectRevert(
      world.receipts
        .connect(world.warehouse)
        .issue(world.borrowerB.address, receiptParams(target, 1000n * TONNE)),
      'ReceiptLotKeyLive',
      [target.key, receiptId],
    );
    // the same lot under another lot id in the same bay: the bay is occupied
    const relabelled = lot('B-07', 'LOT-1-BIS');
    await world.attest(relabelled, { quantityGrams: 1000n * TONNE });
    await expectRevert(
      world.receipts
        .connect(world.warehouse)
        .issue(world.borrowerB.address, receiptParams(relabelled, 1000n * TONNE)),
      'ReceiptBayOccupied',
      [target.warehouseId, target.bayId, receiptId],
    );
    // and bank B cannot lend against the receipt bank A holds a lien on
    await expectRevert(
      world.loans.connect(world.lenderB).open(receiptId, world.borrower.address, {
        principal: USD,
        maxLtvBps: 5000,
        marginCallLtvBps: 6000,
        defaultLtvBps: 7000,
        curePeriodSeconds: 86_400,
      }),
      'LoanReceiptEncumbered',
      [receiptId, world.contracts.deployment.contracts.inventoryLoan],
    );
  });
});

describe('test helpers', () => {
  it('expectRevert fails when the call succeeds or reverts with another error', async () => {
    await expect(expectRevert(Promise.resolve(1), 'LoanUnknown')).rejects.toThrow();
    await expect(expectRevert(world.loans.poke(7n), 'LoanWrongState')).rejects.toThrow();
    await expect(expectRevert(world.loans.poke(7n), 'LoanUnknown', [8n])).rejects.toThrow();
  });
});

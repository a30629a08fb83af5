import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendAndWait } from '../src/chain.js';
import { CustodyFlag } from '../src/eip712.js';
import { ROLES } from '../src/roles.js';
import {
  DEFAULT_TERMS,
  TONNE,
  WAREHOUSE_ID,
  createWorld,
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

const bay7 = lot('B-07', 'LOT-1');
const issue = (target = bay7, quantityGrams = 1000n * TONNE) =>
  world.receipts
    .connect(world.warehouse)
    .issue(world.borrower.address, receiptParams(target, quantityGrams));

describe('issuing receipts against custody', () => {
  it('issues a receipt keyed to the physical lot and records it in the lot and bay registries', async () => {
    const receiptId = await world.issueReceipt(bay7, 1000n * TONNE);
    expect(await world.receipts.ownerOf(receiptId)).toBe(world.borrower.address);
    expect(await world.receipts.lotKeyOf(receiptId)).toBe(bay7.key);
    expect(await world.receipts.receiptOfLot(bay7.key)).toBe(receiptId);
    expect(await world.receipts.quantityGramsOf(receiptId)).toBe(1000n * TONNE);
  });

  it('a lot key already backing a live receipt cannot back another (ReceiptLotKeyLive)', async () => {
    const receiptId = await world.issueReceipt(bay7, 1000n * TONNE);
    await expectRevert(issue(), 'ReceiptLotKeyLive', [bay7.key, receiptId]);
  });

  it('a bay holds one pledged lot: a second lot in the same bay is rejected (ReceiptBayOccupied)', async () => {
    const receiptId = await world.issueReceipt(bay7, 1000n * TONNE);
    const sameBay = lot('B-07', 'LOT-2');
    await world.attest(sameBay, { quantityGrams: 10n * TONNE });
    await expectRevert(issue(sameBay, 10n * TONNE), 'ReceiptBayOccupied', [
      WAREHOUSE_ID,
      sameBay.bayId,
      receiptId,
    ]);
  });

  it('a receipt cannot exceed the attested quantity (ReceiptExceedsAttested, Qingdao over-issuance)', async () => {
    await world.attest(bay7, { quantityGrams: 100n * TONNE });
    await expectRevert(issue(bay7, 300n * TONNE), 'ReceiptExceedsAttested', [
      bay7.key,
      300n * TONNE,
      100n * TONNE,
    ]);
  });

  it('a lot never attested cannot get a receipt (ReceiptNoCustody)', async () => {
    await expectRevert(issue(), 'ReceiptNoCustody', [bay7.key]);
  });

  it('a stale attestation cannot back a receipt (ReceiptCustodyStale)', async () => {
    const a = await world.attest(bay7, { quantityGrams: 1000n * TONNE, validForSeconds: 600 });
    await world.increaseTime(601);
    await expectRevert(issue(), 'ReceiptCustodyStale', [bay7.key, a.validUntil]);
  });

  it('a flagged attestation cannot back a receipt (ReceiptCustodyFlagged)', async () => {
    await world.attest(bay7, { quantityGrams: 1000n * TONNE, flags: CustodyFlag.tamper });
    await expectRevert(issue(), 'ReceiptCustodyFlagged', [bay7.key, BigInt(CustodyFlag.tamper)]);
  });

  it('a zero quantity is rejected (ReceiptZeroQuantity)', async () => {
    await expectRevert(issue(bay7, 0n), 'ReceiptZeroQuantity', []);
  });

  it('only a warehouse operator issues (AccessControlUnauthorizedAccount)', async () => {
    await world.attest(bay7, { quantityGrams: 1000n * TONNE });
    await expectRevert(
      world.receipts
        .connect(world.outsider)
        .issue(world.outsider.address, receiptParams(bay7, TONNE)),
      'AccessControlUnauthorizedAccount',
      [world.outsider.address, ROLES.warehouseOperator],
    );
  });

  it('increaseQuantity adds goods only up to the fresh attested quantity', async () => {
    const receiptId = await world.issueReceipt(bay7, 800n * TONNE);
    await world.attest(bay7, { quantityGrams: 1000n * TONNE });
    await expectRevert(
      world.receipts.connect(world.warehouse).increaseQuantity(receiptId, 201n * TONNE),
      'ReceiptExceedsAttested',
      [bay7.key, 1001n * TONNE, 1000n * TONNE],
    );
    await sendAndWait(
      world.receipts.connect(world.warehouse).increaseQuantity(receiptId, 200n * TONNE),
    );
    expect(await world.receipts.quantityGramsOf(receiptId)).toBe(1000n * TONNE);
  });
});

describe('liens and delivery', () => {
  async function pledged(): Promise<bigint> {
    await world.setPrice(usdPerTonne(9000));
    const receiptId = await world.issueReceipt(bay7, 1000n * TONNE);
    await world.openLoan(receiptId, DEFAULT_TERMS);
    return receiptId;
  }

  it('a receipt under lien cannot be transferred (ReceiptUnderLien)', async () => {
    const receiptId = await pledged();
    const loanAddress = world.contracts.deployment.contracts.inventoryLoan;
    await expectRevert(
      world.receipts
        .connect(world.borrower)
        .transferFrom(world.borrower.address, world.outsider.address, receiptId),
      'ReceiptUnderLien',
      [receiptId, loanAddress],
    );
  });

  it('a receipt under lien cannot be delivered (ReceiptUnderLien)', async () => {
    const receiptId = await pledged();
    await expectRevert(
      world.receipts.connect(world.borrower).deliver(receiptId),
      'ReceiptUnderLien',
      [receiptId, world.contracts.deployment.contracts.inventoryLoan],
    );
  });

  it('only the lien holder lifts, enforces or reduces (ReceiptNotLienHolder)', async () => {
    const receiptId = await pledged();
    // the admin may grant itself LIEN_MANAGER, but still does not hold this lien
    await expectRevert(world.receipts.liftLien(receiptId), 'ReceiptNotLienHolder', [
      receiptId,
      world.admin.address,
    ]);
    await expectRevert(
      world.receipts.enforceLien(receiptId, world.admin.address),
      'ReceiptNotLienHolder',
      [receiptId, world.admin.address],
    );
    await expectRevert(world.receipts.reduceQuantity(receiptId, 1n), 'ReceiptNotLienHolder', [
      receiptId,
      world.admin.address,
    ]);
  });

  it('lifting a lien that does not exist is rejected (ReceiptNoLien)', async () => {
    const receiptId = await world.issueReceipt(bay7, 1000n * TONNE);
    await expectRevert(world.receipts.liftLien(receiptId), 'ReceiptNoLien', [receiptId]);
  });

  it('a lien manager cannot place a second lien (ReceiptUnderLien)', async () => {
    const receiptId = await pledged();
    await sendAndWait(world.receipts.grantRole(ROLES.lienManager, world.admin.address));
    await expectRevert(world.receipts.placeLien(receiptId, 99n), 'ReceiptUnderLien', [
      receiptId,
      world.contracts.deployment.contracts.inventoryLoan,
    ]);
  });

  it('reducing by the whole quantity or more is rejected (ReceiptReduceExceedsQuantity)', async () => {
    const receiptId = await world.issueReceipt(bay7, 10n * TONNE);
    await sendAndWait(world.receipts.grantRole(ROLES.lienManager, world.admin.address));
    await sendAndWait(world.receipts.placeLien(receiptId, 1n));
    await expectRevert(
      world.receipts.reduceQuantity(receiptId, 10n * TONNE),
      'ReceiptReduceExceedsQuantity',
      [receiptId, 10n * TONNE, 10n * TONNE],
    );
  });

  it('only the owner or an approved account delivers (ReceiptNotOwnerOrApproved)', async () => {
    const receiptId = await world.issueReceipt(bay7, 1000n * TONNE);
    await expectRevert(
      world.receipts.connect(world.outsider).deliver(receiptId),
      'ReceiptNotOwnerOrApproved',
      [receiptId, world.outsider.address],
    );
  });

  it('delivery burns the receipt and frees the lot key and the bay for a new receipt', async () => {
    const receiptId = await world.issueReceipt(bay7, 1000n * TONNE);
    await sendAndWait(world.receipts.connect(world.borrower).deliver(receiptId));
    expect(await world.receipts.receiptOfLot(bay7.key)).toBe(0n);
    await expectRevert(
      world.receipts.connect(world.borrower).deliver(receiptId),
      'ReceiptUnknown',
      [receiptId],
    );
    const again = await world.issueReceipt(bay7, 500n * TONNE);
    expect(again).toBe(receiptId + 1n);
  });
});

describe('PriceFeed (AggregatorV3Interface)', () => {
  it('reports posted rounds like a Chainlink feed', async () => {
    await world.setPrice(usdPerTonne(9000));
    await world.setPrice(usdPerTonne(7920));
    const [roundId, answer, startedAt, updatedAt, answeredInRound] =
      await world.feed.latestRoundData();
    expect([roundId, answer, answeredInRound]).toEqual([2n, usdPerTonne(7920), 2n]);
    expect(startedAt).toBe(updatedAt);
    expect((await world.feed.getRoundData(1n))[1]).toBe(usdPerTonne(9000));
    expect(await world.feed.decimals()).toBe(8n);
    expect(await world.feed.description()).toBe('Copper cathode USD/t');
  });

  it('an empty feed and an unknown round revert (PriceFeedNoData, PriceFeedUnknownRound)', async () => {
    await expectRevert(world.feed.latestRoundData(), 'PriceFeedNoData', []);
    await expectRevert(world.feed.getRoundData(5n), 'PriceFeedUnknownRound', [5n]);
  });

  it('only a price reporter posts (AccessControlUnauthorizedAccount)', async () => {
    await expectRevert(
      world.feed.connect(world.outsider).submit(1n),
      'AccessControlUnauthorizedAccount',
      [world.outsider.address, ROLES.priceReporter],
    );
  });
});

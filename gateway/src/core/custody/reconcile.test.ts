import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconcileReceipts } from './reconcile.js';

const TONNE = 1_000_000n;

describe('reconcileReceipts', () => {
  it('receipts for more than the sensed goods raise over-receipted (Qingdao 2014: 300,000 t on paper, 100,000 t in store)', () => {
    const result = reconcileReceipts(
      [
        { receiptId: 'R-A', quantityGrams: 100_000n * TONNE },
        { receiptId: 'R-B', quantityGrams: 100_000n * TONNE },
        { receiptId: 'R-C', quantityGrams: 100_000n * TONNE },
      ],
      100_000n * TONNE,
      50,
    );
    expect(result).toMatchObject({
      ok: false,
      kind: 'over-receipted',
      receiptedGrams: 300_000n * TONNE,
      excessGrams: 200_000n * TONNE,
    });
  });

  it('an excess within the tolerance is not an alert, one beyond it is', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        (sensedGrams, receiptedGrams) => {
          const result = reconcileReceipts(
            [{ receiptId: 'R', quantityGrams: receiptedGrams }],
            sensedGrams,
            50,
          );
          // The tolerance is 50 bps of the sensed quantity, rounded down to whole grams.
          const over = receiptedGrams - sensedGrams > (sensedGrams * 50n) / 10_000n;
          return result.ok === !over;
        },
      ),
    );
    expect(reconcileReceipts([], 0n, 50).ok).toBe(true);
  });
});

// Reconciliation of warehouse receipts against the goods (DOMAIN.md, the Qingdao 2014 fraud):
// live receipts on a lot must not claim more than the sensors see there. An excess beyond the
// tolerance raises an `over-receipted` alert at once, independent of the attestation schedule.

export interface LiveReceipt {
  readonly receiptId: string;
  /** [g] */
  readonly quantityGrams: bigint;
}

export type Reconciliation =
  | { readonly ok: true; readonly receiptedGrams: bigint }
  | {
      readonly ok: false;
      readonly kind: 'over-receipted';
      readonly receiptedGrams: bigint;
      readonly sensedGrams: bigint;
      readonly excessGrams: bigint;
      readonly detail: string;
    };

/** Receipts exceed the sensed quantity by more than `toleranceBps` of the sensed quantity? */
export function reconcileReceipts(
  receipts: readonly LiveReceipt[],
  sensedGrams: bigint,
  toleranceBps: number,
): Reconciliation {
  const receiptedGrams = receipts.reduce((sum, r) => sum + r.quantityGrams, 0n);
  const excessGrams = receiptedGrams - sensedGrams;
  const toleranceGrams = (sensedGrams * BigInt(toleranceBps)) / 10_000n;
  if (excessGrams <= toleranceGrams) return { ok: true, receiptedGrams };
  return {
    ok: false,
    kind: 'over-receipted',
    receiptedGrams,
    sensedGrams,
    excessGrams,
    detail: `${receipts.length} live receipt(s) claim ${receiptedGrams} g, sensors see ${sensedGrams} g (${excessGrams} g over, tolerance ${toleranceBps} bps)`,
  };
}

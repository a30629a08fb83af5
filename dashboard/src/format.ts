// Display formatting for the bank dashboard: integer domain values, exact decimal output.

/** 7950n -> "79.50 %". */
export function formatBps(valueBps: bigint): string {
  const sign = valueBps < 0n ? '-' : '';
  const magnitude = valueBps < 0n ? -valueBps : valueBps;
  return `${sign}${magnitude / 100n}.${(magnitude % 100n).toString().padStart(2, '0')} %`;
}

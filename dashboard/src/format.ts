// Display formatting for the bank dashboard: integer domain values, exact decimal output.

/** 7950n -> "79.50 %". */
export function formatBps(valueBps: bigint): string {
  const sign = valueBps < 0n ? '-' : '';
  const magnitude = valueBps < 0n ? -valueBps : valueBps;
  return `${sign}${magnitude / 100n}.${(magnitude % 100n).toString().padStart(2, '0')} %`;
}

const GRAMS_PER_TONNE = 1_000_000n;

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 1000250000n -> "1,000.25 t" (two decimals, truncated). */
export function formatTonnes(grams: bigint): string {
  const sign = grams < 0n ? '-' : '';
  const magnitude = grams < 0n ? -grams : grams;
  const hundredths = (magnitude * 100n) / GRAMS_PER_TONNE;
  return `${sign}${group((hundredths / 100n).toString())}.${(hundredths % 100n).toString().padStart(2, '0')} t`;
}

/** Settlement-token units (6 decimals) -> "$6,300,000.00". */
export function formatUsd(units: bigint, decimals = 6): string {
  const sign = units < 0n ? '-' : '';
  const magnitude = units < 0n ? -units : units;
  const cents = (magnitude * 100n) / 10n ** BigInt(decimals);
  return `${sign}$${group((cents / 100n).toString())}.${(cents % 100n).toString().padStart(2, '0')}`;
}

/** 93784 -> "1d 02h 03m 04s"; negative -> "overdue". */
export function formatCountdown(seconds: number): string {
  if (seconds < 0) return 'overdue';
  const s = Math.floor(seconds);
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const two = (n: number) => n.toString().padStart(2, '0');
  return `${days > 0 ? `${days}d ` : ''}${two(hours)}h ${two(minutes)}m ${two(rest)}s`;
}

/** Shortens 0x-hex for tables: 0x1234…abcd. */
export function shortHex(hex: string, keep = 6): string {
  return hex.length <= 2 + keep * 2 ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-keep)}`;
}

// Warehouse-time offsets in scenario files: "90s", "1h30m", "25h", "2d", "500ms", or "0".

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Milliseconds of a duration string, or undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const match = DURATION.exec(text);
  if (match === null || text.length === 0) return undefined;
  const [, d = '0', h = '0', m = '0', s = '0', ms = '0'] = match;
  const total =
    (((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(ms);
  return Number.isSafeInteger(total) ? total : undefined;
}

export function formatDurationMs(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${h}h${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s`;
}

// The live progress line on stderr: devices online, readings/s, queued. Rewritten in place on a
// terminal; one line every 5 s otherwise (logs, CI).

import type { LinkCounters } from '../adapters/mqtt-link.js';

export function startProgress(
  fleet: { readonly counters: LinkCounters; readonly signed: number },
  devices: number,
  stream: NodeJS.WriteStream,
): { stop(): void } {
  const tty = stream.isTTY === true;
  let lastSigned = fleet.signed;
  let lastMs = Date.now();
  let ticks = 0;
  const timer = setInterval(() => {
    const nowMs = Date.now();
    const rate = ((fleet.signed - lastSigned) * 1000) / Math.max(1, nowMs - lastMs);
    lastSigned = fleet.signed;
    lastMs = nowMs;
    const c = fleet.counters;
    const line = `online ${c.online}/${devices} | ${rate.toFixed(0)} readings/s | queued ${c.queued} | signed ${fleet.signed} | acked ${c.acked}`;
    if (tty) stream.write(`\r\x1b[2K${line}`);
    else if (ticks++ % 5 === 0) stream.write(`${line}\n`);
  }, 1000);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      if (tty) stream.write('\n');
    },
  };
}

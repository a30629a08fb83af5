// Send order of one device across an outage, as a gateway sees it: a gateway's replay check keeps
// a high-water mark per device, so one message whose seq overtakes spooled readings turns the
// whole backfill into PG_REPLAYED (DOMAIN.md 5). Real firmware drains its queue in order.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSign1, parseDeviceTopic } from '@pledgeguard/protocol';
import { Fleet } from '../app/fleet.js';
import { bootIdentities } from '../app/identities.js';
import { startAedes, type ReceivedMessage } from '../testing/brokers.js';
import { provisionTemp, smallScenario } from '../testing/fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** (kind of topic, seq) of a device's signed messages in arrival order, redeliveries dropped. */
function arrivals(received: readonly ReceivedMessage[], deviceId: string) {
  const seen = new Set<string>();
  const out: { topic: 'reading' | 'birth'; boot: number; seq: number }[] = [];
  for (const message of received) {
    const topic = parseDeviceTopic(message.topic);
    if (topic?.deviceId !== deviceId || topic.kind === 'death') continue;
    const hex = Buffer.from(message.payload).toString('hex');
    if (seen.has(hex)) continue; // QoS 1 may deliver the same bytes twice: harmless
    seen.add(hex);
    const decoded = decodeSign1(new Uint8Array(message.payload));
    if (!decoded.ok) throw new Error(decoded.detail);
    out.push({
      topic: topic.kind,
      boot: decoded.value.reading.boot,
      seq: decoded.value.reading.seq,
    });
  }
  return out;
}

describe('DeviceLink send order across an outage (store-and-forward)', () => {
  it('the birth of a reconnect never overtakes spooled readings: seq strictly increases in arrival order', async () => {
    const scenario = smallScenario();
    const { dir, manifest } = provisionTemp(scenario);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const received: ReceivedMessage[] = [];
    const broker = await startAedes({ manifest, onPublish: (m) => received.push(m) });
    cleanups.push(() => broker.close());
    const fleet = new Fleet({
      scenario,
      identities: bootIdentities(scenario, dir),
      brokerUrl: broker.url,
      spoolDir: dir,
      backoff: { initialMs: 50, maxMs: 200 },
      // Slow enough that the backlog is still draining while the device keeps measuring.
      replayRatePerS: 20,
    });
    cleanups.push(() => fleet.stop());
    void fleet.start();
    const lc = fleet.links[fleet.engine.device('lc-1')!.index]!;
    await until(() => fleet.counters.online === 3 && fleet.counters.acked > 10, 15_000, 'online');

    lc.setNetwork(false);
    await until(() => fleet.counters.queued >= 15, 10_000, 'spooled readings');
    lc.setNetwork(true);
    const births = () => received.filter((m) => m.topic.endsWith('/lc-1/birth')).length;
    await until(() => births() === 2 && fleet.counters.queued === 0, 20_000, 'backfill and birth');
    await new Promise((r) => setTimeout(r, 300)); // a few live readings after the backfill
    await fleet.stop();

    const order = arrivals(received, 'lc-1');
    const bootOf = order[0]!.boot;
    expect(order.every((m) => m.boot === bootOf)).toBe(true);
    const seqs = order.map((m) => m.seq);
    // Strictly increasing and contiguous: what a gateway's high-water mark accepts, without a gap.
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    // The reconnect's birth came after every spooled reading and before later live ones.
    const secondBirth = order.filter((m) => m.topic === 'birth')[1]!;
    expect(order.at(-1)!.seq).toBeGreaterThan(secondBirth.seq);
  }, 60_000);
});

// The custody model against the simulator's scenarios (firmware-sim/scenarios/*.yaml): the
// simulated bay physics drive a LotModel through an emulation of the ingest verdicts, the
// attestation policy runs every simulated second, and the flags the attestations carried and the
// final quantity must meet each scenario's `expect`. Fast and pure (no signatures, no broker): the
// end-to-end suite runs the same scenarios through the real gateway and chain.
//
// Verdict emulation (what the ingest pipeline decides, PROTOCOL.md section 4): a reading whose
// device clock is over a minute ahead is refused PG_CLOCK_SKEW; a skipped seq is a gap; a device
// whose link is down spools and backfills in order when it returns; an attacker's replay of
// captured readings is refused PG_REPLAYED; forged readings fail their signature (no custody event).
import { join } from 'node:path';
import {
  KINDS_OF_TYPE,
  ScenarioEngine,
  loadScenarioFile,
  type EngineOutput,
  type Scenario,
} from '@pledgeguard/firmware-sim';
import type { Reading } from '@pledgeguard/protocol';
import { describe, expect, it } from 'vitest';
import { LotModel } from '../core/custody/lot-model.js';
import { attestationDue, attestationTiming } from '../core/custody/policy.js';
import { flagNames, type CustodyFlagName, type ReadingRef } from '../core/custody/types.js';
import { attestPolicyOf, custodyConfigSchema, lotPolicyOf } from './custody-config.js';

const SCENARIOS = join(import.meta.dirname, '../../../firmware-sim/scenarios');
const START_MS = Date.UTC(2026, 10, 20);
const MAX_AHEAD_MS = 60_000;

const FLAG_OF: Record<string, CustodyFlagName> = {
  tamper: 'tamper',
  offline: 'offline',
  'evidence-gap': 'evidenceGap',
  'unexplained-drop': 'unexplainedDrop',
  'sensor-disagreement': 'sensorDisagreement',
  'quality-excursion': 'qualityExcursion',
  'replay-attempt': 'replayAttempt',
  'clock-skew': 'clockSkew',
};

interface Run {
  /** Union of the flags every attestation carried. */
  attestedFlags: number;
  attestations: number;
  finalQuantityGrams: bigint;
  confirmedOrders: bigint[];
}

function runScenario(scenario: Scenario): Run {
  const config = custodyConfigSchema.parse({});
  const policy = attestPolicyOf(config);
  const lot = scenario.lots[0]!;
  const model = new LotModel(
    {
      lotId: lot.lotId,
      bayId: lot.bayId,
      commodity: lot.commodity,
      unitWeightGrams: BigInt(lot.unitWeightGrams),
      devices: scenario.devices
        .filter((d) => d.bayId === lot.bayId)
        .map((d) => ({
          deviceId: d.deviceId,
          kinds: KINDS_OF_TYPE[d.type],
          heartbeatMs: d.heartbeat,
        })),
      policy: lotPolicyOf(config, lot.lotId),
    },
    START_MS,
  );
  const engine = new ScenarioEngine(scenario, { startTimeMs: START_MS, bootOf: () => 1 });
  const marks = new Map<string, number>();
  const spools = new Map<string, Reading[]>();
  const run: Run = {
    attestedFlags: 0,
    attestations: 0,
    finalQuantityGrams: 0n,
    confirmedOrders: [],
  };
  let nowMs = START_MS;

  const deliver = (reading: Reading) => {
    if (reading.deviceTimeMs - nowMs > MAX_AHEAD_MS) {
      model.observe({
        type: 'rejection',
        deviceId: reading.deviceId,
        code: 'PG_CLOCK_SKEW',
        detail: `${reading.deviceTimeMs - nowMs} ms ahead`,
        atMs: nowMs,
      });
      marks.set(reading.deviceId, reading.seq); // authentic: the mark moves
      return;
    }
    const mark = marks.get(reading.deviceId);
    marks.set(reading.deviceId, reading.seq);
    const ref: ReadingRef = {
      deviceId: reading.deviceId,
      boot: reading.boot,
      seq: reading.seq,
      kind: reading.kind,
      value: reading.value,
      deviceTimeMs: reading.deviceTimeMs,
      receivedAtMs: nowMs,
      envelope: new TextEncoder().encode(`${reading.deviceId}/${reading.boot}/${reading.seq}`),
      gap: mark !== undefined && reading.seq > mark + 1,
    };
    model.observe({ type: 'reading', reading: ref });
  };

  const handle = (output: EngineOutput) => {
    const deviceId = output.device.spec.deviceId;
    switch (output.type) {
      case 'reading': {
        if (output.suppressed) return;
        const spool = spools.get(deviceId);
        if (spool) spool.push(output.reading);
        else deliver(output.reading);
        return;
      }
      case 'replay':
        model.observe({
          type: 'rejection',
          deviceId,
          code: 'PG_REPLAYED',
          detail: 'a captured reading replayed',
          atMs: nowMs,
        });
        return;
      case 'forged':
        return;
      case 'link':
        if (!output.up) spools.set(deviceId, []);
        else {
          const spool = spools.get(deviceId) ?? [];
          spools.delete(deviceId);
          for (const reading of spool) deliver(reading);
        }
        return;
    }
  };

  const releases = scenario.actions.flatMap((a) => (a.type === 'release-order' ? [a] : []));
  for (let offsetMs = 0; offsetMs <= scenario.duration; offsetMs += 1_000) {
    nowMs = START_MS + offsetMs;
    engine.advanceTo(offsetMs, handle);
    for (const [index, release] of releases.entries()) {
      if (release.at !== offsetMs) continue;
      // The loan orders the release against the attested quantity; the warehouse ships it.
      const update = {
        orderId: BigInt(index + 1),
        grams: BigInt(release.quantityGrams),
        quantityBeforeGrams: model.lastAttested!.quantityGrams,
      };
      model.observe({ type: 'release-order', update: { ...update, status: 'ordered' } });
      model.observe({ type: 'release-order', update: { ...update, status: 'shipped' } });
    }
    const status = model.status(nowMs);
    if (!attestationDue(status, model.lastAttested, nowMs, policy).due) continue;
    const timing = attestationTiming(nowMs, model.lastAttested, policy);
    model.markAttested({
      revision: status.revision,
      sequence: timing.sequence,
      observedAtMs: nowMs,
      quantityGrams: status.quantityGrams,
      flags: status.flags,
      ...(status.releaseOrderId !== undefined ? { releaseOrderId: status.releaseOrderId } : {}),
    });
    run.attestations++;
    run.attestedFlags |= status.flags;
    if (status.releaseOrderId !== undefined) run.confirmedOrders.push(status.releaseOrderId);
  }
  run.finalQuantityGrams = model.status(nowMs).quantityGrams;
  return run;
}

const NAMES = [
  'steady-state',
  'night-removal-replay',
  'load-cell-bias',
  'device-offline-backfill',
  'partial-release',
  'temperature-excursion',
  'clock-skew',
  'forged-signature',
];

describe('custody model on the simulator scenarios', () => {
  for (const name of NAMES) {
    it(`${name}: the attested flags and the final quantity meet the scenario's expectations`, () => {
      const scenario = loadScenarioFile(join(SCENARIOS, `${name}.yaml`));
      const run = runScenario(scenario);
      const attested = flagNames(run.attestedFlags);
      const expectFlags = scenario.expect.flags;
      for (const flag of expectFlags?.present ?? []) expect(attested).toContain(FLAG_OF[flag]);
      for (const flag of expectFlags?.absent ?? []) expect(attested).not.toContain(FLAG_OF[flag]);
      const quantity = scenario.expect.lotQuantity;
      if (quantity) {
        const error = run.finalQuantityGrams - BigInt(quantity.grams);
        expect(error < 0n ? -error : error).toBeLessThanOrEqual(BigInt(quantity.toleranceGrams));
      }
      if (name === 'partial-release') expect(run.confirmedOrders).toEqual([1n]);
      if (name === 'steady-state') expect(run.attestedFlags).toBe(0);
      // Heartbeat attestations at least every minute, and not a storm.
      const hours = scenario.duration / 3_600_000;
      expect(run.attestations).toBeGreaterThanOrEqual(hours * 60);
      expect(run.attestations).toBeLessThan(hours * 60 * 1.5);
    });
  }
});

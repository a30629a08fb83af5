// Scenario files (YAML): a seeded warehouse story. Devices and bay events drive the simulator;
// `actions` are the non-device steps (prices, receipts, releases, repayments, revocations) the
// end-to-end harness performs on chain; `expect` states what the system must conclude. Validated
// with zod so a typo fails with the path of the bad field, before anything runs.

import { z } from 'zod';
import { ID_PATTERN } from '@pledgeguard/protocol';
import { parseDurationMs } from './duration.js';
import { DEVICE_TYPES } from './sensors.js';

const id = z.string().regex(ID_PATTERN, `must match ${ID_PATTERN}`);
const duration = z
  .string()
  .refine(
    (text) => parseDurationMs(text) !== undefined,
    'must be a duration such as "90s", "1h30m", "25h"',
  )
  .transform((text) => parseDurationMs(text)!);
const gramsString = z
  .string()
  .regex(/^\d{1,16}$/, 'must be an integer number of grams in a string');
const microUsdString = z.string().regex(/^\d{1,24}$/, 'must be an integer amount in a string');
const bps = z.number().int().min(0).max(10_000);
const window = { from: duration, to: duration };

export const CUSTODY_FLAGS = [
  'tamper',
  'offline',
  'evidence-gap',
  'unexplained-drop',
  'sensor-disagreement',
  'quality-excursion',
  'replay-attempt',
  'clock-skew',
] as const;

// The states of IInventoryLoan.LoanState (contracts/solidity/interfaces/IInventoryLoan.sol).
export const LOAN_STATES = [
  'None',
  'Active',
  'MarginCall',
  'Defaulted',
  'Enforced',
  'Closed',
] as const;

const lot = z.strictObject({
  lotId: id,
  bayId: id,
  commodity: z.string().min(1),
  /** Pallets in the bay at the start, each `unitWeightGrams`. */
  pallets: z.number().int().min(0).max(1_000_000),
  unitWeightGrams: gramsString,
  /** Quality limits for perishables (optional). */
  maxTemperatureMilliC: z.number().int().optional(),
  maxHumidityPerMille: z.number().int().min(0).max(1000).optional(),
  maxExcursionMs: duration.optional(),
});

const device = z.strictObject({
  deviceId: id.refine((value) => value !== 'gateway', '"gateway" is reserved'),
  type: z.enum(DEVICE_TYPES),
  bayId: id,
  lotId: id.optional(),
  alg: z.enum(['EdDSA', 'ES256', 'ES256K']).default('EdDSA'),
  /** Measurement period [warehouse ms]. */
  period: duration.default(60_000),
  /** Heartbeat period [warehouse ms] (DOMAIN.md: 60 s). */
  heartbeat: duration.default(60_000),
  noiseGrams: z.number().min(0).optional(),
  driftGramsPerHour: z.number().optional(),
});

/** Things that happen in the warehouse or to a device (the simulator performs these). */
const event = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('remove-pallets'),
    bayId: id,
    count: z.number().int().min(1),
    ...window,
    door: z.boolean().default(true),
  }),
  z.strictObject({
    type: z.literal('add-pallets'),
    bayId: id,
    count: z.number().int().min(1),
    ...window,
    door: z.boolean().default(true),
  }),
  z.strictObject({ type: z.literal('door-open'), bayId: id, ...window }),
  z.strictObject({ type: z.literal('junction-box-open'), bayId: id, ...window }),
  z.strictObject({
    type: z.literal('load-cell-bias'),
    deviceId: id,
    biasGrams: z.string().regex(/^-?\d{1,16}$/),
    from: duration,
  }),
  z.strictObject({
    type: z.literal('temperature-excursion'),
    bayId: id,
    deltaMilliC: z.number().int(),
    ...window,
  }),
  z.strictObject({
    type: z.literal('humidity-excursion'),
    bayId: id,
    deltaPerMille: z.number().int(),
    ...window,
  }),
  /** The device's network link is down: readings spool on disk and backfill on reconnect. */
  z.strictObject({ type: z.literal('offline'), deviceId: id, ...window }),
  /** The device clock runs `offsetMs` off from `from` on. */
  z.strictObject({
    type: z.literal('clock-skew'),
    deviceId: id,
    offsetMs: z.number().int(),
    from: duration,
  }),
  /** An attacker injects readings for the device signed with a key that is not the device's. */
  z.strictObject({
    type: z.literal('forge-signature'),
    deviceId: id,
    ...window,
    every: duration.default(60_000),
  }),
  /**
   * The device is cut off and old signed readings it sent in [capturedFrom, capturedTo) are
   * replayed byte for byte on its topic during [from, to).
   */
  z.strictObject({
    type: z.literal('replay'),
    deviceId: id,
    ...window,
    capturedFrom: duration,
    capturedTo: duration,
  }),
]);

/** Non-device steps for the end-to-end harness (on chain or at the gateway's operator API). */
const action = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('set-price'),
    id: id.optional(),
    at: duration,
    priceMicroUsdPerTonne: microUsdString,
  }),
  z.strictObject({
    type: z.literal('mint-receipt'),
    id: id.optional(),
    at: duration,
    lotId: id,
    receiptId: id,
    holder: id,
    quantityGrams: gramsString,
  }),
  z.strictObject({
    type: z.literal('open-loan'),
    id: id.optional(),
    at: duration,
    receiptId: id,
    lender: id,
    principalMicroUsd: microUsdString,
    maxLtvBps: bps,
    marginCallLtvBps: bps,
    defaultLtvBps: bps,
    cure: duration,
  }),
  z.strictObject({
    type: z.literal('repay'),
    id: id.optional(),
    at: duration,
    receiptId: id,
    amountMicroUsd: microUsdString,
  }),
  z.strictObject({
    type: z.literal('release-order'),
    id: id.optional(),
    at: duration,
    receiptId: id,
    quantityGrams: gramsString,
  }),
  z.strictObject({
    type: z.literal('revoke-device'),
    id: id.optional(),
    at: duration,
    deviceId: id,
  }),
]);

const expectation = z.strictObject({
  verdicts: z
    .array(
      z.strictObject({
        code: z.string().regex(/^PG_[A-Z0-9_]+$/),
        deviceId: id.optional(),
        atLeast: z.number().int().min(1).default(1),
      }),
    )
    .default([]),
  noVerdicts: z.array(z.string().regex(/^PG_[A-Z0-9_]+$/)).default([]),
  flags: z
    .strictObject({
      present: z.array(z.enum(CUSTODY_FLAGS)).default([]),
      absent: z.array(z.enum(CUSTODY_FLAGS)).default([]),
    })
    .default({ present: [], absent: [] }),
  /** A chain action (by id) that must revert, with the custom error name it must revert with. */
  rejectedActions: z.array(z.strictObject({ actionId: id, error: z.string().min(1) })).default([]),
  /** Backfilled readings must arrive with contiguous seq (no evidence gap) for these devices. */
  contiguousDevices: z.array(id).default([]),
  loan: z
    .strictObject({ receiptId: id, state: z.enum(LOAN_STATES), frozen: z.boolean().optional() })
    .optional(),
  /** Quantity the last attestation must show for a lot, within a tolerance [g]. */
  lotQuantity: z
    .strictObject({ lotId: id, grams: gramsString, toleranceGrams: gramsString })
    .optional(),
});

export const scenarioSchema = z
  .strictObject({
    name: id,
    description: z.string().min(1),
    /** Seed of every device's noise stream: the same seed replays the same readings. */
    seed: z.number().int().min(0).max(0xffffffff),
    warehouseId: id,
    /** Warehouse-time length of the story. */
    duration,
    /** Warehouse ms per wall ms: 1440 runs 48 h in 2 min. */
    timeScale: z.number().min(1).max(100_000),
    /** Warehouse clock at offset 0 [ISO 8601]; default: the wall clock when the run starts. */
    startTime: z.iso.datetime({ offset: true }).optional(),
    lots: z.array(lot).min(1),
    devices: z.array(device).min(1),
    events: z.array(event).default([]),
    actions: z.array(action).default([]),
    expect: expectation,
  })
  .superRefine((scenario, ctx) => {
    const bays = new Set(scenario.lots.map((l) => l.bayId));
    const lots = new Set(scenario.lots.map((l) => l.lotId));
    const devices = new Set<string>();
    scenario.devices.forEach((d, i) => {
      if (devices.has(d.deviceId))
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'deviceId'],
          message: `duplicate device ${d.deviceId}`,
        });
      devices.add(d.deviceId);
      if (!bays.has(d.bayId))
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'bayId'],
          message: `no lot in bay ${d.bayId}`,
        });
      if (d.lotId !== undefined && !lots.has(d.lotId))
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'lotId'],
          message: `no lot ${d.lotId}`,
        });
    });
    scenario.events.forEach((e, i) => {
      if ('bayId' in e && !bays.has(e.bayId))
        ctx.addIssue({
          code: 'custom',
          path: ['events', i, 'bayId'],
          message: `no lot in bay ${e.bayId}`,
        });
      if ('deviceId' in e && !devices.has(e.deviceId))
        ctx.addIssue({
          code: 'custom',
          path: ['events', i, 'deviceId'],
          message: `no device ${e.deviceId}`,
        });
      if ('to' in e && e.to <= e.from)
        ctx.addIssue({ code: 'custom', path: ['events', i, 'to'], message: 'must be after from' });
      const end = 'to' in e ? e.to : e.from;
      if (end > scenario.duration)
        ctx.addIssue({
          code: 'custom',
          path: ['events', i],
          message: 'ends after the scenario duration',
        });
    });
    const actionIds = new Set(scenario.actions.flatMap((a) => (a.id === undefined ? [] : [a.id])));
    scenario.expect.rejectedActions.forEach((r, i) => {
      if (!actionIds.has(r.actionId))
        ctx.addIssue({
          code: 'custom',
          path: ['expect', 'rejectedActions', i, 'actionId'],
          message: `no action with id ${r.actionId}`,
        });
    });
    scenario.actions.forEach((a, i) => {
      if (a.type === 'revoke-device' && !devices.has(a.deviceId))
        ctx.addIssue({
          code: 'custom',
          path: ['actions', i, 'deviceId'],
          message: `no device ${a.deviceId}`,
        });
    });
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioEvent = Scenario['events'][number];
export type ScenarioAction = Scenario['actions'][number];
export type ScenarioDevice = Scenario['devices'][number];
export type ScenarioLot = Scenario['lots'][number];

export type ScenarioResult = { ok: true; scenario: Scenario } | { ok: false; error: string };

/** Validates a parsed scenario; the error lists every bad field with its path. */
export function parseScenario(value: unknown): ScenarioResult {
  const result = scenarioSchema.safeParse(value);
  if (result.success) return { ok: true, scenario: result.data };
  return { ok: false, error: z.prettifyError(result.error) };
}

// Gas guard: every operation in contracts/gas-snapshot.json must stay within +10% of it, and the
// issue's bars hold. After an intended change, refresh the snapshot in the same commit:
//   npm run bench:gas -- --write-snapshot
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { GAS_SNAPSHOT_PATH, measureGas, type GasReport } from '../../bench/gas.js';

const TOLERANCE = 1.1;
let measured: GasReport;
let snapshot: GasReport;

beforeAll(async () => {
  snapshot = JSON.parse(await readFile(GAS_SNAPSHOT_PATH, 'utf8')) as GasReport;
  measured = await measureGas();
}, 120_000);

describe('gas snapshot', () => {
  it('measures exactly the operations the snapshot lists', () => {
    expect(Object.keys(measured).sort()).toEqual(Object.keys(snapshot).sort());
  });

  it('no operation grows more than 10% over contracts/gas-snapshot.json', () => {
    const grown = Object.entries(snapshot)
      .filter(([operation, gas]) => (measured[operation] ?? Infinity) > gas * TOLERANCE)
      .map(([operation, gas]) => `${operation}: ${measured[operation]} > ${gas} + 10%`);
    expect(grown, 'run npm run bench:gas -- --write-snapshot if the growth is intended').toEqual(
      [],
    );
  });

  it('a steady-state 2-of-3 attestation costs at most 90,000 gas', () => {
    expect(measured.attest_2of3_gas).toBeLessThanOrEqual(90_000);
  });

  it('each lot of a 50-lot batch costs at most 35,000 gas', () => {
    expect(measured.batch50_per_receipt_gas).toBeLessThanOrEqual(35_000);
  });
});

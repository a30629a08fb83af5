// Scenario actions against a real anvil with every contract deployed. The custody attestations
// the receipts need are signed here by a test gateway key: this file tests the actions, not the
// gateway (test/e2e runs the real gateway).
import { fileURLToPath } from 'node:url';
import { HDNodeWallet, Wallet, ZeroHash, type JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilHandle } from '@pledgeguard/contracts/anvil';
import { connect, sendAndWait } from '@pledgeguard/contracts/chain';
import { deployPledgeGuard, type Deployed } from '@pledgeguard/contracts/deploy';
import { custodyDomain, label, signAttestation } from '@pledgeguard/contracts/eip712';
import { loadScenarioFile } from '../adapters/scenario-file.js';
import type { Scenario } from '../core/scenario-schema.js';
import {
  anvilParties,
  ChainActions,
  commodityLabel,
  fundParties,
  microUsdToUnits,
  partyRoles,
  type ChainParties,
} from './chain-actions.js';

const WAREHOUSE = 7n;
const scenarioPath = (name: string) =>
  fileURLToPath(new URL(`../../scenarios/${name}.yaml`, import.meta.url));

let anvil: AnvilHandle;
let provider: JsonRpcProvider;
let parties: ChainParties;
let deployed: Deployed;
let gateway: HDNodeWallet;
let snapshot = '';
let sequence = 0n;

beforeAll(async () => {
  anvil = await startAnvil();
  provider = connect(anvil.rpcUrl, anvil.chainId);
  parties = anvilParties(provider);
  gateway = HDNodeWallet.fromPhrase(Wallet.createRandom().mnemonic!.phrase);
  deployed = await deployPledgeGuard(parties.admin, {
    ...(await partyRoles(parties)),
    commodities: [
      { name: 'COPPER', description: 'Copper USD/t', decimals: 8, heartbeatSeconds: 26 * 3600 },
    ],
    gatewaySets: [{ warehouseId: WAREHOUSE, gateways: [gateway.address], threshold: 1 }],
  });
  await fundParties(deployed, parties);
});
afterAll(async () => anvil?.stop());
beforeEach(async () => {
  snapshot = (await provider.send('evm_snapshot', [])) as string;
});
afterEach(async () => {
  await provider.send('evm_revert', [snapshot]);
});

/** What a gateway would attest for LOT-7 in bay B-07 now. */
async function attest(quantityGrams: bigint, releaseOrderId = 0n): Promise<void> {
  const now = BigInt((await provider.getBlock('latest'))!.timestamp);
  sequence += 1n;
  const attestation = {
    warehouseId: WAREHOUSE,
    bayId: label('B-07'),
    lotId: label('LOT-7'),
    sequence,
    quantityGrams,
    flags: 0,
    readingsRoot: ZeroHash.replace(/00$/, '01'),
    observedAt: now,
    validUntil: now + 7200n,
    releaseOrderId,
  };
  const domain = custodyDomain(BigInt(anvil.chainId), deployed.deployment.contracts.custodyOracle);
  const signatures = await signAttestation([gateway], domain, attestation);
  await sendAndWait(deployed.custodyOracle.connect(parties.admin).attest(attestation, signatures));
}

function actionsFor(scenario: Scenario, revoked: string[] = []): ChainActions {
  return new ChainActions({
    scenario,
    deployed,
    parties,
    warehouseNumber: WAREHOUSE,
    revokeDevice: (deviceId) => void revoked.push(deviceId),
    custodyWaitMs: 300,
    confirmWaitMs: 10_000,
  });
}

describe('chain actions (anvil)', () => {
  it('units: micro-USD map to token units and feed answers by decimals; commodities name feeds', () => {
    expect(microUsdToUnits(6_300_000_000_000n, 6)).toBe(6_300_000_000_000n);
    expect(microUsdToUnits(9_000_000_000n, 8)).toBe(900_000_000_000n);
    expect(microUsdToUnits(1_500_000n, 2)).toBe(150n);
    expect(commodityLabel('copper cathode')).toBe('COPPER');
    expect(commodityLabel('cocoa beans')).toBe('COCOA');
  });

  it('double pledge: the second mint on a live lot key is recorded as ReceiptLotKeyLive; bank A keeps a drawn loan', async () => {
    const scenario = loadScenarioFile(scenarioPath('double-pledge'));
    await attest(1_000_000_000n);
    const actions = actionsFor(scenario);
    await actions.run(() => Number.POSITIVE_INFINITY);

    expect(actions.outcomes.map((o) => [o.key, o.ok])).toEqual([
      ['#0', true],
      ['mint-a', true],
      ['#2', true],
      ['mint-b', false],
    ]);
    const rejected = actions.outcome('mint-b');
    expect(rejected?.ok === false && rejected.error).toBe('ReceiptLotKeyLive');
    const loan = await deployed.inventoryLoan.getLoan(actions.loanIds.get('R-A-7')!);
    expect(loan.state).toBe(1n); // Active
    expect(loan.debt).toBe(6_300_000_000_000n);
    const answer = (await deployed.priceFeeds.COPPER!.latestRoundData()).answer;
    expect(answer).toBe(900_000_000_000n); // USD 9,000/t with 8 decimals
  });

  it('a mint without a fresh attestation of the lot is rejected by the chain (ReceiptNoCustody), and later actions on it fail with a reason', async () => {
    const scenario = loadScenarioFile(scenarioPath('double-pledge'));
    const actions = actionsFor(scenario);
    await actions.run(() => Number.POSITIVE_INFINITY);
    const mint = actions.outcome('mint-a');
    expect(mint?.ok === false && mint.error).toBe('ReceiptNoCustody');
    const open = actions.outcome('#2');
    expect(open?.ok === false && open.message).toMatch(/receipt R-A-7 was not minted/);
  });

  it('partial release: repay 30%, order 200 t, ship after the pallets leave, finalize on the confirming attestation', async () => {
    const scenario = loadScenarioFile(scenarioPath('partial-release'));
    await attest(1_000_000_000n);
    const actions = actionsFor(scenario);
    let offsetMs = 0;
    const running = actions.run(() => offsetMs);
    offsetMs = 9 * 3_600_000; // through the order at 9h, not yet the shipment at 14h
    const until = async (condition: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => actions.orderIds.has('release-200t'));
    await new Promise((r) => setTimeout(r, 100));
    expect(actions.outcome('release-200t/shipped')).toBeUndefined();
    const orderId = actions.orderIds.get('release-200t')!;
    expect((await deployed.inventoryLoan.getReleaseOrder(orderId)).state).toBe(1n); // Ordered

    offsetMs = 14 * 3_600_000;
    await until(() => actions.outcome('release-200t/shipped') !== undefined);
    await attest(800_000_000n, orderId);
    await running;

    expect(actions.outcomes.every((o) => o.ok)).toBe(true);
    expect(actions.outcomes.map((o) => o.key)).toEqual([
      '#0',
      'mint-a',
      '#2',
      '#3',
      'release-200t',
      'release-200t/shipped',
      'release-200t/finalized',
    ]);
    const loan = await deployed.inventoryLoan.getLoan(actions.loanIds.get('R-A-7')!);
    expect(loan.debt).toBe(6_300_000_000_000n - 1_890_000_000_000n);
    expect(await deployed.warehouseReceipt.quantityGramsOf(loan.receiptId)).toBe(800_000_000n);
  });

  it('revoke-device calls the operator callback with the device, at its time', async () => {
    const scenario = loadScenarioFile(scenarioPath('revoked-key'));
    const revoked: string[] = [];
    const actions = actionsFor(scenario, revoked);
    const outcome = await actions.execute(scenario.actions[3]!, 3);
    expect(outcome).toMatchObject({ key: 'revoke-door', ok: true, atMs: 4 * 3_600_000 });
    expect(revoked).toEqual(['door-b07-1']);
  });
});

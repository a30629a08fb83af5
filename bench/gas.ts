// Gas benchmark (npm run bench:gas): deploys PledgeGuard on a fresh anvil and measures the gas of
// the loan operations and of steady-state custody updates (an existing lot's next attestation)
// with 1-of-1, 2-of-3 and 3-of-5 gateway signatures, and a 50-lot batch (2-of-3 each).
// The last line printed is one JSON object. `--write-snapshot` also rewrites
// contracts/gas-snapshot.json, which contracts/test/gas.test.ts holds the code to (+10%).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HDNodeWallet, Wallet, ZeroHash, type JsonRpcProvider } from 'ethers';
import { startAnvil } from '../contracts/src/anvil.js';
import { anvilAccount, connect, sendAndWait } from '../contracts/src/chain.js';
import { deployPledgeGuard } from '../contracts/src/deploy.js';
import {
  custodyDomain,
  label,
  signAttestation,
  type Attestation,
} from '../contracts/src/eip712.js';

export type GasReport = Record<string, number>;

const TONNE = 1_000_000n;
const USD = 1_000_000n;
const BATCH_LOTS = 50;

function randomWallets(count: number): HDNodeWallet[] {
  return Array.from({ length: count }, () =>
    HDNodeWallet.fromPhrase(Wallet.createRandom().mnemonic!.phrase),
  );
}

async function latestTimestamp(provider: JsonRpcProvider): Promise<bigint> {
  return BigInt((await provider.getBlock('latest'))!.timestamp);
}

/** Runs every measurement on its own anvil and returns gas used per operation. */
export async function measureGas(): Promise<GasReport> {
  const anvil = await startAnvil();
  try {
    const provider = connect(anvil.rpcUrl, anvil.chainId);
    const [admin, lender, borrower, warehouse, keeper] = [0, 1, 2, 3, 4].map((i) =>
      anvilAccount(provider, i),
    ) as [HDNodeWallet, HDNodeWallet, HDNodeWallet, HDNodeWallet, HDNodeWallet];
    const signerSets = {
      '1of1': randomWallets(1),
      '2of3': randomWallets(3),
      '3of5': randomWallets(5),
    };
    const thresholds = { '1of1': 1, '2of3': 2, '3of5': 3 };
    const warehouseIds = { '1of1': 1n, '2of3': 2n, '3of5': 3n };
    const deployed = await deployPledgeGuard(admin, {
      lenders: [lender.address],
      borrowers: [borrower.address],
      warehouseOperators: [warehouse.address],
      priceReporters: [admin.address],
      gatewaySets: (['1of1', '2of3', '3of5'] as const).map((set) => ({
        warehouseId: warehouseIds[set],
        gateways: signerSets[set].map((w) => w.address),
        threshold: thresholds[set],
      })),
      commodities: [
        {
          name: 'COPPER',
          description: 'Copper USD/t',
          decimals: 8,
          heartbeatSeconds: 26 * 3600,
          initialPrice: 9000n * 10n ** 8n,
        },
      ],
    });
    const { custodyOracle, inventoryLoan, warehouseReceipt, settlementToken } = deployed;
    const domain = custodyDomain(BigInt(anvil.chainId), await custodyOracle.getAddress());
    const sequences = new Map<string, bigint>();

    const attestation = async (
      warehouseId: bigint,
      bay: string,
      quantityGrams: bigint,
    ): Promise<Attestation> => {
      const key = `${warehouseId}/${bay}`;
      const sequence = (sequences.get(key) ?? 0n) + 1n;
      sequences.set(key, sequence);
      const now = await latestTimestamp(provider);
      return {
        warehouseId,
        bayId: label(bay),
        lotId: label(`LOT-${bay}`),
        sequence,
        quantityGrams,
        flags: 0,
        readingsRoot: ZeroHash.replace(/0$/, String(sequence % 10n)),
        observedAt: now,
        validUntil: now + 7200n,
        releaseOrderId: 0n,
      };
    };
    const signers = (set: keyof typeof signerSets) => signerSets[set].slice(0, thresholds[set]);
    const attestGas = async (set: keyof typeof signerSets, bay: string): Promise<number> => {
      const a = await attestation(warehouseIds[set], bay, 1000n * TONNE);
      const signatures = await signAttestation(signers(set), domain, a);
      const receipt = await sendAndWait(custodyOracle.connect(keeper).attest(a, signatures));
      return Number(receipt.gasUsed);
    };

    const report: GasReport = {};
    for (const set of ['1of1', '2of3', '3of5'] as const) {
      report[`attest_${set}_first_gas`] = await attestGas(set, 'B-01');
      report[`attest_${set}_gas`] = await attestGas(set, 'B-01'); // steady state: the lot exists
    }

    // 50-lot batch, 2-of-3: first creates the lots, the second is the steady-state update.
    const batch = async (): Promise<number> => {
      const attestations: Attestation[] = [];
      const signatureSets: string[] = [];
      for (let i = 0; i < BATCH_LOTS; i++) {
        const a = await attestation(warehouseIds['2of3'], `BATCH-${i}`, 500n * TONNE);
        attestations.push(a);
        signatureSets.push(await signAttestation(signers('2of3'), domain, a));
      }
      const receipt = await sendAndWait(
        custodyOracle.connect(keeper).attestBatch(attestations, signatureSets),
      );
      return Number(receipt.gasUsed);
    };
    report.batch50_first_gas = await batch();
    report.batch50_gas = await batch();
    report.batch50_per_receipt_gas = Math.round(report.batch50_gas / BATCH_LOTS);

    // Loan operations on the 2-of-3 warehouse: 1,000 t of copper at USD 9,000/t.
    await attestGas('2of3', 'B-07');
    const receiptTx = await sendAndWait(
      warehouseReceipt.connect(warehouse).issue(borrower.address, {
        warehouseId: warehouseIds['2of3'],
        quantityGrams: 1000n * TONNE,
        issuedAt: 0,
        bayId: label('B-07'),
        lotId: label('LOT-B-07'),
        commodity: label('COPPER'),
        quality: {
          minTemperatureMilliC: 0,
          maxTemperatureMilliC: 40_000,
          maxHumidityPermille: 800,
          maxExcursionSeconds: 900,
        },
      }),
    );
    report.issue_receipt_gas = Number(receiptTx.gasUsed);
    const loanAddress = await inventoryLoan.getAddress();
    for (const account of [lender, borrower]) {
      await sendAndWait(settlementToken.mint(account.address, 10_000_000n * USD));
      await sendAndWait(settlementToken.connect(account).approve(loanAddress, 2n ** 255n));
    }
    const terms = {
      principal: 6_300_000n * USD,
      maxLtvBps: 7000,
      marginCallLtvBps: 7500,
      defaultLtvBps: 8500,
      curePeriodSeconds: 48 * 3600,
    };
    report.open_gas = Number(
      (await sendAndWait(inventoryLoan.connect(lender).open(1n, borrower.address, terms))).gasUsed,
    );
    report.draw_gas = Number(
      (await sendAndWait(inventoryLoan.connect(borrower).draw(1n, 6_300_000n * USD))).gasUsed,
    );
    report.repay_gas = Number(
      (await sendAndWait(inventoryLoan.connect(borrower).repay(1n, 1_890_000n * USD))).gasUsed,
    );
    report.poke_gas = Number((await sendAndWait(inventoryLoan.connect(keeper).poke(1n))).gasUsed);
    report.request_release_gas = Number(
      (await sendAndWait(inventoryLoan.connect(borrower).requestRelease(1n, 300n * TONNE))).gasUsed,
    );
    return report;
  } finally {
    await anvil.stop();
  }
}

export const GAS_SNAPSHOT_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../contracts/gas-snapshot.json',
);

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = await measureGas();
  for (const [operation, gas] of Object.entries(report))
    console.log(`${operation.padEnd(28)} ${gas.toLocaleString('en-US')}`);
  if (process.argv.includes('--write-snapshot')) {
    await writeFile(GAS_SNAPSHOT_PATH, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), GAS_SNAPSHOT_PATH)}`);
  }
  console.log(
    JSON.stringify({
      attest_2of3_gas: report.attest_2of3_gas,
      batch50_per_receipt_gas: report.batch50_per_receipt_gas,
      ...report,
    }),
  );
}

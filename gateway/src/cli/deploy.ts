// `pledgeguard deploy --rpc <url> --key <hex|env:NAME>`: deploys the PledgeGuard contracts to any
// EVM chain (contracts/src/deploy.ts) and writes the deployment file the gateway, doctor and the
// bank's verifier read. Progress: the deployer's confirmed transactions, once a second.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, usageError } from './errors.js';
import type { Output } from './output.js';

const KEY_ENV_DEFAULT = 'PG_DEPLOYER_PRIVATE_KEY';

/** `--key`: 0x-hex, or `env:NAME` to read it from the environment (keeps it out of `ps`). */
export function resolveKey(text: string | undefined, env: NodeJS.ProcessEnv): string {
  const source = text ?? `env:${KEY_ENV_DEFAULT}`;
  const key = source.startsWith('env:') ? env[source.slice(4)] : source;
  if (key === undefined || key === '')
    throw usageError(`no deployer key: set ${source.slice(4)} or pass --key <hex>`);
  const hex = key.startsWith('0x') ? key : `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex))
    throw usageError('the deployer key must be 32 bytes of hex');
  return hex;
}

function addresses(list: string[] | undefined, what: string): string[] {
  for (const address of list ?? [])
    if (!/^0x[0-9a-fA-F]{40}$/.test(address))
      throw usageError(`${what}: ${address} is not an address`);
  return list ?? [];
}

export function registerDeploy(program: Command, out: Output): void {
  program
    .command('deploy')
    .description('deploy the PledgeGuard contracts to an EVM chain and write the deployment file')
    .requiredOption('--rpc <url>', 'JSON-RPC URL of the chain')
    .option(
      '--key <hex|env:NAME>',
      `deployer private key, or env:NAME to read it (default env:${KEY_ENV_DEFAULT})`,
    )
    .option('--out <file>', 'deployment file to write', 'deployment.json')
    .option('--warehouse-number <n>', 'warehouse id on chain (uint64) for the gateway set')
    .option('--gateway <address...>', 'gateway signer addresses of that warehouse')
    .option('--threshold <m>', 'signatures required of those gateways (m of n)', '1')
    .option('--lender <address...>', 'accounts granted the lender role')
    .option('--borrower <address...>', 'accounts granted the borrower role')
    .option('--operator <address...>', 'accounts granted the warehouse-operator role')
    .option('--price-reporter <address...>', 'accounts granted the price-reporter role')
    .option('--auditor <address...>', 'accounts granted the auditor role')
    .action(
      async (options: {
        rpc: string;
        key?: string;
        out: string;
        warehouseNumber?: string;
        gateway?: string[];
        threshold: string;
        lender?: string[];
        borrower?: string[];
        operator?: string[];
        priceReporter?: string[];
        auditor?: string[];
      }) => {
        const key = resolveKey(options.key, process.env);
        const gateways = addresses(options.gateway, '--gateway');
        if ((options.warehouseNumber === undefined) !== (gateways.length === 0))
          throw usageError('--warehouse-number and --gateway go together');
        const threshold = Number(options.threshold);
        if (
          !Number.isInteger(threshold) ||
          threshold < 1 ||
          (gateways.length > 0 && threshold > gateways.length)
        )
          throw usageError('--threshold must be between 1 and the number of gateways');
        const { Wallet } = await import('ethers');
        const { connect } = await import('@pledgeguard/contracts/chain');
        const { deployPledgeGuard, deploymentJson } = await import('@pledgeguard/contracts/deploy');
        const provider = connect(options.rpc);
        const admin = new Wallet(key, provider);
        let ticker: NodeJS.Timeout | undefined;
        try {
          const network = await provider.getNetwork().catch((error: Error) => {
            throw new CliError(`cannot reach ${options.rpc}: ${error.message}`);
          });
          const balance = await provider.getBalance(admin.address);
          out.progress(
            `deploying from ${admin.address} to chain ${network.chainId} (balance ${balance} wei)`,
          );
          if (balance === 0n)
            throw new CliError(`${admin.address} has no funds on chain ${network.chainId}`);
          const startNonce = await provider.getTransactionCount(admin.address);
          const startedMs = Date.now();
          ticker = setInterval(() => {
            provider.getTransactionCount(admin.address).then(
              (nonce) =>
                out.progress(
                  `${nonce - startNonce} transaction(s) confirmed, ${Math.round((Date.now() - startedMs) / 1_000)} s`,
                ),
              () => {},
            );
          }, 1_000);
          const { deployment } = await deployPledgeGuard(admin, {
            lenders: addresses(options.lender, '--lender'),
            borrowers: addresses(options.borrower, '--borrower'),
            warehouseOperators: addresses(options.operator, '--operator'),
            priceReporters: addresses(options.priceReporter, '--price-reporter'),
            auditors: addresses(options.auditor, '--auditor'),
            ...(gateways.length > 0
              ? {
                  gatewaySets: [
                    { warehouseId: BigInt(options.warehouseNumber!), gateways, threshold },
                  ],
                }
              : {}),
          });
          clearInterval(ticker);
          const file = resolve(options.out);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, deploymentJson(deployment));
          out.progress(
            `${(await provider.getTransactionCount(admin.address)) - startNonce} transactions in ${Math.round((Date.now() - startedMs) / 1_000)} s`,
          );
          for (const [name, address] of Object.entries(deployment.contracts))
            out.log(`${name}: ${typeof address === 'string' ? address : JSON.stringify(address)}`);
          out.log(`deployment file: ${file}`);
        } finally {
          clearInterval(ticker);
          provider.destroy();
        }
      },
    );
}

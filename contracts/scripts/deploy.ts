// Deploy CLI: deploys PledgeGuard to a JSON-RPC chain and writes the deployment file.
// Usage: node --import tsx contracts/scripts/deploy.ts --rpc-url <url> [--out <file>]
//        node --import tsx contracts/scripts/deploy.ts --anvil [--out <file>]   (starts a throwaway anvil)
// The deployer key comes from PG_DEPLOYER_PRIVATE_KEY; on a local anvil (chain 31337) it defaults
// to anvil's first dev account, which also receives every role so the chain is usable at once.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Wallet } from 'ethers';
import { startAnvil, type AnvilHandle } from '../src/anvil.js';
import { anvilAccount, connect } from '../src/chain.js';
import { deployPledgeGuard, deploymentJson } from '../src/deploy.js';

const { values } = parseArgs({
  options: {
    'rpc-url': { type: 'string' },
    anvil: { type: 'boolean', default: false },
    out: { type: 'string', default: '.cache/deployment.json' },
  },
});

let anvil: AnvilHandle | undefined;
let rpcUrl = values['rpc-url'];
if (values.anvil) {
  anvil = await startAnvil();
  rpcUrl = anvil.rpcUrl;
}
if (!rpcUrl) throw new RangeError('deploy: pass --rpc-url <url> or --anvil');

const provider = connect(rpcUrl);
const { chainId } = await provider.getNetwork();
const key = process.env.PG_DEPLOYER_PRIVATE_KEY;
if (!key && chainId !== 31337n)
  throw new RangeError('deploy: set PG_DEPLOYER_PRIVATE_KEY for a non-local chain');
const admin = key ? new Wallet(key, provider) : anvilAccount(provider, 0);
const local = chainId === 31337n ? [admin.address] : [];

const { deployment } = await deployPledgeGuard(admin, {
  lenders: local,
  borrowers: local,
  warehouseOperators: local,
  priceReporters: local,
  auditors: local,
});
const out = path.resolve(values.out);
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, deploymentJson(deployment));
console.log(
  `deployed to chain ${deployment.chainId} at block ${deployment.deployedAtBlock}: ${out}`,
);
console.log(JSON.stringify(deployment.contracts));
await anvil?.stop();

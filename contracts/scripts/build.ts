// Build: compiles contracts/solidity with the pinned npm solc (wasm, standard JSON, no network),
// resolving @openzeppelin imports from node_modules, then writes one artifact per contract to
// contracts/artifacts and TypeChain ethers-v6 bindings to contracts/types.
// Usage: node --import tsx contracts/scripts/build.ts [outRoot]   (default: contracts/)
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { glob, runTypeChain } from 'typechain';
import { SOLC_SETTINGS, SOLC_VERSION } from '../src/index.js';

const contractsRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const solidityRoot = path.join(contractsRoot, 'solidity');
const require = createRequire(import.meta.url);

interface SolcOutput {
  errors?: {
    severity: 'error' | 'warning' | 'info';
    formattedMessage: string;
    sourceLocation?: { file: string };
  }[];
  contracts: Record<
    string,
    Record<
      string,
      {
        abi: unknown[];
        evm: { bytecode: { object: string }; deployedBytecode: { object: string } };
      }
    >
  >;
}

/** One compiled contract as written to contracts/artifacts/<contractName>.json. */
export interface Artifact {
  contractName: string;
  sourceName: string;
  compiler: string;
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
}

async function listSolidity(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listSolidity(full);
      return entry.name.endsWith('.sol') ? [full] : [];
    }),
  );
  return nested.flat().sort();
}

/** Resolves `@openzeppelin/...` (and any other package import) from node_modules; nothing else. */
function findImport(importPath: string): { contents: string } | { error: string } {
  try {
    const resolved = require.resolve(importPath);
    return { contents: require('node:fs').readFileSync(resolved, 'utf8') as string };
  } catch (error) {
    return { error: `not found: ${importPath} (${String(error)})` };
  }
}

/** Compiles every contract under contracts/solidity; throws with solc's messages on any error. */
export async function compile(): Promise<Artifact[]> {
  const solc = require('solc') as {
    version(): string;
    compile(input: string, callbacks: { import: typeof findImport }): string;
  };
  if (!solc.version().startsWith(`${SOLC_VERSION}+`)) {
    throw new Error(`solc ${solc.version()} installed, ${SOLC_VERSION} pinned`);
  }
  const files = await listSolidity(solidityRoot);
  const sources: Record<string, { content: string }> = {};
  for (const file of files) {
    sources[path.relative(solidityRoot, file).split(path.sep).join('/')] = {
      content: await readFile(file, 'utf8'),
    };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      ...SOLC_SETTINGS,
      outputSelection: {
        '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
      },
    },
  };
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), { import: findImport }),
  ) as SolcOutput;
  // Our warnings fail the build; OpenZeppelin's (e.g. its transient-storage notice) do not.
  const problems = (output.errors ?? []).filter(
    (e) =>
      e.severity === 'error' ||
      (e.severity === 'warning' && !e.sourceLocation?.file.startsWith('@openzeppelin/')),
  );
  const errors = problems.filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  if (problems.length > 0)
    throw new Error(
      `warnings are errors here:\n${problems.map((e) => e.formattedMessage).join('\n')}`,
    );

  const artifacts: Artifact[] = [];
  for (const sourceName of Object.keys(sources)) {
    for (const [contractName, compiled] of Object.entries(output.contracts[sourceName] ?? {})) {
      if (compiled.abi.length === 0) continue; // internal-only libraries (Roles, LotKeys, ...)
      artifacts.push({
        contractName,
        sourceName,
        compiler: solc.version(),
        abi: compiled.abi,
        bytecode: `0x${compiled.evm.bytecode.object}`,
        deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
      });
    }
  }
  return artifacts.sort((a, b) => a.contractName.localeCompare(b.contractName));
}

/** Writes artifacts and TypeChain bindings under `outRoot` (artifacts/ and types/). */
export async function build(outRoot: string = contractsRoot): Promise<Artifact[]> {
  const artifacts = await compile();
  const artifactsDir = path.join(outRoot, 'artifacts');
  const typesDir = path.join(outRoot, 'types');
  await rm(artifactsDir, { recursive: true, force: true });
  await rm(typesDir, { recursive: true, force: true });
  await mkdir(artifactsDir, { recursive: true });
  for (const artifact of artifacts) {
    await writeFile(
      path.join(artifactsDir, `${artifact.contractName}.json`),
      `${JSON.stringify(artifact, null, 2)}\n`,
    );
  }
  const allFiles = glob(outRoot, [`${artifactsDir}/*.json`]);
  await runTypeChain({
    cwd: outRoot,
    filesToProcess: allFiles,
    allFiles,
    outDir: typesDir,
    // An absolute path: typechain resolves bare target names from `cwd`, which may be a temp dir.
    target: path.dirname(require.resolve('@typechain/ethers-v6/package.json')),
    flags: {
      node16Modules: true,
      alwaysGenerateOverloads: false,
      discriminateTypes: false,
      environment: undefined,
    },
  });
  return artifacts;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const artifacts = await build(process.argv[2] ? path.resolve(process.argv[2]) : contractsRoot);
  console.log(
    `built ${artifacts.length} contracts with solc ${SOLC_VERSION} in ${Date.now() - started} ms`,
  );
}

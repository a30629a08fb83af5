// `npm run build`: compiles the gateway and the workspace packages it imports to JavaScript in
// gateway/dist (tsconfig.build.json), so the shipped gateway runs on plain `node` without the
// TypeScript loader: `gateway/dist/pledgeguard-gateway --config gateway.yaml` (a launcher that runs
// node with the gateway's heap flags on gateway/dist/gateway/src/main.js).
//
// Layout: gateway/dist/<package>/… mirrors the repository. Each package gets a package.json whose
// exports point at the .js files, and gateway/dist/node_modules/@pledgeguard/<package> links to it,
// so `@pledgeguard/protocol` resolves to compiled code; everything else resolves, as in the
// repository, from the node_modules folders above.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'gateway/dist');
const packages = ['gateway', 'protocol', 'contracts'];
/**
 * V8 heap flags of the shipped gateway (see the launcher below). Readings in flight outlive young
 * collections, so the old generation fills with short-lived data: a bound keeps RSS near the live
 * heap, and a growing factor of 2 halves the full collections that bound would otherwise cause
 * (BENCHMARKS.md, bench:ingest).
 */
const GATEWAY_HEAP_FLAGS = [
  '--max-semi-space-size=8',
  '--max-old-space-size=160',
  '--heap-growing-percent=100',
];

rmSync(dist, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);

for (const name of packages) {
  const manifest = JSON.parse(readFileSync(join(root, name, 'package.json'), 'utf8')) as {
    exports?: Record<string, string>;
  };
  const exports = Object.fromEntries(
    Object.entries(manifest.exports ?? {}).map(([path, target]) => [
      path,
      target.replace(/\.ts$/, '.js'),
    ]),
  );
  writeFileSync(
    join(dist, name, 'package.json'),
    `${JSON.stringify({ ...manifest, exports }, null, 2)}\n`,
  );
  const link = join(dist, 'node_modules/@pledgeguard', name);
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(relative(dirname(link), join(dist, name)), link);
  // Dependencies npm placed in the package's own node_modules (version conflicts).
  try {
    readdirSync(join(root, name, 'node_modules'));
    symlinkSync(
      relative(join(dist, name), join(root, name, 'node_modules')),
      join(dist, name, 'node_modules'),
    );
  } catch {
    // none
  }
  copyAssets(join(root, name, 'src'), join(dist, name, 'src'));
}
// The launcher sets the heap for the gateway's load (BENCHMARKS.md, bench:ingest): without a bound,
// V8 lets garbage promoted by readings in flight grow the old generation far beyond the live heap.
const launcher = join(dist, 'pledgeguard-gateway');
writeFileSync(
  launcher,
  `#!/bin/sh
# The compiled gateway (npm run build) on plain node. GATEWAY_HEAP_FLAGS replaces the heap flags
# (empty: V8's defaults); GATEWAY_NODE_FLAGS adds Node flags (e.g. --cpu-prof).
default_heap_flags="${GATEWAY_HEAP_FLAGS.join(' ')}"
exec node \${GATEWAY_HEAP_FLAGS-$default_heap_flags} $GATEWAY_NODE_FLAGS "$(dirname "$0")/gateway/src/main.js" "$@"
`,
  { mode: 0o755 },
);
process.stderr.write(
  `built ${relative(root, dist)}; run ${relative(root, launcher)} --config <file>\n`,
);

/** Copies the JavaScript the compiler does not emit (worker modules written as .mjs). */
function copyAssets(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copyAssets(join(from, entry.name), join(to, entry.name));
    else if (entry.name.endsWith('.mjs'))
      copyFileSync(join(from, entry.name), join(to, entry.name));
  }
}

// Lint for every workspace, plus the architecture's boundary rule (STYLE.md rule 1):
// the gateway's pure core does no I/O, reads no environment and no clock, and imports no adapter.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Modules that perform I/O or reach the process: forbidden in gateway/src/core. */
const ioModules = [
  'fs',
  'fs/promises',
  'net',
  'tls',
  'dgram',
  'http',
  'https',
  'http2',
  'child_process',
  'worker_threads',
  'cluster',
  'process',
  'os',
];
/** Adapter technologies: the core talks to them only through ports. */
const adapterPackages = [
  'mqtt',
  'aedes',
  'node-opcua',
  'better-sqlite3',
  'influx',
  'fastify',
  'pino',
];

export const coreBoundaryRules = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        ...ioModules
          .flatMap((name) => [name, `node:${name}`])
          .map((name) => ({
            name,
            message: 'PG boundary: gateway/src/core is pure; do I/O in an adapter behind a port.',
          })),
        ...adapterPackages.map((name) => ({
          name,
          message: 'PG boundary: gateway/src/core must not use an adapter technology.',
        })),
      ],
      patterns: [
        {
          group: ['**/adapters', '**/adapters/**', '**/app', '**/app/**'],
          message: 'PG boundary: gateway/src/core must not import adapters or app wiring.',
        },
      ],
    },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'process', message: 'PG boundary: gateway/src/core must not read process or env.' },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'process', property: 'env', message: 'PG boundary: config is passed in, not read.' },
    { object: 'globalThis', property: 'process', message: 'PG boundary: no process in core.' },
    { object: 'Date', property: 'now', message: 'PG boundary: take time from a Clock port.' },
    {
      object: 'performance',
      property: 'now',
      message: 'PG boundary: take time from a Clock port.',
    },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: 'PG boundary: take time from a Clock port.',
    },
    {
      selector: 'ImportExpression',
      message: 'PG boundary: no dynamic imports in core.',
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.cache/**',
      'coverage/**',
      'test/fixtures/**',
      'contracts/artifacts/**',
      'contracts/types/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['gateway/src/core/**/*.ts'],
    rules: coreBoundaryRules,
  },
);

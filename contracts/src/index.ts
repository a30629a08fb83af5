// @pledgeguard/contracts: Solidity sources (contracts/solidity), their build, the local chain,
// deployment, and the EIP-712 attestation types the gateway signs.
// Browser code should import '@pledgeguard/contracts/eip712' alone (no Node built-ins there).

/** The pinned Solidity compiler (npm solc, wasm). */
export const SOLC_VERSION = '0.8.30';

/** Compiler settings every build uses (forge reads the same from contracts/forge/foundry.toml). */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 1000 },
  evmVersion: 'cancun',
} as const;

export * from './eip712.js';
export { ROLES } from './roles.js';

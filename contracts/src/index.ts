// @pledgeguard/contracts: Solidity sources (contracts/solidity), their build, the local chain,
// deployment, and the EIP-712 attestation types the gateway signs.

/** The pinned Solidity compiler (npm solc, wasm). */
export const SOLC_VERSION = '0.8.30';

/** Compiler settings every build uses (the forge wrapper passes its own input through). */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 1000 },
  evmVersion: 'cancun',
} as const;

// @pledgeguard/contracts: Solidity sources, build, local chain and deploy. Contracts land with their issue.

/** The pinned Solidity compiler (npm solc, wasm). */
export const SOLC_VERSION = '0.8.30';

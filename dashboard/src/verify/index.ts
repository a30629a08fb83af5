// "Verify this status": fetch the evidence, read the chain, check everything (evidence.ts).
export * from './hex.js';
export * from './merkle.js';
export * from './signature.js';
export * from './evidence.js';
export * from './chain.js';

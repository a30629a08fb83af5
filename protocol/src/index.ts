// @pledgeguard/protocol: the signed-reading wire format (PROTOCOL.md). Browser-safe; the
// node:crypto verifier and fast signer are in `@pledgeguard/protocol/node`.
export * from './codes.js';
export * from './bytes.js';
export * from './reading.js';
export * from './cose.js';
export * from './curves.js';
export * from './noble.js';
export * from './envelope.js';
export * from './topics.js';
export * from './manifest.js';
export { decodeStrict, encodeDeterministic } from './cbor.js';

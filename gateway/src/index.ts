// @pledgeguard/gateway: the edge gateway. Ingest and custody land with their issues; the pure core
// starts with the replay high-water mark.
export * from './core/replay.js';

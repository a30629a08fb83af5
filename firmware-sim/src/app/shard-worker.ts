// A worker thread running one shard of a ShardedFleet (shards.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { Fleet } from './fleet.js';
import type { ShardInit, ShardMessage } from './shards.js';

const init = workerData as ShardInit;
const port = parentPort!;
const post = (message: ShardMessage) => port.postMessage(message);
const fleet = new Fleet({
  ...init.options,
  scenario: init.scenario,
  identities: new Map(init.identities.map((i) => [i.deviceId, i])),
});
const report = setInterval(
  () => post({ type: 'counters', counters: { ...fleet.counters }, signed: fleet.signed }),
  250,
);

port.on('message', (message: { type: 'start'; waitOnlineMs: number } | { type: 'stop' }) => {
  if (message.type === 'start') {
    void fleet.start(message.waitOnlineMs).then(() => post({ type: 'started' }));
    void fleet.done.then(() => post({ type: 'done' }));
  } else {
    void fleet.stop().then(() => {
      clearInterval(report);
      post({ type: 'stopped', counters: { ...fleet.counters }, signed: fleet.signed });
      port.close();
    });
  }
});

// A submitter in its own process, for the kill -9 test (chain-kill9.test.ts): it opens the evidence
// log named in PG_CHILD (JSON), submits the outbox until killed, and prints "ready" once started.
import { pino } from 'pino';
import { EvidenceStore } from '../src/adapters/sqlite/evidence-store.js';
import { AttestationOutbox } from '../src/adapters/chain/outbox.js';
import { GatewayKey } from '../src/adapters/chain/gateway-key.js';
import { AttestationSubmitter } from '../src/adapters/chain/submitter.js';
import { chainProvider } from '../src/adapters/chain/rpc.js';
import { systemClock } from '../src/ports/clock.js';

interface ChildConfig {
  dbPath: string;
  rpcUrl: string;
  chainId: number;
  oracleAddress: string;
  warehouseNumber: string;
  keyHex: string;
  batchSize: number;
}

const config = JSON.parse(process.env.PG_CHILD ?? '{}') as ChildConfig;
const store = new EvidenceStore(config.dbPath, { synchronous: 'FULL' });
const provider = chainProvider(config.rpcUrl, config.chainId, { requestTimeoutMs: 2_000 });
const key = GatewayKey.fromHex(config.keyHex);
const submitter = new AttestationSubmitter({
  outbox: new AttestationOutbox(store.database, systemClock),
  provider,
  signer: key.signer(provider),
  chainId: config.chainId,
  oracleAddress: config.oracleAddress,
  warehouseNumber: BigInt(config.warehouseNumber),
  batchSize: config.batchSize,
  stuckAfterMs: 60_000,
  pollIntervalMs: 20,
  retryInitialMs: 20,
  retryMaxMs: 200,
  clock: systemClock,
  log: pino({ level: process.env.PG_TEST_LOG ?? 'warn' }).child({ component: 'chain-submitter' }),
});
submitter.start();
console.log('ready');

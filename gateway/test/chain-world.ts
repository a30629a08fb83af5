// Test world for the chain adapter: the contracts' test world (fresh anvil, everything deployed)
// with this gateway's key added to the warehouse's gateways (threshold 1), an evidence log in a temp dir,
// the outbox over it, and helpers to make drafts and read what landed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { custodyDomain, label, lotKey } from '@pledgeguard/contracts/eip712';
import { anvilAccount, sendAndWait } from '@pledgeguard/contracts/chain';
import { createWorld, WAREHOUSE_ID, type World } from '../../contracts/test/fixture.js';
import { EvidenceStore } from '../src/adapters/sqlite/evidence-store.js';
import {
  AttestationOutbox,
  toChainAttestation,
  type AttestationDraft,
} from '../src/adapters/chain/outbox.js';
import { GatewayKey } from '../src/adapters/chain/gateway-key.js';
import { AttestationSubmitter, type SubmitterOptions } from '../src/adapters/chain/submitter.js';
import { chainProvider } from '../src/adapters/chain/rpc.js';
import { systemClock } from '../src/ports/clock.js';

/** Anvil dev account index of the gateway's key (funded; unused by the contracts' world). */
export const GATEWAY_ACCOUNT = 12;

export interface ChainWorld {
  readonly world: World;
  readonly dir: string;
  readonly dbPath: string;
  readonly store: EvidenceStore;
  readonly outbox: AttestationOutbox;
  readonly key: GatewayKey;
  readonly keyHex: string;
  readonly log: Logger;
  /** A draft for lot `lotName` in bay `bay` with `sequence`, observed now on the chain clock. */
  draft(
    bay: string,
    lotName: string,
    sequence: bigint,
    quantityGrams?: bigint,
  ): Promise<AttestationDraft>;
  /** Enqueues a draft signed by the gateway key. */
  enqueue(draft: AttestationDraft): Promise<number>;
  /** A submitter on `rpcUrl` (default the anvil itself). */
  submitter(options?: Partial<SubmitterOptions> & { rpcUrl?: string }): AttestationSubmitter;
  /** Every CustodyAttested event: [lot key, sequence, tx hash]. */
  attested(): Promise<Array<{ lotKey: string; sequence: bigint; txHash: string }>>;
  /** Resolves when `predicate` holds, polling every 50 ms; fails after `timeoutMs`. */
  until(predicate: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function createChainWorld(): Promise<ChainWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-chain-'));
  const dbPath = join(dir, 'evidence.db');
  const keyHex = anvilAccount(connectOnly(), GATEWAY_ACCOUNT).privateKey;
  const key = GatewayKey.fromHex(keyHex);
  const world = await createWorld();
  // The world's three gateways and this one, any one enough: the world's helpers keep working.
  await sendAndWait(
    world.oracle.rotateGateways(
      WAREHOUSE_ID,
      [...world.gateways.slice(0, 3).map((gateway) => gateway.address), key.address],
      1,
    ),
  );
  const store = new EvidenceStore(dbPath, { synchronous: 'NORMAL' });
  const outbox = new AttestationOutbox(store.database, systemClock);
  const log = pino({ level: process.env.PG_TEST_LOG ?? 'silent' });
  const domain = custodyDomain(world.chainId, world.contracts.deployment.contracts.custodyOracle);
  const submitters: AttestationSubmitter[] = [];

  const chainWorld: ChainWorld = {
    world,
    dir,
    dbPath,
    store,
    outbox,
    key,
    keyHex,
    log,
    async draft(bay, lotName, sequence, quantityGrams = 1_000_000n) {
      const now = await world.now();
      return {
        warehouseId: 'wh-1',
        bayId: bay,
        lotId: lotName,
        lotKey: lotKey(WAREHOUSE_ID, label(bay), label(lotName)),
        sequence,
        quantityGrams,
        flags: 0,
        readingsRoot: `0x${'11'.repeat(32)}`,
        observedAtS: now,
        validUntilS: now + 7200n,
        releaseOrderId: 0n,
      };
    },
    async enqueue(draft) {
      const signature = await key.signAttestation(domain, toChainAttestation(draft, WAREHOUSE_ID));
      return outbox.enqueue(draft, [], { signer: key.address, signature }).id;
    },
    submitter(options = {}) {
      const provider = chainProvider(options.rpcUrl ?? world.anvil.rpcUrl, world.anvil.chainId, {
        requestTimeoutMs: 2_000,
      });
      const submitter = new AttestationSubmitter({
        outbox,
        provider,
        signer: key.signer(provider),
        chainId: world.anvil.chainId,
        oracleAddress: world.contracts.deployment.contracts.custodyOracle,
        warehouseNumber: WAREHOUSE_ID,
        pollIntervalMs: 50,
        retryInitialMs: 50,
        retryMaxMs: 500,
        clock: systemClock,
        log: log.child({ component: 'chain-submitter' }),
        ...options,
      });
      submitters.push(submitter);
      return submitter;
    },
    async attested() {
      const logs = await world.oracle.queryFilter(
        world.oracle.filters.CustodyAttested(),
        0,
        'latest',
      );
      return logs.map((entry) => ({
        lotKey: entry.args.lotKey.toLowerCase(),
        sequence: entry.args.sequence,
        txHash: entry.transactionHash.toLowerCase(),
      }));
    },
    async until(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await predicate())) {
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await Promise.all(submitters.map((submitter) => submitter.stop()));
      store.close();
      await world.anvil.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return chainWorld;
}

function connectOnly() {
  return chainProvider('http://127.0.0.1:1', 31337);
}

// Signature verification on a worker pool over all cores, fed in batches: one message to a worker
// carries up to `batchSize` signatures packed into one transferred ArrayBuffer, so neither the
// thread hop nor the cloning of per-signature objects is paid per signature.
import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { Alg } from '@pledgeguard/protocol';
import verifyBatch from './verify-worker.mjs';

export interface VerifyTask {
  readonly alg: Alg;
  /** Parsed public key (protocol/node publicKeyObject). */
  readonly key: KeyObject;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

export interface VerifierPoolOptions {
  /** Worker threads; 0 verifies on the calling thread (tests, tiny sites). Default: one per core. */
  readonly threads?: number;
  /** Signatures per worker message. */
  readonly batchSize?: number;
}

/** Called with the verdict of one signature, or with the error that stopped the pool. */
export type VerifyCallback = (error: Error | null, valid: boolean) => void;

const ALG_CODES: Record<Alg, number> = { EdDSA: 0, ES256: 1, ES256K: 2 };
/** alg u8, key id u32, key length u16, message length u32, signature length u16 */
const TASK_HEADER_BYTES = 13;

/** A key as the worker receives it: an id it caches the parsed key under, and SPKI DER bytes. */
interface WireKey {
  readonly id: number;
  readonly der: Uint8Array;
}

/**
 * Wire form per parsed key; a new KeyObject (registry reload, rotation) gets a new id. Ids are
 * unique in the process, because a pool without threads shares the worker module's key cache.
 */
const wireKeys = new WeakMap<KeyObject, WireKey>();
let nextKeyId = 1;

export class VerifierPool {
  readonly #piscina: Piscina | undefined;
  readonly #batchSize: number;
  #pending: VerifyTask[] = [];
  #callbacks: VerifyCallback[] = [];
  #flushScheduled = false;

  constructor(options: VerifierPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    this.#batchSize = options.batchSize ?? 64;
    this.#piscina =
      threads > 0
        ? new Piscina({
            filename: new URL('./verify-worker.mjs', import.meta.url).href,
            minThreads: threads,
            maxThreads: threads,
            // A few batches queued in each worker keep it busy while this thread is in a commit
            // (an fsync) and cannot hand out the next batch.
            concurrentTasksPerWorker: 4,
            // The worker is plain JavaScript: no loader flags, a small heap per thread.
            execArgv: [],
            // The pipeline bounds what is in flight (IngestOptions.maxInFlight); the pool never refuses.
            maxQueue: Infinity,
            recordTiming: false,
          })
        : undefined;
  }

  get threads(): number {
    return this.#piscina?.threads.length ?? 0;
  }

  verify(task: VerifyTask): Promise<boolean> {
    return new Promise((resolve, reject) =>
      this.submit(task, (error, valid) => (error ? reject(error) : resolve(valid))),
    );
  }

  /** As verify, with a callback instead of a promise (no allocation per signature on the hot path). */
  submit(task: VerifyTask, callback: VerifyCallback): void {
    this.#pending.push(task);
    this.#callbacks.push(callback);
    if (this.#pending.length >= this.#batchSize) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    const tasks = this.#pending;
    const callbacks = this.#callbacks;
    this.#pending = [];
    this.#callbacks = [];
    for (let from = 0; from < tasks.length; from += this.#batchSize) {
      const to = Math.min(tasks.length, from + this.#batchSize);
      const batch = this.#pack(tasks, from, to);
      const done = (results: Uint8Array) => {
        for (let i = from; i < to; i++) callbacks[i]!(null, results[i - from] === 1);
      };
      const fail = (error: Error) => {
        for (let i = from; i < to; i++) callbacks[i]!(error, false);
      };
      if (this.#piscina)
        (this.#piscina.run(batch, { transferList: [batch] }) as Promise<Uint8Array>).then(
          done,
          fail,
        );
      else {
        let results;
        try {
          results = verifyBatch(batch);
        } catch (error) {
          fail(error as Error);
          continue;
        }
        done(results);
      }
    }
  }

  /** Packs tasks[from, to) in the layout verify-worker.mjs reads. */
  #pack(tasks: readonly VerifyTask[], from: number, to: number): ArrayBuffer {
    let size = 4;
    const keys: WireKey[] = [];
    for (let i = from; i < to; i++) {
      const task = tasks[i]!;
      const key = this.#wireKey(task.key);
      keys.push(key);
      size += TASK_HEADER_BYTES + key.der.length + task.message.length + task.signature.length;
    }
    const buffer = new ArrayBuffer(size);
    const bytes = new Uint8Array(buffer);
    const view = new DataView(buffer);
    view.setUint32(0, to - from);
    let at = 4;
    for (let i = from; i < to; i++) {
      const task = tasks[i]!;
      const key = keys[i - from]!;
      bytes[at] = ALG_CODES[task.alg];
      view.setUint32(at + 1, key.id);
      view.setUint16(at + 5, key.der.length);
      view.setUint32(at + 7, task.message.length);
      view.setUint16(at + 11, task.signature.length);
      at += TASK_HEADER_BYTES;
      bytes.set(key.der, at);
      at += key.der.length;
      bytes.set(task.message, at);
      at += task.message.length;
      bytes.set(task.signature, at);
      at += task.signature.length;
    }
    return buffer;
  }

  #wireKey(key: KeyObject): WireKey {
    let wire = wireKeys.get(key);
    if (wire === undefined) {
      wire = { id: nextKeyId++, der: key.export({ format: 'der', type: 'spki' }) };
      wireKeys.set(key, wire);
    }
    return wire;
  }

  async close(): Promise<void> {
    await this.#piscina?.destroy();
  }
}

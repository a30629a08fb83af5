// Signature verification on a worker pool over all cores, fed in batches: one message to a worker
// carries up to `batchSize` signatures, so the per-message cost of a thread hop is shared.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import verifyBatch, { type VerifyTask } from './verify-worker.mjs';

export interface VerifierPoolOptions {
  /** Worker threads; 0 verifies on the calling thread (tests, tiny sites). Default: one per core. */
  readonly threads?: number;
  /** Signatures per worker message. */
  readonly batchSize?: number;
}

export class VerifierPool {
  readonly #piscina: Piscina | undefined;
  readonly #batchSize: number;
  #pending: Array<{
    task: VerifyTask;
    resolve: (ok: boolean) => void;
    reject: (error: Error) => void;
  }> = [];
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
            // The worker is plain JavaScript: no loader flags, a small heap per thread.
            execArgv: [],
            // The pipeline bounds what is in flight (IngestOptions.maxInFlight); the pool never refuses.
            maxQueue: Infinity,
          })
        : undefined;
  }

  get threads(): number {
    return this.#piscina?.threads.length ?? 0;
  }

  verify(task: VerifyTask): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ task, resolve, reject });
      if (this.#pending.length >= this.#batchSize) this.#flush();
      else if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#batchSize);
      const tasks = batch.map((entry) => entry.task);
      const run = this.#piscina
        ? (this.#piscina.run(tasks) as Promise<Uint8Array>)
        : Promise.resolve(verifyBatch(tasks));
      run.then(
        (results) => batch.forEach((entry, i) => entry.resolve(results[i] === 1)),
        (error: Error) => batch.forEach((entry) => entry.reject(error)),
      );
    }
  }

  async close(): Promise<void> {
    await this.#piscina?.destroy();
  }
}

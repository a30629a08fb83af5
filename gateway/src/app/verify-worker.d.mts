import type { KeyObject } from 'node:crypto';
import type { Alg } from '@pledgeguard/protocol';

export interface VerifyTask {
  readonly alg: Alg;
  /** Parsed public key (protocol/node publicKeyObject); KeyObjects cross to worker threads. */
  readonly key: KeyObject;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

export default function verifyBatch(tasks: readonly VerifyTask[]): Uint8Array;

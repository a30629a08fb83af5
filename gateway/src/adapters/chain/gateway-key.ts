// The gateway's chain key: signs EIP-712 custody attestations (contracts/src/eip712.ts) and pays for
// the transactions the submitter and keeper send. Loaded once from a key file (0x + 64 hex digits,
// mode 0600 advised) or an environment variable; the secret never leaves this module: the returned
// object exposes the address and signing only, and `toJSON`/inspection show the address alone.
import { readFileSync } from 'node:fs';
import { Wallet, type JsonRpcProvider, type TypedDataDomain } from 'ethers';
import { signAttestation, type Attestation } from '@pledgeguard/contracts/eip712';

export interface GatewayKeySource {
  /** Path of a file holding the private key as 0x-prefixed hex. */
  readonly keyFile?: string | undefined;
  /** Name of an environment variable holding the key; default PG_GATEWAY_CHAIN_KEY. */
  readonly keyEnv?: string | undefined;
}

/** Paths a pino logger must redact wherever a key could appear in a logged object. */
export const KEY_REDACT_PATHS = ['*.privateKey', '*.chainKey', 'privateKey', 'chainKey'];

export const DEFAULT_KEY_ENV = 'PG_GATEWAY_CHAIN_KEY';

const KEY_PATTERN = /^0x[0-9a-fA-F]{64}$/;

export class GatewayKey {
  readonly #wallet: Wallet;

  private constructor(wallet: Wallet) {
    this.#wallet = wallet;
  }

  /** From a key file when given, else from the environment variable. Throws naming the source. */
  static load(source: GatewayKeySource, env: NodeJS.ProcessEnv = process.env): GatewayKey {
    if (source.keyFile) {
      const text = readFileSync(source.keyFile, 'utf8').trim();
      return GatewayKey.fromHex(text, `key file ${source.keyFile}`);
    }
    const name = source.keyEnv ?? DEFAULT_KEY_ENV;
    const text = env[name]?.trim();
    if (!text) throw new RangeError(`chain key: neither a key file nor ${name} is set`);
    return GatewayKey.fromHex(text, `environment variable ${name}`);
  }

  /** From 0x-prefixed hex; `origin` names the source in the error (never the value). */
  static fromHex(hex: string, origin = 'key'): GatewayKey {
    if (!KEY_PATTERN.test(hex))
      throw new RangeError(`chain key: ${origin} must hold 0x followed by 64 hex digits`);
    return new GatewayKey(new Wallet(hex));
  }

  get address(): string {
    return this.#wallet.address;
  }

  /** An ethers signer on `provider` for sending transactions (kept inside the chain adapter). */
  signer(provider: JsonRpcProvider): Wallet {
    return this.#wallet.connect(provider);
  }

  /** This gateway's 65-byte r||s||v EIP-712 signature over `attestation`. */
  async signAttestation(domain: TypedDataDomain, attestation: Attestation): Promise<string> {
    return signAttestation([this.#wallet], domain, attestation);
  }

  toJSON(): { address: string } {
    return { address: this.address };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `GatewayKey(${this.address})`;
  }
}

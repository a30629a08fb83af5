import { describe, expect, it } from 'vitest';
import { pledgeGuardInterface } from '@pledgeguard/contracts/chain';
import { chainProvider, translateChainError } from './rpc.js';

describe('chain error translation', () => {
  it('a node that does not answer is PG_CHAIN_UNAVAILABLE, with the ethers error as cause', async () => {
    const provider = chainProvider('http://127.0.0.1:1', 31337, { requestTimeoutMs: 500 });
    const caught = await provider.getBlockNumber().catch((error: unknown) => error);
    const error = translateChainError(caught);
    expect(error.code).toBe('PG_CHAIN_UNAVAILABLE');
    expect(error.cause).toBe(caught);
    provider.destroy();
  });

  it('revert data anywhere in the error decodes to PG_CHAIN_REVERTED with the custom error', () => {
    const lotKey = `0x${'ab'.repeat(32)}`;
    const data = pledgeGuardInterface.encodeErrorResult('CustodySequenceNotIncreasing', [
      lotKey,
      5n,
      9n,
    ]);
    const error = translateChainError({ code: 'CALL_EXCEPTION', info: { error: { data } } });
    expect(error.code).toBe('PG_CHAIN_REVERTED');
    expect(error.revert).toEqual({ name: 'CustodySequenceNotIncreasing', args: [lotKey, 5n, 9n] });
    expect(error.message).toContain(`CustodySequenceNotIncreasing(${lotKey}, 5, 9)`);
  });

  it('nonce and replacement refusals are PG_CHAIN_NONCE; anything else PG_CHAIN_REJECTED', () => {
    expect(translateChainError(new Error('nonce too low: next nonce 5')).code).toBe(
      'PG_CHAIN_NONCE',
    );
    expect(translateChainError({ code: 'REPLACEMENT_UNDERPRICED' }).code).toBe('PG_CHAIN_NONCE');
    expect(translateChainError(new Error('insufficient funds for gas * price + value')).code).toBe(
      'PG_CHAIN_REJECTED',
    );
  });
});

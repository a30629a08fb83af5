import {
  HDNodeWallet,
  Signature,
  TypedDataEncoder,
  Wallet,
  ZeroAddress,
  concat,
  id,
  recoverAddress,
} from 'ethers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendAndWait } from '../src/chain.js';
import {
  ATTESTATION_TYPE,
  ATTESTATION_TYPES,
  CUSTODY_FLAGS_ALL,
  CustodyFlag,
  compareAddresses,
  custodyDomain,
  flagsOf,
  signAttestation,
} from '../src/eip712.js';
import { ROLES } from '../src/roles.js';
import {
  HOUR,
  TONNE,
  WAREHOUSE_ID,
  createWorld,
  expectRevert,
  lot,
  type World,
} from './fixture.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
}, 60_000);
afterAll(async () => world.anvil.stop());
beforeEach(async () => world.snapshot());
afterEach(async () => world.revert());

const bay = lot('B-01', 'LOT-A');
const SOLO_WAREHOUSE = 99n;
const randomWallet = () => HDNodeWallet.fromPhrase(Wallet.createRandom().mnemonic!.phrase);

async function soloWarehouse(): Promise<HDNodeWallet> {
  const gateway = randomWallet();
  await sendAndWait(world.oracle.rotateGateways(SOLO_WAREHOUSE, [gateway.address], 1));
  return gateway;
}

describe('EIP-712 attestation digest', () => {
  it('the typehash is keccak256 of the exported ATTESTATION_TYPE string', async () => {
    expect(await world.oracle.ATTESTATION_TYPEHASH()).toBe(id(ATTESTATION_TYPE));
    expect(TypedDataEncoder.from(ATTESTATION_TYPES).encodeType('Attestation')).toBe(
      ATTESTATION_TYPE,
    );
  });

  it('the digest ethers signTypedData signs equals the contract digest', async () => {
    const attestation = await world.attestation(bay, {
      quantityGrams: 1000n * TONNE,
      flags: 0b1010_0101,
      releaseOrderId: 42n,
    });
    const expected = TypedDataEncoder.hash(world.domain, ATTESTATION_TYPES, attestation);
    expect(await world.oracle.attestationDigest(attestation)).toBe(expected);
    expect(await world.oracle.domainSeparator()).toBe(TypedDataEncoder.hashDomain(world.domain));
    const signature = await world.gateways[0]!.signTypedData(
      world.domain,
      ATTESTATION_TYPES,
      attestation as never,
    );
    expect(recoverAddress(expected, signature)).toBe(world.gateways[0]!.address);
  });

  it('a signature made for another chain id is rejected (recovers an unregistered signer)', async () => {
    const gateway = await soloWarehouse();
    const attestation = await world.attestation(lot('B-01', 'LOT-A', SOLO_WAREHOUSE), {
      quantityGrams: TONNE,
    });
    const wrongDomain = custodyDomain(world.chainId + 1n, world.domain.verifyingContract!);
    const signature = await signAttestation([gateway], wrongDomain, attestation);
    const recovered = recoverAddress(
      TypedDataEncoder.hash(world.domain, ATTESTATION_TYPES, attestation),
      signature,
    );
    await expectRevert(world.oracle.attest(attestation, signature), 'CustodyUnregisteredSigner', [
      SOLO_WAREHOUSE,
      recovered,
    ]);
  });

  it('a signature made for another contract is rejected (recovers an unregistered signer)', async () => {
    const gateway = await soloWarehouse();
    const attestation = await world.attestation(lot('B-01', 'LOT-A', SOLO_WAREHOUSE), {
      quantityGrams: TONNE,
    });
    const wrongDomain = custodyDomain(
      world.chainId,
      world.contracts.deployment.contracts.inventoryLoan,
    );
    const signature = await signAttestation([gateway], wrongDomain, attestation);
    const recovered = recoverAddress(
      TypedDataEncoder.hash(world.domain, ATTESTATION_TYPES, attestation),
      signature,
    );
    await expectRevert(world.oracle.attest(attestation, signature), 'CustodyUnregisteredSigner', [
      SOLO_WAREHOUSE,
      recovered,
    ]);
  });

  it('a signature over one lot does not authorize another lot (no replay across lots)', async () => {
    const gateway = await soloWarehouse();
    const signed = await world.attestation(lot('B-01', 'LOT-A', SOLO_WAREHOUSE), {
      quantityGrams: TONNE,
    });
    const signature = await signAttestation([gateway], world.domain, signed);
    const otherLot = { ...signed, lotId: lot('B-01', 'LOT-B').lotId };
    const recovered = recoverAddress(
      TypedDataEncoder.hash(world.domain, ATTESTATION_TYPES, otherLot),
      signature,
    );
    await expectRevert(world.oracle.attest(otherLot, signature), 'CustodyUnregisteredSigner', [
      SOLO_WAREHOUSE,
      recovered,
    ]);
  });
});

describe('m-of-n signatures', () => {
  it('accepts 2 of 3 registered gateways and records the latest custody as fresh', async () => {
    const attestation = await world.attest(bay, {
      quantityGrams: 1000n * TONNE,
      flags: CustodyFlag.qualityExcursion,
    });
    const [custody, fresh] = await world.oracle.latestCustody(bay.key);
    expect(fresh).toBe(true);
    expect(custody.sequence).toBe(1n);
    expect(custody.quantityGrams).toBe(1000n * TONNE);
    expect(Number(custody.flags)).toBe(CustodyFlag.qualityExcursion);
    expect(custody.validUntil).toBe(attestation.validUntil);
  });

  it('emits CustodyAttested with the readings root, keyed by lot key', async () => {
    const attestation = await world.attestation(bay, {
      quantityGrams: 5n * TONNE,
      readingsRoot: id('root'),
    });
    const receipt = await sendAndWait(
      world.oracle.attest(attestation, await world.sign(attestation)),
    );
    const event = receipt.logs
      .map((l) => world.oracle.interface.parseLog(l))
      .find((e) => e?.name === 'CustodyAttested');
    expect(event?.args.toArray()).toEqual([
      bay.key,
      WAREHOUSE_ID,
      1n,
      5n * TONNE,
      0n,
      id('root'),
      attestation.observedAt,
      attestation.validUntil,
    ]);
  });

  it('accepts all 3 of 3 signatures (more than the threshold)', async () => {
    await world.attest(bay, { quantityGrams: TONNE, signers: world.gateways.slice(0, 3) });
    expect((await world.oracle.latestCustody(bay.key))[0].sequence).toBe(1n);
  });

  it('rejects fewer than m signatures with CustodyTooFewSignatures', async () => {
    const attestation = await world.attestation(bay, { quantityGrams: TONNE });
    const signature = await world.sign(attestation, world.gateways.slice(0, 1));
    await expectRevert(world.oracle.attest(attestation, signature), 'CustodyTooFewSignatures', [
      bay.key,
      1n,
      2n,
    ]);
  });

  it('rejects the same gateway signing twice with CustodyDuplicateSigner', async () => {
    const attestation = await world.attestation(bay, { quantityGrams: TONNE });
    const one = await world.sign(attestation, world.gateways.slice(0, 1));
    await expectRevert(
      world.oracle.attest(attestation, concat([one, one])),
      'CustodyDuplicateSigner',
      [world.gateways[0]!.address],
    );
  });

  it('rejects an unregistered signer with CustodyUnregisteredSigner', async () => {
    const stranger = randomWallet();
    const attestation = await world.attestation(bay, { quantityGrams: TONNE });
    const signature = await world.sign(attestation, [world.gateways[0]!, stranger]);
    await expectRevert(world.oracle.attest(attestation, signature), 'CustodyUnregisteredSigner', [
      WAREHOUSE_ID,
      stranger.address,
    ]);
  });

  it('rejects signatures out of ascending signer order with CustodySignersNotAscending', async () => {
    const attestation = await world.attestation(bay, { quantityGrams: TONNE });
    const pair = world.gateways.slice(0, 2).sort((a, b) => compareAddresses(b.address, a.address));
    const parts = await Promise.all(
      pair.map((g) => g.signTypedData(world.domain, ATTESTATION_TYPES, attestation as never)),
    );
    await expectRevert(
      world.oracle.attest(attestation, concat(parts)),
      'CustodySignersNotAscending',
      [pair[0]!.address, pair[1]!.address],
    );
  });

  it('rejects a signature that does not recover with CustodyInvalidSignature', async () => {
    const attestation = await world.attestation(bay, { quantityGrams: TONNE });
    const good = await world.sign(attestation, world.gateways.slice(0, 1));
    const sig = Signature.from(good);
    const badV = concat([sig.r, sig.s, '0x1f']); // v = 31: no such recovery id
    const ordered = [good, badV];
    await expectRevert(
      world.oracle.attest(attestation, concat(ordered)),
      'CustodyInvalidSignature',
      [1n],
    );
  });

  it('rejects a signature blob that is not a multiple of 65 bytes with CustodyMalformedSignatures', async () => {
    const attestation = await world.attestation(bay, { quantityGrams: TONNE });
    const signature = await world.sign(attestation);
    await expectRevert(
      world.oracle.attest(attestation, concat([signature, '0x00'])),
      'CustodyMalformedSignatures',
      [131n],
    );
  });

  it('rejects a warehouse with no gateways with CustodyUnknownWarehouse', async () => {
    const attestation = await world.attestation(lot('B-01', 'LOT-A', 12345n), {
      quantityGrams: TONNE,
    });
    await expectRevert(
      world.oracle.attest(attestation, await world.sign(attestation)),
      'CustodyUnknownWarehouse',
      [12345n],
    );
  });
});

describe('sequence, flags and validity', () => {
  it('a replayed attestation (same sequence) is rejected with CustodySequenceNotIncreasing', async () => {
    const attestation = await world.attestation(bay, { quantityGrams: TONNE });
    const signature = await world.sign(attestation);
    await sendAndWait(world.oracle.attest(attestation, signature));
    await expectRevert(
      world.oracle.attest(attestation, signature),
      'CustodySequenceNotIncreasing',
      [bay.key, 1n, 1n],
    );
  });

  it('a lower sequence is rejected with CustodySequenceNotIncreasing', async () => {
    await world.attest(bay, { quantityGrams: TONNE, sequence: 10n });
    const older = await world.attestation(bay, { quantityGrams: TONNE, sequence: 9n });
    await expectRevert(
      world.oracle.attest(older, await world.sign(older)),
      'CustodySequenceNotIncreasing',
      [bay.key, 9n, 10n],
    );
  });

  it('sequences are per lot: another lot starts at 1 independently', async () => {
    await world.attest(bay, { quantityGrams: TONNE, sequence: 10n });
    const other = lot('B-02', 'LOT-A');
    await world.attest(other, { quantityGrams: TONNE, sequence: 1n });
    expect((await world.oracle.latestCustody(other.key))[0].sequence).toBe(1n);
  });

  it('every defined flag is accepted, a reserved bit is rejected with CustodyUnknownFlags', async () => {
    await world.attest(bay, { quantityGrams: TONNE, flags: CUSTODY_FLAGS_ALL });
    const bad = await world.attestation(bay, { quantityGrams: TONNE, flags: 0x100 });
    await expectRevert(world.oracle.attest(bad, await world.sign(bad)), 'CustodyUnknownFlags', [
      bay.key,
      0x100n,
    ]);
  });

  it('the flag bits match the documented positions', () => {
    expect(flagsOf('tamper', 'offline', 'evidenceGap', 'unexplainedDrop')).toBe(0x0f);
    expect(flagsOf('sensorDisagreement', 'qualityExcursion', 'replayAttempt', 'clockSkew')).toBe(
      0xf0,
    );
  });

  it('validUntil at or before observedAt is rejected with CustodyInvalidValidity', async () => {
    const a = await world.attestation(bay, { quantityGrams: TONNE });
    const bad = { ...a, validUntil: a.observedAt };
    await expectRevert(world.oracle.attest(bad, await world.sign(bad)), 'CustodyInvalidValidity', [
      bay.key,
      a.observedAt,
      a.observedAt,
    ]);
  });

  it('a validity longer than maxValiditySeconds is rejected with CustodyInvalidValidity', async () => {
    const a = await world.attestation(bay, {
      quantityGrams: TONNE,
      validForSeconds: 24 * HOUR + 1,
    });
    await expectRevert(world.oracle.attest(a, await world.sign(a)), 'CustodyInvalidValidity', [
      bay.key,
      a.observedAt,
      a.validUntil,
    ]);
  });

  it('an attestation already expired at submission is rejected with CustodyAttestationExpired', async () => {
    const a = await world.attestation(bay, { quantityGrams: TONNE, validForSeconds: 60 });
    const signature = await world.sign(a);
    await world.increaseTime(120);
    await expectRevert(world.oracle.attest(a, signature), 'CustodyAttestationExpired', [
      bay.key,
      a.validUntil,
      expect.any(BigInt),
    ]);
  });

  it('an observation time too far in the future is rejected with CustodyObservedInFuture', async () => {
    const a = await world.attestation(bay, { quantityGrams: TONNE });
    const bad = { ...a, observedAt: a.observedAt + 3600n, validUntil: a.observedAt + 7200n };
    await expectRevert(world.oracle.attest(bad, await world.sign(bad)), 'CustodyObservedInFuture', [
      bay.key,
      bad.observedAt,
      expect.any(BigInt),
    ]);
  });

  it('custody turns stale after validUntil', async () => {
    await world.attest(bay, { quantityGrams: TONNE, validForSeconds: 600 });
    await world.increaseTime(601);
    expect((await world.oracle.latestCustody(bay.key))[1]).toBe(false);
  });

  it('the first attestation confirming a release order stands; later ones cannot rewrite it', async () => {
    await world.attest(bay, { quantityGrams: 700n * TONNE, releaseOrderId: 5n });
    await world.attest(bay, { quantityGrams: 600n * TONNE, releaseOrderId: 5n });
    const confirmation = await world.oracle.releaseConfirmation(bay.key, 5n);
    expect([confirmation.sequence, confirmation.quantityGrams]).toEqual([1n, 700n * TONNE]);
    expect((await world.oracle.releaseConfirmation(lot('B-09', 'X').key, 5n)).sequence).toBe(0n);
  });
});

describe('batch entry point', () => {
  it('records many lots in one transaction', async () => {
    const lots = Array.from({ length: 5 }, (_, i) => lot(`B-1${i}`, `LOT-${i}`));
    const attestations = await Promise.all(
      lots.map((l) => world.attestation(l, { quantityGrams: BigInt(100 + 1) * TONNE })),
    );
    const signatures = await Promise.all(attestations.map((a) => world.sign(a)));
    await sendAndWait(world.oracle.attestBatch(attestations, signatures));
    for (const l of lots) expect((await world.oracle.latestCustody(l.key))[0].sequence).toBe(1n);
  });

  it('is all or none: one bad attestation reverts the batch', async () => {
    const lots = [lot('B-20', 'LOT-0'), lot('B-21', 'LOT-1')];
    const attestations = await Promise.all(
      lots.map((l) => world.attestation(l, { quantityGrams: TONNE })),
    );
    const signatures = await Promise.all(attestations.map((a) => world.sign(a)));
    signatures[1] = await world.sign(attestations[1]!, world.gateways.slice(0, 1));
    await expectRevert(
      world.oracle.attestBatch(attestations, signatures),
      'CustodyTooFewSignatures',
      [lots[1]!.key, 1n, 2n],
    );
    expect((await world.oracle.latestCustody(lots[0]!.key))[0].sequence).toBe(0n);
  });

  it('rejects arrays of different lengths with CustodyBatchLengthMismatch', async () => {
    const a = await world.attestation(bay, { quantityGrams: TONNE });
    await expectRevert(world.oracle.attestBatch([a], []), 'CustodyBatchLengthMismatch', [1n, 0n]);
  });
});

describe('gateway rotation', () => {
  it('rotation emits GatewaysRotated and retires the old set', async () => {
    const fresh = [randomWallet(), randomWallet()];
    const receipt = await sendAndWait(
      world.oracle.rotateGateways(
        WAREHOUSE_ID,
        fresh.map((g) => g.address),
        2,
      ),
    );
    const event = receipt.logs
      .map((l) => world.oracle.interface.parseLog(l))
      .find((e) => e?.name === 'GatewaysRotated');
    expect(event?.args.toArray()).toEqual([WAREHOUSE_ID, 2n, fresh.map((g) => g.address), 2n]);
    expect(await world.oracle.isGateway(WAREHOUSE_ID, world.gateways[0]!.address)).toBe(false);
    const a = await world.attestation(bay, { quantityGrams: TONNE });
    const oldSigners = world.gateways
      .slice(0, 2)
      .sort((x, y) => compareAddresses(x.address, y.address));
    await expectRevert(
      world.oracle.attest(a, await world.sign(a, oldSigners)),
      'CustodyUnregisteredSigner',
      [WAREHOUSE_ID, oldSigners[0]!.address],
    );
    await sendAndWait(world.oracle.attest(a, await world.sign(a, fresh)));
  });

  it('a threshold of 0 or above n is rejected with CustodyInvalidThreshold', async () => {
    const gateways = [randomWallet().address];
    await expectRevert(world.oracle.rotateGateways(1n, gateways, 0), 'CustodyInvalidThreshold', [
      1n,
      0n,
      1n,
    ]);
    await expectRevert(world.oracle.rotateGateways(1n, gateways, 2), 'CustodyInvalidThreshold', [
      1n,
      2n,
      1n,
    ]);
  });

  it('a zero or repeated gateway is rejected with CustodyInvalidGateway', async () => {
    const g = randomWallet().address;
    await expectRevert(world.oracle.rotateGateways(1n, [ZeroAddress], 1), 'CustodyInvalidGateway', [
      ZeroAddress,
    ]);
    await expectRevert(world.oracle.rotateGateways(1n, [g, g], 1), 'CustodyInvalidGateway', [g]);
  });

  it('only the admin rotates gateways (AccessControlUnauthorizedAccount)', async () => {
    await expectRevert(
      world.oracle.connect(world.outsider).rotateGateways(1n, [randomWallet().address], 1),
      'AccessControlUnauthorizedAccount',
      [world.outsider.address, ROLES.admin],
    );
  });

  it('maxValiditySeconds outside its bounds is rejected with CustodyMaxValidityOutOfBounds', async () => {
    await expectRevert(world.oracle.setMaxValidity(59), 'CustodyMaxValidityOutOfBounds', [
      59n,
      60n,
      7n * 24n * 3600n,
    ]);
    await sendAndWait(world.oracle.setMaxValidity(3600));
    expect(await world.oracle.maxValiditySeconds()).toBe(3600n);
  });
});

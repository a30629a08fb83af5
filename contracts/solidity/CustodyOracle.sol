// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ICustodyOracle} from "./interfaces/ICustodyOracle.sol";
import {CustodyFlags} from "./libraries/CustodyFlags.sol";
import {LotKeys} from "./libraries/LotKeys.sol";

/// @title CustodyOracle
/// @notice Accepts custody attestations for physical lots, each signed (EIP-712, domain bound to
/// chain id and this contract) by at least m distinct gateways of the lot's warehouse. Lots are
/// attested before any receipt exists; consumers read the latest custody and whether it is fresh.
/// @dev Signatures are 65-byte r||s||v, concatenated, signers in strictly ascending address order
/// (the order makes the distinct-signer check one comparison). Gateways are registered per
/// warehouse with a rotation epoch, so a rotation never has to clear the old set. A lot's latest
/// custody is one storage slot; the readings Merkle root is carried by the CustodyAttested event
/// (part of the chain's receipts) rather than stored, which keeps a steady-state update to one SSTORE.
contract CustodyOracle is ICustodyOracle, AccessControl, EIP712 {
    /// @notice EIP-712 type of an attestation; contracts/src/eip712.ts holds the same string.
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(uint64 warehouseId,bytes32 bayId,bytes32 lotId,uint64 sequence,uint64 quantityGrams,uint16 flags,bytes32 readingsRoot,uint40 observedAt,uint40 validUntil,uint256 releaseOrderId)"
    );

    uint256 private constant _SIGNATURE_BYTES = 65;
    /// @notice How far observedAt may lie ahead of the block time (block times are coarse). [s]
    uint256 public constant MAX_FUTURE_SKEW_SECONDS = 300;
    uint32 public constant MIN_VALIDITY_BOUND_SECONDS = 60;
    uint32 public constant MAX_VALIDITY_BOUND_SECONDS = 7 days;

    struct WarehouseGateways {
        uint32 epoch; // rotation counter; 0 = never configured
        uint8 threshold; // m
        uint8 gatewayCount; // n
    }

    mapping(uint64 warehouseId => WarehouseGateways) private _warehouses;
    /// @dev The rotation epoch in which a gateway was registered; valid only if it equals the current one.
    mapping(uint64 warehouseId => mapping(address gateway => uint32 epoch)) private _gatewayEpoch;
    mapping(bytes32 lotKey => Custody) private _custody;
    mapping(bytes32 confirmationKey => ReleaseConfirmation) private _confirmations;

    /// @notice Longest validity (validUntil - observedAt) an attestation may claim. [s]
    uint32 public maxValiditySeconds;

    constructor(address admin, uint32 maxValiditySeconds_) EIP712("PledgeGuard CustodyOracle", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setMaxValidity(maxValiditySeconds_);
    }

    // ---------------------------------------------------------------- gateways (admin)

    /// @notice Replaces the gateway set of `warehouseId` with `gateways`, threshold m = `threshold`.
    /// Requirements: caller has DEFAULT_ADMIN_ROLE; 1 <= threshold <= gateways.length <= 255;
    /// gateways distinct and non-zero.
    /// Emits GatewaysRotated.
    function rotateGateways(uint64 warehouseId, address[] calldata gateways, uint8 threshold)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        uint256 count = gateways.length;
        if (threshold == 0 || threshold > count || count > type(uint8).max) {
            revert CustodyInvalidThreshold(warehouseId, threshold, count);
        }
        WarehouseGateways storage config = _warehouses[warehouseId];
        uint32 epoch = config.epoch + 1;
        mapping(address => uint32) storage registered = _gatewayEpoch[warehouseId];
        for (uint256 i = 0; i < count; ++i) {
            address gateway = gateways[i];
            if (gateway == address(0) || registered[gateway] == epoch) revert CustodyInvalidGateway(gateway);
            registered[gateway] = epoch;
        }
        config.epoch = epoch;
        config.threshold = threshold;
        config.gatewayCount = uint8(count);
        emit GatewaysRotated(warehouseId, epoch, gateways, threshold);
    }

    /// @notice Sets the longest validity an attestation may claim.
    /// Requirements: caller has DEFAULT_ADMIN_ROLE; value within the validity bounds.
    /// Emits MaxValiditySet.
    function setMaxValidity(uint32 maxValiditySeconds_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxValidity(maxValiditySeconds_);
    }

    // ---------------------------------------------------------------- attestations

    /// @notice Records one attestation signed by at least m gateways of its warehouse.
    /// Requirements: see _accept. Anyone may submit: the signatures carry the authority.
    /// Emits CustodyAttested, and ReleaseConfirmed when it names a release order.
    function attest(Attestation calldata attestation, bytes calldata signatures) external {
        _accept(attestation, signatures);
    }

    /// @notice Records many attestations in one transaction; all or none.
    /// Requirements: as attest, for each; equal array lengths.
    /// Emits CustodyAttested per attestation.
    function attestBatch(Attestation[] calldata attestations, bytes[] calldata signatures) external {
        uint256 count = attestations.length;
        if (count != signatures.length) revert CustodyBatchLengthMismatch(count, signatures.length);
        for (uint256 i = 0; i < count; ++i) {
            _accept(attestations[i], signatures[i]);
        }
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICustodyOracle
    function latestCustody(bytes32 lotKey) external view returns (Custody memory custody, bool fresh) {
        custody = _custody[lotKey];
        fresh = custody.sequence != 0 && block.timestamp <= custody.validUntil;
    }

    /// @inheritdoc ICustodyOracle
    function releaseConfirmation(bytes32 lotKey, uint256 releaseOrderId)
        external
        view
        returns (ReleaseConfirmation memory)
    {
        return _confirmations[keccak256(abi.encode(lotKey, releaseOrderId))];
    }

    /// @notice The gateway set configuration of `warehouseId`.
    function warehouseGateways(uint64 warehouseId) external view returns (WarehouseGateways memory) {
        return _warehouses[warehouseId];
    }

    /// @notice Whether `gateway` belongs to the current gateway set of `warehouseId`.
    function isGateway(uint64 warehouseId, address gateway) external view returns (bool) {
        uint32 epoch = _warehouses[warehouseId].epoch;
        return epoch != 0 && _gatewayEpoch[warehouseId][gateway] == epoch;
    }

    /// @notice The EIP-712 digest the gateways sign for `attestation`.
    function attestationDigest(Attestation calldata attestation) external view returns (bytes32) {
        return _hashTypedDataV4(_structHash(attestation));
    }

    /// @notice The EIP-712 domain separator (binds chain id and this contract).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- internals

    /// @dev Requirements: the warehouse has gateways; >= m signatures, each valid, by distinct
    /// registered gateways in ascending order; sequence above the lot's last; only defined flags;
    /// observedAt < validUntil <= observedAt + maxValidity; not expired; observedAt not in the future.
    function _accept(Attestation calldata a, bytes calldata signatures) private {
        bytes32 lotKey = LotKeys.lotKey(a.warehouseId, a.bayId, a.lotId);
        _checkSignatures(a, lotKey, signatures);

        Custody storage custody = _custody[lotKey];
        uint64 lastSequence = custody.sequence;
        if (a.sequence <= lastSequence) revert CustodySequenceNotIncreasing(lotKey, a.sequence, lastSequence);
        if (a.flags & ~CustodyFlags.ALL != 0) revert CustodyUnknownFlags(lotKey, a.flags);
        if (a.validUntil <= a.observedAt || a.validUntil - a.observedAt > maxValiditySeconds) {
            revert CustodyInvalidValidity(lotKey, a.observedAt, a.validUntil);
        }
        if (a.validUntil <= block.timestamp) revert CustodyAttestationExpired(lotKey, a.validUntil, block.timestamp);
        if (a.observedAt > block.timestamp + MAX_FUTURE_SKEW_SECONDS) {
            revert CustodyObservedInFuture(lotKey, a.observedAt, block.timestamp);
        }

        _custody[lotKey] = Custody({
            sequence: a.sequence,
            quantityGrams: a.quantityGrams,
            flags: a.flags,
            observedAt: a.observedAt,
            validUntil: a.validUntil
        });
        emit CustodyAttested(
            lotKey, a.warehouseId, a.sequence, a.quantityGrams, a.flags, a.readingsRoot, a.observedAt, a.validUntil
        );

        if (a.releaseOrderId != 0) {
            ReleaseConfirmation storage confirmation = _confirmations[keccak256(abi.encode(lotKey, a.releaseOrderId))];
            // The first confirming attestation stands; later ones cannot rewrite what was confirmed.
            if (confirmation.sequence == 0) {
                confirmation.sequence = a.sequence;
                confirmation.quantityGrams = a.quantityGrams;
                emit ReleaseConfirmed(lotKey, a.releaseOrderId, a.sequence, a.quantityGrams);
            }
        }
    }

    function _checkSignatures(Attestation calldata a, bytes32 lotKey, bytes calldata signatures) private view {
        WarehouseGateways memory config = _warehouses[a.warehouseId];
        if (config.epoch == 0) revert CustodyUnknownWarehouse(a.warehouseId);
        if (signatures.length % _SIGNATURE_BYTES != 0) revert CustodyMalformedSignatures(signatures.length);
        uint256 count = signatures.length / _SIGNATURE_BYTES;
        if (count < config.threshold) revert CustodyTooFewSignatures(lotKey, count, config.threshold);

        bytes32 digest = _hashTypedDataV4(_structHash(a));
        mapping(address => uint32) storage registered = _gatewayEpoch[a.warehouseId];
        address previous = address(0);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                let offset := add(signatures.offset, mul(i, 65))
                r := calldataload(offset)
                s := calldataload(add(offset, 32))
                v := byte(0, calldataload(add(offset, 64)))
            }
            (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(digest, v, r, s);
            if (error != ECDSA.RecoverError.NoError) revert CustodyInvalidSignature(i);
            if (signer <= previous) {
                if (signer == previous) revert CustodyDuplicateSigner(signer);
                revert CustodySignersNotAscending(previous, signer);
            }
            if (registered[signer] != config.epoch) revert CustodyUnregisteredSigner(a.warehouseId, signer);
            previous = signer;
        }
    }

    function _structHash(Attestation calldata a) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                ATTESTATION_TYPEHASH,
                a.warehouseId,
                a.bayId,
                a.lotId,
                a.sequence,
                a.quantityGrams,
                a.flags,
                a.readingsRoot,
                a.observedAt,
                a.validUntil,
                a.releaseOrderId
            )
        );
    }

    function _setMaxValidity(uint32 value) private {
        if (value < MIN_VALIDITY_BOUND_SECONDS || value > MAX_VALIDITY_BOUND_SECONDS) {
            revert CustodyMaxValidityOutOfBounds(value, MIN_VALIDITY_BOUND_SECONDS, MAX_VALIDITY_BOUND_SECONDS);
        }
        maxValiditySeconds = value;
        emit MaxValiditySet(value);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ICustodyOracle
/// @notice m-of-n signed custody attestations per physical lot (ARCHITECTURE.md section 5).
interface ICustodyOracle {
    /// @notice What the gateways sign (EIP-712 type `Attestation`, see contracts/README.md).
    struct Attestation {
        uint64 warehouseId;
        bytes32 bayId;
        bytes32 lotId;
        uint64 sequence; // strictly increasing per lot
        uint64 quantityGrams; // [g]
        uint16 flags; // CustodyFlags bitset
        bytes32 readingsRoot; // Merkle root of the signed readings the attestation rests on
        uint40 observedAt; // [unix s]
        uint40 validUntil; // [unix s]
        uint256 releaseOrderId; // 0, or the InventoryLoan release order this attestation confirms
    }

    /// @notice The latest accepted attestation of a lot, packed in one storage slot.
    struct Custody {
        uint64 sequence;
        uint64 quantityGrams; // [g]
        uint16 flags;
        uint40 observedAt; // [unix s]
        uint40 validUntil; // [unix s]
    }

    /// @notice An attestation that named a release order: what it showed for the lot.
    struct ReleaseConfirmation {
        uint64 sequence;
        uint64 quantityGrams; // [g]
    }

    /// @notice Emitted when the admin replaces a warehouse's gateway set (rotation).
    event GatewaysRotated(uint64 indexed warehouseId, uint32 indexed epoch, address[] gateways, uint8 threshold);
    /// @notice Emitted for every accepted attestation.
    event CustodyAttested(
        bytes32 indexed lotKey,
        uint64 indexed warehouseId,
        uint64 sequence,
        uint64 quantityGrams,
        uint16 flags,
        bytes32 readingsRoot,
        uint40 observedAt,
        uint40 validUntil
    );
    /// @notice Emitted when an attestation confirms a release order.
    event ReleaseConfirmed(bytes32 indexed lotKey, uint256 indexed releaseOrderId, uint64 sequence, uint64 quantityGrams);
    /// @notice Emitted when the admin changes the longest validity an attestation may claim.
    event MaxValiditySet(uint32 maxValiditySeconds);

    error CustodyInvalidThreshold(uint64 warehouseId, uint256 threshold, uint256 gatewayCount);
    error CustodyInvalidGateway(address gateway);
    error CustodyUnknownWarehouse(uint64 warehouseId);
    error CustodyTooFewSignatures(bytes32 lotKey, uint256 signatures, uint256 threshold);
    error CustodyMalformedSignatures(uint256 length);
    error CustodyInvalidSignature(uint256 index);
    error CustodyUnregisteredSigner(uint64 warehouseId, address signer);
    error CustodyDuplicateSigner(address signer);
    error CustodySignersNotAscending(address previous, address signer);
    error CustodySequenceNotIncreasing(bytes32 lotKey, uint64 sequence, uint64 lastSequence);
    error CustodyInvalidValidity(bytes32 lotKey, uint40 observedAt, uint40 validUntil);
    error CustodyAttestationExpired(bytes32 lotKey, uint40 validUntil, uint256 nowSeconds);
    error CustodyObservedInFuture(bytes32 lotKey, uint40 observedAt, uint256 nowSeconds);
    error CustodyUnknownFlags(bytes32 lotKey, uint16 flags);
    error CustodyBatchLengthMismatch(uint256 attestations, uint256 signatureSets);
    error CustodyMaxValidityOutOfBounds(uint32 maxValiditySeconds, uint32 minSeconds, uint32 maxSeconds);

    /// @notice The latest custody of `lotKey` and whether it is still within its validity.
    function latestCustody(bytes32 lotKey) external view returns (Custody memory custody, bool fresh);

    /// @notice What the attestation confirming `releaseOrderId` on `lotKey` showed (sequence 0: none).
    function releaseConfirmation(bytes32 lotKey, uint256 releaseOrderId)
        external
        view
        returns (ReleaseConfirmation memory);
}

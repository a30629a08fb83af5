// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IWarehouseReceipt
/// @notice Receipts for pledged lots, keyed by the physical lot (ARCHITECTURE.md section 5).
interface IWarehouseReceipt {
    /// @notice Quality limits the lot must stay within (perishables; DOMAIN.md scenario 7).
    struct QualityLimits {
        int32 minTemperatureMilliC; // [m°C]
        int32 maxTemperatureMilliC; // [m°C]
        uint16 maxHumidityPermille; // [‰ RH]
        uint32 maxExcursionSeconds; // [s] how long a reading may sit outside before it counts
    }

    struct Receipt {
        uint64 warehouseId;
        uint64 quantityGrams; // [g]
        uint40 issuedAt; // [unix s]
        bytes32 bayId;
        bytes32 lotId;
        bytes32 commodity; // e.g. "COPPER_CATHODE"; names the price feed
        QualityLimits quality;
    }

    struct Lien {
        address holder; // the contract enforcing it (InventoryLoan)
        uint256 loanId;
    }

    event ReceiptIssued(
        uint256 indexed receiptId,
        bytes32 indexed lotKey,
        address indexed owner,
        uint64 warehouseId,
        bytes32 bayId,
        bytes32 lotId,
        bytes32 commodity,
        uint64 quantityGrams
    );
    event ReceiptQuantityChanged(uint256 indexed receiptId, uint64 previousGrams, uint64 quantityGrams);
    event ReceiptDelivered(uint256 indexed receiptId, bytes32 indexed lotKey, address indexed by);
    event LienPlaced(uint256 indexed receiptId, address indexed holder, uint256 indexed loanId);
    event LienLifted(uint256 indexed receiptId, address indexed holder, uint256 indexed loanId);
    event LienEnforced(uint256 indexed receiptId, address indexed holder, address indexed to);

    error ReceiptLotKeyLive(bytes32 lotKey, uint256 receiptId);
    error ReceiptBayOccupied(uint64 warehouseId, bytes32 bayId, uint256 receiptId);
    error ReceiptZeroQuantity();
    error ReceiptNoCustody(bytes32 lotKey);
    error ReceiptCustodyStale(bytes32 lotKey, uint40 validUntil);
    error ReceiptCustodyFlagged(bytes32 lotKey, uint16 flags);
    error ReceiptExceedsAttested(bytes32 lotKey, uint64 quantityGrams, uint64 attestedGrams);
    error ReceiptUnknown(uint256 receiptId);
    error ReceiptUnderLien(uint256 receiptId, address holder);
    error ReceiptNoLien(uint256 receiptId);
    error ReceiptNotLienHolder(uint256 receiptId, address caller);
    error ReceiptNotOwnerOrApproved(uint256 receiptId, address caller);
    error ReceiptReduceExceedsQuantity(uint256 receiptId, uint64 reduceGrams, uint64 quantityGrams);

    function getReceipt(uint256 receiptId) external view returns (Receipt memory);

    function lotKeyOf(uint256 receiptId) external view returns (bytes32);

    function quantityGramsOf(uint256 receiptId) external view returns (uint64);

    function ownerOf(uint256 receiptId) external view returns (address);

    function lienOf(uint256 receiptId) external view returns (Lien memory);

    function placeLien(uint256 receiptId, uint256 loanId) external;

    function liftLien(uint256 receiptId) external;

    function enforceLien(uint256 receiptId, address to) external;

    function reduceQuantity(uint256 receiptId, uint64 reduceGrams) external;
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title LotKeys
/// @notice The physical identity of pledged goods. A lot key names (warehouse, bay, lot); a bay key
/// names (warehouse, bay). Receipts, attestations and loans all refer to goods by these keys, never
/// by a receipt id alone (the Qingdao 2014 double pledge went through receipt-id registries).
library LotKeys {
    /// @notice keccak256(abi.encode(warehouseId, bayId, lotId)).
    function lotKey(uint64 warehouseId, bytes32 bayId, bytes32 lotId) internal pure returns (bytes32) {
        return keccak256(abi.encode(warehouseId, bayId, lotId));
    }

    /// @notice keccak256(abi.encode(warehouseId, bayId)).
    function bayKey(uint64 warehouseId, bytes32 bayId) internal pure returns (bytes32) {
        return keccak256(abi.encode(warehouseId, bayId));
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Roles
/// @notice AccessControl role identifiers shared by every PledgeGuard contract. The admin is
/// OpenZeppelin's DEFAULT_ADMIN_ROLE (0x00). Gateways are not a global role: they are registered per
/// warehouse, with a threshold, in the CustodyOracle.
library Roles {
    bytes32 internal constant LENDER = keccak256("PG_LENDER");
    bytes32 internal constant BORROWER = keccak256("PG_BORROWER");
    bytes32 internal constant WAREHOUSE_OPERATOR = keccak256("PG_WAREHOUSE_OPERATOR");
    bytes32 internal constant PRICE_REPORTER = keccak256("PG_PRICE_REPORTER");
    bytes32 internal constant AUDITOR = keccak256("PG_AUDITOR");
    bytes32 internal constant PAUSER = keccak256("PG_PAUSER");
    /// @dev Held by InventoryLoan on WarehouseReceipt: places, lifts and enforces liens.
    bytes32 internal constant LIEN_MANAGER = keccak256("PG_LIEN_MANAGER");
    /// @dev Mints the development stablecoin.
    bytes32 internal constant MINTER = keccak256("PG_MINTER");
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title TestStablecoin
/// @notice A 6-decimal settlement token for development and tests (USDC-like). Not for production:
/// the minter role can create any amount.
contract TestStablecoin is ERC20, AccessControl {
    constructor(address admin) ERC20("PledgeGuard Test USD", "pgUSD") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(Roles.MINTER, admin);
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Creates `amount` [10^-6 USD] for `to`.
    /// Requirements: caller has MINTER.
    /// Emits Transfer.
    function mint(address to, uint256 amount) external onlyRole(Roles.MINTER) {
        _mint(to, amount);
    }
}

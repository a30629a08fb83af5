// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice The few forge cheatcodes the invariant suite uses (forge-std is not installed here).
/// Signatures as in forge-std's Vm.sol; the cheatcode contract lives at this fixed address.
interface Vm {
    function warp(uint256 newTimestamp) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
}

Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

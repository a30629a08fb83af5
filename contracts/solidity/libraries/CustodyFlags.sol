// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title CustodyFlags
/// @notice Bit positions of the `flags` bitset carried by a custody attestation. The gateway's
/// custody model raises them (ARCHITECTURE.md section 4); contracts/src/eip712.ts exports the same
/// values for TypeScript. Bit n means `flags & (1 << n) != 0`.
library CustodyFlags {
    uint16 internal constant TAMPER = 1 << 0; // a tamper switch or cable event
    uint16 internal constant OFFLINE = 1 << 1; // a device missed its heartbeat deadline
    uint16 internal constant EVIDENCE_GAP = 1 << 2; // a hole in a device's sequence numbers
    uint16 internal constant UNEXPLAINED_DROP = 1 << 3; // quantity fell with no release order
    uint16 internal constant SENSOR_DISAGREEMENT = 1 << 4; // load cells and RFID count disagree
    uint16 internal constant QUALITY_EXCURSION = 1 << 5; // temperature/humidity out of limits
    uint16 internal constant REPLAY_ATTEMPT = 1 << 6; // an old signed reading was replayed
    uint16 internal constant CLOCK_SKEW = 1 << 7; // a device clock outside the allowed skew

    /// @dev Every defined flag; bits above it are reserved and rejected by the oracle.
    uint16 internal constant ALL = 0xFF;
}

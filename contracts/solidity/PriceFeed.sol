// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {Roles} from "./libraries/Roles.sol";

/// @title PriceFeed
/// @notice A development price feed with Chainlink's AggregatorV3Interface: the price reporter posts
/// rounds (e.g. the LME settlement price per tonne). Like a real feed, it reports what it is given;
/// consumers reject non-positive and stale answers (InventoryLoan checks the heartbeat per feed).
contract PriceFeed is AggregatorV3Interface, AccessControl {
    struct Round {
        int256 answer; // [10^decimals per unit of `description`]
        uint64 updatedAt; // [unix s]
    }

    /// @notice Emitted for every posted round (same shape as Chainlink's AnswerUpdated).
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    error PriceFeedUnknownRound(uint80 roundId);
    error PriceFeedNoData();

    uint8 public immutable decimals;
    string public description;
    uint256 public constant version = 1;

    uint80 private _latestRoundId;
    mapping(uint80 roundId => Round) private _rounds;

    constructor(address admin, uint8 decimals_, string memory description_) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        decimals = decimals_;
        description = description_;
    }

    /// @notice Posts a new round with `answer`, time-stamped now.
    /// Requirements: caller has PRICE_REPORTER.
    /// Emits AnswerUpdated.
    function submit(int256 answer) external onlyRole(Roles.PRICE_REPORTER) {
        uint80 roundId = _latestRoundId + 1;
        _latestRoundId = roundId;
        _rounds[roundId] = Round({answer: answer, updatedAt: uint64(block.timestamp)});
        emit AnswerUpdated(answer, roundId, block.timestamp);
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 roundId)
        public
        view
        returns (uint80 roundId_, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Round memory round = _rounds[roundId];
        if (round.updatedAt == 0) revert PriceFeedUnknownRound(roundId);
        return (roundId, round.answer, round.updatedAt, round.updatedAt, roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        if (_latestRoundId == 0) revert PriceFeedNoData();
        return getRoundData(_latestRoundId);
    }
}

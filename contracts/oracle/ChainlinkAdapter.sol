// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IPriceSource} from "../interfaces/IPriceSource.sol";

/// @title ChainlinkAdapter
/// @notice Wraps any `AggregatorV3Interface` feed (Chainlink, and the RedStone, API3 and Chronicle push feeds that
/// speak the same interface) as an `IPriceSource` (ORC-1, ORC-2, ORC-3).
/// @dev Everything that identifies the feed is immutable: the feed, its decimals as read at configuration, and the
/// feed's own minimum and maximum answers (a Chainlink aggregator clamps to these, so an answer sitting on one of
/// them is a circuit-breaker value, not a price — the LUNA lesson). The feed is called with a low-level
/// `staticcall` so that a reverting feed, or one that returns too little data, reads as `CallFailed` instead of
/// reverting the caller; a failure caused by too little gas reverts instead (see `PriceSourceInsufficientGas`).
contract ChainlinkAdapter is IPriceSource {
    /// @notice The feed's decimals exceed 18; normalising would lose precision.
    error ChainlinkAdapterDecimalsTooHigh(uint8 decimals);
    /// @notice `minAnswer` must be below `maxAnswer`.
    error ChainlinkAdapterInvalidBounds(int256 minAnswer, int256 maxAnswer);

    uint256 private constant LATEST_ROUND_DATA_SIZE = 5 * 32;

    AggregatorV3Interface public immutable feed;
    uint8 public immutable feedDecimals;
    int256 public immutable minAnswer;
    int256 public immutable maxAnswer;
    uint256 private immutable _scale;

    /// @param feed_ the feed (a proxy address for Chainlink)
    /// @param minAnswer_ the feed's own minimum answer in its units (Chainlink: `aggregator().minAnswer()`);
    /// use `type(int256).min` when the feed has none
    /// @param maxAnswer_ the feed's own maximum answer; `type(int256).max` when it has none
    constructor(AggregatorV3Interface feed_, int256 minAnswer_, int256 maxAnswer_) {
        uint8 decimals_ = feed_.decimals();
        if (decimals_ > 18) revert ChainlinkAdapterDecimalsTooHigh(decimals_);
        if (minAnswer_ >= maxAnswer_) revert ChainlinkAdapterInvalidBounds(minAnswer_, maxAnswer_);
        feed = feed_;
        feedDecimals = decimals_;
        minAnswer = minAnswer_;
        maxAnswer = maxAnswer_;
        _scale = 10 ** (18 - decimals_);
    }

    /// @inheritdoc IPriceSource
    function observe() external view returns (uint256 price, uint256 updatedAt, Status status) {
        (bool ok, bytes memory data) = _callFeed(abi.encodeCall(AggregatorV3Interface.latestRoundData, ()));
        if (!ok || data.length < LATEST_ROUND_DATA_SIZE) return (0, 0, Status.CallFailed);
        int256 answer;
        (, answer, , updatedAt, ) = abi.decode(data, (uint80, int256, uint256, uint256, uint80));

        (ok, data) = _callFeed(abi.encodeCall(AggregatorV3Interface.decimals, ()));
        if (!ok || data.length < 32) return (0, updatedAt, Status.CallFailed);
        if (abi.decode(data, (uint256)) != feedDecimals) return (0, updatedAt, Status.DecimalsChanged);

        if (answer <= 0) return (0, updatedAt, Status.NonPositive);
        if (updatedAt == 0) return (0, 0, Status.NoTimestamp);
        if (updatedAt > block.timestamp) return (0, updatedAt, Status.FutureTimestamp);
        if (answer <= minAnswer || answer >= maxAnswer) return (0, updatedAt, Status.AtFeedBound);
        // Exact: answer > 0 and the scale is at most 1e18, far from overflowing for any int256 answer a feed sends.
        return (uint256(answer) * _scale, updatedAt, Status.Valid);
    }

    /// @inheritdoc IPriceSource
    function updateFee(bytes calldata) external pure returns (uint256) {
        return 0;
    }

    /// @inheritdoc IPriceSource
    function update(bytes calldata) external payable {
        revert PriceSourceNotUpdatable();
    }

    /// @inheritdoc IPriceSource
    function description() external view returns (string memory) {
        try feed.description() returns (string memory d) {
            return d;
        } catch {
            return "chainlink-type feed";
        }
    }

    /// @dev A failed call that left this frame with at most 1/64 of the gas it had is treated as caused by the
    /// caller's gas limit (EIP-150 forwards 63/64), and reverts instead of reporting a broken feed.
    function _callFeed(bytes memory payload) private view returns (bool ok, bytes memory data) {
        uint256 gasBefore = gasleft();
        (ok, data) = address(feed).staticcall(payload);
        if (!ok && gasleft() <= gasBefore / 64) revert PriceSourceInsufficientGas();
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title MockFeedProxy
/// @notice Test only. A re-pointable feed proxy in the manner of Chainlink's `EACAggregatorProxy` (which the
/// Chainlink package 1.2.0 does not ship for 0.8): it forwards to its current aggregator, so re-pointing it
/// can change its decimals. It can also be made to revert, or to burn gas, to stand for a broken feed.
contract MockFeedProxy is AggregatorV3Interface {
    /// @notice The feed was told to fail.
    error MockFeedProxyBroken();

    AggregatorV3Interface public aggregator;
    bool public broken;
    uint256 public gasToBurn;

    constructor(AggregatorV3Interface aggregator_) {
        aggregator = aggregator_;
    }

    function setAggregator(AggregatorV3Interface aggregator_) external {
        aggregator = aggregator_;
    }

    function setBroken(bool broken_) external {
        broken = broken_;
    }

    function setGasToBurn(uint256 gasToBurn_) external {
        gasToBurn = gasToBurn_;
    }

    function decimals() external view returns (uint8) {
        if (broken) revert MockFeedProxyBroken();
        return aggregator.decimals();
    }

    function description() external view returns (string memory) {
        return aggregator.description();
    }

    function version() external view returns (uint256) {
        return aggregator.version();
    }

    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        if (broken) revert MockFeedProxyBroken();
        return aggregator.getRoundData(roundId);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        _misbehave();
        return aggregator.latestRoundData();
    }

    /// @dev Only `latestRoundData` is expensive, as the read that matters.
    function _misbehave() private view {
        if (broken) revert MockFeedProxyBroken();
        uint256 target = gasToBurn;
        uint256 start = gasleft();
        // Burns `gasToBurn` gas, like a feed whose read is expensive.
        while (start - gasleft() < target) {}
    }
}

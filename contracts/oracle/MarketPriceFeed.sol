// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IPriceAggregator} from "../interfaces/IPriceAggregator.sol";

/// @title MarketPriceFeed
/// @notice Bulwark's price of one market as an `AggregatorV3Interface`, so other protocols can consume it (AGG-6).
/// @dev It reports the last price Bulwark trusted and when it was read, with 18 decimals. While the market is
/// frozen the answer keeps its old timestamp, so a consumer's usual staleness check does the right thing. The
/// round id is that timestamp: it only grows, and only the latest round is available.
contract MarketPriceFeed is AggregatorV3Interface {
    /// @notice Only the latest round is kept; `roundId` is not it.
    error MarketPriceFeedNoHistory(uint80 roundId);

    IPriceAggregator public immutable aggregator;
    bytes32 public immutable market;

    constructor(IPriceAggregator aggregator_, bytes32 market_) {
        aggregator_.lastGoodPrice(market_); // reverts for an unknown market
        aggregator = aggregator_;
        market = market_;
    }

    /// @inheritdoc AggregatorV3Interface
    function decimals() external pure returns (uint8) {
        return 18;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external pure returns (string memory) {
        return "Bulwark median price";
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        (uint80 latest, int256 answer, uint256 startedAt, uint256 updatedAt, ) = latestRoundData();
        if (roundId != latest) revert MarketPriceFeedNoHistory(roundId);
        return (latest, answer, startedAt, updatedAt, latest);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData()
        public
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        (uint256 price, uint256 at) = aggregator.lastGoodPrice(market);
        // The aggregator stores prices in 128 bits and times in 40 bits, so these casts cannot truncate.
        roundId = uint80(at);
        return (roundId, int256(price), at, at, roundId);
    }
}

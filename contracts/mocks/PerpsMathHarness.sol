// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PerpsMath} from "../perps/PerpsMath.sol";

/// @title PerpsMathHarness
/// @notice Test only: exposes `PerpsMath` so its TypeScript mirror can be checked against it.
contract PerpsMathHarness {
    function fillPrice(uint256 price, int256 skew, int256 delta, uint256 skewScale) external pure returns (uint256) {
        return PerpsMath.fillPrice(price, skew, delta, skewScale);
    }

    function tradeFee(
        int256 skew,
        int256 delta,
        uint256 fill,
        uint256 maker,
        uint256 taker
    ) external pure returns (uint256) {
        return PerpsMath.tradeFee(skew, delta, fill, maker, taker);
    }

    function fundingVelocity(int256 skew, uint256 skewScale, uint256 maxVelocity) external pure returns (int256) {
        return PerpsMath.fundingVelocity(skew, skewScale, maxVelocity);
    }

    function accrueFunding(
        int256 rate,
        int256 velocity,
        uint256 elapsed,
        uint256 maxRate,
        uint256 price
    ) external pure returns (int256, int256) {
        return PerpsMath.accrueFunding(rate, velocity, elapsed, maxRate, price);
    }

    function pnl(int256 size, uint256 entry, uint256 exit) external pure returns (int256) {
        return PerpsMath.pnl(size, entry, exit);
    }

    function fundingOwed(int256 size, int256 entryIndex, int256 index) external pure returns (int256) {
        return PerpsMath.fundingOwed(size, entryIndex, index);
    }

    function margins(
        uint256 notionalUsd,
        uint256 maxLeverage,
        uint256 maintenanceBps,
        uint256 minMargin
    ) external pure returns (uint256, uint256) {
        return PerpsMath.margins(notionalUsd, maxLeverage, maintenanceBps, minMargin);
    }

    function liquidationReward(
        uint256 notionalUsd,
        uint256 flat,
        uint256 bps,
        uint256 floor,
        uint256 cap
    ) external pure returns (uint256) {
        return PerpsMath.liquidationReward(notionalUsd, flat, bps, floor, cap);
    }
}

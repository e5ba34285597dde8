// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";
import {IPerpsEngine} from "../interfaces/IPerpsEngine.sol";
import {IPerpsMarkets} from "../interfaces/IPerpsMarkets.sol";
import {PerpsMath} from "./PerpsMath.sol";

/// @title PerpsValuation
/// @notice How a position and an account are valued, shared by the engine (which acts on it) and the lens (which
/// reports it), so the two can never disagree (PERP-5, PERP-6, LIQ-1, LIQ-3).
library PerpsValuation {
    using SafeCast for int256;

    /// @notice Brings `s`'s funding up to now at `price` (PERP-5), in memory.
    function accrue(
        IPerpsEngine.MarketState memory s,
        IPerpsMarkets.MarketConfig memory c,
        uint256 price
    ) internal view {
        // A market's first trade starts its funding clock.
        uint256 elapsed = s.lastFundingAt == 0 ? 0 : block.timestamp - s.lastFundingAt;
        int256 velocity = PerpsMath.fundingVelocity(skewOf(s), c.skewScale, c.maxFundingVelocity);
        (int256 rate, int256 delta) = PerpsMath.accrueFunding(
            s.fundingRate,
            velocity,
            elapsed,
            c.maxFundingRate,
            price
        );
        s.fundingRate = rate.toInt128();
        s.fundingIndex = (int256(s.fundingIndex) + delta).toInt128();
        s.lastFundingAt = uint64(block.timestamp);
    }

    /// @notice Long minus short open interest.
    function skewOf(IPerpsEngine.MarketState memory s) internal pure returns (int256) {
        return int256(uint256(s.longOpenInterest)) - int256(uint256(s.shortOpenInterest));
    }

    /// @notice `p` valued as if closed now at `price`: at the closing fill price with the closing fee (`atOracle`:
    /// at the oracle price without fee, as auto-deleveraging closes), funding accrued to now. `s` is accrued in
    /// place.
    function value(
        IPerpsEngine.Position memory p,
        bytes32 market,
        IPerpsMarkets.MarketConfig memory c,
        IPerpsEngine.MarketState memory s,
        uint256 price,
        bool atOracle
    ) internal view returns (IPerpsEngine.PositionValue memory v) {
        (v.market, v.size, v.entryPrice, v.price) = (market, p.size, p.entryPrice, price);
        if (p.size == 0) return v;
        accrue(s, c, price);
        int256 skew = skewOf(s);
        v.closeFillPrice = price;
        if (!atOracle) {
            v.closeFillPrice = PerpsMath.fillPrice(price, skew, -int256(p.size), c.skewScale);
            v.closeFee = PerpsMath.tradeFee(skew, -int256(p.size), v.closeFillPrice, c.makerFeeBps, c.takerFeeBps);
        }
        v.pnl = PerpsMath.pnl(p.size, p.entryPrice, v.closeFillPrice);
        v.fundingOwed = PerpsMath.fundingOwed(p.size, p.entryFundingIndex, s.fundingIndex);
        v.notional = PerpsMath.notional(p.size, price);
        (v.initialMargin, v.maintenanceMargin) = PerpsMath.margins(
            v.notional,
            c.maxLeverage,
            c.maintenanceMarginBps,
            c.minMargin
        );
    }

    /// @notice The reward for liquidating `size` at `price` in a market with `c` (LIQ-3), in USD.
    function reward(uint256 size, uint256 price, IPerpsMarkets.MarketConfig memory c) internal pure returns (uint256) {
        return
            PerpsMath.liquidationReward(
                Math.mulDiv(size, price, PerpsMath.WAD),
                c.liquidationRewardFlat,
                c.liquidationRewardBps,
                c.liquidationRewardFloor,
                c.liquidationRewardCap
            );
    }

    /// @notice Adds position value `v` to health `h`, and the reward a liquidation step of it would pay to `rewardUsd`.
    function add(
        IPerpsEngine.Health memory h,
        IPerpsEngine.PositionValue memory v,
        IPerpsMarkets.MarketConfig memory c,
        uint256 rewardUsd
    ) internal pure returns (uint256) {
        h.equity += v.pnl - v.fundingOwed - int256(v.closeFee);
        h.initialMargin += v.initialMargin;
        h.maintenanceMargin += v.maintenanceMargin;
        return rewardUsd + reward(Math.min(SignedMath.abs(v.size), c.liquidationStep), v.price, c);
    }

    /// @notice Completes `h` once every position is added: liquidatable when an account with positions has equity
    /// below its maintenance margin (LIQ-1); the expected reward capped at its collateral (`units`) and its equity.
    function finish(
        IPerpsEngine.Health memory h,
        bool hasPositions,
        uint256 rewardUsd,
        uint256 units,
        uint256 usdScale
    ) internal pure {
        h.liquidatable = hasPositions && h.equity < int256(h.maintenanceMargin);
        if (h.liquidatable) h.expectedReward = cappedReward(rewardUsd, units, h.equity, usdScale);
    }

    /// @notice A liquidation reward of `rewardUsd` in collateral units, never more than the margin left: the
    /// collateral `units`, and the `equity` (so liquidating oneself cannot pay) (LIQ-3).
    function cappedReward(
        uint256 rewardUsd,
        uint256 units,
        int256 equity,
        uint256 usdScale
    ) internal pure returns (uint256) {
        uint256 equityUnits = equity > 0 ? uint256(equity) / usdScale : 0;
        return Math.min(rewardUsd / usdScale, Math.min(units, equityUnits));
    }
}

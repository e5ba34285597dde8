// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";

/// @title PerpsMath
/// @notice The pure arithmetic of Bulwark's perpetual futures (PERP-4 … PERP-6, LIQ-3), mirrored in TypeScript by
/// `test/helpers/perps-math.ts` and checked against it by a differential property test.
/// @dev Units: sizes are 18-decimal base units (positive long), prices and USD amounts 18-decimal, rates 18-decimal
/// fractions per day. Every function that divides names its rounding, and the rounding always favours the
/// protocol: what a trader receives is rounded down, what a trader owes is rounded up.
library PerpsMath {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant DAY = 1 days;

    /// @notice The price at which a trade of `delta` fills when the market's skew is `skew` (SPEC PERP-4): the
    /// oracle price moved by the average of the skew premium before and after the trade,
    /// `price × (1 + (skew + (skew + delta)) / (2 × skewScale))`. Trades that increase the skew pay more, trades
    /// that reduce it pay less. Rounded against the trader: up for a buyer, down for a seller; never below 1.
    function fillPrice(uint256 price, int256 skew, int256 delta, uint256 skewScale) internal pure returns (uint256) {
        int256 premiumNumerator = 2 * skew + delta;
        uint256 move = Math.mulDiv(
            price,
            SignedMath.abs(premiumNumerator),
            2 * skewScale,
            // A buyer pays more: round a positive move up and a negative move down (and vice versa for a seller).
            (premiumNumerator > 0) == (delta > 0) ? Math.Rounding.Ceil : Math.Rounding.Floor
        );
        if (premiumNumerator >= 0) return price + move;
        return move >= price ? 1 : price - move;
    }

    /// @notice The fee on a trade of `delta` at `fill`: the maker rate on the part that reduces the skew toward zero,
    /// the taker rate on the part that increases it (PERP-4). In USD, rounded up.
    function tradeFee(
        int256 skew,
        int256 delta,
        uint256 fill,
        uint256 makerFeeBps,
        uint256 takerFeeBps
    ) internal pure returns (uint256) {
        uint256 size = SignedMath.abs(delta);
        uint256 makerPart;
        // Opposite signs: the trade first reduces the skew (maker), and only what crosses zero increases it.
        if ((skew > 0 && delta < 0) || (skew < 0 && delta > 0)) makerPart = Math.min(size, SignedMath.abs(skew));
        uint256 weighted = makerPart * makerFeeBps + (size - makerPart) * takerFeeBps;
        return Math.mulDiv(weighted, fill, WAD * BPS, Math.Rounding.Ceil);
    }

    /// @notice The funding velocity (PERP-5): `clamp(skew / skewScale, −1, 1) × maxVelocity`, per day per day.
    /// Truncated toward zero.
    function fundingVelocity(int256 skew, uint256 skewScale, uint256 maxVelocity) internal pure returns (int256) {
        uint256 absSkew = Math.min(SignedMath.abs(skew), skewScale);
        int256 v = int256(Math.mulDiv(absSkew, maxVelocity, skewScale));
        return skew < 0 ? -v : v;
    }

    /// @notice Advances the funding rate by `velocity` over `elapsed` seconds, the rate staying within
    /// `±maxRate`, and returns the new rate and the funding per unit of size accrued meanwhile at `price`
    /// (the exact integral of the clamped linear rate, times the price). A positive accrual is paid by longs to
    /// shorts. Divisions truncate toward zero: the index is shared by both sides; per-position rounding favours
    /// the protocol (`fundingOwed`).
    function accrueFunding(
        int256 rate,
        int256 velocity,
        uint256 elapsed,
        uint256 maxRate,
        uint256 price
    ) internal pure returns (int256 newRate, int256 indexDelta) {
        int256 max = int256(maxRate);
        int256 r0 = rate > max ? max : (rate < -max ? -max : rate);
        if (elapsed == 0) return (r0, 0);
        int256 dt = int256(elapsed);
        int256 day = int256(DAY);
        int256 r1 = r0 + (velocity * dt) / day;
        // area: the integral of the rate over the interval, in rate × seconds.
        int256 area;
        if (r1 > max || r1 < -max) {
            int256 bound = r1 > max ? max : -max;
            // The rate reaches the bound after `toBound` seconds (velocity is non-zero here, and of the sign that
            // moves r0 toward the bound), then stays there.
            int256 toBound = ((bound - r0) * day) / velocity;
            if (toBound > dt) toBound = dt;
            area = ((r0 + bound) * toBound) / 2 + bound * (dt - toBound);
            r1 = bound;
        } else {
            area = ((r0 + r1) * dt) / 2;
        }
        return (r1, (area * int256(price)) / int256(WAD * DAY));
    }

    /// @notice The PnL of `size` opened at `entry` and closed at `exit`, in USD, rounded down (toward −∞).
    function pnl(int256 size, uint256 entry, uint256 exit) internal pure returns (int256) {
        return mulDivDown(size, int256(exit) - int256(entry), WAD);
    }

    /// @notice The funding `size` owes between its entry index and `index`, in USD (negative: it is owed),
    /// rounded up (toward +∞, against the trader).
    function fundingOwed(int256 size, int256 entryIndex, int256 index) internal pure returns (int256) {
        return -mulDivDown(size, entryIndex - index, WAD);
    }

    /// @notice `|size| × price`, in USD, rounded up.
    function notional(int256 size, uint256 price) internal pure returns (uint256) {
        return Math.mulDiv(SignedMath.abs(size), price, WAD, Math.Rounding.Ceil);
    }

    /// @notice Initial and maintenance margin of a position of `notionalUsd` (PERP-6): initial = notional / max
    /// leverage + the flat minimum; maintenance = the leverage part × `maintenanceBps` + the flat minimum, which
    /// covers the liquidation reward of even a dust position (LIQ-3). Rounded up.
    function margins(
        uint256 notionalUsd,
        uint256 maxLeverage,
        uint256 maintenanceBps,
        uint256 minMargin
    ) internal pure returns (uint256 initialMargin, uint256 maintenanceMargin) {
        uint256 leveraged = Math.ceilDiv(notionalUsd, maxLeverage);
        initialMargin = leveraged + minMargin;
        maintenanceMargin = Math.mulDiv(leveraged, maintenanceBps, BPS, Math.Rounding.Ceil) + minMargin;
    }

    /// @notice The liquidator's reward for closing `notionalUsd` (LIQ-3): `clamp(flat + bps × notional, floor,
    /// cap)`, rounded down. The caller also caps it at the account's remaining margin.
    function liquidationReward(
        uint256 notionalUsd,
        uint256 flat,
        uint256 bps,
        uint256 floor,
        uint256 cap
    ) internal pure returns (uint256) {
        uint256 reward = flat + Math.mulDiv(notionalUsd, bps, BPS);
        if (reward < floor) reward = floor;
        return reward > cap ? cap : reward;
    }

    /// @notice `a × b / d` rounded toward −∞, for a positive `d`.
    function mulDivDown(int256 a, int256 b, uint256 d) internal pure returns (int256) {
        uint256 magnitude = Math.mulDiv(
            SignedMath.abs(a),
            SignedMath.abs(b),
            d,
            (a < 0) != (b < 0) ? Math.Rounding.Ceil : Math.Rounding.Floor
        );
        return (a < 0) != (b < 0) ? -int256(magnitude) : int256(magnitude);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMathLib} from "solady/src/utils/FixedPointMathLib.sol";

/// @title BlackScholes
/// @notice European option values on chain (OPT-3), in 18-decimal fixed point, with a zero interest rate (the
/// collateral is a dollar stablecoin that earns nothing in the pool). `ln`, `exp` and `sqrt` are Solady's; the normal
/// CDF is Abramowitz and Stegun's 26.2.17 (absolute error below 7.5e-8). The differential test against a
/// 50-digit reference states the largest error found over the listed input ranges.
/// @dev Every function is total over its documented inputs: a zero time or volatility gives the intrinsic value, and
/// the approximations are clamped to the no-arbitrage bounds (a call is worth between its intrinsic value and the
/// spot; a capped call between 0 and its cap), so a model error can never price an option outside them.
library BlackScholes {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant YEAR = 365 days;

    /// @dev Beyond ten standard deviations the CDF is 0 or 1 to within 1e-23.
    uint256 private constant CDF_CUTOFF = 10e18;
    /// @dev 1 / sqrt(2π) and the constants of Abramowitz and Stegun 26.2.17, scaled by 1e18.
    int256 private constant INV_SQRT_2PI = 398942280401432678;
    int256 private constant P = 231641900000000000;
    int256 private constant B1 = 319381530000000000;
    int256 private constant B2 = -356563782000000000;
    int256 private constant B3 = 1781477937000000000;
    int256 private constant B4 = -1821255978000000000;
    int256 private constant B5 = 1330274429000000000;

    /// @notice The standard normal CDF of `x` (both 18 decimals).
    function cdf(int256 x) internal pure returns (uint256) {
        if (x <= -int256(CDF_CUTOFF)) return 0;
        if (x >= int256(CDF_CUTOFF)) return WAD;
        uint256 ax = x < 0 ? uint256(-x) : uint256(x);
        int256 t = int256((WAD * WAD) / (WAD + (uint256(P) * ax) / WAD));
        int256 poly = (t * (B1 + (t * (B2 + (t * (B3 + (t * (B4 + (t * B5) / 1e18)) / 1e18)) / 1e18)) / 1e18)) / 1e18;
        // ax < 10, so ax² / 2 < 50 and exp(−ax² / 2) is well inside `expWad`'s range.
        int256 pdf = (FixedPointMathLib.expWad(-int256((ax * ax) / WAD / 2)) * INV_SQRT_2PI) / 1e18;
        int256 tail = (pdf * poly) / 1e18;
        if (tail < 0) tail = 0;
        if (tail > int256(WAD)) tail = int256(WAD);
        return x >= 0 ? WAD - uint256(tail) : uint256(tail);
    }

    /// @notice `seconds` as a fraction of a 365-day year (18 decimals).
    function yearsOf(uint256 secondsLeft) internal pure returns (uint256) {
        return (secondsLeft * WAD) / YEAR;
    }

    /// @notice The value of a call on one unit at `spot` with `strike`, volatility `vol` (annual, e.g. 0.8e18 for
    /// 80 %) and `tau` years to expiry. All in 18 decimals; `strike` must be non-zero.
    function callValue(uint256 spot, uint256 strike, uint256 vol, uint256 tau) internal pure returns (uint256 value) {
        uint256 intrinsic = spot > strike ? spot - strike : 0;
        uint256 sigmaSqrtT = (vol * FixedPointMathLib.sqrt(tau * WAD)) / WAD;
        if (sigmaSqrtT == 0) return intrinsic;
        uint256 moneyness = (spot * WAD) / strike;
        // A spot below 1e-18 of the strike: worth nothing at 18 decimals (and ln 0 is undefined).
        if (moneyness == 0) return 0;
        int256 d1 =
            ((FixedPointMathLib.lnWad(int256(moneyness)) + int256((sigmaSqrtT * sigmaSqrtT) / WAD / 2)) * 1e18) /
                int256(sigmaSqrtT);
        int256 d2 = d1 - int256(sigmaSqrtT);
        uint256 a = (spot * cdf(d1)) / WAD;
        uint256 b = (strike * cdf(d2)) / WAD;
        value = a > b ? a - b : 0;
        if (value < intrinsic) value = intrinsic;
        if (value > spot) value = spot;
    }

    /// @notice The value of a put (put–call parity at a zero rate), within its no-arbitrage bounds.
    function putValue(uint256 spot, uint256 strike, uint256 vol, uint256 tau) internal pure returns (uint256 value) {
        // call ≥ max(spot − strike, 0), so call + strike ≥ spot.
        value = callValue(spot, strike, vol, tau) + strike - spot;
        if (value > strike) value = strike;
    }

    /// @notice The value of a call whose payoff is capped at `cap`: a call spread, `call(strike) − call(strike +
    /// cap)`, within `[0, cap]`.
    function cappedCall(
        uint256 spot,
        uint256 strike,
        uint256 cap,
        uint256 vol,
        uint256 tau
    ) internal pure returns (uint256 value) {
        uint256 a = callValue(spot, strike, vol, tau);
        uint256 b = callValue(spot, strike + cap, vol, tau);
        value = a > b ? a - b : 0;
        if (value > cap) value = cap;
    }
}

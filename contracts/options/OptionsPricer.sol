// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BlackScholes} from "./BlackScholes.sol";

/// @title OptionsPricer
/// @notice The model value of one option (OPT-3), as a linked library so that the pricing code lives outside the
/// options engine's 24 KB.
library OptionsPricer {
    /// @notice The value of one unit (18-decimal USD): a call capped at `maxPayoff` (a call spread) or a put, at
    /// `spot` with annual volatility `vol` and `secondsLeft` to expiry; always within `[0, maxPayoff]`.
    function fairValue(
        bool isCall,
        uint256 spot,
        uint256 strike,
        uint256 maxPayoff,
        uint256 vol,
        uint256 secondsLeft
    ) public pure returns (uint256) {
        uint256 tau = BlackScholes.yearsOf(secondsLeft);
        if (isCall) return BlackScholes.cappedCall(spot, strike, maxPayoff, vol, tau);
        return BlackScholes.putValue(spot, strike, vol, tau);
    }
}

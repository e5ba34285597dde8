// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BlackScholes} from "../options/BlackScholes.sol";

/// @notice Exposes `BlackScholes` for the differential tests.
contract BlackScholesHarness {
    function cdf(int256 x) external pure returns (uint256) {
        return BlackScholes.cdf(x);
    }

    function yearsOf(uint256 secondsLeft) external pure returns (uint256) {
        return BlackScholes.yearsOf(secondsLeft);
    }

    function callValue(uint256 spot, uint256 strike, uint256 vol, uint256 tau) external pure returns (uint256) {
        return BlackScholes.callValue(spot, strike, vol, tau);
    }

    function putValue(uint256 spot, uint256 strike, uint256 vol, uint256 tau) external pure returns (uint256) {
        return BlackScholes.putValue(spot, strike, vol, tau);
    }

    function cappedCall(
        uint256 spot,
        uint256 strike,
        uint256 cap,
        uint256 vol,
        uint256 tau
    ) external pure returns (uint256) {
        return BlackScholes.cappedCall(spot, strike, cap, vol, tau);
    }
}

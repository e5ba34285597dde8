// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IBoundedParameters} from "../interfaces/IBoundedParameters.sol";
import {IOptionsEngine} from "../interfaces/IOptionsEngine.sol";

/// @title OptionsParameters
/// @notice The options engine's bounded parameters (OPT-3 … OPT-6): their keys, hard bounds and safer direction, and
/// where each is stored. A linked library, called only when governance or the guardian reads or sets a parameter,
/// so that the tables live outside the engine's 24 KB.
library OptionsParameters {
    bytes32 internal constant IMPLIED_VOL = "impliedVol";
    bytes32 internal constant STRIKE_STEP = "strikeStep";
    bytes32 internal constant MAX_SERIES_OPEN_INTEREST = "maxSeriesOpenInterest";
    bytes32 internal constant SPREAD_BPS = "spreadBps";
    bytes32 internal constant UTILISATION_PREMIUM_BPS = "utilisationPremiumBps";
    bytes32 internal constant FEE_BPS = "feeBps";
    bytes32 internal constant MAX_UTILISATION_BPS = "maxUtilisationBps";
    bytes32 internal constant PRICE_BAND_BPS = "priceBandBps";
    bytes32 internal constant CARRY_BPS = "carryBps";
    bytes32 internal constant TRADING_CUTOFF = "tradingCutoff";
    bytes32 internal constant SETTLEMENT_WINDOW = "settlementWindow";
    bytes32 internal constant MIN_STRIKE_BPS = "minStrikeBps";
    bytes32 internal constant MAX_STRIKE_BPS = "maxStrikeBps";
    bytes32 internal constant MIN_TIME_TO_EXPIRY = "minTimeToExpiry";
    bytes32 internal constant MAX_TIME_TO_EXPIRY = "maxTimeToExpiry";

    /// @notice `IBoundedParameters.ParameterSpec` with the tightening direction as its integer value.
    struct Spec {
        uint256 min;
        uint256 max;
        uint8 tightening;
    }

    uint256 private constant BPS = 10_000;
    /// @dev Option amounts, like perp sizes, up to 10^10 units.
    uint256 private constant MAX_AMOUNT = 1e28;

    /// @notice The bounds of `key` and the direction the guardian may move it in; (0, 0, None) for an unknown key.
    /// @dev Returned as a plain struct of integers: a library's ABI names enums by their Solidity type.
    function spec(bytes32 key) external pure returns (Spec memory) {
        uint8 none = uint8(IBoundedParameters.Tightening.None);
        uint8 lower = uint8(IBoundedParameters.Tightening.Lower);
        uint8 higher = uint8(IBoundedParameters.Tightening.Higher);
        if (key == IMPLIED_VOL) return _spec(5e16, 3e18, none);
        if (key == STRIKE_STEP) return _spec(1e16, 1e24, none);
        if (key == MAX_SERIES_OPEN_INTEREST) return _spec(0, MAX_AMOUNT, lower);
        if (key == SPREAD_BPS) return _spec(10, 2000, higher);
        if (key == UTILISATION_PREMIUM_BPS) return _spec(0, 5000, higher);
        if (key == FEE_BPS) return _spec(0, 50, none);
        if (key == MAX_UTILISATION_BPS) return _spec(1000, 9000, lower);
        // The band should cover the largest move a known oracle update can make (the feeds' deviation thresholds).
        if (key == PRICE_BAND_BPS) return _spec(0, 500, higher);
        if (key == CARRY_BPS) return _spec(0, 5000, higher);
        if (key == TRADING_CUTOFF) return _spec(5 minutes, 1 days, higher);
        // How long an oracle outage after expiry may last before only governance can set the price (a pause does not
        // count: the price is recorded while settlement is paused).
        if (key == SETTLEMENT_WINDOW) return _spec(1 days, 14 days, none);
        if (key == MIN_STRIKE_BPS) return _spec(1000, BPS, none);
        if (key == MAX_STRIKE_BPS) return _spec(BPS, 10 * BPS, none);
        if (key == MIN_TIME_TO_EXPIRY) return _spec(1 hours, 30 days, none);
        if (key == MAX_TIME_TO_EXPIRY) return _spec(1 days, 730 days, none);
        return _spec(0, 0, none);
    }

    /// @notice The value of the per-market parameter `key` of `m`.
    function readMarket(IOptionsEngine.OptionMarket storage m, bytes32 key) external view returns (uint256) {
        if (key == IMPLIED_VOL) return m.impliedVol;
        if (key == STRIKE_STEP) return m.strikeStep;
        if (key == MAX_SERIES_OPEN_INTEREST) return m.maxSeriesOpenInterest;
        revert IBoundedParameters.ParameterUnknown(key);
    }

    /// @notice The value of the engine-wide parameter `key`.
    function readGlobal(IOptionsEngine.GlobalConfig storage g, bytes32 key) external view returns (uint256) {
        if (key == SPREAD_BPS) return g.spreadBps;
        if (key == UTILISATION_PREMIUM_BPS) return g.utilisationPremiumBps;
        if (key == FEE_BPS) return g.feeBps;
        if (key == MAX_UTILISATION_BPS) return g.maxUtilisationBps;
        if (key == PRICE_BAND_BPS) return g.priceBandBps;
        if (key == CARRY_BPS) return g.carryBps;
        if (key == TRADING_CUTOFF) return g.tradingCutoff;
        if (key == SETTLEMENT_WINDOW) return g.settlementWindow;
        if (key == MIN_STRIKE_BPS) return g.minStrikeBps;
        if (key == MAX_STRIKE_BPS) return g.maxStrikeBps;
        if (key == MIN_TIME_TO_EXPIRY) return g.minTimeToExpiry;
        if (key == MAX_TIME_TO_EXPIRY) return g.maxTimeToExpiry;
        revert IBoundedParameters.ParameterUnknown(key);
    }

    /// @notice Stores `value` (within its bounds already, so it fits its field) as the per-market parameter `key`.
    function writeMarket(IOptionsEngine.OptionMarket storage m, bytes32 key, uint256 value) external {
        if (key == IMPLIED_VOL) m.impliedVol = uint64(value);
        else if (key == STRIKE_STEP) m.strikeStep = uint96(value);
        else if (key == MAX_SERIES_OPEN_INTEREST) m.maxSeriesOpenInterest = uint96(value);
        else revert IBoundedParameters.ParameterUnknown(key);
    }

    /// @notice Stores `value` (within its bounds already) as the engine-wide parameter `key`, refusing one that would
    /// contradict another parameter.
    function writeGlobal(IOptionsEngine.GlobalConfig storage g, bytes32 key, uint256 value) external {
        if (key == SPREAD_BPS) g.spreadBps = uint16(value);
        else if (key == UTILISATION_PREMIUM_BPS) g.utilisationPremiumBps = uint16(value);
        else if (key == FEE_BPS) g.feeBps = uint16(value);
        else if (key == MAX_UTILISATION_BPS) g.maxUtilisationBps = uint16(value);
        else if (key == PRICE_BAND_BPS) g.priceBandBps = uint16(value);
        else if (key == CARRY_BPS) g.carryBps = uint16(value);
        else if (key == TRADING_CUTOFF) g.tradingCutoff = uint24(value);
        else if (key == SETTLEMENT_WINDOW) g.settlementWindow = uint24(value);
        else if (key == MIN_STRIKE_BPS) g.minStrikeBps = uint16(value);
        else if (key == MAX_STRIKE_BPS) g.maxStrikeBps = uint16(value);
        else if (key == MIN_TIME_TO_EXPIRY) g.minTimeToExpiry = uint24(value);
        else if (key == MAX_TIME_TO_EXPIRY) g.maxTimeToExpiry = uint32(value);
        else revert IBoundedParameters.ParameterUnknown(key);
        if (g.minTimeToExpiry > g.maxTimeToExpiry) revert IOptionsEngine.OptionsParameterConflict(key, value);
        // A cutoff at or beyond the shortest expiry would list series that can never trade.
        if (g.tradingCutoff >= g.minTimeToExpiry) revert IOptionsEngine.OptionsParameterConflict(key, value);
    }

    function _spec(uint256 min, uint256 max, uint8 tightening) private pure returns (Spec memory) {
        return Spec(min, max, tightening);
    }
}

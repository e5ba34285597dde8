// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BoundedParameters} from "../governance/BoundedParameters.sol";

/// @title MockRiskModule
/// @notice Test only: the smallest module built on `BoundedParameters`, with per-market parameters of each
/// tightening kind, so the mechanism is tested on its own before the real engines use it.
contract MockRiskModule is BoundedParameters {
    /// @notice Max leverage, 18 decimals, 1x – 50x; lower is safer.
    bytes32 public constant MAX_LEVERAGE = "maxLeverage";
    /// @notice Maintenance margin in bps of notional, 0.5 % – 50 %; higher is safer.
    bytes32 public constant MAINTENANCE_MARGIN_BPS = "maintenanceMarginBps";
    /// @notice Taker fee in bps, 0 – 1 %; the guardian may not touch it.
    bytes32 public constant TAKER_FEE_BPS = "takerFeeBps";

    struct MarketParams {
        uint128 maxLeverage;
        uint64 maintenanceMarginBps;
        uint64 takerFeeBps;
    }

    /// @notice `market` is not listed.
    error MockRiskModuleUnknownMarket(bytes32 market);

    mapping(bytes32 market => MarketParams) private _markets;
    mapping(bytes32 market => bool) private _listed;

    constructor(address authority, bytes32[] memory markets) BoundedParameters(authority) {
        for (uint256 i; i < markets.length; ++i) {
            _listed[markets[i]] = true;
            _markets[markets[i]] = MarketParams({maxLeverage: 20e18, maintenanceMarginBps: 250, takerFeeBps: 5});
        }
    }

    function _parameterSpec(bytes32 key) internal pure override returns (ParameterSpec memory spec) {
        if (key == MAX_LEVERAGE) return ParameterSpec(1e18, 50e18, Tightening.Lower);
        if (key == MAINTENANCE_MARGIN_BPS) return ParameterSpec(50, 5000, Tightening.Higher);
        if (key == TAKER_FEE_BPS) return ParameterSpec(0, 100, Tightening.None);
    }

    function _readParameter(bytes32 scope, bytes32 key) internal view override returns (uint256) {
        MarketParams storage m = _market(scope);
        if (key == MAX_LEVERAGE) return m.maxLeverage;
        if (key == MAINTENANCE_MARGIN_BPS) return m.maintenanceMarginBps;
        return m.takerFeeBps;
    }

    // The bounds checked before this call fit every field, so the casts cannot truncate.
    function _writeParameter(bytes32 scope, bytes32 key, uint256 value) internal override {
        MarketParams storage m = _market(scope);
        if (key == MAX_LEVERAGE) m.maxLeverage = uint128(value);
        else if (key == MAINTENANCE_MARGIN_BPS) m.maintenanceMarginBps = uint64(value);
        else m.takerFeeBps = uint64(value);
    }

    function _market(bytes32 market) private view returns (MarketParams storage) {
        if (!_listed[market]) revert MockRiskModuleUnknownMarket(market);
        return _markets[market];
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BoundedParameters} from "../governance/BoundedParameters.sol";
import {IPerpsMarkets, PERPS_MAX_MARKETS} from "../interfaces/IPerpsMarkets.sol";
import {IPriceAggregator} from "../interfaces/IPriceAggregator.sol";

/// @title PerpsMarkets
/// @notice The perps markets and their bounded parameters. See `IPerpsMarkets`.
/// @dev Market parameters live in the market's scope (its id); engine-wide ones in scope 0. Every bound is a
/// constant below; the guardian may only lower leverage, open-interest caps, position size and skew scale, and raise
/// margins (`Tightening`). Two rules tie parameters together: the reward floor fits under the minimum margin (so a
/// dust position still pays its liquidator) and under the reward cap.
contract PerpsMarkets is BoundedParameters, IPerpsMarkets {
    /// @notice The most markets one engine lists (each is a bit of an account's market mask).
    uint256 public constant MAX_MARKETS = PERPS_MAX_MARKETS;

    bytes32 public constant SKEW_SCALE = "skewScale";
    bytes32 public constant MAX_POSITION_SIZE = "maxPositionSize";
    bytes32 public constant MAX_LONG_OPEN_INTEREST = "maxLongOpenInterest";
    bytes32 public constant MAX_SHORT_OPEN_INTEREST = "maxShortOpenInterest";
    bytes32 public constant LIQUIDATION_STEP = "liquidationStep";
    bytes32 public constant MAX_FUNDING_VELOCITY = "maxFundingVelocity";
    bytes32 public constant MAX_FUNDING_RATE = "maxFundingRate";
    bytes32 public constant MIN_MARGIN = "minMargin";
    bytes32 public constant LIQUIDATION_REWARD_FLAT = "liquidationRewardFlat";
    bytes32 public constant MAKER_FEE_BPS = "makerFeeBps";
    bytes32 public constant TAKER_FEE_BPS = "takerFeeBps";
    bytes32 public constant MAINTENANCE_MARGIN_BPS = "maintenanceMarginBps";
    bytes32 public constant LIQUIDATION_REWARD_BPS = "liquidationRewardBps";
    bytes32 public constant LIQUIDATION_REWARD_FLOOR = "liquidationRewardFloor";
    bytes32 public constant LIQUIDATION_REWARD_CAP = "liquidationRewardCap";
    bytes32 public constant RESERVE_BPS = "reserveBps";
    bytes32 public constant MAX_LEVERAGE = "maxLeverage";

    bytes32 public constant MIN_ORDER_DELAY = "minOrderDelay";
    bytes32 public constant ORDER_WINDOW = "orderWindow";
    bytes32 public constant MIN_KEEPER_FEE = "minKeeperFee";
    bytes32 public constant CANCEL_CHARGE_BPS = "cancelChargeBps";
    bytes32 public constant LIQUIDATION_WINDOW = "liquidationWindow";
    bytes32 public constant ADL_THRESHOLD_BPS = "adlThresholdBps";

    /// @dev Sizes and open interest: up to 10^10 units of an 18-decimal base asset (a `uint96` field, and a size
    /// change from the most long to the most short fits an order's `int96`).
    uint256 private constant MAX_SIZE = 1e28;
    uint256 private constant USD = 1e18;

    /// @notice The oracle.
    IPriceAggregator public immutable aggregator;

    /// @dev A fixed array, so that `marketAt` reads no length; `_count` are listed.
    bytes32[MAX_MARKETS] private _marketIds;
    uint256 private _count;
    mapping(bytes32 market => uint256 indexPlusOne) private _indexOf;
    MarketConfig[MAX_MARKETS] private _configs;
    GlobalConfig private _global;

    /// @param authority the AccessManager
    /// @param aggregator_ the oracle, which must know every market listed
    constructor(address authority, IPriceAggregator aggregator_) BoundedParameters(authority) {
        aggregator = aggregator_;
        _global = GlobalConfig({
            minOrderDelay: 2,
            orderWindow: 1 hours,
            liquidationWindow: 30,
            cancelChargeBps: 1000,
            adlThresholdBps: 5000,
            minKeeperFee: uint96(USD / 2)
        });
    }

    /// @inheritdoc IPerpsMarkets
    function listMarket(bytes32 market, MarketConfig calldata config) external restricted {
        uint256 index = _count;
        if (market == bytes32(0) || _indexOf[market] != 0 || index == MAX_MARKETS) revert PerpsCannotList(market);
        // Reverts for a market the aggregator does not know.
        aggregator.lastGoodPrice(market);
        _checkMarketConfig(config);
        _count = index + 1;
        _marketIds[index] = market;
        _indexOf[market] = index + 1;
        _configs[index] = config;
        emit MarketListed(market, uint8(index), config, msg.sender);
    }

    /// @inheritdoc IPerpsMarkets
    function markets() external view returns (bytes32[] memory list) {
        list = new bytes32[](_count);
        for (uint256 i; i < list.length; ++i) list[i] = _marketIds[i];
    }

    /// @inheritdoc IPerpsMarkets
    function marketCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc IPerpsMarkets
    function indexOf(bytes32 market) external view returns (uint256) {
        return _index(market);
    }

    /// @inheritdoc IPerpsMarkets
    function configOf(bytes32 market) external view returns (uint256 index, MarketConfig memory) {
        index = _index(market);
        return (index, _configs[index]);
    }

    /// @inheritdoc IPerpsMarkets
    function marketAt(uint256 index) external view returns (bytes32 market, MarketConfig memory) {
        market = index < MAX_MARKETS ? _marketIds[index] : bytes32(0);
        if (market == bytes32(0)) revert PerpsUnknownMarket(market);
        return (market, _configs[index]);
    }

    /// @inheritdoc IPerpsMarkets
    function globalConfig() external view returns (GlobalConfig memory) {
        return _global;
    }

    function _index(bytes32 market) private view returns (uint256) {
        uint256 indexPlusOne = _indexOf[market];
        if (indexPlusOne == 0) revert PerpsUnknownMarket(market);
        return indexPlusOne - 1;
    }

    function _checkMarketConfig(MarketConfig calldata c) private pure {
        _requireInBounds(SKEW_SCALE, c.skewScale);
        _requireInBounds(MAX_POSITION_SIZE, c.maxPositionSize);
        _requireInBounds(MAX_LONG_OPEN_INTEREST, c.maxLongOpenInterest);
        _requireInBounds(MAX_SHORT_OPEN_INTEREST, c.maxShortOpenInterest);
        _requireInBounds(LIQUIDATION_STEP, c.liquidationStep);
        _requireInBounds(MAX_FUNDING_VELOCITY, c.maxFundingVelocity);
        _requireInBounds(MAX_FUNDING_RATE, c.maxFundingRate);
        _requireInBounds(MIN_MARGIN, c.minMargin);
        _requireInBounds(LIQUIDATION_REWARD_FLAT, c.liquidationRewardFlat);
        _requireInBounds(MAKER_FEE_BPS, c.makerFeeBps);
        _requireInBounds(TAKER_FEE_BPS, c.takerFeeBps);
        _requireInBounds(MAINTENANCE_MARGIN_BPS, c.maintenanceMarginBps);
        _requireInBounds(LIQUIDATION_REWARD_BPS, c.liquidationRewardBps);
        _requireInBounds(LIQUIDATION_REWARD_FLOOR, c.liquidationRewardFloor);
        _requireInBounds(LIQUIDATION_REWARD_CAP, c.liquidationRewardCap);
        _requireInBounds(RESERVE_BPS, c.reserveBps);
        _requireInBounds(MAX_LEVERAGE, c.maxLeverage);
        _checkRewardRules(c.liquidationRewardFloor, c.minMargin, c.liquidationRewardCap);
    }

    function _checkRewardRules(uint256 floor, uint256 minMargin, uint256 cap) private pure {
        if (floor > minMargin) revert PerpsParameterConflict(LIQUIDATION_REWARD_FLOOR, floor);
        if (floor > cap) revert PerpsParameterConflict(LIQUIDATION_REWARD_CAP, cap);
    }

    // ---------------------------------------------------------------------------------------------
    // BoundedParameters hooks
    // ---------------------------------------------------------------------------------------------

    function _parameterSpec(bytes32 key) internal pure override returns (ParameterSpec memory) {
        if (key == MAX_LEVERAGE) return ParameterSpec(1, 50, Tightening.Lower);
        if (key == MAINTENANCE_MARGIN_BPS) return ParameterSpec(1000, 9000, Tightening.Higher);
        if (key == MIN_MARGIN) return ParameterSpec(USD, 1000 * USD, Tightening.Higher);
        if (key == SKEW_SCALE) return ParameterSpec(USD, MAX_SIZE, Tightening.Lower);
        if (key == MAX_POSITION_SIZE || key == MAX_LONG_OPEN_INTEREST || key == MAX_SHORT_OPEN_INTEREST) {
            return ParameterSpec(0, MAX_SIZE, Tightening.Lower);
        }
        if (key == LIQUIDATION_STEP) return ParameterSpec(1e15, MAX_SIZE, Tightening.None);
        if (key == MAX_FUNDING_VELOCITY) return ParameterSpec(0, 10 * USD, Tightening.None);
        if (key == MAX_FUNDING_RATE) return ParameterSpec(1e14, USD, Tightening.None);
        if (key == MAKER_FEE_BPS || key == TAKER_FEE_BPS || key == LIQUIDATION_REWARD_BPS) {
            return ParameterSpec(0, 100, Tightening.None);
        }
        if (key == LIQUIDATION_REWARD_FLAT || key == LIQUIDATION_REWARD_FLOOR) {
            return ParameterSpec(0, 100 * USD, Tightening.None);
        }
        if (key == LIQUIDATION_REWARD_CAP) return ParameterSpec(USD, 100_000 * USD, Tightening.None);
        if (key == RESERVE_BPS) return ParameterSpec(1000, 10_000, Tightening.None);
        if (key == MIN_ORDER_DELAY) return ParameterSpec(1, 10 minutes, Tightening.None);
        if (key == ORDER_WINDOW) return ParameterSpec(1 minutes, 1 days, Tightening.None);
        if (key == LIQUIDATION_WINDOW) return ParameterSpec(1, 1 hours, Tightening.None);
        if (key == CANCEL_CHARGE_BPS) return ParameterSpec(0, 5000, Tightening.None);
        if (key == ADL_THRESHOLD_BPS) return ParameterSpec(1000, 10_000, Tightening.Lower);
        if (key == MIN_KEEPER_FEE) return ParameterSpec(0, 100 * USD, Tightening.None);
        return ParameterSpec(0, 0, Tightening.None);
    }

    function _readParameter(bytes32 scope, bytes32 key) internal view override returns (uint256) {
        if (scope == bytes32(0)) {
            GlobalConfig memory g = _global;
            if (key == MIN_ORDER_DELAY) return g.minOrderDelay;
            if (key == ORDER_WINDOW) return g.orderWindow;
            if (key == LIQUIDATION_WINDOW) return g.liquidationWindow;
            if (key == CANCEL_CHARGE_BPS) return g.cancelChargeBps;
            if (key == ADL_THRESHOLD_BPS) return g.adlThresholdBps;
            if (key == MIN_KEEPER_FEE) return g.minKeeperFee;
            revert PerpsUnknownMarket(scope);
        }
        MarketConfig memory c = _configs[_index(scope)];
        if (key == SKEW_SCALE) return c.skewScale;
        if (key == MAX_POSITION_SIZE) return c.maxPositionSize;
        if (key == MAX_LONG_OPEN_INTEREST) return c.maxLongOpenInterest;
        if (key == MAX_SHORT_OPEN_INTEREST) return c.maxShortOpenInterest;
        if (key == LIQUIDATION_STEP) return c.liquidationStep;
        if (key == MAX_FUNDING_VELOCITY) return c.maxFundingVelocity;
        if (key == MAX_FUNDING_RATE) return c.maxFundingRate;
        if (key == MIN_MARGIN) return c.minMargin;
        if (key == LIQUIDATION_REWARD_FLAT) return c.liquidationRewardFlat;
        if (key == MAKER_FEE_BPS) return c.makerFeeBps;
        if (key == TAKER_FEE_BPS) return c.takerFeeBps;
        if (key == MAINTENANCE_MARGIN_BPS) return c.maintenanceMarginBps;
        if (key == LIQUIDATION_REWARD_BPS) return c.liquidationRewardBps;
        if (key == LIQUIDATION_REWARD_FLOOR) return c.liquidationRewardFloor;
        if (key == LIQUIDATION_REWARD_CAP) return c.liquidationRewardCap;
        if (key == RESERVE_BPS) return c.reserveBps;
        if (key == MAX_LEVERAGE) return c.maxLeverage;
        // An engine-wide key asked in a market's scope.
        revert ParameterUnknown(key);
    }

    function _writeParameter(bytes32 scope, bytes32 key, uint256 value) internal override {
        if (scope == bytes32(0)) {
            GlobalConfig storage g = _global;
            // Values are within their bounds already, so each fits its field.
            if (key == MIN_ORDER_DELAY) g.minOrderDelay = uint32(value);
            else if (key == ORDER_WINDOW) g.orderWindow = uint32(value);
            else if (key == LIQUIDATION_WINDOW) g.liquidationWindow = uint32(value);
            else if (key == CANCEL_CHARGE_BPS) g.cancelChargeBps = uint16(value);
            else if (key == ADL_THRESHOLD_BPS) g.adlThresholdBps = uint16(value);
            else if (key == MIN_KEEPER_FEE) g.minKeeperFee = uint96(value);
            else revert PerpsUnknownMarket(scope);
            return;
        }
        MarketConfig storage c = _configs[_index(scope)];
        if (key == SKEW_SCALE) c.skewScale = uint96(value);
        else if (key == MAX_POSITION_SIZE) c.maxPositionSize = uint96(value);
        else if (key == MAX_LONG_OPEN_INTEREST) c.maxLongOpenInterest = uint96(value);
        else if (key == MAX_SHORT_OPEN_INTEREST) c.maxShortOpenInterest = uint96(value);
        else if (key == LIQUIDATION_STEP) c.liquidationStep = uint96(value);
        else if (key == MAX_FUNDING_VELOCITY) c.maxFundingVelocity = uint64(value);
        else if (key == MAX_FUNDING_RATE) c.maxFundingRate = uint64(value);
        else if (key == MIN_MARGIN) c.minMargin = uint80(value);
        else if (key == LIQUIDATION_REWARD_FLAT) c.liquidationRewardFlat = uint80(value);
        else if (key == MAKER_FEE_BPS) c.makerFeeBps = uint16(value);
        else if (key == TAKER_FEE_BPS) c.takerFeeBps = uint16(value);
        else if (key == MAINTENANCE_MARGIN_BPS) c.maintenanceMarginBps = uint16(value);
        else if (key == LIQUIDATION_REWARD_BPS) c.liquidationRewardBps = uint16(value);
        else if (key == LIQUIDATION_REWARD_FLOOR) c.liquidationRewardFloor = uint80(value);
        else if (key == LIQUIDATION_REWARD_CAP) c.liquidationRewardCap = uint80(value);
        else if (key == RESERVE_BPS) c.reserveBps = uint16(value);
        else if (key == MAX_LEVERAGE) c.maxLeverage = uint8(value);
        else revert ParameterUnknown(key);
        _checkRewardRules(c.liquidationRewardFloor, c.minMargin, c.liquidationRewardCap);
    }
}

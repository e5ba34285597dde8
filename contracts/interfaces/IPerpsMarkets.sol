// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The most markets one deployment lists: each is a bit of an account's 8-bit market mask in the engine.
uint256 constant PERPS_MAX_MARKETS = 8;

/// @title IPerpsMarkets
/// @notice The perps markets and their bounded risk parameters (PERP-1, PERP-6, PERP-7, LIQ-2, LIQ-3, CB-5, CB-6),
/// kept apart from the engine that trades them. Market parameters live in the market's scope (its id), engine-wide
/// ones in scope 0 (`IBoundedParameters`).
interface IPerpsMarkets {
    /// @notice A market's risk parameters (all bounded; `IBoundedParameters` keys of the same names). USD amounts
    /// 18-decimal, sizes in base units (at most 10^28: list a low-priced asset in thousands), funding per day. Every
    /// bound fits its field, and the fields fill four storage slots, which every trade reads.
    struct MarketConfig {
        uint96 skewScale;
        uint96 maxPositionSize;
        uint16 makerFeeBps;
        uint16 takerFeeBps;
        uint16 maintenanceMarginBps;
        uint16 liquidationRewardBps;
        uint96 maxLongOpenInterest;
        uint96 maxShortOpenInterest;
        uint64 maxFundingVelocity;
        uint96 liquidationStep;
        uint64 maxFundingRate;
        uint80 minMargin;
        uint16 reserveBps;
        uint80 liquidationRewardFlat;
        uint80 liquidationRewardFloor;
        uint80 liquidationRewardCap;
        uint8 maxLeverage;
    }

    /// @notice Engine-wide parameters. `minKeeperFee` in 18-decimal USD.
    struct GlobalConfig {
        uint32 minOrderDelay;
        uint32 orderWindow;
        uint32 liquidationWindow;
        uint16 cancelChargeBps;
        uint16 adlThresholdBps;
        uint96 minKeeperFee;
    }

    /// @notice `market` is not listed.
    error PerpsUnknownMarket(bytes32 market);
    /// @notice `market` is listed already, or the most markets are listed.
    error PerpsCannotList(bytes32 market);
    /// @notice Two parameters would contradict each other (`key` set to `value`).
    error PerpsParameterConflict(bytes32 key, uint256 value);

    /// @notice Governance listed `market` at `index` with `config`.
    event MarketListed(bytes32 indexed market, uint8 index, MarketConfig config, address indexed actor);

    /// @notice Governance: lists `market` (known to the aggregator) with `config`.
    function listMarket(bytes32 market, MarketConfig calldata config) external;

    /// @notice The listed markets, in index order.
    function markets() external view returns (bytes32[] memory);

    /// @notice How many markets are listed.
    function marketCount() external view returns (uint256);

    /// @notice `market`'s index; reverts with `PerpsUnknownMarket` for an unlisted market.
    function indexOf(bytes32 market) external view returns (uint256);

    /// @notice `market`'s index and parameters; reverts with `PerpsUnknownMarket` for an unlisted market.
    function configOf(bytes32 market) external view returns (uint256 index, MarketConfig memory config);

    /// @notice The id and parameters of the market at `index`; reverts with `PerpsUnknownMarket` (id 0) past the last.
    function marketAt(uint256 index) external view returns (bytes32 market, MarketConfig memory config);

    /// @notice Engine-wide parameters.
    function globalConfig() external view returns (GlobalConfig memory);
}

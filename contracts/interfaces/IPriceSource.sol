// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPriceSource
/// @notice One price source behind the aggregator (ORC-1): a Chainlink-type push feed, a Pyth pull feed, or any
/// future kind, each wrapped by an adapter that normalises to 18 decimals and applies the checks only it can
/// make (ORC-2, ORC-3). The aggregator applies the checks that depend on its own configuration (staleness per
/// source, the market's price band), so adding a kind of source never touches the aggregator.
interface IPriceSource {
    /// @notice Why a reading is or is not usable. Adapters return the first six failure codes; `Stale` and
    /// `OutOfBand` are the aggregator's own checks, reported in the same enum so one code names every reason.
    enum Status {
        Valid,
        CallFailed,
        NonPositive,
        NoTimestamp,
        FutureTimestamp,
        AtFeedBound,
        DecimalsChanged,
        ConfidenceTooWide,
        Stale,
        OutOfBand
    }

    /// @notice The call to the underlying feed failed because the caller gave it too little gas. Reverting (rather
    /// than reporting `CallFailed`) stops a caller from forcing a source to look broken by starving it of gas.
    error PriceSourceInsufficientGas();
    /// @notice This kind of source is pushed by its operator; it takes no update data.
    error PriceSourceNotUpdatable();

    /// @notice The latest reading: the price with 18 decimals (0 unless `Valid`), when the feed published it,
    /// and the result of this source's own checks. Never reverts for a failing feed (only for too little gas).
    function observe() external view returns (uint256 price, uint256 updatedAt, Status status);

    /// @notice The native fee `update(data)` costs (0 for push feeds).
    function updateFee(bytes calldata data) external view returns (uint256);

    /// @notice Pushes signed update data to a pull oracle; an update older than the stored one changes nothing.
    /// @dev Excess value is returned to the caller. Push feeds revert with `PriceSourceNotUpdatable`.
    function update(bytes calldata data) external payable;

    /// @notice A human-readable name of the source, for logs and status pages.
    function description() external view returns (string memory);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPoolEngine
/// @notice What a trading engine (perps, options) tells the liquidity pool, so that shares are priced with the
/// traders' side counted (POOL-2) and withdrawals never take what the traders may be owed (POOL-3). The pool calls
/// it on every deposit and withdrawal and in `totalAssets`, so it must be a view that does not revert. What the
/// pool must keep for the engine's traders (their maximum profit) is not reported here but reserved in advance
/// with `ILiquidityPool.reserve`, so that no other module can lock or pay it away.
interface IPoolEngine {
    /// @notice The engine's open exposure against the pool, in collateral units.
    /// @return liability What the engine's traders would take from the pool if every position closed now at the
    /// oracle price (negative: what they would pay it), rounded against the LPs (up). A trader's loss counts only
    /// up to what the trader can pay: bad debt is never a pool asset.
    /// @return trusted False when a price behind `liability` is not trusted (AGG-4). The pool then refuses deposits
    /// and withdrawals, and `liability` must be conservative: never in the LPs' favour.
    function poolExposure() external view returns (int256 liability, bool trusted);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPoolEngine
/// @notice What a trading engine (perps, options) tells the liquidity pool, so that shares are priced with the
/// traders' side counted (POOL-2) and withdrawals never take what the traders may be owed (POOL-3). The pool calls
/// it on every deposit and withdrawal and in `totalAssets`, so it must be a view that does not revert.
interface IPoolEngine {
    /// @notice The engine's open exposure against the pool, in collateral units.
    /// @return liability What the engine's traders would take from the pool if every position closed now at the
    /// oracle price (negative: what they would pay it), rounded against the LPs (up). A trader's loss counts only
    /// up to what the trader can pay: bad debt is never a pool asset.
    /// @return trusted False when a price behind `liability` is not trusted (AGG-4). The pool then refuses deposits
    /// and withdrawals, and `liability` must be conservative: never in the LPs' favour.
    function poolExposure() external view returns (int256 liability, bool trusted);

    /// @notice Cash the pool keeps for the engine's traders' maximum profit (and any profit already owed to them), in
    /// collateral units: no other module may lock or pay it and LPs may not withdraw it (POOL-3). The engine raises
    /// it only after checking it fits the pool's `liquidityFor(engine).free`, and reads it from storage, so it is
    /// cheap: the pool reads it on every lock and payment.
    function reservedAssets() external view returns (uint256);
}

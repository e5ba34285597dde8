// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IMarginEngine
/// @notice What an engine with positions tells the margin accounts about one account (ACC-1, ACC-2), so that a
/// withdrawal leaves the account above its initial margin. All values are 18-decimal USD.
interface IMarginEngine {
    /// @notice The account's positions in this engine.
    /// @return pnl Unrealised PnL minus funding and fees owed (negative when the account owes).
    /// @return initialMargin What the positions need to stay open after a withdrawal.
    /// @return maintenanceMargin Below which the account may be liquidated.
    /// @dev Must be a view. It may revert when a price it needs cannot be trusted, which makes the withdrawal
    /// revert (fail closed); an account without positions must never revert.
    function marginRequirement(
        address account
    ) external view returns (int256 pnl, uint256 initialMargin, uint256 maintenanceMargin);
}

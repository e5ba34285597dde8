// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPauseRegistry
/// @notice Granular pauses per market and action, plus a global scope, that every Bulwark module consults
/// (CB-1, CB-2, CB-3, CB-7).
/// @dev Actions are passed as a bit mask (`1 << uint8(Action.X)`) so several can be paused in one
/// transaction. The scope `GLOBAL` (bytes32(0)) applies to every market.
///
/// Who may do what:
/// - the guardian pauses at once, any action except the de-risking ones (`Reduce`, `Close`), so a guardian
///   can never trap traders in their positions; its pause lapses after `maxGuardianPause` unless governance
///   confirms it. Actions the guardian adds to a scope that is already guardian-paused join that pause and its
///   expiry: pausing more never extends a pause;
/// - governance (the timelock) confirms or places pauses without expiry (also of `Reduce` and `Close`,
///   for a bug in the close path), and is the only one that unpauses;
/// - anyone may record that a guardian pause has lapsed (`recordExpiry`), which emits `PauseExpired`.
///
/// While `Reduce` or `Close` is paused, `Liquidate` reads as paused too: nobody is liquidated who cannot get out.
/// After an unpause or lapse of an action a trader needs to defend a position (deposit, reduce, close) or of
/// liquidation itself, in a market's scope or the global scope, liquidations in that market wait
/// `liquidationGracePeriod` so traders can add margin first (`inLiquidationGrace`).
interface IPauseRegistry {
    enum Action {
        Open,
        Increase,
        Reduce,
        Close,
        Liquidate,
        Deposit,
        Withdraw,
        BuyOption,
        SellOption,
        Settle
    }

    /// @notice The state of one scope, as `scopeState` returns it.
    /// @param guardianMask actions paused by the guardian, not yet confirmed (active until `guardianUntil`)
    /// @param confirmedMask actions paused by governance, without expiry
    /// @param guardianUntil when the guardian pauses of this scope lapse
    /// @param resumedAt the last time governance unpaused something in this scope, or a recorded lapse
    struct ScopeState {
        uint16 guardianMask;
        uint16 confirmedMask;
        uint64 guardianUntil;
        uint64 resumedAt;
    }

    /// @notice `actions` is empty or has bits that name no action.
    error PauseRegistryInvalidActions(uint256 actions);
    /// @notice The guardian may not pause the de-risking actions in `actions` (Reduce, Close).
    error PauseRegistryGuardianCannotPause(uint256 actions);
    /// @notice Every action in `actions` is already paused without expiry in `scope`.
    error PauseRegistryAlreadyPaused(bytes32 scope, uint256 actions);
    /// @notice None of `actions` is paused in `scope`.
    error PauseRegistryNotPaused(bytes32 scope, uint256 actions);
    /// @notice There is no lapsed guardian pause to record in `scope`.
    error PauseRegistryNothingExpired(bytes32 scope);
    /// @notice The registry's own parameters live in the global scope only, not in `scope`.
    error PauseRegistryScopeNotGlobal(bytes32 scope);
    /// @notice Every pause and unpause must say why.
    error PauseRegistryEmptyReason();

    /// @notice The guardian paused `actions` in `scope` until `until`.
    event Paused(bytes32 indexed scope, uint256 actions, uint64 until, address indexed actor, string reason);
    /// @notice Governance paused `actions` in `scope` without expiry (confirming any guardian pause of them).
    event PauseConfirmed(bytes32 indexed scope, uint256 actions, address indexed actor, string reason);
    /// @notice Governance unpaused `actions` in `scope`.
    event Unpaused(bytes32 indexed scope, uint256 actions, address indexed actor, string reason);
    /// @notice The guardian pause of `actions` in `scope` lapsed at `expiredAt`; `actor` recorded it.
    event PauseExpired(bytes32 indexed scope, uint256 actions, uint64 expiredAt, address indexed actor);

    /// @notice Pauses `actions` in `scope` for `maxGuardianPause`. Restricted to the guardian.
    function pause(bytes32 scope, uint256 actions, string calldata reason) external;

    /// @notice Pauses `actions` in `scope` without expiry. Restricted to the timelock.
    function confirmPause(bytes32 scope, uint256 actions, string calldata reason) external;

    /// @notice Unpauses `actions` in `scope` and starts the liquidation grace period. Restricted to the timelock.
    function unpause(bytes32 scope, uint256 actions, string calldata reason) external;

    /// @notice Records that the guardian pauses of `scope` have lapsed. Permissionless.
    function recordExpiry(bytes32 scope) external;

    /// @notice Whether `action` is paused in `market`, either in its own scope or globally.
    function isPaused(bytes32 market, Action action) external view returns (bool);

    /// @notice The mask of actions paused in `market` right now, its own scope and the global one combined.
    function pausedActions(bytes32 market) external view returns (uint256);

    /// @notice The raw state of `scope`.
    function scopeState(bytes32 scope) external view returns (ScopeState memory);

    /// @notice When the liquidation grace period of `market` ends (0 if nothing was ever resumed there).
    function liquidationGraceEndsAt(bytes32 market) external view returns (uint256);

    /// @notice Whether liquidations in `market` must still wait after an unpause (CB-3).
    function inLiquidationGrace(bytes32 market) external view returns (bool);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPauseRegistry} from "../interfaces/IPauseRegistry.sol";
import {BoundedParameters} from "../governance/BoundedParameters.sol";

/// @title PauseRegistry
/// @notice Granular, expiring pauses per market and action, and the liquidation grace period that follows
/// an unpause (CB-1, CB-2, CB-3, CB-7).
/// @dev One storage slot per scope holds everything `isPaused` and the grace view need, so a module's check
/// costs two reads: the market's scope and the global scope.
contract PauseRegistry is IPauseRegistry, BoundedParameters {
    /// @notice The scope whose pauses apply to every market.
    bytes32 public constant GLOBAL = bytes32(0);

    /// @notice Every action bit.
    uint256 public constant ALL_ACTIONS = (1 << (uint256(type(Action).max) + 1)) - 1;
    /// @notice The de-risking actions, which only governance may pause (never the guardian).
    uint256 public constant DERISKING_ACTIONS = (1 << uint256(Action.Reduce)) | (1 << uint256(Action.Close));
    /// @notice The actions a trader needs to defend a position (add margin, reduce, close) and liquidation itself:
    /// resuming any of them starts the liquidation grace period; the others (opening, options, settling) do not.
    uint256 public constant GRACE_ACTIONS =
        DERISKING_ACTIONS | (1 << uint256(Action.Deposit)) | (1 << uint256(Action.Liquidate));
    uint256 private constant LIQUIDATE = 1 << uint256(Action.Liquidate);

    /// @notice How long a guardian pause lasts unless governance confirms it. Bounds 3 – 14 days: never shorter
    /// than a 48 h timelock delay plus a day to schedule the confirmation.
    bytes32 public constant MAX_GUARDIAN_PAUSE = "maxGuardianPause";
    /// @notice How long liquidations wait after an unpause. Bounds 0 – 4 h.
    bytes32 public constant LIQUIDATION_GRACE_PERIOD = "liquidationGracePeriod";

    uint256 private constant MIN_GUARDIAN_PAUSE = 3 days;
    uint256 private constant MAX_GUARDIAN_PAUSE_BOUND = 14 days;
    uint256 private constant MAX_LIQUIDATION_GRACE = 4 hours;

    struct Config {
        uint64 maxGuardianPause;
        uint64 liquidationGracePeriod;
    }

    Config private _config;
    mapping(bytes32 scope => ScopeState) private _scopes;

    /// @param authority the AccessManager that gates every restricted function
    constructor(address authority) BoundedParameters(authority) {
        _config = Config({maxGuardianPause: 72 hours, liquidationGracePeriod: 1 hours});
        emit ParameterChanged(GLOBAL, MAX_GUARDIAN_PAUSE, 0, 72 hours, msg.sender);
        emit ParameterChanged(GLOBAL, LIQUIDATION_GRACE_PERIOD, 0, 1 hours, msg.sender);
    }

    // ---------------------------------------------------------------------------------------------
    // Pausing and unpausing
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPauseRegistry
    function pause(bytes32 scope, uint256 actions, string calldata reason) external restricted {
        _checkActions(actions, reason);
        if (actions & DERISKING_ACTIONS != 0) revert PauseRegistryGuardianCannotPause(actions & DERISKING_ACTIONS);

        ScopeState memory state = _settleLapse(scope);
        // After `_settleLapse`, a non-empty guardian mask is an active pause: new actions join it with its
        // expiry, so that pausing more never extends what is already paused.
        bool active = state.guardianMask != 0;
        uint256 added = actions & ~uint256(state.confirmedMask | state.guardianMask);
        if (added == 0) revert PauseRegistryAlreadyPaused(scope, actions);
        uint64 until = active ? state.guardianUntil : uint64(block.timestamp) + _config.maxGuardianPause;
        state.guardianMask |= uint16(added);
        state.guardianUntil = until;
        _scopes[scope] = state;
        emit Paused(scope, added, until, msg.sender, reason);
    }

    /// @inheritdoc IPauseRegistry
    function confirmPause(bytes32 scope, uint256 actions, string calldata reason) external restricted {
        _checkActions(actions, reason);
        ScopeState memory state = _settleLapse(scope);
        if (actions & ~uint256(state.confirmedMask) == 0) revert PauseRegistryAlreadyPaused(scope, actions);
        state.confirmedMask |= uint16(actions);
        state.guardianMask &= ~uint16(actions);
        _scopes[scope] = state;
        emit PauseConfirmed(scope, actions, msg.sender, reason);
    }

    /// @inheritdoc IPauseRegistry
    function unpause(bytes32 scope, uint256 actions, string calldata reason) external restricted {
        _checkActions(actions, reason);
        ScopeState memory state = _settleLapse(scope);
        uint256 cleared = actions & (uint256(state.confirmedMask) | state.guardianMask);
        if (cleared == 0) revert PauseRegistryNotPaused(scope, actions);
        state.confirmedMask &= ~uint16(cleared);
        state.guardianMask &= ~uint16(cleared);
        if (cleared & GRACE_ACTIONS != 0) state.resumedAt = uint64(block.timestamp);
        _scopes[scope] = state;
        emit Unpaused(scope, cleared, msg.sender, reason);
    }

    /// @inheritdoc IPauseRegistry
    function recordExpiry(bytes32 scope) external {
        ScopeState memory state = _scopes[scope];
        if (_lapsedAt(state) == 0) revert PauseRegistryNothingExpired(scope);
        _scopes[scope] = _settleLapse(scope);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPauseRegistry
    function isPaused(bytes32 market, Action action) external view returns (bool) {
        return pausedActions(market) & (1 << uint256(action)) != 0;
    }

    /// @inheritdoc IPauseRegistry
    /// @dev While reducing or closing is paused, so is liquidating: nobody is liquidated who cannot get out.
    function pausedActions(bytes32 market) public view returns (uint256) {
        uint256 mask = _activeMask(_scopes[GLOBAL]);
        if (market != GLOBAL) mask |= _activeMask(_scopes[market]);
        if (mask & DERISKING_ACTIONS != 0) mask |= LIQUIDATE;
        return mask;
    }

    /// @inheritdoc IPauseRegistry
    function scopeState(bytes32 scope) external view returns (ScopeState memory) {
        return _scopes[scope];
    }

    /// @inheritdoc IPauseRegistry
    function liquidationGraceEndsAt(bytes32 market) public view returns (uint256) {
        uint256 resumed = _resumedAt(_scopes[GLOBAL]);
        if (market != GLOBAL) {
            uint256 own = _resumedAt(_scopes[market]);
            if (own > resumed) resumed = own;
        }
        return resumed == 0 ? 0 : resumed + _config.liquidationGracePeriod;
    }

    /// @inheritdoc IPauseRegistry
    function inLiquidationGrace(bytes32 market) external view returns (bool) {
        return block.timestamp < liquidationGraceEndsAt(market);
    }

    // ---------------------------------------------------------------------------------------------
    // Parameters
    // ---------------------------------------------------------------------------------------------

    function _parameterSpec(bytes32 key) internal pure override returns (ParameterSpec memory spec) {
        if (key == MAX_GUARDIAN_PAUSE)
            return ParameterSpec(MIN_GUARDIAN_PAUSE, MAX_GUARDIAN_PAUSE_BOUND, Tightening.None);
        if (key == LIQUIDATION_GRACE_PERIOD) return ParameterSpec(0, MAX_LIQUIDATION_GRACE, Tightening.None);
    }

    function _readParameter(bytes32 scope, bytes32 key) internal view override returns (uint256) {
        _checkGlobalScope(scope);
        return key == MAX_GUARDIAN_PAUSE ? _config.maxGuardianPause : _config.liquidationGracePeriod;
    }

    function _writeParameter(bytes32 scope, bytes32 key, uint256 value) internal override {
        _checkGlobalScope(scope);
        // Bounded by `_parameterSpec` (at most 7 days), so the cast cannot truncate.
        if (key == MAX_GUARDIAN_PAUSE) _config.maxGuardianPause = uint64(value);
        else _config.liquidationGracePeriod = uint64(value);
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _checkGlobalScope(bytes32 scope) private pure {
        if (scope != GLOBAL) revert PauseRegistryScopeNotGlobal(scope);
    }

    function _checkActions(uint256 actions, string calldata reason) private pure {
        if (actions == 0 || actions & ~ALL_ACTIONS != 0) revert PauseRegistryInvalidActions(actions);
        if (bytes(reason).length == 0) revert PauseRegistryEmptyReason();
    }

    /// @dev Loads `scope` and, if its guardian pauses have lapsed, clears them and records the lapse as a
    /// resumption (emitting `PauseExpired`). The caller stores the returned state.
    function _settleLapse(bytes32 scope) private returns (ScopeState memory state) {
        state = _scopes[scope];
        uint64 lapsedAt = _lapsedAt(state);
        if (lapsedAt != 0) {
            emit PauseExpired(scope, state.guardianMask, lapsedAt, msg.sender);
            if (state.guardianMask & GRACE_ACTIONS != 0 && lapsedAt > state.resumedAt) state.resumedAt = lapsedAt;
            state.guardianMask = 0;
        }
    }

    function _lapsedAt(ScopeState memory state) private view returns (uint64) {
        return state.guardianMask != 0 && state.guardianUntil <= block.timestamp ? state.guardianUntil : 0;
    }

    function _activeMask(ScopeState memory state) private view returns (uint256) {
        uint256 mask = state.confirmedMask;
        if (block.timestamp < state.guardianUntil) mask |= state.guardianMask;
        return mask;
    }

    function _resumedAt(ScopeState memory state) private view returns (uint256) {
        uint64 lapsedAt = state.guardianMask & GRACE_ACTIONS != 0 ? _lapsedAt(state) : 0;
        return lapsedAt > state.resumedAt ? lapsedAt : state.resumedAt;
    }
}

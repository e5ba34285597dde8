// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IBoundedParameters
/// @notice The one mechanism every Bulwark module uses for its risk parameters (GOV-5, GOV-7, CB-6).
/// @dev Each parameter is identified by a `key` (a short ASCII name such as "maxLeverage" packed in a bytes32)
/// and lives in a `scope` (a market id, or `bytes32(0)` for module-wide parameters). Its hard bounds are
/// constants in the module's code, so not even governance can set an absurd value. Two doors lead in:
/// - `setParameter`, reachable only through the timelock (the AccessManager's admin role), may move a
///   value anywhere inside its bounds;
/// - `tightenParameter`, reachable by the guardian, may only move a value in its parameter's safer
///   direction (lower a cap, raise a margin) and never outside its bounds.
interface IBoundedParameters {
    /// @notice Which direction of change reduces risk, and so is open to the guardian.
    /// @dev `None` means the guardian may not change the parameter at all.
    enum Tightening {
        None,
        Lower,
        Higher
    }

    /// @notice The hard bounds of a parameter and its safer direction.
    struct ParameterSpec {
        uint256 min;
        uint256 max;
        Tightening tightening;
    }

    /// @notice The module has no parameter called `key`.
    error ParameterUnknown(bytes32 key);
    /// @notice `value` lies outside the hard bounds `[min, max]` of `key`.
    error ParameterOutOfBounds(bytes32 key, uint256 value, uint256 min, uint256 max);
    /// @notice The guardian tried to move `key` from `current` to `proposed`, which is not the safer direction.
    error ParameterNotTightening(bytes32 key, uint256 current, uint256 proposed);
    /// @notice The guardian may not change `key` in either direction.
    error ParameterNotGuardianAdjustable(bytes32 key);
    /// @notice An emergency change must say why.
    error ParameterEmptyReason();

    /// @notice Governance (through the timelock) changed a parameter.
    event ParameterChanged(
        bytes32 indexed scope,
        bytes32 indexed key,
        uint256 oldValue,
        uint256 newValue,
        address indexed actor
    );

    /// @notice The guardian tightened a parameter in an emergency.
    event ParameterTightened(
        bytes32 indexed scope,
        bytes32 indexed key,
        uint256 oldValue,
        uint256 newValue,
        address indexed actor,
        string reason
    );

    /// @notice Sets `key` in `scope` to `value`. Restricted to the timelock.
    /// @dev Reverts with `ParameterUnknown` or `ParameterOutOfBounds`; the module may add its own checks.
    function setParameter(bytes32 scope, bytes32 key, uint256 value) external;

    /// @notice Moves `key` in `scope` to `value` in its safer direction only. Restricted to the guardian.
    /// @dev Reverts with `ParameterNotGuardianAdjustable`, `ParameterNotTightening` (also when unchanged),
    /// `ParameterOutOfBounds` or `ParameterEmptyReason`.
    function tightenParameter(bytes32 scope, bytes32 key, uint256 value, string calldata reason) external;

    /// @notice The current value of `key` in `scope`.
    function parameter(bytes32 scope, bytes32 key) external view returns (uint256);

    /// @notice The hard bounds and safer direction of `key`.
    function parameterSpec(bytes32 key) external view returns (ParameterSpec memory);
}

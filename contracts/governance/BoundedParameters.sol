// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IBoundedParameters} from "../interfaces/IBoundedParameters.sol";

/// @title BoundedParameters
/// @notice Base of every Bulwark module that has risk parameters: one setter for governance, one for the
/// guardian, hard bounds from the module's constants, an event with the old and new value on every change.
/// @dev A module implements three hooks: `_parameterSpec` (its constant bounds, `max == 0` for an unknown
/// key), `_readParameter` and `_writeParameter` (its own typed, packed storage; a module may revert there
/// for an unknown scope or a cross-parameter rule). The access layer decides who reaches each setter: the
/// deployment maps `tightenParameter` to the guardian role and leaves `setParameter` to the admin role,
/// which only the timelock holds.
abstract contract BoundedParameters is AccessManaged, IBoundedParameters {
    constructor(address authority) AccessManaged(authority) {}

    /// @inheritdoc IBoundedParameters
    function setParameter(bytes32 scope, bytes32 key, uint256 value) external restricted {
        ParameterSpec memory spec = _knownSpec(key);
        _checkBounds(key, value, spec);
        uint256 oldValue = _readParameter(scope, key);
        _writeParameter(scope, key, value);
        emit ParameterChanged(scope, key, oldValue, value, msg.sender);
    }

    /// @inheritdoc IBoundedParameters
    function tightenParameter(bytes32 scope, bytes32 key, uint256 value, string calldata reason) external restricted {
        if (bytes(reason).length == 0) revert ParameterEmptyReason();
        ParameterSpec memory spec = _knownSpec(key);
        uint256 oldValue = _readParameter(scope, key);
        _checkTightening(key, oldValue, value, spec.tightening);
        _checkBounds(key, value, spec);
        _writeParameter(scope, key, value);
        emit ParameterTightened(scope, key, oldValue, value, msg.sender, reason);
    }

    /// @inheritdoc IBoundedParameters
    function parameter(bytes32 scope, bytes32 key) external view returns (uint256) {
        _knownSpec(key);
        return _readParameter(scope, key);
    }

    /// @inheritdoc IBoundedParameters
    function parameterSpec(bytes32 key) external pure returns (ParameterSpec memory) {
        return _knownSpec(key);
    }

    /// @dev The constant bounds of `key`; return a spec with `max == 0` for a key the module does not have.
    function _parameterSpec(bytes32 key) internal pure virtual returns (ParameterSpec memory);

    /// @dev The stored value of `key` in `scope`.
    function _readParameter(bytes32 scope, bytes32 key) internal view virtual returns (uint256);

    /// @dev Stores `value` (already checked against the bounds) as `key` in `scope`.
    function _writeParameter(bytes32 scope, bytes32 key, uint256 value) internal virtual;

    /// @dev For modules that take a parameter's initial value outside `setParameter` (listing a market, adding a
    /// source): the same bounds apply.
    function _requireInBounds(bytes32 key, uint256 value) internal pure {
        _checkBounds(key, value, _knownSpec(key));
    }

    function _knownSpec(bytes32 key) private pure returns (ParameterSpec memory spec) {
        spec = _parameterSpec(key);
        if (spec.max == 0) revert ParameterUnknown(key);
    }

    function _checkBounds(bytes32 key, uint256 value, ParameterSpec memory spec) private pure {
        if (value < spec.min || value > spec.max) revert ParameterOutOfBounds(key, value, spec.min, spec.max);
    }

    function _checkTightening(bytes32 key, uint256 current, uint256 proposed, Tightening tightening) private pure {
        if (tightening == Tightening.None) revert ParameterNotGuardianAdjustable(key);
        bool tighter = tightening == Tightening.Lower ? proposed < current : proposed > current;
        if (!tighter) revert ParameterNotTightening(key, current, proposed);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title BulwarkTimelock
/// @notice OpenZeppelin's TimelockController with two additions (GOV-2, GOV-3):
/// - a ready operation expires `gracePeriod` after it became ready (14 days by default); from then on it can
///   only be cancelled, never executed, so a forgotten approval cannot be used months later;
/// - the minimum delay is bounded: it can never be lowered below the delay it was deployed with (the
///   network's floor) nor raised above `MAX_DELAY`, so governance cannot rush itself or brick itself.
/// @dev Batches and `predecessor` chaining are OpenZeppelin's, unchanged. An expired operation still reads
/// as `Ready` in `getOperationState` (OpenZeppelin's enum has no expired state); `isOperationExpired` tells.
contract BulwarkTimelock is TimelockController {
    /// @notice The longest minimum delay governance may set.
    uint256 public constant MAX_DELAY = 30 days;
    /// @notice Bounds of the expiry window, fixed at deployment.
    uint256 public constant MIN_GRACE_PERIOD = 1 days;
    uint256 public constant MAX_GRACE_PERIOD = 30 days;

    uint256 private immutable _gracePeriod;
    uint256 private immutable _delayFloor;

    /// @notice Operation `id` became ready at `readyAt` and expired at `expiredAt`; it can only be cancelled.
    error BulwarkTimelockOperationExpired(bytes32 id, uint256 readyAt, uint256 expiredAt);
    /// @notice `delay` lies outside `[floor, MAX_DELAY]`.
    error BulwarkTimelockDelayOutOfBounds(uint256 delay, uint256 floor, uint256 max);
    /// @notice `gracePeriod` lies outside `[MIN_GRACE_PERIOD, MAX_GRACE_PERIOD]`.
    error BulwarkTimelockGracePeriodOutOfBounds(uint256 gracePeriod, uint256 min, uint256 max);

    /// @param minDelay the network's delay; also the floor below which it can never be lowered
    /// @param gracePeriod_ how long a ready operation stays executable
    /// @param proposers addresses that may schedule (and cancel)
    /// @param executors addresses that may execute; the deployment never passes address(0) (open execution)
    /// @param admin an optional temporary admin for wiring roles at deployment; it must renounce
    constructor(
        uint256 minDelay,
        uint256 gracePeriod_,
        address[] memory proposers,
        address[] memory executors,
        address admin
    ) TimelockController(minDelay, proposers, executors, admin) {
        if (minDelay > MAX_DELAY) revert BulwarkTimelockDelayOutOfBounds(minDelay, 0, MAX_DELAY);
        if (gracePeriod_ < MIN_GRACE_PERIOD || gracePeriod_ > MAX_GRACE_PERIOD) {
            revert BulwarkTimelockGracePeriodOutOfBounds(gracePeriod_, MIN_GRACE_PERIOD, MAX_GRACE_PERIOD);
        }
        _gracePeriod = gracePeriod_;
        _delayFloor = minDelay;
    }

    /// @notice How long a ready operation stays executable.
    function gracePeriod() external view returns (uint256) {
        return _gracePeriod;
    }

    /// @notice The lowest minimum delay governance may ever set.
    function delayFloor() external view returns (uint256) {
        return _delayFloor;
    }

    /// @notice When operation `id` stops being executable; 0 if it is not pending.
    function expiresAt(bytes32 id) public view returns (uint256) {
        uint256 readyAt = getTimestamp(id);
        // 0 is unset and 1 is OpenZeppelin's marker for done.
        return readyAt > 1 ? readyAt + _gracePeriod : 0;
    }

    /// @notice Whether operation `id` is pending but can no longer be executed.
    function isOperationExpired(bytes32 id) external view returns (bool) {
        uint256 expiry = expiresAt(id);
        return expiry != 0 && block.timestamp >= expiry;
    }

    /// @inheritdoc TimelockController
    function execute(
        address target,
        uint256 value,
        bytes calldata payload,
        bytes32 predecessor,
        bytes32 salt
    ) public payable override {
        _revertIfExpired(hashOperation(target, value, payload, predecessor, salt));
        super.execute(target, value, payload, predecessor, salt);
    }

    /// @inheritdoc TimelockController
    function executeBatch(
        address[] calldata targets,
        uint256[] calldata values,
        bytes[] calldata payloads,
        bytes32 predecessor,
        bytes32 salt
    ) public payable override {
        _revertIfExpired(hashOperationBatch(targets, values, payloads, predecessor, salt));
        super.executeBatch(targets, values, payloads, predecessor, salt);
    }

    /// @inheritdoc TimelockController
    /// @dev Only the timelock itself, and only within `[delayFloor, MAX_DELAY]`.
    function updateDelay(uint256 newDelay) public override {
        if (msg.sender != address(this)) revert TimelockUnauthorizedCaller(msg.sender);
        if (newDelay < _delayFloor || newDelay > MAX_DELAY) {
            revert BulwarkTimelockDelayOutOfBounds(newDelay, _delayFloor, MAX_DELAY);
        }
        super.updateDelay(newDelay);
    }

    function _revertIfExpired(bytes32 id) private view {
        uint256 expiry = expiresAt(id);
        if (expiry != 0 && block.timestamp >= expiry) {
            revert BulwarkTimelockOperationExpired(id, expiry - _gracePeriod, expiry);
        }
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";

/// @title BulwarkAccessManager
/// @notice OpenZeppelin's AccessManager, unchanged, with Bulwark's role ids named (GOV-1).
/// @dev After deployment `ADMIN_ROLE` is held by the timelock alone, so every function left at the default
/// role (every setter, `unpause`, `confirmPause`, role grants) runs only through a timelock operation.
/// The deployment maps the guardian's emergency functions (`pause`, `tightenParameter`) to `GUARDIAN_ROLE`.
contract BulwarkAccessManager is AccessManager {
    /// @notice The guardian: pauses and tightens at once, nothing else.
    uint64 public constant GUARDIAN_ROLE = 1;

    /// @param initialAdmin the deployer, who wires the roles, hands `ADMIN_ROLE` to the timelock and renounces
    constructor(address initialAdmin) AccessManager(initialAdmin) {}
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPerpsEngine} from "../interfaces/IPerpsEngine.sol";

/// @title SwarmTrader
/// @notice Bench only: one trader account of a `TraderSwarm` (a minimal clone); it commits the orders its swarm
/// tells it to.
contract SwarmTrader {
    address private immutable _swarm;

    error SwarmTraderNotSwarm(address caller);

    constructor() {
        _swarm = msg.sender;
    }

    /// @notice Commits an order as this account.
    function commit(IPerpsEngine engine, bytes32 market, int256 sizeDelta, uint256 acceptable, uint256 fee) external {
        if (msg.sender != _swarm) revert SwarmTraderNotSwarm(msg.sender);
        engine.commitOrder(market, sizeDelta, acceptable, fee);
    }
}

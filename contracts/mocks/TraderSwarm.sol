// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IMarginAccounts} from "../interfaces/IMarginAccounts.sol";
import {IPerpsEngine} from "../interfaces/IPerpsEngine.sol";
import {SwarmTrader} from "./SwarmTrader.sol";

/// @title TraderSwarm
/// @notice Bench only: opens positions for many real accounts (contract clones) in few transactions, so the keeper
/// bench can build 10,000 accounts with open positions on a local node. Each account deposits its own margin and
/// commits its own order; any keeper (this contract too, with `executeAll`) executes them through the engine.
contract TraderSwarm {
    IPerpsEngine public immutable engine;
    IMarginAccounts public immutable accounts;
    IERC20 public immutable collateral;
    address public immutable implementation;
    address[] public traders;

    constructor(IPerpsEngine engine_, IMarginAccounts accounts_, IERC20 collateral_) {
        (engine, accounts, collateral) = (engine_, accounts_, collateral_);
        implementation = address(new SwarmTrader());
        collateral_.approve(address(accounts_), type(uint256).max);
    }

    /// @notice `count` new accounts, each with `margin` deposited (from this contract's tokens) and an order for
    /// `sizeDelta` committed; `sizeDelta` alternates in sign when `alternate`.
    function spawn(
        uint256 count,
        uint256 margin,
        bytes32 market,
        int256 sizeDelta,
        bool alternate,
        uint256 fee
    ) external {
        for (uint256 i; i < count; ++i) {
            address t = Clones.clone(implementation);
            accounts.deposit(t, margin);
            int256 size = alternate && traders.length % 2 == 1 ? -sizeDelta : sizeDelta;
            SwarmTrader(t).commit(engine, market, size, size > 0 ? type(uint96).max : 1, fee);
            traders.push(t);
        }
    }

    /// @notice Executes the pending orders of traders `from` to `to` (exclusive).
    function executeAll(uint256 from, uint256 to) external {
        for (uint256 i = from; i < to; ++i) engine.executeOrder(traders[i]);
    }
}

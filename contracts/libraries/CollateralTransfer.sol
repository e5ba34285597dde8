// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title CollateralTransfer
/// @notice Pulls collateral and measures what actually arrived (ACC-2): a token that takes a fee on transfer, or
/// whose balances shrink on their own (a negative rebase), is refused with an error instead of being booked at
/// face value.
library CollateralTransfer {
    using SafeERC20 for IERC20;

    /// @notice `expected` units were sent but `received` arrived: the token takes a fee on transfer.
    error CollateralTransferMismatch(uint256 expected, uint256 received);
    /// @notice The contract holds `balance` but has booked `tracked`: the token's balances changed on their own.
    error CollateralBalanceShortfall(uint256 balance, uint256 tracked);

    /// @notice Moves exactly `amount` of `token` from `from` to this contract, which has booked `tracked` so far.
    function pullExact(IERC20 token, address from, uint256 amount, uint256 tracked) internal {
        uint256 before = token.balanceOf(address(this));
        if (before < tracked) revert CollateralBalanceShortfall(before, tracked);
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert CollateralTransferMismatch(amount, received);
    }
}

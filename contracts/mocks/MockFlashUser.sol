// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IMarginAccounts} from "../interfaces/IMarginAccounts.sol";

/// @title MockFlashUser
/// @notice Test only: deposits and withdraws margin in one transaction, as a flash-loan borrower would (CB-4).
contract MockFlashUser {
    /// @notice Deposits `depositAmount` of this contract's tokens as margin and withdraws `withdrawAmount` back to
    /// this contract, in the same transaction.
    function depositAndWithdraw(
        IMarginAccounts accounts,
        IERC20 token,
        uint256 depositAmount,
        uint256 withdrawAmount
    ) external returns (uint256 paidNow, uint256 claimId) {
        token.approve(address(accounts), depositAmount);
        accounts.deposit(address(this), depositAmount);
        (paidNow, claimId) = accounts.withdraw(withdrawAmount, address(this));
    }
}

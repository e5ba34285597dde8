// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title MockUSDC
/// @notice Test collateral: a 6-decimal ERC20 with EIP-2612 permit and, like USDC, a blocklist: a blocked account
/// can neither send nor receive. Anyone may mint and block. Test only.
contract MockUSDC is ERC20, ERC20Permit {
    /// @notice `account` is blocked.
    error MockUSDCBlocked(address account);

    mapping(address account => bool) public blocked;

    constructor() ERC20("Mock USD Coin", "mUSDC") ERC20Permit("Mock USD Coin") {}

    /// @notice Blocks or unblocks `account`.
    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    /// @notice Mints `amount` (6 decimals) to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert MockUSDCBlocked(from);
        if (blocked[to]) revert MockUSDCBlocked(to);
        super._update(from, to, value);
    }
}

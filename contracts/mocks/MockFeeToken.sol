// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockFeeToken
/// @notice Test only: a 6-decimal token that burns `feeBps` of every transfer (fee on transfer) and whose balances
/// can shrink on their own (`slash`, a negative rebase). Bulwark must refuse it (ACC-2).
contract MockFeeToken is ERC20 {
    uint256 public feeBps;

    constructor() ERC20("Fee Token", "FEE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFeeBps(uint256 feeBps_) external {
        feeBps = feeBps_;
    }

    /// @notice Takes `amount` from `holder`, as a negative rebase would.
    function slash(address holder, uint256 amount) external {
        _burn(holder, amount);
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0) && feeBps != 0) {
            uint256 fee = (value * feeBps) / 10_000;
            super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}

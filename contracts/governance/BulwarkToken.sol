// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Votes} from "@openzeppelin/contracts/governance/utils/Votes.sol";

/// @title BulwarkToken
/// @notice The optional governance token (GOV-6): a fixed supply, minted once, with checkpointed votes.
/// @dev The clock is the block timestamp rather than the block number, so voting periods mean the same on
/// L1 and on L2s whose block numbers follow other rules (Arbitrum). Votes count only once delegated.
contract BulwarkToken is ERC20, ERC20Permit, ERC20Votes {
    /// @param holder receives the whole supply
    /// @param supply the fixed supply, in 18-decimal units
    constructor(address holder, uint256 supply) ERC20("Bulwark", "BWK") ERC20Permit("Bulwark") {
        _mint(holder, supply);
    }

    /// @inheritdoc Votes
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @inheritdoc Votes
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}

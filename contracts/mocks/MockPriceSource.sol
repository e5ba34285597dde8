// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPriceSource} from "../interfaces/IPriceSource.sol";

/// @title MockPriceSource
/// @notice Test only. A third kind of price source, written against `IPriceSource` alone, to show that the
/// aggregator takes new kinds unchanged (ORC-1) and to drive the median properties with exact values.
contract MockPriceSource is IPriceSource {
    uint256 private _price;
    uint256 private _updatedAt;
    Status private _status;

    function set(uint256 price, uint256 updatedAt, Status status) external {
        (_price, _updatedAt, _status) = (price, updatedAt, status);
    }

    function observe() external view returns (uint256, uint256, Status) {
        return (_status == Status.Valid ? _price : 0, _updatedAt, _status);
    }

    function updateFee(bytes calldata) external pure returns (uint256) {
        return 0;
    }

    function update(bytes calldata) external payable {
        revert PriceSourceNotUpdatable();
    }

    function description() external pure returns (string memory) {
        return "mock source";
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ViewBatch
/// @notice Test only. Many view calls in one `eth_call`, each with its own success flag, so the invariant suite reads
/// the whole protocol's state in one round trip after every command (a call that reverts reports its revert data).
contract ViewBatch {
    struct Call {
        address target;
        bytes data;
    }

    struct Result {
        bool ok;
        bytes data;
    }

    /// @notice The timestamp the calls see.
    function blockTime() external view returns (uint256) {
        return block.timestamp;
    }

    function read(Call[] calldata calls) external view returns (Result[] memory results) {
        results = new Result[](calls.length);
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory data) = calls[i].target.staticcall(calls[i].data);
            results[i] = Result(ok, data);
        }
    }
}

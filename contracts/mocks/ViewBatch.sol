// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ViewBatch
/// @notice Test only. Many view calls in one `eth_call`, each with its own success flag, so the invariant suite reads
/// the whole protocol's state in one round trip after every command (a call that reverts reports its revert data).
/// @dev Packed both ways, so the suite builds and splits a batch by slicing hex instead of running the ABI coder over
/// kilobytes after every command. Calldata: for each call, `target` (20 bytes), `length` (2 bytes), `data`. Return
/// data: for each call, `ok` (1 byte), `length` (4 bytes), the returned or revert data. Written in assembly so that
/// each answer is copied once, straight into the output (a third of a batch's steps went to re-copying it).
contract ViewBatch {
    /// @notice The calldata ended inside the header or the data of the call at `offset`.
    error ViewBatchTruncated(uint256 offset);

    // The packed format has no selector; the fallback is the whole contract. Test only, never deployed.
    // solhint-disable-next-line no-complex-fallback
    fallback() external {
        bytes4 truncated = ViewBatchTruncated.selector;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let out := mload(0x40)
            let o := out
            for {
                let i := 0
            } lt(i, calldatasize()) {} {
                let start := add(i, 22)
                let end := add(start, shr(240, calldataload(add(i, 20))))
                if or(gt(start, calldatasize()), gt(end, calldatasize())) {
                    mstore(0, truncated)
                    mstore(4, i)
                    revert(0, 0x24)
                }
                // The call's data goes where its answer will be written: it is not needed once the call is made.
                calldatacopy(o, start, sub(end, start))
                let ok := staticcall(gas(), shr(96, calldataload(i)), o, sub(end, start), 0, 0)
                mstore8(o, ok)
                mstore(add(o, 1), shl(224, returndatasize()))
                returndatacopy(add(o, 5), 0, returndatasize())
                o := add(o, add(5, returndatasize()))
                i := end
            }
            return(out, sub(o, out))
        }
    }
}

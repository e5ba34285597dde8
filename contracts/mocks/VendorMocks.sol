// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Test only: brings the vendors' own mocks into the build so tests and the devnet can deploy them.
// solhint-disable no-unused-import
import {MockV3Aggregator} from "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";
import {MockPyth} from "@pythnetwork/pyth-sdk-solidity/MockPyth.sol";

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPyth} from "@pythnetwork/pyth-sdk-solidity/IPyth.sol";
import {PythStructs} from "@pythnetwork/pyth-sdk-solidity/PythStructs.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IPriceSource} from "../interfaces/IPriceSource.sol";
import {BoundedParameters} from "../governance/BoundedParameters.sol";

/// @title PythAdapter
/// @notice Wraps one Pyth price feed as an `IPriceSource` (ORC-1, ORC-2, ORC-3). Pyth is a pull oracle: whoever
/// needs a fresh price pushes signed update data with `update` in the same transaction as the read.
/// @dev Rolling back is impossible: Pyth keeps only the newest price it has been given (an older update changes
/// nothing) and `observe` reads that stored price. The exponent is read once at configuration; a later change
/// reads as `DecimalsChanged`. The confidence bound `maxConfBps` is a bounded parameter the guardian may lower.
contract PythAdapter is IPriceSource, BoundedParameters {
    /// @notice The widest confidence interval accepted, in bps of the price. Bounds 0.1 % – 10 %; lower is safer.
    bytes32 public constant MAX_CONF_BPS = "maxConfBps";
    uint256 private constant MIN_CONF_BPS_BOUND = 10;
    uint256 private constant MAX_CONF_BPS_BOUND = 1000;
    uint256 private constant BPS = 10_000;

    /// @notice The exponent is outside [-18, 0]: normalising to 18 decimals would lose precision.
    error PythAdapterUnsupportedExponent(int32 expo);
    /// @notice `paid` does not cover the Pyth update fee `fee`.
    error PythAdapterInsufficientFee(uint256 paid, uint256 fee);
    /// @notice Per-source parameters live in the global scope of this adapter.
    error PythAdapterScopeNotGlobal(bytes32 scope);

    IPyth public immutable pyth;
    bytes32 public immutable priceId;
    int32 public immutable expo;
    uint256 private immutable _scale;

    uint256 private _maxConfBps;

    /// @param authority the AccessManager
    /// @param pyth_ the Pyth contract of the network
    /// @param priceId_ the feed id; the feed must already hold a price, from which the exponent is read
    /// @param maxConfBps_ the initial confidence bound, within its bounds
    constructor(address authority, IPyth pyth_, bytes32 priceId_, uint256 maxConfBps_) BoundedParameters(authority) {
        int32 expo_ = pyth_.getPriceUnsafe(priceId_).expo;
        if (expo_ > 0 || expo_ < -18) revert PythAdapterUnsupportedExponent(expo_);
        if (maxConfBps_ < MIN_CONF_BPS_BOUND || maxConfBps_ > MAX_CONF_BPS_BOUND) {
            revert ParameterOutOfBounds(MAX_CONF_BPS, maxConfBps_, MIN_CONF_BPS_BOUND, MAX_CONF_BPS_BOUND);
        }
        pyth = pyth_;
        priceId = priceId_;
        expo = expo_;
        _scale = 10 ** uint256(int256(18 + expo_));
        _maxConfBps = maxConfBps_;
        emit ParameterChanged(bytes32(0), MAX_CONF_BPS, 0, maxConfBps_, msg.sender);
    }

    /// @inheritdoc IPriceSource
    function observe() external view returns (uint256 price, uint256 updatedAt, Status status) {
        uint256 gasBefore = gasleft();
        try pyth.getPriceUnsafe(priceId) returns (PythStructs.Price memory p) {
            updatedAt = p.publishTime;
            if (p.expo != expo) return (0, updatedAt, Status.DecimalsChanged);
            if (p.price <= 0) return (0, updatedAt, Status.NonPositive);
            if (updatedAt == 0) return (0, 0, Status.NoTimestamp);
            if (updatedAt > block.timestamp) return (0, updatedAt, Status.FutureTimestamp);
            uint256 raw = uint256(int256(p.price));
            // Rounded up against the source: a confidence just over the bound fails.
            if (uint256(p.conf) * BPS > raw * _maxConfBps) return (0, updatedAt, Status.ConfidenceTooWide);
            return (raw * _scale, updatedAt, Status.Valid);
        } catch {
            if (gasleft() <= gasBefore / 64) revert PriceSourceInsufficientGas();
            return (0, 0, Status.CallFailed);
        }
    }

    /// @inheritdoc IPriceSource
    /// @dev `data` is `abi.encode(bytes[] updateData)` as Pyth's Hermes service returns it.
    function updateFee(bytes calldata data) external view returns (uint256) {
        return pyth.getUpdateFee(abi.decode(data, (bytes[])));
    }

    /// @inheritdoc IPriceSource
    function update(bytes calldata data) external payable {
        bytes[] memory updates = abi.decode(data, (bytes[]));
        uint256 fee = pyth.getUpdateFee(updates);
        if (msg.value < fee) revert PythAdapterInsufficientFee(msg.value, fee);
        pyth.updatePriceFeeds{value: fee}(updates);
        if (msg.value > fee) Address.sendValue(payable(msg.sender), msg.value - fee);
    }

    /// @inheritdoc IPriceSource
    function description() external pure returns (string memory) {
        return "pyth";
    }

    function _parameterSpec(bytes32 key) internal pure override returns (ParameterSpec memory spec) {
        if (key == MAX_CONF_BPS) return ParameterSpec(MIN_CONF_BPS_BOUND, MAX_CONF_BPS_BOUND, Tightening.Lower);
    }

    function _readParameter(bytes32 scope, bytes32) internal view override returns (uint256) {
        if (scope != bytes32(0)) revert PythAdapterScopeNotGlobal(scope);
        return _maxConfBps;
    }

    function _writeParameter(bytes32 scope, bytes32, uint256 value) internal override {
        if (scope != bytes32(0)) revert PythAdapterScopeNotGlobal(scope);
        _maxConfBps = value;
    }
}

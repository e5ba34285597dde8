// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ILiquidityPool} from "../interfaces/ILiquidityPool.sol";
import {IMarginAccounts} from "../interfaces/IMarginAccounts.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {IOutflowLimiter} from "../interfaces/IOutflowLimiter.sol";
import {IPauseRegistry} from "../interfaces/IPauseRegistry.sol";
import {CollateralTransfer} from "../libraries/CollateralTransfer.sol";

/// @title MarginAccounts
/// @notice Cross-margin accounts: collateral per address, checked against the engines' requirements (ACC-1,
/// ACC-2). See IMarginAccounts.
/// @dev Collateral is kept in token units; USD values scale it up exactly (no rounding). The withdrawable amount
/// converts USD back to units rounding down (in the protocol's favour).
contract MarginAccounts is AccessManaged, IMarginAccounts {
    using SafeERC20 for IERC20;

    /// @notice The most engines (each is read on every withdrawal).
    uint256 public constant MAX_ENGINES = 4;

    /// @notice The collateral token.
    IERC20 public immutable collateral;
    /// @notice The pool, counterparty of every settlement.
    ILiquidityPool public immutable pool;
    /// @notice The outflow limiter every withdrawal goes through.
    IOutflowLimiter public immutable limiter;
    /// @notice The pause registry (global `Withdraw`).
    IPauseRegistry public immutable pauseRegistry;
    /// @notice 10^(18 − collateral decimals): collateral units to 18-decimal USD.
    uint256 public immutable usdScale;

    uint256 private _totalCollateral;
    mapping(address account => uint256) private _collateral;
    address[] private _engines;
    mapping(address engine => bool) private _isEngine;

    modifier onlyEngine() {
        if (!_isEngine[msg.sender]) revert MarginAccountsNotEngine(msg.sender);
        _;
    }

    /// @param authority the AccessManager that gates `addEngine`
    /// @param pool_ the liquidity pool (whose asset is the collateral)
    /// @param limiter_ the outflow limiter
    /// @param pauseRegistry_ the pause registry
    constructor(
        address authority,
        ILiquidityPool pool_,
        IOutflowLimiter limiter_,
        IPauseRegistry pauseRegistry_
    ) AccessManaged(authority) {
        IERC20 token = IERC20(limiter_.collateral());
        collateral = token;
        pool = pool_;
        limiter = limiter_;
        pauseRegistry = pauseRegistry_;
        usdScale = 10 ** (18 - IERC20Metadata(address(token)).decimals());
        // The pool pulls settled losses (ILiquidityPool.collect); the limiter pulls queued withdrawals.
        token.forceApprove(address(pool_), type(uint256).max);
        token.forceApprove(address(limiter_), type(uint256).max);
    }

    // ---------------------------------------------------------------------------------------------
    // Traders
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginAccounts
    function deposit(address account, uint256 amount) external {
        _deposit(account, amount);
    }

    /// @inheritdoc IMarginAccounts
    function depositWithPermit(
        address account,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        // A permit that a front-runner already submitted reverts here; the allowance it set is what counts.
        try IERC20Permit(address(collateral)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _deposit(account, amount);
    }

    /// @inheritdoc IMarginAccounts
    function withdraw(uint256 amount, address receiver) external returns (uint256 paidNow, uint256 claimId) {
        if (amount == 0 || receiver == address(0)) revert MarginAccountsInvalidInput();
        if (pauseRegistry.isPaused(bytes32(0), IPauseRegistry.Action.Withdraw)) revert MarginAccountsWithdrawPaused();
        uint256 balance = _collateral[msg.sender];
        if (amount > balance) revert MarginAccountsInsufficientCollateral(msg.sender, amount, balance);

        uint256 remaining = balance - amount;
        (int256 pnl, uint256 initialMargin, ) = _requirements(msg.sender);
        if (initialMargin != 0 || pnl < 0) {
            int256 equity = SafeCast.toInt256(remaining * usdScale) + pnl;
            if (equity < SafeCast.toInt256(initialMargin)) {
                revert MarginAccountsBelowInitialMargin(msg.sender, equity, initialMargin);
            }
        }

        _collateral[msg.sender] = remaining;
        _totalCollateral -= amount;
        (paidNow, claimId) = limiter.release(receiver, amount);
        emit MarginWithdrawn(msg.sender, receiver, amount, paidNow, claimId);
        if (paidNow != 0) collateral.safeTransfer(receiver, paidNow);
    }

    // ---------------------------------------------------------------------------------------------
    // Engines
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginAccounts
    function settle(address account, int256 amount) external onlyEngine returns (uint256 shortfall) {
        if (amount > 0) {
            // The engine paid the profit in first (from its reservation in the pool); book only what arrived.
            uint256 profit = uint256(amount);
            uint256 total = _totalCollateral;
            uint256 unbooked = Math.saturatingSub(collateral.balanceOf(address(this)), total);
            if (profit > unbooked) revert MarginAccountsProfitNotPaidIn(profit, unbooked);
            _collateral[account] += profit;
            _totalCollateral = total + profit;
        } else if (amount < 0) {
            uint256 loss = uint256(-amount);
            uint256 balance = _collateral[account];
            uint256 taken = Math.min(balance, loss);
            shortfall = loss - taken;
            _collateral[account] = balance - taken;
            _totalCollateral -= taken;
            if (taken != 0) pool.collect(taken);
        }
        emit MarginSettled(account, msg.sender, amount, shortfall);
    }

    /// @inheritdoc IMarginAccounts
    function transferMargin(address from, address to, uint256 amount) external onlyEngine {
        if (to == address(0)) revert MarginAccountsInvalidInput();
        uint256 balance = _collateral[from];
        if (amount > balance) revert MarginAccountsInsufficientCollateral(from, amount, balance);
        _collateral[from] = balance - amount;
        _collateral[to] += amount;
        emit MarginTransferred(from, to, msg.sender, amount);
    }

    /// @inheritdoc IMarginAccounts
    function toInsurance(address account, uint256 amount) external onlyEngine {
        uint256 balance = _collateral[account];
        if (amount > balance) revert MarginAccountsInsufficientCollateral(account, amount, balance);
        _collateral[account] = balance - amount;
        _totalCollateral -= amount;
        emit MarginToInsurance(account, msg.sender, amount);
        pool.fundInsurance(amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginAccounts
    function addEngine(address engine) external restricted {
        if (engine.code.length == 0 || _isEngine[engine]) revert MarginAccountsInvalidEngine(engine);
        if (_engines.length == MAX_ENGINES) revert MarginAccountsTooManyEngines(MAX_ENGINES);
        _engines.push(engine);
        _isEngine[engine] = true;
        emit EngineAdded(engine, msg.sender);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IMarginAccounts
    function collateralOf(address account) external view returns (uint256) {
        return _collateral[account];
    }

    /// @inheritdoc IMarginAccounts
    function totalCollateral() external view returns (uint256) {
        return _totalCollateral;
    }

    /// @inheritdoc IMarginAccounts
    function accountState(address account) external view returns (AccountState memory s) {
        uint256 units = _collateral[account];
        s.collateral = units * usdScale;
        (s.pnl, s.initialMargin, s.maintenanceMargin) = _requirements(account);
        s.equity = SafeCast.toInt256(s.collateral) + s.pnl;
        int256 spare = s.equity - SafeCast.toInt256(s.initialMargin);
        if (spare > 0) s.withdrawable = Math.min(units, uint256(spare) / usdScale);
    }

    /// @inheritdoc IMarginAccounts
    function engines() external view returns (address[] memory) {
        return _engines;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _deposit(address account, uint256 amount) private {
        if (amount == 0 || account == address(0)) revert MarginAccountsInvalidInput();
        CollateralTransfer.pullExact(collateral, msg.sender, amount, _totalCollateral);
        _collateral[account] += amount;
        _totalCollateral += amount;
        limiter.recordInflow(amount);
        emit MarginDeposited(account, msg.sender, amount);
    }

    function _requirements(
        address account
    ) private view returns (int256 pnl, uint256 initialMargin, uint256 maintenanceMargin) {
        uint256 count = _engines.length;
        for (uint256 i; i < count; ++i) {
            (int256 p, uint256 im, uint256 mm) = IMarginEngine(_engines[i]).marginRequirement(account);
            pnl += p;
            initialMargin += im;
            maintenanceMargin += mm;
        }
    }
}

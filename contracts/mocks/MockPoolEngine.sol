// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IPriceAggregator} from "../interfaces/IPriceAggregator.sol";
import {ILiquidityPool} from "../interfaces/ILiquidityPool.sol";
import {IMarginAccounts} from "../interfaces/IMarginAccounts.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {IPoolEngine} from "../interfaces/IPoolEngine.sol";

/// @title MockPoolEngine
/// @notice Test only: a stand-in for a trading engine until the perps and options engines exist. The traders'
/// side is one net position in one market, priced with the real PriceAggregator (`status`, a view), so the pool's
/// share price and its freeze follow the oracle exactly as with a real engine. Per-account requirements are set by
/// the test. Every pool and accounts call an engine can make is forwarded as is.
contract MockPoolEngine is IPoolEngine, IMarginEngine {
    struct Requirement {
        int256 pnl;
        uint256 initialMargin;
        uint256 maintenanceMargin;
    }

    IPriceAggregator public immutable aggregator;
    bytes32 public immutable market;
    ILiquidityPool public immutable pool;
    IMarginAccounts public immutable accounts;

    /// @notice The traders' net size (18 decimals, positive long) and its entry price (18 decimals).
    int256 public size;
    uint256 public entryPrice;
    /// @notice The reservation, raised only when it fits what the pool has free for this engine (as the perps engine).
    uint256 public reservedAssets;
    mapping(address account => Requirement) public requirements;

    constructor(IPriceAggregator aggregator_, bytes32 market_, ILiquidityPool pool_, IMarginAccounts accounts_) {
        aggregator = aggregator_;
        market = market_;
        pool = pool_;
        accounts = accounts_;
    }

    function setPosition(int256 size_, uint256 entryPrice_) external {
        size = size_;
        entryPrice = entryPrice_;
    }

    function reserve(uint256 assets) external {
        (, uint256 free) = pool.liquidityFor(address(this));
        if (assets > reservedAssets && assets > free) {
            revert ILiquidityPool.LiquidityPoolInsufficientLiquidity(assets, free);
        }
        reservedAssets = assets;
    }

    function setRequirement(address account, int256 pnl, uint256 initialMargin, uint256 maintenanceMargin) external {
        requirements[account] = Requirement(pnl, initialMargin, maintenanceMargin);
    }

    /// @notice Traders' PnL in collateral units (6 decimals) at `price`, rounded up (against the LPs).
    function pnlAt(uint256 price) public view returns (int256) {
        int256 usd = (size * (int256(price) - int256(entryPrice))) / 1e18;
        return usd >= 0 ? int256(Math.ceilDiv(uint256(usd), 1e12)) : -int256(uint256(-usd) / 1e12);
    }

    function poolExposure() external view returns (int256 liability, bool trusted) {
        if (size == 0) return (0, true);
        IPriceAggregator.Status memory s = aggregator.status(market);
        trusted = s.state == IPriceAggregator.State.Active;
        uint256 price = s.median;
        if (!trusted) {
            // The conservative side for the LPs: the highest known price against longs, the lowest against shorts.
            uint256 known = s.median == 0 ? s.lastGoodPrice : s.median;
            price = size > 0 ? Math.max(known, s.lastGoodPrice) : Math.min(known, s.lastGoodPrice);
        }
        return (pnlAt(price), trusted);
    }

    function marginRequirement(address account) external view returns (int256, uint256, uint256) {
        Requirement memory r = requirements[account];
        return (r.pnl, r.initialMargin, r.maintenanceMargin);
    }

    // Forwarders: what a real engine would call.

    function pay(address to, uint256 assets) external returns (uint256, uint256) {
        return pool.pay(to, assets);
    }

    function collect(uint256 assets) external {
        IERC20(IERC4626(address(pool)).asset()).approve(address(pool), assets);
        pool.collect(assets);
    }

    function lock(uint256 assets) external {
        pool.lock(assets);
    }

    function release(uint256 assets) external {
        pool.release(assets);
    }

    function payLocked(address to, uint256 assets) external returns (uint256, uint256) {
        return pool.payLocked(to, assets);
    }

    function coverShortfall(uint256 shortfall) external returns (uint256, uint256) {
        return pool.coverShortfall(shortfall);
    }

    /// @notice As a real engine settles: a profit is paid from the pool into the accounts first, then booked.
    function settle(address account, int256 amount) external returns (uint256) {
        if (amount > 0) pool.pay(address(accounts), uint256(amount));
        return accounts.settle(account, amount);
    }

    function transferMargin(address from, address to, uint256 amount) external {
        accounts.transferMargin(from, to, amount);
    }
}

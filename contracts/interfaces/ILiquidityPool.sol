// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPauseRegistry} from "./IPauseRegistry.sol";

/// @title ILiquidityPool
/// @notice Bulwark's single liquidity pool (SPEC §6): an ERC-4626 vault over the collateral that is the
/// counterparty of every trade, with the insurance fund as a separate balance. This interface holds what the pool
/// adds to ERC-4626.
///
/// Accounting, in collateral units:
/// - `cash`: collateral that belongs to the LPs, including what is locked for options. Tracked internally, so a
///   token sent to the pool by mistake changes no share price (and can be moved to the insurance fund).
/// - `totalAssets() = cash − Σ liability` of the engines (IPoolEngine), never below zero.
/// - `reserved`: cash an engine sets aside for its traders' maximum profit (`IPoolEngine.reservedAssets`, read by the
///   pool when it needs it); no other module may lock or pay it, and LPs may not withdraw it.
/// - `withdrawable = cash − locked − Σ max(reserved, positive liability)` per engine: what LPs may take out (POOL-3).
/// - `insurance`: owned by no LP; it only ever covers traders' bad debt (`coverShortfall`).
///
/// Defences: shares are priced with an offset of 10^6 virtual shares (the inflation attack loses); while a price
/// behind an engine's liability is not trusted, deposits and withdrawals revert (POOL-2); newly minted shares are
/// locked for `minHoldingTime` and every withdrawal pays `withdrawFeeBps` to the remaining LPs (POOL-4); every
/// collateral outflow goes through the outflow limiter (CB-4). A withdrawal that does not fit the free liquidity or
/// the limiter is not lost: `requestRedeem` escrows the shares in a first-in, first-out queue priced when served.
///
/// Modules are contracts governance registers: the engines (which report exposure) and the margin accounts. Only
/// modules may move the pool's collateral, and only in the ways below.
interface ILiquidityPool {
    /// @notice A module as the pool knows it.
    struct Module {
        bool registered;
        bool reportsExposure;
        uint112 locked;
    }

    /// @notice A queued redemption: `shares` escrowed by `owner`, paid to `receiver` when served.
    struct RedeemRequest {
        address owner;
        address receiver;
        uint256 shares;
    }

    /// @notice What `poolState` returns.
    struct PoolState {
        uint256 cash;
        uint256 insurance;
        uint256 locked;
        uint256 reserved;
        uint256 totalAssets;
        uint256 withdrawable;
        bool trusted;
        uint256 queuedShares;
    }

    /// @notice `caller` is not a module of the pool.
    error LiquidityPoolNotModule(address caller);
    /// @notice `module` is registered already.
    error LiquidityPoolModuleExists(address module);
    /// @notice `module` is not a contract.
    error LiquidityPoolInvalidModule(address module);
    /// @notice The pool takes at most `max` engines that report exposure.
    error LiquidityPoolTooManyEngines(uint256 max);
    /// @notice `action` is paused in the pause registry.
    error LiquidityPoolPaused(IPauseRegistry.Action action);
    /// @notice An engine's price is not trusted, so shares cannot be priced (POOL-2, AGG-4).
    error LiquidityPoolPricesUntrusted();
    /// @notice `owner` asked to move `requested` shares but only `free` are past their holding time (POOL-4);
    /// the rest unlock at `unlockAt`.
    error LiquidityPoolSharesLocked(address owner, uint256 requested, uint256 free, uint256 unlockAt);
    /// @notice `requested` collateral is more than the `available` liquidity.
    error LiquidityPoolInsufficientLiquidity(uint256 requested, uint256 available);
    /// @notice The module releases or pays `requested` locked collateral but holds only `locked`.
    error LiquidityPoolInsufficientLocked(address module, uint256 requested, uint256 locked);
    /// @notice Queued redemptions come first: a direct withdrawal would overtake `queuedShares`.
    error LiquidityPoolRedeemQueueWaiting(uint256 queuedShares);
    /// @notice No queued redemption has the id `requestId`.
    error LiquidityPoolUnknownRequest(uint256 requestId);
    /// @notice Only the owner of request `requestId` may cancel it.
    error LiquidityPoolNotRequestOwner(uint256 requestId, address caller);
    /// @notice Zero shares or assets.
    error LiquidityPoolZeroAmount();
    /// @notice `receiver` has shares in their holding time until `unlockAt`; only the receiver itself may add to
    /// them, so nobody can keep another LP's shares locked.
    error LiquidityPoolReceiverLocked(address receiver, uint256 unlockAt);
    /// @notice The traders' liability exceeds the pool's cash: shares are worth nothing, so nobody may buy them.
    error LiquidityPoolNoAssets();
    /// @notice Only the pool itself may call this step of serving the queue.
    error LiquidityPoolNotSelf(address caller);
    /// @notice The pool's parameters live in the global scope only.
    error LiquidityPoolScopeNotGlobal(bytes32 scope);

    /// @notice Governance registered `module`.
    event ModuleAdded(address indexed module, bool reportsExposure, address indexed actor);
    /// @notice `module` paid `assets` of the LPs' cash to `to` (trader profit, option payoff).
    event PaidOut(address indexed module, address indexed to, uint256 assets, bool fromLocked);
    /// @notice `module` brought `assets` into the LPs' cash (trader loss, fees, premiums).
    event Collected(address indexed module, uint256 assets);
    /// @notice `module` locked `assets` of cash (option collateral); it now holds `moduleLocked`.
    event CollateralLocked(address indexed module, uint256 assets, uint256 moduleLocked);
    /// @notice `module` released `assets` of its locked cash; it now holds `moduleLocked`.
    event CollateralReleased(address indexed module, uint256 assets, uint256 moduleLocked);
    /// @notice The insurance fund grew by `assets` from `from`; it now holds `balance`.
    event InsuranceFunded(address indexed from, uint256 assets, uint256 balance);
    /// @notice A trader's bad debt of `shortfall` reported by `module`: `fromInsurance` came from the insurance fund,
    /// `fromLps` is a loss the LPs bear (the loss waterfall).
    event ShortfallCovered(address indexed module, uint256 shortfall, uint256 fromInsurance, uint256 fromLps);
    /// @notice Collateral nobody accounted for (`assets`, sent by mistake) moved to the insurance fund.
    event SurplusSwept(uint256 assets, address indexed actor);
    /// @notice `owner` escrowed `shares` in redemption request `requestId`, to be paid to `receiver`.
    event RedeemRequested(uint256 indexed requestId, address indexed owner, address indexed receiver, uint256 shares);
    /// @notice The owner took back the `shares` left in request `requestId`.
    event RedeemRequestCancelled(uint256 indexed requestId, uint256 shares);
    /// @notice Request `requestId` could not be paid to its receiver (the token refused the transfer); it left the
    /// queue and its `shares` went back to `owner`, so it cannot hold up the requests behind it.
    event RedeemRequestReturned(uint256 indexed requestId, address indexed owner, uint256 shares);
    /// @notice `shares` of request `requestId` were redeemed for `assets`; `paidNow` went to the receiver and the
    /// rest is outflow-limiter claim `claimId` (0 when nothing was queued).
    event RedeemRequestServed(
        uint256 indexed requestId,
        uint256 shares,
        uint256 assets,
        uint256 paidNow,
        uint256 claimId,
        bool complete
    );

    // ---------------------------------------------------------------------------------------------
    // LPs
    // ---------------------------------------------------------------------------------------------

    /// @notice Escrows `shares` of the caller in the redemption queue, paid to `receiver` at the price of the day
    /// they are served; serves the queue at once when it can. The way out when `maxRedeem` is short (POOL-3).
    function requestRedeem(uint256 shares, address receiver) external returns (uint256 requestId);

    /// @notice Gives the caller back what is left of its request `requestId`.
    function cancelRedeemRequest(uint256 requestId) external;

    /// @notice Serves up to `maxRequests` queued redemptions, in order, with the liquidity free now; anyone may call.
    /// A request whose payment the token refuses goes back to its owner instead of blocking the queue.
    /// @return served How many requests were served in full.
    function serveRedeemRequests(uint256 maxRequests) external returns (uint256 served);

    /// @notice One step of `serveRedeemRequests`, run by the pool on itself so that a failed payment reverts only
    /// that step. Reverts with `LiquidityPoolNotSelf` for any other caller.
    function serveOne(
        uint256 requestId,
        uint256 navAssets,
        uint256 liquidity
    ) external returns (uint256 shares, uint256 assets, bool complete);

    /// @notice Adds `assets` to the insurance fund from the caller; anyone may.
    function fundInsurance(uint256 assets) external;

    /// @notice Moves collateral that the pool holds but nobody accounted for (a transfer by mistake) to the
    /// insurance fund; anyone may call.
    function sweepSurplus() external returns (uint256 assets);

    // ---------------------------------------------------------------------------------------------
    // Modules
    // ---------------------------------------------------------------------------------------------

    /// @notice Pays `assets` of the LPs' cash (not what modules locked, nor what other modules reserved) to `to`.
    /// To a module the payment is internal; to anyone else it goes through the outflow limiter, which pays
    /// `paidNow` and queues the rest as claim `claimId`.
    function pay(address to, uint256 assets) external returns (uint256 paidNow, uint256 claimId);

    /// @notice Pulls `assets` from the calling module into the LPs' cash.
    function collect(uint256 assets) external;

    /// @notice Books `assets` that the calling module has just had transferred to the pool (a premium paid from a
    /// trader's wallet, one transfer instead of two) as the LPs' cash. Reverts with `CollateralBalanceShortfall` when
    /// the pool does not hold that much beyond what it has booked (the collateral is a plain ERC-20, without hooks).
    function collectTransferred(uint256 assets) external;

    /// @notice Locks `assets` of cash for the calling module (OPT-2); they stay the LPs' but cannot be withdrawn. Never
    /// cash that other modules reserved.
    function lock(uint256 assets) external;

    /// @notice Releases `assets` of the calling module's locked cash.
    function release(uint256 assets) external;

    /// @notice Pays `assets` of the calling module's locked cash to `to`, as `pay` does.
    function payLocked(address to, uint256 assets) external returns (uint256 paidNow, uint256 claimId);

    /// @notice Covers a trader's bad debt of `shortfall`: the insurance fund first, then the LPs (the loss waterfall).
    function coverShortfall(uint256 shortfall) external returns (uint256 fromInsurance, uint256 fromLps);

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    /// @notice Registers `module`; `reportsExposure` for an engine whose traders the pool is counterparty to. Such an
    /// engine's `IPoolEngine` views must never revert: the pool reads them to price shares and on every lock and
    /// payment. A module without `reportsExposure` reserves nothing.
    function addModule(address module, bool reportsExposure) external;

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice Cash, insurance, locked, reserved, NAV, withdrawable liquidity, whether prices are trusted, queued
    /// shares.
    function poolState() external view returns (PoolState memory);

    /// @notice `owner`'s shares that are past their holding time and may move.
    function freeShares(address owner) external view returns (uint256);

    /// @notice Shares of `owner` still in their holding time, and when they unlock.
    function lockedShares(address owner) external view returns (uint256 shares, uint256 unlockAt);

    /// @notice The redemption request `requestId` (a zero owner when served in full, cancelled or unknown).
    function redeemRequest(uint256 requestId) external view returns (RedeemRequest memory);

    /// @notice `module` as the pool knows it.
    function moduleOf(address module) external view returns (Module memory);

    /// @notice The LPs' cash, and what `module` may pay or lock of it now (not locked, not reserved by others).
    function liquidityFor(address module) external view returns (uint256 cash, uint256 free);

    /// @notice The engines that report exposure, in registration order.
    function engines() external view returns (address[] memory);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPerpsMarkets} from "./IPerpsMarkets.sol";
import {IPriceAggregator} from "./IPriceAggregator.sol";

/// @title IPerpsEngine
/// @notice Bulwark's perpetual futures (SPEC §7, §8): markets with their own oracle and bounded risk parameters,
/// positions held against the cross-margin accounts, and the liquidity pool as counterparty.
///
/// - Risk-increasing trades are two-step (PERP-2): `commitOrder` escrows a keeper fee; after `minOrderDelay` anyone
///   may `executeOrder` at a price published no earlier than the commit; after `orderWindow` the order can only be
///   cancelled (`cancelOrder`), refunding the fee minus `cancelChargeBps`.
/// - De-risking is atomic (PERP-3): `reducePosition` and `closePosition` fill at once at the aggregator's
///   de-risking price, which answers even while the oracle is frozen, biased against the trader. Adding margin is
///   `IMarginAccounts.deposit`, which is never paused.
/// - Fill price = oracle price × (1 + average skew premium); the maker fee applies to the part of a trade that
///   reduces the skew, the taker fee to the rest (PERP-4). Funding follows the velocity model (PERP-5).
/// - Equity counts every position as if closed now: PnL at the closing fill price, funding owed, the closing fee
///   and any debt (PERP-6). Opening needs equity ≥ Σ initial margin; below Σ maintenance margin anyone may
///   liquidate (LIQ-1), at most `liquidationStep` of each market per `liquidationWindow` (LIQ-2).
/// - Loss waterfall (LIQ-4): a realised loss takes the account's collateral; what is left owing is the account's
///   debt, netted against its later profits; once it has no position left, its remaining margin goes to the
///   insurance fund and its debt is covered by the insurance fund and then the LPs (`BadDebtCovered`). If the
///   traders' unrealised profit exceeds `adlThresholdBps` of the pool's cash, profitable positions may be closed
///   by anyone (`autoDeleverage`).
interface IPerpsEngine {
    /// @notice A market's state. Open interest and skew in base units, the funding rate per day, the funding index in
    /// USD per unit of size, `debtCorrection = Σ size × (entryPrice − entryFundingIndex)` in USD, the pool
    /// reservation in collateral units.
    struct MarketState {
        uint128 longOpenInterest;
        uint128 shortOpenInterest;
        int128 fundingRate;
        int128 fundingIndex;
        int160 debtCorrection;
        uint64 lastFundingAt;
        uint32 liquidationWindowStart;
        uint128 reserved;
        uint128 liquidatedInWindow;
    }

    /// @notice One position (size in base units, positive long).
    struct Position {
        int128 size;
        uint128 entryPrice;
        int128 entryFundingIndex;
    }

    /// @notice A committed order. `keeperFee` in collateral units.
    struct Order {
        int128 sizeDelta;
        uint64 committedAt;
        uint8 marketIndex;
        uint128 acceptablePrice;
        uint128 keeperFee;
    }

    /// @notice An account's health, in 18-decimal USD (what the lens and the liquidation check compute).
    struct Health {
        int256 equity;
        uint256 initialMargin;
        uint256 maintenanceMargin;
        bool liquidatable;
        /// @notice The reward a liquidation now would pay, in collateral units.
        uint256 expectedReward;
    }

    /// @notice A position valued at a price, in 18-decimal USD.
    struct PositionValue {
        bytes32 market;
        int256 size;
        uint256 entryPrice;
        uint256 price;
        uint256 closeFillPrice;
        int256 pnl;
        int256 fundingOwed;
        uint256 closeFee;
        uint256 notional;
        uint256 initialMargin;
        uint256 maintenanceMargin;
    }

    /// @notice A zero size, a zero address, or an order that does nothing.
    error PerpsInvalidInput();
    /// @notice `action` is paused for `market`.
    error PerpsPaused(bytes32 market, uint8 action);
    /// @notice `account` has a pending order already.
    error PerpsOrderPending(address account);
    /// @notice `account` has no pending order.
    error PerpsNoOrder(address account);
    /// @notice The keeper fee `fee` is below the minimum `minFee` (collateral units).
    error PerpsKeeperFeeTooLow(uint256 fee, uint256 minFee);
    /// @notice An account with positions may escrow as keeper fee only margin it could withdraw, `free`.
    error PerpsKeeperFeeAboveFreeMargin(uint256 keeperFee, uint256 free);
    /// @notice The order may be executed from `readyAt`.
    error PerpsOrderNotReady(address account, uint256 readyAt);
    /// @notice The order expired at `expiredAt`; it can only be cancelled.
    error PerpsOrderExpired(address account, uint256 expiredAt);
    /// @notice The order has not expired; it can be cancelled from `cancellableAt`.
    error PerpsOrderNotExpired(address account, uint256 cancellableAt);
    /// @notice The price was published at `publishedAt`, before the order was committed at `committedAt`.
    error PerpsPriceOlderThanOrder(uint256 publishedAt, uint256 committedAt);
    /// @notice The fill price `fillPrice` is worse than the acceptable price `acceptablePrice`.
    error PerpsSlippage(uint256 fillPrice, uint256 acceptablePrice);
    /// @notice A de-risking call would increase or flip the position (`size` now, `sizeDelta` asked).
    error PerpsNotReducing(int256 size, int256 sizeDelta);
    /// @notice The trade would raise the engine's reservation to `reserved`, more than the `free` cash the pool has
    /// for it (POOL-3): the pool cannot back the traders' maximum profit.
    error PerpsInsufficientLiquidity(uint256 reserved, uint256 free);
    /// @notice The pool owes `account` nothing.
    error PerpsNothingOwed(address account);
    /// @notice `account` has no position in `market`.
    error PerpsNoPosition(address account, bytes32 market);
    /// @notice The trade would take `market`'s open interest on one side to `openInterest`, above `cap`.
    error PerpsOpenInterestCap(bytes32 market, bool long, uint256 openInterest, uint256 cap);
    /// @notice The position would reach `size`, above the market's `maxSize`.
    error PerpsPositionTooLarge(bytes32 market, uint256 size, uint256 maxSize);
    /// @notice After the trade `account` would have `equity` below its `initialMargin` (USD).
    error PerpsInsufficientMargin(address account, int256 equity, uint256 initialMargin);
    /// @notice `account` is not liquidatable: `equity` is at or above `maintenanceMargin` (USD).
    error PerpsAccountHealthy(address account, int256 equity, uint256 maintenanceMargin);
    /// @notice Liquidations in `market` have used their step for this window; more from `resumesAt`.
    error PerpsLiquidationStepUsed(bytes32 market, uint256 resumesAt);
    /// @notice Liquidations of `market` wait out the grace period after an unpause (CB-3).
    error PerpsLiquidationGrace(bytes32 market);
    /// @notice Auto-deleveraging needs every open market's price trusted (the pool's view of the traders' side).
    error PerpsAdlUntrusted();
    /// @notice Auto-deleveraging is not needed: traders' profit `liability` is within `cap` (collateral units).
    error PerpsAdlNotNeeded(int256 liability, uint256 cap);
    /// @notice Auto-deleveraging only closes a profitable position; this one has `pnl` (USD).
    error PerpsAdlNotProfitable(address account, bytes32 market, int256 pnl);

    /// @notice `account` committed an order.
    event OrderCommitted(
        address indexed account,
        bytes32 indexed market,
        int256 sizeDelta,
        uint256 acceptablePrice,
        uint256 keeperFee,
        uint256 committedAt
    );
    /// @notice `keeper` executed `account`'s order and earned `keeperFee` (collateral units).
    event OrderExecuted(address indexed account, bytes32 indexed market, address indexed keeper, uint256 keeperFee);
    /// @notice `account`'s expired order was cancelled by `actor`: `refund` returned, `charge` kept for the pool.
    event OrderCancelled(
        address indexed account,
        bytes32 indexed market,
        address indexed actor,
        uint256 refund,
        uint256 charge
    );
    /// @notice `account`'s position in `market` went from `oldSize` to `newSize` at `fillPrice`. `realised` is the
    /// PnL minus funding of the closed part, `fee` the trading fee (USD).
    event PositionModified(
        address indexed account,
        bytes32 indexed market,
        int256 oldSize,
        int256 newSize,
        uint256 fillPrice,
        int256 realised,
        uint256 fee
    );
    /// @notice `liquidator` closed `closedSize` of `account`'s position in `market` at `fillPrice` and earned `reward`
    /// (collateral units).
    event PositionLiquidated(
        address indexed account,
        bytes32 indexed market,
        address indexed liquidator,
        int256 closedSize,
        uint256 fillPrice,
        uint256 reward
    );
    /// @notice `account`'s debt `debt` was covered: `fromInsurance` by the insurance fund, `fromLps` by the LPs, whose
    /// share price fell by that much (collateral units).
    event BadDebtCovered(address indexed account, uint256 debt, uint256 fromInsurance, uint256 fromLps);
    /// @notice After its last position was liquidated, `account`'s remaining `margin` went to the insurance fund (held
    /// by the engine until `sweepPending`, and already counted as insurance when bad debt is covered).
    event MarginToInsuranceFund(address indexed account, uint256 margin);
    /// @notice A realised loss exceeded `account`'s collateral: its debt is now `debt` (collateral units).
    event DebtIncurred(address indexed account, uint256 debt);
    /// @notice The pool had no free cash for `owed` of `account`'s profit: it is owed, and paid with the account's
    /// next profit or by `claimProfit` (collateral units).
    event ProfitDeferred(address indexed account, uint256 owed);
    /// @notice `actor` closed `account`'s profitable position in `market` because traders' profit `liability`
    /// exceeded `cap` (LIQ-4).
    event AutoDeleveraged(
        address indexed account,
        bytes32 indexed market,
        address indexed actor,
        int256 size,
        uint256 price,
        int256 liability,
        uint256 cap
    );
    /// @notice Fees and losses held by the engine, `assets`, were paid into the pool, and margin held for the
    /// insurance fund, `insurance`, into the fund.
    event PendingSwept(uint256 assets, uint256 insurance);
    /// @notice The engine's reservation in the pool changed to `reserved` (collateral units).
    event ReservationChanged(uint256 reserved);

    /// @notice Commits an order to change the caller's position in `market` by `sizeDelta`, to be filled no worse than
    /// `acceptablePrice`; escrows `keeperFee` of the caller's collateral (collateral units) for whoever executes it.
    function commitOrder(bytes32 market, int256 sizeDelta, uint256 acceptablePrice, uint256 keeperFee) external;

    /// @notice Executes `account`'s order (anyone, after `minOrderDelay`, before `orderWindow` ends) at a price not
    /// older than the commit; the caller earns the keeper fee as margin.
    function executeOrder(address account) external;

    /// @notice Cancels `account`'s expired order (anyone): the fee minus `cancelChargeBps` goes back to the account.
    function cancelOrder(address account) external;

    /// @notice Reduces the caller's position in `market` by `sizeDelta` (opposite in sign, not beyond zero), at once.
    function reducePosition(bytes32 market, int256 sizeDelta, uint256 acceptablePrice) external;

    /// @notice Closes the caller's position in `market` at once.
    function closePosition(bytes32 market, uint256 acceptablePrice) external;

    /// @notice Liquidates `account` (anyone) when its equity is below its maintenance margin: each position up to the
    /// market's liquidation step; the caller earns the reward as margin.
    function liquidate(address account) external returns (uint256 reward);

    /// @notice Liquidates each of `accounts` that is liquidatable, skipping the others.
    function liquidateMany(address[] calldata accounts) external returns (uint256 liquidated, uint256 reward);

    /// @notice Closes `account`'s profitable position in `market` at the oracle price while traders' profit exceeds the
    /// ADL threshold (anyone).
    function autoDeleverage(address account, bytes32 market) external;

    /// @notice Pays `account` the profit the pool owes it, as far as the pool's free cash allows; the rest stays owed
    /// (anyone).
    function claimProfit(address account) external;

    /// @notice Pays the fees and losses the engine holds into the pool, and the margin it holds for the insurance fund
    /// into the fund (anyone).
    function sweepPending() external returns (uint256 assets, uint256 insurance);

    /// @notice `account`'s position in `market`.
    function positionOf(address account, bytes32 market) external view returns (Position memory);

    /// @notice `account`'s pending order (zero when none); its market is `IPerpsMarkets.marketAt(order.marketIndex)`.
    function orderOf(address account) external view returns (Order memory);

    /// @notice `account`'s balance with the pool (collateral units): positive, profit the pool owes it and
    /// `claimProfit` pays; negative, debt beyond its collateral. And the bit mask of market indexes it holds positions
    /// in.
    function accountOf(address account) external view returns (int256 balance, uint256 marketMask);

    /// @notice How many accounts ever traded, and the `index`-th of them (for the lens).
    function accountCount() external view returns (uint256);

    /// @notice The `index`-th account that ever traded.
    function accountAt(uint256 index) external view returns (address);

    /// @notice `market`'s state.
    function marketState(bytes32 market) external view returns (MarketState memory);

    /// @notice The markets and their parameters.
    function perpsMarkets() external view returns (IPerpsMarkets);

    /// @notice The oracle the engine reads.
    function aggregator() external view returns (IPriceAggregator);
}

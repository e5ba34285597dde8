// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ILiquidityPool} from "../interfaces/ILiquidityPool.sol";
import {IMarginAccounts} from "../interfaces/IMarginAccounts.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {IPauseRegistry} from "../interfaces/IPauseRegistry.sol";
import {IPerpsEngine} from "../interfaces/IPerpsEngine.sol";
import {IPoolEngine} from "../interfaces/IPoolEngine.sol";
import {IPriceAggregator} from "../interfaces/IPriceAggregator.sol";
import {IPerpsMarkets, PERPS_MAX_MARKETS} from "../interfaces/IPerpsMarkets.sol";
import {PerpsMath} from "./PerpsMath.sol";
import {PerpsValuation} from "./PerpsValuation.sol";

/// @title PerpsEngine
/// @notice Perpetual futures against the liquidity pool (SPEC §7, §8). See `IPerpsEngine`.
/// @dev Every entry point follows one order: validate, read prices, accrue funding, update the market and the
/// position, settle with the accounts and the pool, emit. Settlement avoids moving tokens where it can: fees and
/// losses are moved as margin to the engine's own account (`pending`, counted as a pool asset until
/// `sweepPending`), and profits are paid from `pending` first, then by the pool.
contract PerpsEngine is IPerpsEngine, IPoolEngine, IMarginEngine, ReentrancyGuardTransient {
    using SafeCast for uint256;
    using SafeCast for int256;

    uint256 private constant WAD = 1e18;
    uint256 private constant BPS = 10_000;

    /// @dev How a trade came about; it decides the price adjustments, the checks and the pauses that apply.
    enum Kind {
        Order,
        Derisk,
        Liquidation,
        Adl
    }

    /// @dev An account's balance with the pool (collateral units: positive, profit the pool could not pay yet;
    /// negative, debt beyond its collateral; never both), the markets it holds positions in (bit i: market i), and the
    /// keeper fee escrowed for its pending order (collateral units). One slot, which commit and execute write anyway.
    struct AccountRecord {
        int128 balance;
        uint8 marketMask;
        bool known;
        uint96 keeperFee;
    }

    /// @dev A pending order as stored, in one slot (`committedAt` 0: none); its keeper fee is in the account record.
    /// An acceptable price above `uint96` (far above any price the oracle allows) is stored as the `uint96` maximum,
    /// which bounds a fill the same way.
    struct StoredOrder {
        int96 sizeDelta;
        uint96 acceptablePrice;
        uint32 committedAt;
        uint8 marketIndex;
    }

    /// @dev Keeper fees held for pending orders, and fees and losses held for the pool (collateral units). With the
    /// insurance held (`_insuranceHeld`), their sum is the engine's own balance in the margin accounts.
    struct Held {
        uint128 escrow;
        uint128 pending;
    }

    /// @dev The markets one operation values, by market index: id, parameters and price (zero where not loaded).
    /// Each market's parameters are fetched once per transaction.
    struct MarketSet {
        bytes32[PERPS_MAX_MARKETS] ids;
        IPerpsMarkets.MarketConfig[PERPS_MAX_MARKETS] configs;
        uint256[PERPS_MAX_MARKETS] prices;
    }

    /// @dev One trade as `_trade` takes it.
    struct Trade {
        address account;
        uint256 index;
        bytes32 market;
        IPerpsMarkets.MarketConfig config;
        int256 delta;
        uint256 price;
        uint256 acceptablePrice;
        Kind kind;
    }

    /// @notice The markets and their parameters.
    IPerpsMarkets public immutable perpsMarkets;
    /// @notice The oracle.
    IPriceAggregator public immutable aggregator;
    /// @notice The margin accounts.
    IMarginAccounts public immutable accounts;
    /// @notice The liquidity pool.
    ILiquidityPool public immutable pool;
    /// @notice The pause registry.
    IPauseRegistry public immutable pauseRegistry;
    /// @notice 10^(18 − collateral decimals).
    uint256 public immutable usdScale;

    MarketState[PERPS_MAX_MARKETS] private _states;
    mapping(address account => mapping(uint256 index => Position)) private _positions;
    mapping(address account => AccountRecord) private _records;
    mapping(address account => StoredOrder) private _orders;
    address[] private _accountList;
    Held private _held;
    uint128 private _totalReserved;
    /// @dev Liquidated accounts' remaining margin, held for the insurance fund until `sweepPending` (LIQ-4). It shares
    /// a slot with `_totalReserved`, which liquidations write anyway.
    uint128 private _insuranceHeld;
    /// @dev Σ of the negative account balances (debt) and of the positive ones (profit owed).
    uint128 private _totalDebt;
    uint128 private _totalCredit;

    modifier onlySelf() {
        if (msg.sender != address(this)) revert PerpsInvalidInput();
        _;
    }

    /// @param markets_ the markets and their parameters
    /// @param aggregator_ the price aggregator
    /// @param accounts_ the margin accounts
    /// @param pool_ the liquidity pool
    /// @param pauseRegistry_ the pause registry
    constructor(
        IPerpsMarkets markets_,
        IPriceAggregator aggregator_,
        IMarginAccounts accounts_,
        ILiquidityPool pool_,
        IPauseRegistry pauseRegistry_
    ) {
        perpsMarkets = markets_;
        aggregator = aggregator_;
        accounts = accounts_;
        pool = pool_;
        pauseRegistry = pauseRegistry_;
        usdScale = accounts_.usdScale();
    }

    // ---------------------------------------------------------------------------------------------
    // Orders (PERP-2)
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPerpsEngine
    function commitOrder(
        bytes32 market,
        int256 sizeDelta,
        uint256 acceptablePrice,
        uint256 keeperFee
    ) external nonReentrant {
        uint256 index = perpsMarkets.indexOf(market);
        if (sizeDelta == 0 || acceptablePrice == 0) revert PerpsInvalidInput();
        if (_orders[msg.sender].committedAt != 0) revert PerpsOrderPending(msg.sender);
        uint256 minFee = Math.ceilDiv(perpsMarkets.globalConfig().minKeeperFee, usdScale);
        if (keeperFee < minFee) revert PerpsKeeperFeeTooLow(keeperFee, minFee);
        int256 size = _positions[msg.sender][index].size;
        _checkPause(market, size, size + sizeDelta);
        AccountRecord memory r = _records[msg.sender];
        // The escrowed fee leaves the account's margin: with positions open it must come from what could be
        // withdrawn, or an order could carry the margin away from under them.
        if (r.marketMask != 0) {
            uint256 free = accounts.accountState(msg.sender).withdrawable;
            if (keeperFee > free) revert PerpsKeeperFeeAboveFreeMargin(keeperFee, free);
        }

        _orders[msg.sender] = StoredOrder({
            sizeDelta: sizeDelta.toInt96(),
            acceptablePrice: uint96(Math.min(acceptablePrice, type(uint96).max)),
            committedAt: uint32(block.timestamp),
            marketIndex: uint8(index)
        });
        if (!r.known) _accountList.push(msg.sender);
        (r.known, r.keeperFee) = (true, keeperFee.toUint96());
        _records[msg.sender] = r;
        _held.escrow += uint128(keeperFee);
        emit OrderCommitted(msg.sender, market, sizeDelta, acceptablePrice, keeperFee, block.timestamp);
        accounts.transferMargin(msg.sender, address(this), keeperFee);
    }

    /// @inheritdoc IPerpsEngine
    function executeOrder(address account) external nonReentrant {
        Order memory order = _takeOrder(account);
        IPerpsMarkets.GlobalConfig memory g = perpsMarkets.globalConfig();
        uint256 readyAt = order.committedAt + g.minOrderDelay;
        if (block.timestamp < readyAt) revert PerpsOrderNotReady(account, readyAt);
        uint256 expiresAt = order.committedAt + g.orderWindow;
        if (block.timestamp > expiresAt) revert PerpsOrderExpired(account, expiresAt);
        (bytes32 market, IPerpsMarkets.MarketConfig memory config) = perpsMarkets.marketAt(order.marketIndex);
        (uint256 price, uint256 publishedAt) = aggregator.priceForRiskWithTime(market);
        if (publishedAt < order.committedAt) revert PerpsPriceOlderThanOrder(publishedAt, order.committedAt);

        _held.escrow -= order.keeperFee;
        _trade(
            Trade(account, order.marketIndex, market, config, order.sizeDelta, price, order.acceptablePrice, Kind.Order)
        );
        emit OrderExecuted(account, market, msg.sender, order.keeperFee);
        accounts.transferMargin(address(this), msg.sender, order.keeperFee);
    }

    /// @inheritdoc IPerpsEngine
    function cancelOrder(address account) external nonReentrant {
        Order memory order = _takeOrder(account);
        IPerpsMarkets.GlobalConfig memory g = perpsMarkets.globalConfig();
        uint256 expiresAt = order.committedAt + g.orderWindow;
        if (block.timestamp <= expiresAt) revert PerpsOrderNotExpired(account, expiresAt + 1);

        uint256 charge = Math.mulDiv(order.keeperFee, g.cancelChargeBps, BPS, Math.Rounding.Ceil);
        uint256 refund = order.keeperFee - charge;
        Held memory h = _held;
        _held = Held({escrow: h.escrow - order.keeperFee, pending: h.pending + uint128(charge)});
        (bytes32 market, ) = perpsMarkets.marketAt(order.marketIndex);
        emit OrderCancelled(account, market, msg.sender, refund, charge);
        if (refund != 0) accounts.transferMargin(address(this), account, refund);
    }

    // ---------------------------------------------------------------------------------------------
    // De-risking (PERP-3)
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPerpsEngine
    function reducePosition(bytes32 market, int256 sizeDelta, uint256 acceptablePrice) external nonReentrant {
        _derisk(market, sizeDelta, acceptablePrice, false);
    }

    /// @inheritdoc IPerpsEngine
    function closePosition(bytes32 market, uint256 acceptablePrice) external nonReentrant {
        _derisk(market, 0, acceptablePrice, true);
    }

    // ---------------------------------------------------------------------------------------------
    // Liquidation (LIQ-1 … LIQ-5)
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPerpsEngine
    function liquidate(address account) external nonReentrant returns (uint256 reward) {
        return _liquidate(account, msg.sender);
    }

    /// @inheritdoc IPerpsEngine
    function liquidateMany(address[] calldata list) external nonReentrant returns (uint256 liquidated, uint256 reward) {
        for (uint256 i; i < list.length; ++i) {
            // Each account in its own frame: one that became healthy or was just liquidated is skipped (LIQ-5).
            try this.liquidateFor(list[i], msg.sender) returns (uint256 r) {
                ++liquidated;
                reward += r;
            } catch {} // solhint-disable-line no-empty-blocks
        }
    }

    /// @notice Internal to `liquidateMany`: liquidates `account` for `liquidator`. Only the engine may call it.
    function liquidateFor(address account, address liquidator) external onlySelf returns (uint256) {
        return _liquidate(account, liquidator);
    }

    /// @inheritdoc IPerpsEngine
    function autoDeleverage(address account, bytes32 market) external nonReentrant {
        (uint256 index, IPerpsMarkets.MarketConfig memory config) = perpsMarkets.configOf(market);
        Position memory p = _positions[account][index];
        if (p.size == 0) revert PerpsNoPosition(account, market);
        uint256 price = aggregator.priceForRisk(market);
        // The traders' side as the pool sees it; only on trusted prices, where it is not a conservative bound.
        (int256 liability, bool trusted) = this.poolExposure();
        if (!trusted) revert PerpsAdlUntrusted();
        (uint256 cash, ) = pool.liquidityFor(address(this));
        uint256 cap = Math.mulDiv(cash, perpsMarkets.globalConfig().adlThresholdBps, BPS);
        if (liability <= int256(cap)) revert PerpsAdlNotNeeded(liability, cap);
        PositionValue memory v = PerpsValuation.value(p, market, config, _states[index], price, true);
        if (v.pnl - v.fundingOwed <= 0) revert PerpsAdlNotProfitable(account, market, v.pnl - v.fundingOwed);
        _trade(Trade(account, index, market, config, -int256(p.size), price, 0, Kind.Adl));
        emit AutoDeleveraged(account, market, msg.sender, p.size, price, liability, cap);
    }

    /// @inheritdoc IPerpsEngine
    function sweepPending() external nonReentrant returns (uint256 assets, uint256 insurance) {
        assets = _held.pending;
        insurance = _insuranceHeld;
        if (assets == 0 && insurance == 0) return (0, 0);
        _held.pending = 0;
        _insuranceHeld = 0;
        emit PendingSwept(assets, insurance);
        if (assets != 0) accounts.settle(address(this), -int256(assets));
        if (insurance != 0) accounts.toInsurance(address(this), insurance);
    }

    /// @inheritdoc IPerpsEngine
    function claimProfit(address account) external nonReentrant {
        if (_records[account].balance <= 0) revert PerpsNothingOwed(account);
        _settle(account, 0);
    }

    // ---------------------------------------------------------------------------------------------
    // IPoolEngine, IMarginEngine
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPoolEngine
    function poolExposure() external view returns (int256 liability, bool trusted) {
        MarketSet memory set = _marketSet(_openMarkets());
        trusted = true;
        for (uint256 i; i < PERPS_MAX_MARKETS; ++i) {
            if (set.ids[i] == bytes32(0)) continue;
            IPriceAggregator.Status memory st = aggregator.status(set.ids[i]);
            if (st.state == IPriceAggregator.State.Active) {
                set.prices[i] = st.median;
                continue;
            }
            trusted = false;
            // The side against the LPs: the higher known price when traders are net long, the lower when short.
            uint256 known = st.median == 0 ? st.lastGoodPrice : st.median;
            MarketState storage s = _states[i];
            bool netLong = s.longOpenInterest >= s.shortOpenInterest;
            set.prices[i] = netLong ? Math.max(known, st.lastGoodPrice) : Math.min(known, st.lastGoodPrice);
        }
        liability = _exposure(set);
    }

    /// @inheritdoc IMarginEngine
    /// @dev Reverts with `PriceAggregatorUntrusted` while a market the account holds has no trusted price.
    function marginRequirement(
        address account
    ) external view returns (int256 pnl, uint256 initialMargin, uint256 maintenanceMargin) {
        MarketSet memory set = _marketSet(_records[account].marketMask);
        for (uint256 i; i < PERPS_MAX_MARKETS; ++i) {
            if (set.ids[i] == bytes32(0)) continue;
            IPriceAggregator.Status memory st = aggregator.status(set.ids[i]);
            if (st.state != IPriceAggregator.State.Active) {
                revert IPriceAggregator.PriceAggregatorUntrusted(set.ids[i], st.reason);
            }
            set.prices[i] = st.median;
        }
        (Health memory h, uint256 units) = _health(account, set);
        return (h.equity - int256(units * usdScale), h.initialMargin, h.maintenanceMargin);
    }

    /// @inheritdoc IPoolEngine
    /// @dev The reservation for open positions' maximum profit, and the profit already owed to traders (deferred when
    /// the pool was short), so that no other module locks that cash either.
    function reservedAssets() external view returns (uint256) {
        return uint256(_totalReserved) + _totalCredit;
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPerpsEngine
    function positionOf(address account, bytes32 market) external view returns (Position memory) {
        return _positions[account][perpsMarkets.indexOf(market)];
    }

    /// @inheritdoc IPerpsEngine
    function marketState(bytes32 market) external view returns (MarketState memory) {
        return _states[perpsMarkets.indexOf(market)];
    }

    /// @inheritdoc IPerpsEngine
    function orderOf(address account) external view returns (Order memory) {
        StoredOrder memory o = _orders[account];
        return Order(o.sizeDelta, o.committedAt, o.marketIndex, o.acceptablePrice, _records[account].keeperFee);
    }

    /// @inheritdoc IPerpsEngine
    function accountOf(address account) external view returns (int256 balance, uint256 marketMask) {
        AccountRecord memory r = _records[account];
        return (r.balance, r.marketMask);
    }

    /// @inheritdoc IPerpsEngine
    function accountCount() external view returns (uint256) {
        return _accountList.length;
    }

    /// @inheritdoc IPerpsEngine
    function accountAt(uint256 index) external view returns (address) {
        return _accountList[index];
    }

    /// @notice Keeper fees held for orders, fees and losses held for the pool, margin held for the insurance fund,
    /// traders' debt and the profit owed to them (collateral units). The reservation is `reservedAssets`.
    function held()
        external
        view
        returns (uint256 escrow, uint256 pending, uint256 insurance, uint256 totalDebt, uint256 totalOwed)
    {
        Held memory h = _held;
        return (h.escrow, h.pending, _insuranceHeld, _totalDebt, _totalCredit);
    }

    // ---------------------------------------------------------------------------------------------
    // Trading
    // ---------------------------------------------------------------------------------------------

    function _derisk(bytes32 market, int256 sizeDelta, uint256 acceptablePrice, bool closeAll) private {
        (uint256 index, IPerpsMarkets.MarketConfig memory config) = perpsMarkets.configOf(market);
        int256 size = _positions[msg.sender][index].size;
        if (size == 0) revert PerpsNoPosition(msg.sender, market);
        if (closeAll) sizeDelta = -size;
        if (sizeDelta == 0 || (sizeDelta > 0) == (size > 0) || SignedMath.abs(sizeDelta) > SignedMath.abs(size)) {
            revert PerpsNotReducing(size, sizeDelta);
        }
        // A seller gets the low side of the known prices, a buyer the high side.
        IPriceAggregator.Bias bias = sizeDelta < 0 ? IPriceAggregator.Bias.Low : IPriceAggregator.Bias.High;
        uint256 price = aggregator.priceForDerisk(market, bias);
        _trade(Trade(msg.sender, index, market, config, sizeDelta, price, acceptablePrice, Kind.Derisk));
    }

    /// @dev Applies one trade: funding, fill price, fee, position, open interest, reservation, settlement, margin.
    function _trade(Trade memory t) private {
        IPerpsMarkets.MarketConfig memory c = t.config;
        MarketState memory s = _states[t.index];
        Position memory p = _positions[t.account][t.index];
        bytes32 market = t.market;
        PerpsValuation.accrue(s, c, t.price);

        int256 newSize = p.size + t.delta;
        // Risk checks apply to orders that open, increase or flip a position.
        bool checked = t.kind == Kind.Order && _addsRisk(p.size, newSize);
        if (t.kind == Kind.Order || t.kind == Kind.Derisk) _checkPause(market, p.size, newSize);
        (uint256 fill, uint256 fee) = _fill(t, c, s);

        // Take the old position out of the market's aggregates, realise the part that closes, put the new one in.
        _applyToMarket(s, p, -1);
        int256 realised = _realised(p, newSize, t.delta, fill, s.fundingIndex);
        Position memory next = _nextPosition(p, newSize, t.delta, fill, s.fundingIndex);
        _applyToMarket(s, next, 1);

        if (checked) _checkCaps(market, c, s, newSize);
        _storePosition(t.account, t.index, next);
        emit PositionModified(t.account, market, p.size, newSize, fill, realised, fee);
        _settle(t.account, realised - int256(fee));
        // After the settlement, so that a raised reservation is checked against the cash left once any profit of a
        // flip is paid.
        _reserve(s, c, t.price, checked);
        _states[t.index] = s;
        if (checked) _checkInitialMargin(t);
        if (_records[t.account].marketMask == 0) _coverDebt(t.account);
    }

    /// @dev The fill price (with the skew premium, PERP-4) and the fee; an auto-deleveraging fills at the oracle
    /// price without fee. Enforces the acceptable price.
    function _fill(
        Trade memory t,
        IPerpsMarkets.MarketConfig memory c,
        MarketState memory s
    ) private pure returns (uint256 fill, uint256 fee) {
        fill = t.price;
        if (t.kind != Kind.Adl) {
            int256 skew = PerpsValuation.skewOf(s);
            fill = PerpsMath.fillPrice(t.price, skew, t.delta, c.skewScale);
            fee = PerpsMath.tradeFee(skew, t.delta, fill, c.makerFeeBps, c.takerFeeBps);
        }
        if (t.acceptablePrice != 0 && (t.delta > 0 ? fill > t.acceptablePrice : fill < t.acceptablePrice)) {
            revert PerpsSlippage(fill, t.acceptablePrice);
        }
    }

    /// @dev Whether going from `oldSize` to `newSize` opens, increases or flips the position.
    function _addsRisk(int256 oldSize, int256 newSize) private pure returns (bool) {
        return
            SignedMath.abs(newSize) > SignedMath.abs(oldSize) ||
            (oldSize > 0 && newSize < 0) ||
            (oldSize < 0 && newSize > 0);
    }

    /// @dev Whether the trade ends the old position's direction: a close or a flip.
    function _endsPosition(int256 oldSize, int256 newSize) private pure returns (bool) {
        return oldSize != 0 && (newSize == 0 || (oldSize > 0) != (newSize > 0));
    }

    /// @dev The PnL minus funding of the part of `p` the trade closes, at `fill` (USD).
    function _realised(
        Position memory p,
        int256 newSize,
        int256 delta,
        uint256 fill,
        int256 index
    ) private pure returns (int256) {
        int256 closed;
        if (_endsPosition(p.size, newSize)) closed = p.size;
        else if (!_addsRisk(p.size, newSize)) closed = -delta;
        if (closed == 0) return 0;
        return PerpsMath.pnl(closed, p.entryPrice, fill) - PerpsMath.fundingOwed(closed, p.entryFundingIndex, index);
    }

    /// @dev The position after a trade: a new entry at the fill for an open or a flip, the size-weighted entry
    /// (rounded against the trader) for an increase, the same entry for a reduction.
    function _nextPosition(
        Position memory p,
        int256 newSize,
        int256 delta,
        uint256 fill,
        int256 index
    ) private pure returns (Position memory) {
        int256 oldSize = p.size;
        if (newSize == 0) return Position(0, 0, 0);
        if (oldSize == 0 || (oldSize > 0) != (newSize > 0)) {
            return Position(newSize.toInt128(), fill.toUint128(), index.toInt128());
        }
        if (!_addsRisk(oldSize, newSize)) return Position(newSize.toInt128(), p.entryPrice, p.entryFundingIndex);
        uint256 oldAbs = SignedMath.abs(oldSize);
        uint256 addAbs = SignedMath.abs(delta);
        uint256 newAbs = oldAbs + addAbs;
        bool long = newSize > 0;
        // A long's entry rounds up and its funding index down (it owes more); a short's the other way.
        uint256 entry =
            Math.mulDiv(oldAbs, p.entryPrice, newAbs, long ? Math.Rounding.Ceil : Math.Rounding.Floor) +
                Math.mulDiv(addAbs, fill, newAbs, long ? Math.Rounding.Ceil : Math.Rounding.Floor);
        int256 weighted = int256(oldAbs) * p.entryFundingIndex + int256(addAbs) * index;
        int256 entryIndex =
            long ? PerpsMath.mulDivDown(weighted, 1, newAbs) : -PerpsMath.mulDivDown(-weighted, 1, newAbs);
        return Position(newSize.toInt128(), entry.toUint128(), entryIndex.toInt128());
    }

    /// @dev Adds `p` to (`sign` 1) or takes it out of (`sign` −1) the market's open interest and `debtCorrection`.
    function _applyToMarket(MarketState memory s, Position memory p, int256 sign) private pure {
        if (p.size == 0) return;
        uint128 size = uint128(SignedMath.abs(p.size));
        if (p.size > 0) s.longOpenInterest = sign > 0 ? s.longOpenInterest + size : s.longOpenInterest - size;
        else s.shortOpenInterest = sign > 0 ? s.shortOpenInterest + size : s.shortOpenInterest - size;
        s.debtCorrection = (int256(s.debtCorrection) + sign * _debtOf(p)).toInt160();
    }

    /// @dev A position's term in `debtCorrection`, computed the same way when it enters and leaves.
    function _debtOf(Position memory p) private pure returns (int256) {
        return PerpsMath.mulDivDown(p.size, int256(uint256(p.entryPrice)) - p.entryFundingIndex, WAD);
    }

    function _storePosition(address account, uint256 index, Position memory p) private {
        AccountRecord storage r = _records[account];
        if (p.size == 0) {
            delete _positions[account][index];
            r.marketMask &= ~uint8(1 << index);
        } else {
            _positions[account][index] = p;
            r.marketMask |= uint8(1 << index);
        }
    }

    /// @dev Sets the market's reservation for its traders' maximum profit, `max(long, short) × price × reserveBps`;
    /// a trade that does not add risk may only lower it, so it never needs liquidity the pool lacks.
    function _reserve(MarketState memory s, IPerpsMarkets.MarketConfig memory c, uint256 price, bool mayRaise) private {
        uint256 side = Math.max(s.longOpenInterest, s.shortOpenInterest);
        uint256 usd = Math.mulDiv(side, price * c.reserveBps, WAD * BPS, Math.Rounding.Ceil);
        uint256 target = Math.ceilDiv(usd, usdScale);
        uint256 old = s.reserved;
        if (!mayRaise && target > old) target = old;
        if (target == old) return;
        s.reserved = target.toUint128();
        uint256 total = _totalReserved - old + target;
        if (target > old) {
            // The pool reads the reservation (`reservedAssets`); raising it needs that much cash free for this engine.
            (, uint256 free) = pool.liquidityFor(address(this));
            if (total + _totalCredit > free) revert PerpsInsufficientLiquidity(total + _totalCredit, free);
        }
        _totalReserved = total.toUint128();
        emit ReservationChanged(total);
    }

    /// @dev Books a realised amount (USD) for `account`: a profit first repays its debt, then is paid with what the
    /// pool already owes it from the held pending balance and the pool, and what the pool cannot pay now stays owed; a
    /// loss takes its collateral, then what it is owed, and leaves the rest as debt.
    function _settle(address account, int256 usd) private {
        AccountRecord storage r = _records[account];
        int256 balance = r.balance;
        if (usd >= 0) {
            uint256 units = uint256(usd) / usdScale;
            if (balance < 0) {
                uint256 repaid = Math.min(units, uint256(-balance));
                r.balance = int128(balance + int256(repaid));
                _totalDebt -= uint128(repaid);
                units -= repaid;
            } else if (balance > 0) {
                r.balance = 0;
                _totalCredit -= uint128(uint256(balance));
                units += uint256(balance);
            }
            if (units != 0) _payProfit(account, units);
            return;
        }
        uint256 loss = Math.ceilDiv(uint256(-usd), usdScale);
        uint256 taken = Math.min(loss, accounts.collateralOf(account));
        if (taken != 0) {
            _held.pending += taken.toUint128();
            accounts.transferMargin(account, address(this), taken);
        }
        if (loss == taken) return;
        uint256 unpaid = loss - taken;
        if (balance > 0) {
            uint256 offset = Math.min(unpaid, uint256(balance));
            _totalCredit -= uint128(offset);
            balance -= int256(offset);
            unpaid -= offset;
        }
        if (unpaid != 0) {
            _totalDebt += unpaid.toUint128();
            balance -= int256(unpaid);
            emit DebtIncurred(account, uint256(-balance));
        }
        r.balance = balance.toInt128();
    }

    /// @dev Pays `units` of profit: from the held pending balance, then from the pool's cash free for this engine;
    /// the rest is owed to `account` (its balance, which holds no debt here), paid with its next profit or by
    /// `claimProfit`, never dropped.
    function _payProfit(address account, uint256 units) private {
        uint256 pending = _held.pending;
        uint256 fromPending = Math.min(units, pending);
        if (fromPending != 0) {
            _held.pending = uint128(pending - fromPending);
            accounts.transferMargin(address(this), account, fromPending);
        }
        uint256 rest = units - fromPending;
        if (rest == 0) return;
        (, uint256 free) = pool.liquidityFor(address(this));
        uint256 paid = Math.min(rest, free);
        if (paid != 0) {
            pool.pay(address(accounts), paid);
            accounts.settle(account, int256(paid));
        }
        if (paid == rest) return;
        uint256 owed = rest - paid;
        _records[account].balance = SafeCast.toInt128(int256(owed));
        _totalCredit += uint128(owed);
        emit ProfitDeferred(account, owed);
    }

    /// @dev Once `account` holds no position, its debt is paid from any collateral it has since added, and the rest is
    /// bad debt: the insurance fund, then the LPs cover it (LIQ-4).
    function _coverDebt(address account) private {
        int256 balance = _records[account].balance;
        if (balance >= 0) return;
        uint256 debt = uint256(-balance);
        uint256 repaid = Math.min(debt, accounts.collateralOf(account));
        _records[account].balance = 0;
        _totalDebt -= uint128(debt);
        if (repaid != 0) {
            _held.pending += uint128(repaid);
            accounts.transferMargin(account, address(this), repaid);
        }
        if (debt == repaid) return;
        // The insurance fund's share held here goes first: it becomes the pool's, as a swept loss would.
        uint256 shortfall = debt - repaid;
        uint256 fromHeld = Math.min(shortfall, _insuranceHeld);
        if (fromHeld != 0) {
            _insuranceHeld -= uint128(fromHeld);
            _held.pending += uint128(fromHeld);
        }
        (uint256 fromInsurance, uint256 fromLps) = shortfall == fromHeld
            ? (0, 0)
            : pool.coverShortfall(shortfall - fromHeld);
        emit BadDebtCovered(account, shortfall, fromHeld + fromInsurance, fromLps);
    }

    // ---------------------------------------------------------------------------------------------
    // Checks
    // ---------------------------------------------------------------------------------------------

    /// @dev Pauses by what the trade does (CB-1): open or flip, increase, reduce, close.
    function _checkPause(bytes32 market, int256 oldSize, int256 newSize) private view {
        IPauseRegistry.Action action;
        if (newSize == 0) action = IPauseRegistry.Action.Close;
        else if (oldSize == 0 || (oldSize > 0) != (newSize > 0)) action = IPauseRegistry.Action.Open;
        else if (SignedMath.abs(newSize) > SignedMath.abs(oldSize)) action = IPauseRegistry.Action.Increase;
        else action = IPauseRegistry.Action.Reduce;
        if (pauseRegistry.isPaused(market, action)) revert PerpsPaused(market, uint8(action));
    }

    /// @dev Open-interest caps per side and the maximum position (PERP-7, CB-5): only for trades that add risk.
    function _checkCaps(
        bytes32 market,
        IPerpsMarkets.MarketConfig memory c,
        MarketState memory s,
        int256 newSize
    ) private pure {
        if (newSize > 0 && s.longOpenInterest > c.maxLongOpenInterest) {
            revert PerpsOpenInterestCap(market, true, s.longOpenInterest, c.maxLongOpenInterest);
        }
        if (newSize < 0 && s.shortOpenInterest > c.maxShortOpenInterest) {
            revert PerpsOpenInterestCap(market, false, s.shortOpenInterest, c.maxShortOpenInterest);
        }
        uint256 size = SignedMath.abs(newSize);
        if (size > c.maxPositionSize) revert PerpsPositionTooLarge(market, size, c.maxPositionSize);
    }

    /// @dev After a risk-increasing trade, equity (every position valued as if closed now) covers the initial margin
    /// of every position (PERP-6). The traded market is valued at the execution price, the others at fresh trusted
    /// prices.
    function _checkInitialMargin(Trade memory t) private {
        MarketSet memory set = _marketSet(_records[t.account].marketMask & ~(1 << t.index));
        for (uint256 i; i < PERPS_MAX_MARKETS; ++i) {
            if (set.ids[i] != bytes32(0)) set.prices[i] = aggregator.priceForRisk(set.ids[i]);
        }
        (set.ids[t.index], set.configs[t.index], set.prices[t.index]) = (t.market, t.config, t.price);
        (Health memory h, ) = _health(t.account, set);
        if (h.equity < int256(h.initialMargin)) revert PerpsInsufficientMargin(t.account, h.equity, h.initialMargin);
    }

    // ---------------------------------------------------------------------------------------------
    // Liquidation internals
    // ---------------------------------------------------------------------------------------------

    function _liquidate(address account, address liquidator) private returns (uint256 reward) {
        MarketSet memory set = _marketSet(_records[account].marketMask);
        for (uint256 i; i < PERPS_MAX_MARKETS; ++i) {
            bytes32 market = set.ids[i];
            if (market == bytes32(0)) continue;
            if (pauseRegistry.isPaused(market, IPauseRegistry.Action.Liquidate)) {
                revert PerpsPaused(market, uint8(IPauseRegistry.Action.Liquidate));
            }
            if (pauseRegistry.inLiquidationGrace(market)) revert PerpsLiquidationGrace(market);
            set.prices[i] = aggregator.priceForLiquidation(market);
        }
        (Health memory h, uint256 units) = _health(account, set);
        if (!h.liquidatable) revert PerpsAccountHealthy(account, h.equity, h.maintenanceMargin);

        uint256 window = perpsMarkets.globalConfig().liquidationWindow;
        (Trade[] memory trades, uint256 rewardUsd) = _planLiquidation(account, set, window);
        // The reward is paid first from the account's margin, so that a liquidation pays while any margin is left.
        reward = PerpsValuation.cappedReward(rewardUsd, units, h.equity, usdScale);
        if (reward != 0) accounts.transferMargin(account, liquidator, reward);

        for (uint256 i; i < trades.length; ++i) {
            if (trades[i].delta == 0) continue;
            _trade(trades[i]);
            emit PositionLiquidated(account, trades[i].market, liquidator, trades[i].delta, set.prices[i], reward);
        }
        // The last position gone: the remaining margin is held for the insurance fund (LIQ-4) until `sweepPending`
        // moves it there with the fees; any debt was covered in `_trade`.
        if (_records[account].marketMask == 0) {
            uint256 left = accounts.collateralOf(account);
            if (left != 0) {
                _insuranceHeld += left.toUint128();
                emit MarginToInsuranceFund(account, left);
                accounts.transferMargin(account, address(this), left);
            }
        }
    }

    /// @dev How much of each position this liquidation closes (LIQ-2) and the reward for it in USD (LIQ-3); reverts
    /// when every market's step is used up for this window.
    function _planLiquidation(
        address account,
        MarketSet memory set,
        uint256 window
    ) private returns (Trade[] memory trades, uint256 rewardUsd) {
        trades = new Trade[](PERPS_MAX_MARKETS);
        bool closesAny;
        uint256 used;
        for (uint256 i; i < PERPS_MAX_MARKETS; ++i) {
            if (set.ids[i] == bytes32(0)) continue;
            IPerpsMarkets.MarketConfig memory c = set.configs[i];
            int256 size = _positions[account][i].size;
            uint256 amount = _takeStep(i, SignedMath.abs(size), c.liquidationStep, window);
            if (amount == 0) {
                used = i;
                continue;
            }
            closesAny = true;
            int256 delta = size > 0 ? -int256(amount) : int256(amount);
            trades[i] = Trade(account, i, set.ids[i], c, delta, set.prices[i], 0, Kind.Liquidation);
            rewardUsd += PerpsValuation.reward(amount, set.prices[i], c);
        }
        if (!closesAny) {
            revert PerpsLiquidationStepUsed(set.ids[used], uint256(_states[used].liquidationWindowStart) + window);
        }
    }

    /// @dev Takes up to `wanted` of market `index`'s liquidation `step` for the current `window`.
    function _takeStep(uint256 index, uint256 wanted, uint256 step, uint256 window) private returns (uint256 amount) {
        MarketState storage s = _states[index];
        uint256 used = s.liquidatedInWindow;
        if (block.timestamp >= uint256(s.liquidationWindowStart) + window) {
            s.liquidationWindowStart = uint32(block.timestamp);
            used = 0;
        }
        amount = Math.min(wanted, step - Math.min(step, used));
        s.liquidatedInWindow = (used + amount).toUint128();
    }

    // ---------------------------------------------------------------------------------------------
    // Valuation
    // ---------------------------------------------------------------------------------------------

    /// @dev The ids and parameters of the markets in `mask`, one registry call each; prices are left to the caller.
    function _marketSet(uint256 mask) private view returns (MarketSet memory set) {
        for (uint256 i; mask != 0; ++i) {
            if (mask & (1 << i) == 0) continue;
            mask &= ~(1 << i);
            (set.ids[i], set.configs[i]) = perpsMarkets.marketAt(i);
        }
    }

    /// @dev The bit mask of the markets with open interest.
    function _openMarkets() private view returns (uint256 mask) {
        for (uint256 i; i < _states.length; ++i) {
            MarketState storage s = _states[i];
            if (s.longOpenInterest != 0 || s.shortOpenInterest != 0) mask |= 1 << i;
        }
    }

    /// @dev The traders' side against the pool, in collateral units: their PnL minus funding at `prices` (0: skip),
    /// rounded against the LPs, less their debt (a pool asset), bounded below by the margin they hold (bad debt is no
    /// asset), less the fees and losses the engine holds for the pool.
    function _exposure(MarketSet memory set) private view returns (int256 liability) {
        int256 tradersUsd;
        for (uint256 i; i < PERPS_MAX_MARKETS; ++i) {
            uint256 price = set.prices[i];
            if (price == 0) continue;
            MarketState memory s = _states[i];
            PerpsValuation.accrue(s, set.configs[i], price);
            // Σ size × (price − entry) − Σ size × (index − entryIndex) = skew × (price − index) − debtCorrection.
            tradersUsd -= PerpsMath.mulDivDown(-PerpsValuation.skewOf(s), int256(price) - s.fundingIndex, WAD);
            tradersUsd -= s.debtCorrection;
        }
        int256 units =
            tradersUsd >= 0
                ? int256(Math.ceilDiv(uint256(tradersUsd), usdScale))
                : -int256(uint256(-tradersUsd) / usdScale);
        units -= int256(uint256(_totalDebt));
        Held memory held_ = _held;
        int256 floor = -int256(accounts.totalCollateral() - held_.escrow - held_.pending - _insuranceHeld);
        if (units < floor) units = floor;
        liability = units - int256(uint256(held_.pending)) + int256(uint256(_totalCredit));
    }

    /// @dev `account`'s health with the markets and prices in `set`, and its collateral (units).
    function _health(address account, MarketSet memory set) private view returns (Health memory h, uint256 units) {
        AccountRecord memory r = _records[account];
        units = accounts.collateralOf(account);
        h.equity = (int256(units) + r.balance) * int256(usdScale);
        uint256 mask = r.marketMask;
        uint256 rewardUsd;
        for (uint256 i; mask != 0; ++i) {
            if (mask & (1 << i) == 0) continue;
            mask &= ~(1 << i);
            IPerpsMarkets.MarketConfig memory c = set.configs[i];
            PositionValue memory v = PerpsValuation.value(
                _positions[account][i],
                set.ids[i],
                c,
                _states[i],
                set.prices[i],
                false
            );
            rewardUsd = PerpsValuation.add(h, v, c, rewardUsd);
        }
        PerpsValuation.finish(h, r.marketMask != 0, rewardUsd, units, usdScale);
    }

    /// @dev `account`'s pending order, removed with its escrowed fee; reverts when there is none. The caller checks
    /// its timing, and everything after reverts with it.
    function _takeOrder(address account) private returns (Order memory order) {
        StoredOrder memory o = _orders[account];
        if (o.committedAt == 0) revert PerpsNoOrder(account);
        AccountRecord storage r = _records[account];
        order = Order(o.sizeDelta, o.committedAt, o.marketIndex, o.acceptablePrice, r.keeperFee);
        delete _orders[account];
        r.keeperFee = 0;
    }
}

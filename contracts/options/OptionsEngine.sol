// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Bytes} from "@openzeppelin/contracts/utils/Bytes.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {BoundedParameters} from "../governance/BoundedParameters.sol";
import {ILiquidityPool} from "../interfaces/ILiquidityPool.sol";
import {IOptionsEngine} from "../interfaces/IOptionsEngine.sol";
import {IPauseRegistry} from "../interfaces/IPauseRegistry.sol";
import {IPoolEngine} from "../interfaces/IPoolEngine.sol";
import {IPriceAggregator} from "../interfaces/IPriceAggregator.sol";
import {OptionsParameters} from "./OptionsParameters.sol";
import {OptionsPricer} from "./OptionsPricer.sol";

/// @title OptionsEngine
/// @notice European options written by the liquidity pool, as ERC-1155 tokens (id = series id). See `IOptionsEngine`.
/// @dev Rounding always favours the pool: locks and what traders pay round up, what traders receive rounds down.
/// Every mutating entry point is `nonReentrant` and mints last, after every effect and the pool's calls, so the
/// ERC-1155 receiver hook sees a finished state.
contract OptionsEngine is ERC1155, BoundedParameters, ReentrancyGuardTransient, IOptionsEngine, IPoolEngine {
    using SafeERC20 for IERC20;

    bytes32 public constant IMPLIED_VOL = OptionsParameters.IMPLIED_VOL;
    bytes32 public constant STRIKE_STEP = OptionsParameters.STRIKE_STEP;
    bytes32 public constant MAX_SERIES_OPEN_INTEREST = OptionsParameters.MAX_SERIES_OPEN_INTEREST;
    bytes32 public constant SPREAD_BPS = OptionsParameters.SPREAD_BPS;
    bytes32 public constant UTILISATION_PREMIUM_BPS = OptionsParameters.UTILISATION_PREMIUM_BPS;
    bytes32 public constant FEE_BPS = OptionsParameters.FEE_BPS;
    bytes32 public constant MAX_UTILISATION_BPS = OptionsParameters.MAX_UTILISATION_BPS;
    bytes32 public constant MIN_STRIKE_BPS = OptionsParameters.MIN_STRIKE_BPS;
    bytes32 public constant MAX_STRIKE_BPS = OptionsParameters.MAX_STRIKE_BPS;
    bytes32 public constant TRADING_CUTOFF = OptionsParameters.TRADING_CUTOFF;
    bytes32 public constant SETTLEMENT_WINDOW = OptionsParameters.SETTLEMENT_WINDOW;
    bytes32 public constant MIN_TIME_TO_EXPIRY = OptionsParameters.MIN_TIME_TO_EXPIRY;
    bytes32 public constant MAX_TIME_TO_EXPIRY = OptionsParameters.MAX_TIME_TO_EXPIRY;
    bytes32 public constant PRICE_BAND_BPS = OptionsParameters.PRICE_BAND_BPS;
    bytes32 public constant CARRY_BPS = OptionsParameters.CARRY_BPS;

    /// @notice The most series unsettled at once: the pool values each of them on every share pricing.
    uint256 public constant MAX_LIVE_SERIES = 32;
    /// @notice Expiries fall on whole hours.
    uint256 public constant EXPIRY_GRID = 1 hours;
    /// @notice A call's cap lies within 10 % and 500 % of its strike.
    uint256 public constant MIN_CAP_BPS = 1_000;
    uint256 public constant MAX_CAP_BPS = 50_000;

    uint256 private constant WAD = 1e18;
    uint256 private constant BPS = 10_000;
    uint256 private constant YEAR = 365 days;

    /// @notice The oracle.
    IPriceAggregator public immutable aggregator;
    /// @notice The liquidity pool, writer of every option.
    ILiquidityPool public immutable pool;
    /// @notice The pause registry.
    IPauseRegistry public immutable pauseRegistry;
    /// @notice The collateral token (the pool's asset).
    IERC20 public immutable collateral;
    /// @notice 10^(18 − collateral decimals).
    uint256 public immutable usdScale;

    mapping(bytes32 market => OptionMarket) private _markets;
    mapping(uint256 id => Series) private _series;
    mapping(bytes32 market => mapping(uint256 expiry => ExpiryPrice)) private _expiryPrices;
    uint256[] private _live;
    mapping(uint256 id => uint256 indexPlusOne) private _liveIndex;
    GlobalConfig private _global;
    /// @dev The collateral the pool locks for the options, and the part of it owed to holders of settled series
    /// (which have left the live list).
    uint128 private _locked;
    uint128 private _owedSettled;

    /// @param authority the AccessManager
    /// @param aggregator_ the price aggregator
    /// @param pool_ the liquidity pool
    /// @param pauseRegistry_ the pause registry
    constructor(
        address authority,
        IPriceAggregator aggregator_,
        ILiquidityPool pool_,
        IPauseRegistry pauseRegistry_
    ) ERC1155("") BoundedParameters(authority) {
        aggregator = aggregator_;
        pool = pool_;
        pauseRegistry = pauseRegistry_;
        IERC20 token = IERC20(IERC4626(address(pool_)).asset());
        collateral = token;
        usdScale = 10 ** (18 - IERC20Metadata(address(token)).decimals());
        _global = GlobalConfig({
            spreadBps: 200,
            utilisationPremiumBps: 1000,
            feeBps: 5,
            maxUtilisationBps: 5000,
            priceBandBps: 50,
            carryBps: 500,
            tradingCutoff: 1 hours,
            settlementWindow: 4 days,
            minStrikeBps: 5000,
            maxStrikeBps: 20_000,
            minTimeToExpiry: 2 hours,
            maxTimeToExpiry: 365 days
        });
    }

    // ---------------------------------------------------------------------------------------------
    // Listing (OPT-1)
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IOptionsEngine
    function listMarket(bytes32 market, OptionMarket calldata config) external restricted {
        if (_markets[market].strikeStep != 0) revert OptionsMarketExists(market);
        // Reverts for a market the aggregator does not know.
        aggregator.lastGoodPrice(market);
        _requireInBounds(IMPLIED_VOL, config.impliedVol);
        _requireInBounds(STRIKE_STEP, config.strikeStep);
        _requireInBounds(MAX_SERIES_OPEN_INTEREST, config.maxSeriesOpenInterest);
        _markets[market] = config;
        emit OptionsMarketListed(market, config, msg.sender);
    }

    /// @inheritdoc IOptionsEngine
    function listSeries(
        bytes32 market,
        uint256 strike,
        uint256 expiry,
        bool isCall,
        uint256 cap
    ) external restricted returns (uint256 id) {
        id = uint256(keccak256(abi.encode(market, strike, expiry, isCall)));
        if (_series[id].market != bytes32(0)) revert OptionsSeriesExists(id);
        if (_live.length == MAX_LIVE_SERIES) revert OptionsTooManySeries(MAX_LIVE_SERIES);
        uint256 maxPayoff = _checkGrid(market, strike, expiry, isCall, cap);

        // Strikes and caps far above any listed price (beyond 7.9e28) are refused by the casts.
        _series[id] = Series({
            market: market,
            strike: SafeCast.toUint96(strike),
            expiry: uint40(expiry),
            isCall: isCall,
            settled: false,
            maxPayoff: SafeCast.toUint96(maxPayoff),
            openInterest: 0,
            payoff: 0
        });
        _live.push(id);
        _liveIndex[id] = _live.length;
        // The expiry's settlement window is fixed by its first listing: a later change of the parameter cannot erase
        // a trusted read made within it, nor reopen it.
        ExpiryPrice storage e = _expiryPrices[market][expiry];
        if (e.window == 0) e.window = _global.settlementWindow;
        emit SeriesListed(id, market, strike, expiry, isCall, maxPayoff);
    }

    // ---------------------------------------------------------------------------------------------
    // Trading (OPT-4, OPT-5)
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IOptionsEngine
    function buy(uint256 id, uint256 amount, uint256 maxCost) external nonReentrant returns (uint256 cost) {
        Series storage s = _tradable(id, amount, IPauseRegistry.Action.BuyOption);
        uint256 openInterest = s.openInterest + amount;
        OptionMarket memory m = _markets[s.market];
        if (openInterest > m.maxSeriesOpenInterest) revert OptionsSeriesCap(id, openInterest, m.maxSeriesOpenInterest);

        Quote memory q = _quote(s, m, aggregator.priceForRisk(s.market), amount, true);
        cost = q.premium + q.fee;
        if (cost > maxCost) revert OptionsSlippage(cost, maxCost);
        s.openInterest = uint128(openInterest);
        _locked += uint128(q.lockDelta);
        emit OptionBought(msg.sender, id, amount, q.premium, q.fee, q.spot);

        collateral.safeTransferFrom(msg.sender, address(pool), cost);
        pool.collectTransferred(cost);
        pool.lock(q.lockDelta);
        _mint(msg.sender, id, amount, "");
    }

    /// @inheritdoc IOptionsEngine
    function sell(uint256 id, uint256 amount, uint256 minProceeds) external nonReentrant returns (uint256 proceeds) {
        Series storage s = _tradable(id, amount, IPauseRegistry.Action.SellOption);
        Quote memory q = _quote(s, _markets[s.market], aggregator.priceForRisk(s.market), amount, false);
        // premium ≤ maxPayoff × amount (rounded down) ≤ lockDelta (rounded up), so the payment fits the release.
        proceeds = q.premium > q.fee ? q.premium - q.fee : 0;
        if (proceeds < minProceeds) revert OptionsSlippage(proceeds, minProceeds);
        _burn(msg.sender, id, amount);
        s.openInterest -= uint128(amount);
        _locked -= uint128(q.lockDelta);

        (uint256 paidNow, uint256 claimId) = _payAndRelease(msg.sender, proceeds, q.lockDelta);
        emit OptionSold(msg.sender, id, amount, proceeds, q.fee, q.spot, paidNow, claimId);
    }

    // ---------------------------------------------------------------------------------------------
    // Settlement (OPT-6)
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IOptionsEngine
    function settle(uint256 id) external nonReentrant returns (bool settled) {
        Series storage s = _unsettled(id);
        uint256 expiry = s.expiry;
        if (block.timestamp < expiry) revert OptionsNotExpired(id, expiry);
        bytes32 market = s.market;
        ExpiryPrice storage recorded = _expiryPrices[market][expiry];
        ExpiryPrice memory e = recorded;
        if (e.price == 0) {
            uint256 closesAt = expiry + e.window;
            (uint256 price, ) = aggregator.firstTrustedPrice(market, expiry, Math.min(block.timestamp, closesAt));
            if (price == 0) {
                // No trusted read since expiry: this read, when trusted, is the first.
                if (block.timestamp > closesAt) revert OptionsSettlementWindowClosed(id, closesAt);
                uint8 reason;
                (price, reason) = _freshPrice(market);
                if (price == 0) {
                    emit SettlementDeferred(id, false, reason);
                    return false;
                }
            }
            e.price = SafeCast.toUint128(price);
            recorded.price = e.price;
            emit ExpiryPriceRecorded(market, expiry, price, false);
        }
        // A pause delays the settlement; the price was recorded all the same, so the pause cannot move it.
        if (pauseRegistry.isPaused(market, IPauseRegistry.Action.Settle)) {
            emit SettlementDeferred(id, true, 0);
            return false;
        }
        _settle(id, s, e.price, e.byFallback);
        return true;
    }

    /// @inheritdoc IOptionsEngine
    function settleFallback(bytes32 market, uint256 expiry, uint256 price) external restricted nonReentrant {
        _market(market);
        ExpiryPrice storage recorded = _expiryPrices[market][expiry];
        if (recorded.price != 0) revert OptionsExpiryPriceRecorded(market, expiry, recorded.price);
        if (recorded.window == 0) revert OptionsNoSeriesAtExpiry(market, expiry);
        uint256 closesAt = expiry + recorded.window;
        if (block.timestamp <= closesAt) revert OptionsSettlementWindowOpen(market, expiry, closesAt);
        if (price == 0) revert OptionsInvalidPrice();
        // A trusted read within the window decides the price (anyone can `settle` with it): governance cannot override.
        (uint256 found, ) = aggregator.firstTrustedPrice(market, expiry, closesAt);
        if (found != 0) revert OptionsExpiryPriceAvailable(market, expiry, found);
        (recorded.price, recorded.byFallback) = (SafeCast.toUint128(price), true);
        emit ExpiryPriceRecorded(market, expiry, price, true);
    }

    /// @inheritdoc IOptionsEngine
    function redeem(uint256 id, uint256 amount) external nonReentrant returns (uint256 payout) {
        if (amount == 0) revert OptionsZeroAmount();
        return _redeem(id, _settled(id), msg.sender, amount);
    }

    /// @inheritdoc IOptionsEngine
    function redeemFor(uint256 id, address[] calldata holders) external nonReentrant returns (uint256 redeemed) {
        Series storage s = _settled(id);
        for (uint256 i; i < holders.length; ++i) {
            uint256 amount = balanceOf(holders[i], id);
            if (amount == 0) continue;
            _redeem(id, s, holders[i], amount);
            ++redeemed;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // IPoolEngine (POOL-2, POOL-3)
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPoolEngine
    /// @dev Settled series count the payoff they owe; the live ones their model value at the aggregator's median, or
    /// their maximum payoff (all that is locked for them) while that price is not trusted. Never more than is locked.
    function poolExposure() external view returns (int256 liability, bool trusted) {
        trusted = true;
        uint256 count = _live.length;
        bytes32[] memory seen = new bytes32[](count);
        uint256[] memory prices = new uint256[](count);
        // Settled series owe exactly what is still locked for them.
        uint256 units = _owedSettled;
        for (uint256 i; i < count; ++i) {
            Series memory s = _series[_live[i]];
            if (s.openInterest == 0) continue;
            // Once expired, a series is worth its payoff at the expiry's price as soon as that price is fixed.
            uint256 price = s.expiry <= block.timestamp ? _fixedPrice(s) : 0;
            if (price == 0) price = _cachedPrice(s.market, seen, prices);
            if (price == 0) {
                trusted = false;
                units += _lockFor(s.openInterest, s.maxPayoff);
                continue;
            }
            uint256 fair = _fair(s, _markets[s.market].impliedVol, price);
            units += _lockFor(s.openInterest, fair);
        }
        liability = int256(units);
    }

    /// @inheritdoc IPoolEngine
    /// @dev Options lock their collateral (`ILiquidityPool.lock`) instead of reserving it.
    function reservedAssets() external pure returns (uint256) {
        return 0;
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IOptionsEngine
    function seriesOf(uint256 id) external view returns (Series memory) {
        return _series[id];
    }

    /// @inheritdoc IOptionsEngine
    function liveSeries() external view returns (uint256[] memory) {
        return _live;
    }

    /// @inheritdoc IOptionsEngine
    function marketConfig(bytes32 market) external view returns (OptionMarket memory) {
        return _market(market);
    }

    /// @inheritdoc IOptionsEngine
    function expiryPrice(bytes32 market, uint256 expiry) external view returns (ExpiryPrice memory) {
        return _expiryPrices[market][expiry];
    }

    /// @inheritdoc IOptionsEngine
    function globalConfig() external view returns (GlobalConfig memory) {
        return _global;
    }

    /// @inheritdoc IOptionsEngine
    function quote(uint256 id, uint256 amount, bool isBuy) external view returns (Quote memory) {
        Series memory s = _series[id];
        if (s.market == bytes32(0)) revert OptionsUnknownSeries(id);
        IPriceAggregator.Status memory st = aggregator.status(s.market);
        if (st.state != IPriceAggregator.State.Active) {
            revert IPriceAggregator.PriceAggregatorUntrusted(s.market, st.reason);
        }
        return _quote(s, _markets[s.market], st.median, amount, isBuy);
    }

    /// @inheritdoc IOptionsEngine
    function lockedAssets() external view returns (uint256) {
        return _locked;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev The ask (buying) or bid (selling) for `amount` of `s` at `spot`, its fee, and the collateral to lock or
    /// release. The model value is taken at the spot moved by the price band against the trader, which both the call
    /// and the put values are monotonic in; the utilisation premium uses the utilisation after the trade.
    function _quote(
        Series memory s,
        OptionMarket memory m,
        uint256 spot,
        uint256 amount,
        bool isBuy
    ) private view returns (Quote memory q) {
        GlobalConfig memory g = _global;
        q.spot = spot;
        // Buying a call or selling a put is valued as if the spot were higher, the other two as if it were lower.
        q.valuedAt =
            isBuy == s.isCall
                ? Math.mulDiv(spot, BPS + g.priceBandBps, BPS, Math.Rounding.Ceil)
                : Math.mulDiv(spot, BPS - g.priceBandBps, BPS);
        q.fairPerUnit = _fair(s, m.impliedVol, q.valuedAt);
        uint256 oi = s.openInterest;
        uint256 perUnit;
        if (isBuy) {
            q.lockDelta = _lockFor(oi + amount, s.maxPayoff) - _lockFor(oi, s.maxPayoff);
            perUnit = _askPerUnit(s, g, q.fairPerUnit, _locked + q.lockDelta);
            q.premium = Math.ceilDiv(Math.mulDiv(perUnit, amount, WAD, Math.Rounding.Ceil), usdScale);
        } else {
            q.lockDelta = _lockFor(oi, s.maxPayoff) - _lockFor(oi - Math.min(oi, amount), s.maxPayoff);
            perUnit = Math.mulDiv(q.fairPerUnit, BPS - g.spreadBps, BPS);
            q.premium = Math.mulDiv(perUnit, amount, WAD) / usdScale;
        }
        q.fee = Math.ceilDiv(Math.mulDiv(spot, amount * g.feeBps, WAD * BPS, Math.Rounding.Ceil), usdScale);
    }

    /// @dev The ask for one unit worth `fair`, with the pool locking `locked` once the trade is done: the spread and
    /// utilisation premium on the value, plus the carry of the unit's collateral until expiry (so that a lock is never
    /// free, however far out of the money); never above the maximum payoff. Reverts beyond the utilisation limit.
    function _askPerUnit(
        Series memory s,
        GlobalConfig memory g,
        uint256 fair,
        uint256 locked
    ) private view returns (uint256) {
        (uint256 cash, ) = pool.liquidityFor(address(this));
        uint256 limit = Math.mulDiv(cash, g.maxUtilisationBps, BPS);
        if (locked > limit || cash == 0) revert OptionsUtilisationLimit(locked, limit);
        // locked ≤ limit < cash, so the utilisation is below 1; trading stops before expiry, so time is left.
        uint256 premiumBps = g.spreadBps + Math.mulDiv(g.utilisationPremiumBps, locked, cash, Math.Rounding.Ceil);
        uint256 carry = Math.mulDiv(
            s.maxPayoff,
            g.carryBps * (s.expiry - block.timestamp),
            BPS * YEAR,
            Math.Rounding.Ceil
        );
        return Math.min(Math.mulDiv(fair, BPS + premiumBps, BPS, Math.Rounding.Ceil) + carry, s.maxPayoff);
    }

    /// @dev The model value of one unit of `s` at `spot` (18-decimal USD), within `[0, maxPayoff]`.
    function _fair(Series memory s, uint256 vol, uint256 spot) private view returns (uint256) {
        uint256 left = s.expiry > block.timestamp ? s.expiry - block.timestamp : 0;
        return OptionsPricer.fairValue(s.isCall, spot, s.strike, s.maxPayoff, vol, left);
    }

    /// @dev Collateral units for `amount` options worth `perUnit` each, rounded up.
    function _lockFor(uint256 amount, uint256 perUnit) private view returns (uint256) {
        return Math.ceilDiv(Math.mulDiv(amount, perUnit, WAD, Math.Rounding.Ceil), usdScale);
    }

    function _settle(uint256 id, Series storage s, uint256 price, bool byFallback) private {
        uint256 strike = s.strike;
        uint256 intrinsic = s.isCall ? (price > strike ? price - strike : 0) : (strike > price ? strike - price : 0);
        uint256 maxPayoff = s.maxPayoff;
        uint256 payoff = Math.min(intrinsic, maxPayoff);
        uint256 oi = s.openInterest;
        uint256 released = _lockFor(oi, maxPayoff) - _lockFor(oi, payoff);
        (s.settled, s.payoff) = (true, uint128(payoff));
        // A settled series leaves the live list at once, so that holders who never redeem cannot keep listing slots
        // (MAX_LIVE_SERIES) taken; what it still owes is counted in `_owedSettled`.
        uint256 owed = _lockFor(oi, payoff);
        (_locked, _owedSettled) = (_locked - uint128(released), _owedSettled + uint128(owed));
        _finish(id);
        emit SeriesSettled(id, price, payoff, released, byFallback);
        if (released != 0) pool.release(released);
    }

    function _redeem(uint256 id, Series storage s, address holder, uint256 amount) private returns (uint256 payout) {
        uint256 payoff = s.payoff;
        uint256 oi = s.openInterest;
        // Balances are bounded by the open interest, which `_burn` checks first.
        _burn(holder, id, amount);
        uint256 left = oi - amount;
        uint256 release = _lockFor(oi, payoff) - _lockFor(left, payoff);
        payout = Math.mulDiv(amount, payoff, WAD) / usdScale;
        s.openInterest = uint128(left);
        // What a settled series owes is all it has locked.
        (_locked, _owedSettled) = (_locked - uint128(release), _owedSettled - uint128(release));
        (uint256 paidNow, uint256 claimId) = _payAndRelease(holder, payout, release);
        emit OptionRedeemed(holder, id, amount, payout, paidNow, claimId);
    }

    /// @dev A fresh trusted price of `market`, or zero and the freeze reason while it is not trusted. Any other failure
    /// of the aggregator (such as too little gas) reverts: only a price the aggregator itself judged untrusted may
    /// defer a settlement.
    function _freshPrice(bytes32 market) private returns (uint256 price, uint8 reason) {
        try aggregator.priceForRisk(market) returns (uint256 p) {
            return (p, 0);
        } catch (bytes memory err) {
            if (err.length != 68 || bytes4(err) != IPriceAggregator.PriceAggregatorUntrusted.selector) {
                Address.verifyCallResult(false, err);
            }
            (, reason) = abi.decode(Bytes.slice(err, 4), (bytes32, uint8));
        }
    }

    /// @dev Pays `payment` of the locked collateral to `to` and returns the rest of `unlocked` to the LPs.
    function _payAndRelease(
        address to,
        uint256 payment,
        uint256 unlocked
    ) private returns (uint256 paidNow, uint256 claimId) {
        if (payment != 0) (paidNow, claimId) = pool.payLocked(to, payment);
        if (unlocked > payment) pool.release(unlocked - payment);
    }

    /// @dev Removes a series, just settled, from the live list.
    function _finish(uint256 id) private {
        uint256 index = _liveIndex[id] - 1;
        uint256 last = _live[_live.length - 1];
        _live[index] = last;
        _liveIndex[last] = index + 1;
        _live.pop();
        delete _liveIndex[id];
    }

    /// @dev Checks a series against the grid (OPT-1) and returns its maximum payoff per unit.
    function _checkGrid(
        bytes32 market,
        uint256 strike,
        uint256 expiry,
        bool isCall,
        uint256 cap
    ) private returns (uint256) {
        _checkStrike(market, strike);
        GlobalConfig memory g = _global;
        (uint256 earliest, uint256 latest) = (block.timestamp + g.minTimeToExpiry, block.timestamp + g.maxTimeToExpiry);
        if (expiry % EXPIRY_GRID != 0 || expiry < earliest || expiry > latest) {
            revert OptionsInvalidExpiry(expiry, earliest, latest);
        }
        if (!isCall) {
            if (cap != 0) revert OptionsInvalidCap(cap, 0, 0);
            return strike;
        }
        uint256 minCap = (strike * MIN_CAP_BPS) / BPS;
        uint256 maxCap = (strike * MAX_CAP_BPS) / BPS;
        if (cap < minCap || cap > maxCap) revert OptionsInvalidCap(cap, minCap, maxCap);
        return cap;
    }

    /// @dev A strike on the market's step, within the strike band around the spot.
    function _checkStrike(bytes32 market, uint256 strike) private {
        uint256 step = _market(market).strikeStep;
        uint256 spot = aggregator.priceForRisk(market);
        uint256 low = Math.mulDiv(spot, _global.minStrikeBps, BPS, Math.Rounding.Ceil);
        uint256 high = Math.mulDiv(spot, _global.maxStrikeBps, BPS);
        if (strike == 0 || strike % step != 0 || strike < low || strike > high) {
            revert OptionsInvalidStrike(strike, low, high, step);
        }
    }

    function _tradable(
        uint256 id,
        uint256 amount,
        IPauseRegistry.Action action
    ) private view returns (Series storage s) {
        if (amount == 0) revert OptionsZeroAmount();
        s = _unsettled(id);
        uint256 closesAt = uint256(s.expiry) - _global.tradingCutoff;
        if (block.timestamp >= closesAt) revert OptionsTradingClosed(id, closesAt);
        if (pauseRegistry.isPaused(s.market, action)) revert OptionsPaused(s.market, uint8(action));
    }

    function _unsettled(uint256 id) private view returns (Series storage s) {
        s = _series[id];
        if (s.market == bytes32(0)) revert OptionsUnknownSeries(id);
        if (s.settled) revert OptionsAlreadySettled(id);
    }

    function _settled(uint256 id) private view returns (Series storage s) {
        s = _series[id];
        if (s.market == bytes32(0)) revert OptionsUnknownSeries(id);
        if (!s.settled) revert OptionsNotSettled(id);
    }

    function _market(bytes32 market) private view returns (OptionMarket memory m) {
        m = _markets[market];
        if (m.strikeStep == 0) revert OptionsUnknownMarket(market);
    }

    /// @dev The trusted median of `market` (0 when not trusted), read once per market per call.
    /// @dev The settlement price of an expired series once it is fixed (recorded, or read by the aggregator since
    /// expiry within the window), else 0.
    function _fixedPrice(Series memory s) private view returns (uint256 price) {
        ExpiryPrice memory e = _expiryPrices[s.market][s.expiry];
        if (e.price != 0) return e.price;
        (price, ) = aggregator.firstTrustedPrice(s.market, s.expiry, Math.min(block.timestamp, s.expiry + e.window));
    }

    function _cachedPrice(
        bytes32 market,
        bytes32[] memory seen,
        uint256[] memory prices
    ) private view returns (uint256) {
        uint256 i;
        for (; i < seen.length && seen[i] != bytes32(0); ++i) if (seen[i] == market) return prices[i];
        IPriceAggregator.Status memory st = aggregator.status(market);
        seen[i] = market;
        prices[i] = st.state == IPriceAggregator.State.Active ? st.median : 0;
        return prices[i];
    }

    // ---------------------------------------------------------------------------------------------
    // BoundedParameters hooks
    // ---------------------------------------------------------------------------------------------

    function _parameterSpec(bytes32 key) internal pure override returns (ParameterSpec memory) {
        OptionsParameters.Spec memory spec = OptionsParameters.spec(key);
        return ParameterSpec(spec.min, spec.max, Tightening(spec.tightening));
    }

    function _readParameter(bytes32 scope, bytes32 key) internal view override returns (uint256) {
        if (scope != bytes32(0)) {
            _market(scope);
            return OptionsParameters.readMarket(_markets[scope], key);
        }
        return OptionsParameters.readGlobal(_global, key);
    }

    function _writeParameter(bytes32 scope, bytes32 key, uint256 value) internal override {
        if (scope == bytes32(0)) return OptionsParameters.writeGlobal(_global, key, value);
        OptionMarket storage m = _markets[scope];
        if (m.strikeStep == 0) revert OptionsUnknownMarket(scope);
        OptionsParameters.writeMarket(m, key, value);
    }
}

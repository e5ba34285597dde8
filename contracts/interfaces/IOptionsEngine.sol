// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IOptionsEngine
/// @notice European, cash-settled options written by the liquidity pool (SPEC §9). Governance lists series (market,
/// strike, expiry, call or put) on a grid; traders buy them at the ask and sell them back at the bid until a cutoff
/// before expiry; after expiry anyone settles a series once and holders redeem the payoff, forever.
///
/// Amounts of options are 18-decimal units of the underlying; prices and payoffs are 18-decimal USD per unit; premiums,
/// fees and payoffs move in collateral units, from and to the trader's wallet.
///
/// Collateral (OPT-2): the pool locks, per series, `ceil(openInterest × maxPayoff)` (calls pay at most the series' cap,
/// puts at most the strike), so it can never owe more than it has locked. Once settled, the lock is cut to the payoff
/// owed and the rest returns to the LPs. The pool counts the options' value (mark to model, or the maximum payoff while
/// a price is not trusted) in its share price (POOL-2, `IPoolEngine`).
interface IOptionsEngine {
    /// @notice One underlying's option parameters (18 decimals): its implied volatility, the strike grid step and the
    /// most options of one series that may be open.
    struct OptionMarket {
        uint64 impliedVol;
        uint96 strikeStep;
        uint96 maxSeriesOpenInterest;
    }

    /// @notice Engine-wide parameters (OPT-3 … OPT-6).
    /// - Pricing: ask = fair × (1 + spread + utilisationPremium × utilisation) + carry, bid = fair × (1 − spread),
    ///   where a buyer's fair value is taken at the spot moved `priceBandBps` against them and a seller's at the spot
    ///   moved as far the other way (so a known oracle update within the band cannot be traded), and the carry is
    ///   `carryBps` a year of the collateral locked, until expiry (so locking the pool's collateral is never free).
    ///   A fee of `feeBps` of the notional (spot × amount) on every trade.
    /// - Limits: locked collateral at most `maxUtilisationBps` of the pool's cash; trading stops `tradingCutoff`
    ///   seconds before expiry.
    /// - Settlement: the price of an expiry is the first trusted read within `settlementWindow` after it (see
    ///   `settle`); each expiry keeps the window in force when its first series was listed.
    /// - Listing: strikes within `[minStrikeBps, maxStrikeBps]` of the spot, expiries within
    ///   `[minTimeToExpiry, maxTimeToExpiry]` of the listing.
    /// @dev One slot, so a trade reads it once: durations bounded by 30 days fit 24 bits.
    struct GlobalConfig {
        uint16 spreadBps;
        uint16 utilisationPremiumBps;
        uint16 feeBps;
        uint16 maxUtilisationBps;
        uint16 priceBandBps;
        uint16 carryBps;
        uint24 tradingCutoff;
        uint24 settlementWindow;
        uint16 minStrikeBps;
        uint16 maxStrikeBps;
        uint24 minTimeToExpiry;
        uint32 maxTimeToExpiry;
    }

    /// @notice A series. `maxPayoff` per unit (the cap of a call, the strike of a put); after settlement `payoff` per
    /// unit (the settlement price is its expiry's, `expiryPrice`).
    struct Series {
        bytes32 market;
        uint96 strike;
        uint40 expiry;
        bool isCall;
        bool settled;
        uint96 maxPayoff;
        uint128 openInterest;
        uint128 payoff;
    }

    /// @notice The settlement price of every series of one market and expiry, recorded once (0 until then);
    /// `byFallback` when governance set it. `window` is the settlement window, fixed when the expiry's first series
    /// was listed (0: no series was ever listed at this expiry).
    struct ExpiryPrice {
        uint128 price;
        bool byFallback;
        uint24 window;
    }

    /// @notice A quote for `amount` options of a series, in collateral units: `spot` is the oracle's median,
    /// `valuedAt` the spot moved by the price band against the trader, and `fairPerUnit` the model value there
    /// (18-decimal USD).
    struct Quote {
        uint256 spot;
        uint256 valuedAt;
        uint256 fairPerUnit;
        uint256 premium;
        uint256 fee;
        uint256 lockDelta;
    }

    /// @notice `market` has no option parameters.
    error OptionsUnknownMarket(bytes32 market);
    /// @notice `market` is listed already.
    error OptionsMarketExists(bytes32 market);
    /// @notice No series has the id `id`.
    error OptionsUnknownSeries(uint256 id);
    /// @notice The series `id` is listed already.
    error OptionsSeriesExists(uint256 id);
    /// @notice `strike` is off the grid: not a multiple of `step`, or outside `[min, max]` around the spot.
    error OptionsInvalidStrike(uint256 strike, uint256 min, uint256 max, uint256 step);
    /// @notice `expiry` is not on the hourly grid, or not within `[earliest, latest]`.
    error OptionsInvalidExpiry(uint256 expiry, uint256 earliest, uint256 latest);
    /// @notice A call's cap must lie within `[min, max]`; a put takes none (0).
    error OptionsInvalidCap(uint256 cap, uint256 min, uint256 max);
    /// @notice At most `max` series may be unfinished at once.
    error OptionsTooManySeries(uint256 max);
    /// @notice An amount of zero.
    error OptionsZeroAmount();
    /// @notice Trading in series `id` closed at `closedAt`.
    error OptionsTradingClosed(uint256 id, uint256 closedAt);
    /// @notice `action` is paused for `market`.
    error OptionsPaused(bytes32 market, uint8 action);
    /// @notice Series `id` would hold `openInterest`, above its cap `cap`.
    error OptionsSeriesCap(uint256 id, uint256 openInterest, uint256 cap);
    /// @notice The pool would lock `locked`, above the utilisation limit `limit` (collateral units).
    error OptionsUtilisationLimit(uint256 locked, uint256 limit);
    /// @notice The trade costs (or pays) `amount`, beyond the caller's `limit`.
    error OptionsSlippage(uint256 amount, uint256 limit);
    /// @notice Series `id` expires at `expiry`; it cannot settle before.
    error OptionsNotExpired(uint256 id, uint256 expiry);
    /// @notice Series `id` is settled already.
    error OptionsAlreadySettled(uint256 id);
    /// @notice Series `id` is not settled yet.
    error OptionsNotSettled(uint256 id);
    /// @notice The settlement window of series `id` closed at `closedAt` without a price: only the governed fallback
    /// can set one now.
    error OptionsSettlementWindowClosed(uint256 id, uint256 closedAt);
    /// @notice The fallback may set the price of `market` at `expiry` only after the window closes at `closesAt`.
    error OptionsSettlementWindowOpen(bytes32 market, uint256 expiry, uint256 closesAt);
    /// @notice No series of `market` was ever listed at `expiry`.
    error OptionsNoSeriesAtExpiry(bytes32 market, uint256 expiry);
    /// @notice A fallback settlement price of zero.
    error OptionsInvalidPrice();
    /// @notice The price of `market` at `expiry` is recorded already (`price`).
    error OptionsExpiryPriceRecorded(bytes32 market, uint256 expiry, uint256 price);
    /// @notice A trusted price of `market` (`price`) was read within the settlement window of `expiry`: it settles the
    /// expiry, so the fallback cannot.
    error OptionsExpiryPriceAvailable(bytes32 market, uint256 expiry, uint256 price);
    /// @notice Two parameters would contradict each other (`key` set to `value`).
    error OptionsParameterConflict(bytes32 key, uint256 value);

    /// @notice Governance listed `market` for options.
    event OptionsMarketListed(bytes32 indexed market, OptionMarket config, address indexed actor);
    /// @notice Governance listed series `id`.
    event SeriesListed(
        uint256 indexed id,
        bytes32 indexed market,
        uint256 strike,
        uint256 expiry,
        bool isCall,
        uint256 maxPayoff
    );
    /// @notice `buyer` bought `amount` of series `id` for `premium` plus `fee` (collateral units) at `spot`.
    event OptionBought(
        address indexed buyer,
        uint256 indexed id,
        uint256 amount,
        uint256 premium,
        uint256 fee,
        uint256 spot
    );
    /// @notice `seller` sold `amount` of series `id` back for `proceeds` after `fee`; `paidNow` of it was paid at once
    /// and the rest is outflow-limiter claim `claimId` (0 when none).
    event OptionSold(
        address indexed seller,
        uint256 indexed id,
        uint256 amount,
        uint256 proceeds,
        uint256 fee,
        uint256 spot,
        uint256 paidNow,
        uint256 claimId
    );
    /// @notice `settle` could not settle series `id` now: its settlement is `paused` (the expiry's price is recorded
    /// all the same), or no trusted price was read since expiry and the price is not trusted now, for `reason`.
    event SettlementDeferred(uint256 indexed id, bool paused, uint8 reason);
    /// @notice The settlement price of every series of `market` expiring at `expiry` is `price`, set by governance
    /// when `byFallback`.
    event ExpiryPriceRecorded(bytes32 indexed market, uint256 indexed expiry, uint256 price, bool byFallback);
    /// @notice Series `id` settled at `price`, paying `payoff` per unit; `released` collateral went back to the LPs.
    event SeriesSettled(uint256 indexed id, uint256 price, uint256 payoff, uint256 released, bool byFallback);
    /// @notice `amount` of series `id` held by `holder` were redeemed for `payout`: `paidNow` at once, the rest as
    /// outflow-limiter claim `claimId`.
    event OptionRedeemed(
        address indexed holder,
        uint256 indexed id,
        uint256 amount,
        uint256 payout,
        uint256 paidNow,
        uint256 claimId
    );

    /// @notice Governance: lists `market` (known to the aggregator) for options with `config`.
    function listMarket(bytes32 market, OptionMarket calldata config) external;

    /// @notice Governance: lists a series on the grid (OPT-1). `cap` is a call's largest payoff per unit (within 10 %
    /// to 500 % of the strike); a put takes 0.
    /// @return id the series id, `uint256(keccak256(abi.encode(market, strike, expiry, isCall)))`, also its ERC-1155
    /// token id
    function listSeries(
        bytes32 market,
        uint256 strike,
        uint256 expiry,
        bool isCall,
        uint256 cap
    ) external returns (uint256 id);

    /// @notice Buys `amount` options of series `id` at the ask, paying premium and fee from the caller's wallet;
    /// reverts when they would exceed `maxCost` (OPT-4).
    function buy(uint256 id, uint256 amount, uint256 maxCost) external returns (uint256 cost);

    /// @notice Sells `amount` options of series `id` back to the pool at the bid, less the fee; reverts when that would
    /// be below `minProceeds`.
    function sell(uint256 id, uint256 amount, uint256 minProceeds) external returns (uint256 proceeds);

    /// @notice Settles series `id` (OPT-6). Anyone (the keeper) may call it after expiry. Every series of one market
    /// and expiry settles at one price, recorded once (`expiryPrice`): the first trusted price the aggregator read at
    /// or after expiry (its hourly checkpoint, `IPriceAggregator.firstTrustedPrice`) within `settlementWindow`. Reads
    /// made later, by anyone, cannot change it; while the price is frozen at expiry, the first trusted read after the
    /// freeze stands in for it. With no trusted read since expiry, the call reads the price now: when trusted it is the
    /// first; when not, the call emits `SettlementDeferred` and returns false. A window that closed with no trusted
    /// read leaves the governed fallback.
    /// While settlement is paused the price is still recorded (a pause delays a settlement, it never moves its
    /// price) and the call returns false. Once the price is recorded, the series settles whenever it is called.
    /// @return settled whether this call settled the series
    function settle(uint256 id) external returns (bool settled);

    /// @notice Governance (timelocked): sets the settlement price of `market` at `expiry` when its window closed
    /// without one and no trusted price was read within it (`OptionsExpiryPriceAvailable`). Holders and LPs see the
    /// price a full timelock delay before it applies; the payoff of every series stays within its maximum payoff.
    function settleFallback(bytes32 market, uint256 expiry, uint256 price) external;

    /// @notice Redeems `amount` of the caller's options of settled series `id` for the payoff. Never paused.
    function redeem(uint256 id, uint256 amount) external returns (uint256 payout);

    /// @notice Redeems every option of settled series `id` held by each of `holders`, paying each holder; anyone (the
    /// keeper) may call it. Holders with none are skipped.
    function redeemFor(uint256 id, address[] calldata holders) external returns (uint256 redeemed);

    /// @notice Series `id`.
    function seriesOf(uint256 id) external view returns (Series memory);

    /// @notice The series listed and not yet settled (at most `MAX_LIVE_SERIES`).
    function liveSeries() external view returns (uint256[] memory);

    /// @notice The parameters of `market`.
    function marketConfig(bytes32 market) external view returns (OptionMarket memory);

    /// @notice The settlement price of `market` at `expiry`, once recorded.
    function expiryPrice(bytes32 market, uint256 expiry) external view returns (ExpiryPrice memory);

    /// @notice The engine-wide parameters.
    function globalConfig() external view returns (GlobalConfig memory);

    /// @notice What buying (`isBuy`) or selling `amount` of series `id` would cost or pay now, at the aggregator's
    /// current trusted price.
    function quote(uint256 id, uint256 amount, bool isBuy) external view returns (Quote memory);

    /// @notice The collateral the pool holds locked for the options (collateral units).
    function lockedAssets() external view returns (uint256);
}

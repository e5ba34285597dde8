// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPriceSource} from "./IPriceSource.sol";

/// @title IPriceAggregator
/// @notice Bulwark's price per market (AGG-1 … AGG-5): the median of several validated sources, with a quorum, a
/// divergence freeze, a jump breaker and an L2 sequencer gate, read in three ways whose policy is part of the
/// interface (AGG-4):
///
/// - Active: all three reads return the median.
/// - Frozen (NoQuorum, Divergence, Jump, SequencerDown, SequencerGrace): `priceForRisk` and
///   `priceForLiquidation` revert with `PriceAggregatorUntrusted(market, reason)`; `priceForDerisk` returns the
///   conservative side (`bias`) of the last good price and the valid sources.
///
/// Liquidations need a trusted price: a position is never closed at a price the protocol would refuse for an
/// open, and after a sequencer outage traders get the grace period to add margin, as they do after an unpause.
/// De-risking (close, reduce, add margin) always gets an answer, biased against the trader: the lowest of the last
/// good price and the valid sources for one who sells, the highest for one who buys.
interface IPriceAggregator {
    enum State {
        Active,
        Frozen
    }

    enum FreezeReason {
        None,
        SequencerDown,
        SequencerGrace,
        NoQuorum,
        Divergence,
        Jump
    }

    /// @notice Which side of the known prices a de-risking read should take.
    /// @dev `Low` for a trader who sells (closing a long), `High` for one who buys (closing a short).
    enum Bias {
        Low,
        High
    }

    /// @notice What `status` returns (AGG-5).
    struct Status {
        State state;
        FreezeReason reason;
        uint256 validSources;
        uint256 median;
        uint256 lastGoodPrice;
        uint256 lastGoodAt;
    }

    /// @notice One source's reading as the aggregator judged it.
    struct SourceReading {
        IPriceSource source;
        uint256 price;
        uint256 updatedAt;
        IPriceSource.Status status;
    }

    /// @notice The price of `market` is not trusted now, for `reason`.
    error PriceAggregatorUntrusted(bytes32 market, FreezeReason reason);
    /// @notice `market` is not listed.
    error PriceAggregatorUnknownMarket(bytes32 market);
    /// @notice `market` is listed already.
    error PriceAggregatorMarketExists(bytes32 market);
    /// @notice The market has no price at all yet (never had a trusted read, and no valid source now).
    error PriceAggregatorNoPrice(bytes32 market);
    /// @notice `source` is already configured (for `market`).
    error PriceAggregatorSourceExists(bytes32 market, address source);
    /// @notice `source` is not a source of any market.
    error PriceAggregatorUnknownSource(address source);
    /// @notice A market holds at most `max` sources.
    error PriceAggregatorTooManySources(bytes32 market, uint256 max);
    /// @notice Removing a source would leave `remaining`, fewer than `minSources`.
    error PriceAggregatorQuorumWouldBreak(bytes32 market, uint256 remaining, uint256 minSources);
    /// @notice `minSources` cannot exceed the `count` sources the market has.
    error PriceAggregatorQuorumAboveSources(bytes32 market, uint256 minSources, uint256 count);
    /// @notice The price band must satisfy `minPrice < maxPrice`.
    error PriceAggregatorInvalidBand(bytes32 market, uint256 minPrice, uint256 maxPrice);
    /// @notice Only a market frozen by the jump breaker can be reset.
    error PriceAggregatorNotJumpFrozen(bytes32 market);
    /// @notice `paid` does not cover the update fees `fee`.
    error PriceAggregatorInsufficientFee(uint256 paid, uint256 fee);
    /// @notice `updates` must hold one entry per source of the market (`sources`), empty for no update.
    error PriceAggregatorUpdateCountMismatch(uint256 updates, uint256 sources);
    /// @notice `time` must lie on the checkpoint grid (a multiple of `period`).
    error PriceAggregatorUnalignedTime(uint256 time, uint256 period);
    /// @notice A source call failed because the caller gave too little gas.
    error PriceAggregatorInsufficientGas();

    /// @notice `market` was listed with its band and quorum.
    event MarketListed(bytes32 indexed market, uint256 minPrice, uint256 maxPrice, uint256 minSources);
    /// @notice `source` joined `market` with `maxStaleness` seconds.
    event SourceAdded(bytes32 indexed market, address indexed source, uint256 maxStaleness, address indexed actor);
    /// @notice `source` left `market`.
    event SourceRemoved(bytes32 indexed market, address indexed source, address indexed actor, string reason);
    /// @notice The state of `market` changed; `median` is the median seen (0 when there was none).
    event OracleStateChanged(
        bytes32 indexed market,
        State oldState,
        State newState,
        FreezeReason reason,
        uint256 median,
        uint256 validSources
    );
    /// @notice A jump to `candidate` has now been confirmed by `agreeingReads` consecutive reads.
    event JumpConfirmationRead(bytes32 indexed market, uint256 candidate, uint256 agreeingReads);
    /// @notice The first trusted read of its hour found `price` at `at`; kept as that hour's checkpoint.
    event PriceCheckpointed(bytes32 indexed market, uint256 price, uint256 at);
    /// @notice Governance cleared the jump breaker's reference price of `market`.
    event JumpBreakerReset(bytes32 indexed market, uint256 oldReference, address indexed actor);

    /// @notice Updates the market's state and returns its trusted median; reverts with `PriceAggregatorUntrusted`
    /// when it is not trusted. For risk-increasing actions: open, increase, withdraw margin, buy options, LP pricing.
    function priceForRisk(bytes32 market) external returns (uint256);

    /// @notice `priceForRisk`, and when the median was published: the update time of the source whose price is the
    /// median (the older of the two middle sources for an even count). Delayed orders (PERP-2) use it to refuse a
    /// price that is older than the order.
    function priceForRiskWithTime(bytes32 market) external returns (uint256 price, uint256 publishedAt);

    /// @notice Pushes pull-oracle updates (one entry per source, empty to skip), then `priceForRisk`. Excess value
    /// is refunded.
    function updateAndPriceForRisk(bytes32 market, bytes[] calldata updates) external payable returns (uint256);

    /// @notice Updates the market's state and always answers (unless the market never had any price): the median
    /// when trusted, otherwise the conservative side (`bias`) of the last good price and the valid sources.
    function priceForDerisk(bytes32 market, Bias bias) external returns (uint256);

    /// @notice Updates the market's state and returns the median under the liquidation policy (trusted only).
    function priceForLiquidation(bytes32 market) external returns (uint256);

    /// @notice Re-reads the market and records its state, emitting an event on a change. Never reverts for an
    /// untrusted price; keepers call it to advance the jump breaker's confirmation and to publish freezes.
    function poke(bytes32 market) external returns (Status memory);

    /// @notice The market's state as a fresh read would find it, without recording anything (AGG-5).
    function status(bytes32 market) external view returns (Status memory);

    /// @notice Every source of the market with its reading and verdict.
    function readings(bytes32 market) external view returns (SourceReading[] memory);

    /// @notice The last trusted price and when it was read.
    function lastGoodPrice(bytes32 market) external view returns (uint256 price, uint256 at);

    /// @notice The first trusted price read at or after `from` (on the hourly checkpoint grid), if it was read no later
    /// than `to`; (0, 0) otherwise. Later reads cannot change it: the first trusted read of every hour is kept.
    /// @dev Scans one slot per hour from `from` until a checkpoint: about 2,500 gas an hour searched.
    function firstTrustedPrice(
        bytes32 market,
        uint256 from,
        uint256 to
    ) external view returns (uint256 price, uint256 readAt);
}

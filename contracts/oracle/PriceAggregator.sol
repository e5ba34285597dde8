// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IPriceAggregator} from "../interfaces/IPriceAggregator.sol";
import {IPriceSource} from "../interfaces/IPriceSource.sol";
import {BoundedParameters} from "../governance/BoundedParameters.sol";

/// @title PriceAggregator
/// @notice Bulwark's price per market: the median of validated sources, frozen rather than guessed when the
/// sources cannot be trusted (AGG-1 … AGG-5). See `IPriceAggregator` for the read policy per state.
/// @dev Per market, one slot of configuration, one slot of state and one slot per source (the adapter and its
/// staleness limit packed), so a read with three sources touches five slots of this contract.
///
/// Parameters (`BoundedParameters`): per market (scope = market id) `minPrice`, `maxPrice`, `minSources`,
/// `maxDeviationBps`, `maxJumpBps`, `recoveryReads`; per source (scope = the adapter's address, right-aligned)
/// `maxStaleness`; global (scope 0) `sequencerGracePeriod`. The guardian may only tighten: narrow the band,
/// raise the quorum or the confirmations, lower deviation, jump and staleness limits, lengthen the sequencer
/// grace; and it may remove a source while the quorum still holds.
///
/// Jump breaker: a trusted median more than `maxJumpBps` away from the last good price freezes the market with
/// that median as a candidate. Each later read whose median stays within `maxJumpBps` of the candidate counts as
/// a confirmation, but only if it carries new information (the newest valid source timestamp advanced), so
/// repeated reads of the same reports cannot confirm a jump. After `recoveryReads` confirmations the candidate
/// becomes the price; a median back near the last good price unfreezes at once; governance may reset.
///
/// Checkpoints: the first trusted read of each hour is kept for good (one new slot per market and hour, paid by that
/// read), so the first trusted price at or after a given hour can be found later, whatever was read since
/// (`firstTrustedPrice`). Options settle at it.
contract PriceAggregator is IPriceAggregator, BoundedParameters, ReentrancyGuard {
    bytes32 public constant MIN_PRICE = "minPrice";
    bytes32 public constant MAX_PRICE = "maxPrice";
    bytes32 public constant MIN_SOURCES = "minSources";
    bytes32 public constant MAX_DEVIATION_BPS = "maxDeviationBps";
    bytes32 public constant MAX_JUMP_BPS = "maxJumpBps";
    bytes32 public constant RECOVERY_READS = "recoveryReads";
    bytes32 public constant MAX_STALENESS = "maxStaleness";
    bytes32 public constant SEQUENCER_GRACE_PERIOD = "sequencerGracePeriod";

    /// @notice The length of a checkpoint period: the first trusted read of each is kept.
    uint256 public constant CHECKPOINT_PERIOD = 1 hours;
    /// @notice The most sources one market may have.
    uint256 public constant MAX_SOURCES = 5;
    uint256 private constant BPS = 10_000;
    /// @dev Prices are 18-decimal USD; 1e28 is ten billion dollars per unit, far above any listed asset.
    uint256 private constant PRICE_CEILING = 1e28;

    struct MarketConfig {
        uint96 minPrice;
        uint96 maxPrice;
        uint16 maxDeviationBps;
        uint16 maxJumpBps;
        uint8 minSources;
        uint8 recoveryReads;
        uint8 sourceCount;
        bool listed;
    }

    struct PriceState {
        uint128 lastGoodPrice;
        uint40 lastGoodAt;
        uint40 lastConfirmedUpdate;
        State state;
        FreezeReason reason;
        uint8 agreeingReads;
    }

    struct SourceSlot {
        IPriceSource source;
        uint32 maxStaleness;
    }

    struct Market {
        MarketConfig config;
        PriceState state;
        uint128 jumpCandidate;
        SourceSlot[MAX_SOURCES] sources;
    }

    /// @dev The first trusted read of a checkpoint period: the price and when it was read.
    struct Checkpoint {
        uint128 price;
        uint40 at;
    }

    /// @dev What one read of the sources found, before the jump breaker.
    struct Evaluation {
        FreezeReason reason;
        uint256 validSources;
        uint256 median;
        uint256 low;
        uint256 high;
        uint256 newestUpdate;
        uint256 medianUpdatedAt;
    }

    /// @notice The L2 sequencer uptime feed, or zero on chains without one.
    AggregatorV3Interface public immutable sequencerFeed;

    mapping(bytes32 market => Market) private _markets;
    mapping(IPriceSource source => bytes32 market) private _sourceMarket;
    mapping(bytes32 market => mapping(uint256 period => Checkpoint)) private _checkpoints;
    uint256 private _sequencerGracePeriod;

    /// @param authority the AccessManager
    /// @param sequencerFeed_ the sequencer uptime feed (zero for none)
    constructor(address authority, AggregatorV3Interface sequencerFeed_) BoundedParameters(authority) {
        sequencerFeed = sequencerFeed_;
        _sequencerGracePeriod = 1 hours;
        emit ParameterChanged(bytes32(0), SEQUENCER_GRACE_PERIOD, 0, 1 hours, msg.sender);
    }

    // ---------------------------------------------------------------------------------------------
    // Configuration (restricted)
    // ---------------------------------------------------------------------------------------------

    /// @notice Lists `market` with its price band and limits; sources are added separately. Timelock only.
    function listMarket(
        bytes32 market,
        uint256 minPrice,
        uint256 maxPrice,
        uint256 minSources,
        uint256 maxDeviationBps,
        uint256 maxJumpBps,
        uint256 recoveryReads
    ) external restricted {
        if (market == bytes32(0)) revert PriceAggregatorUnknownMarket(market);
        Market storage m = _markets[market];
        if (m.config.listed) revert PriceAggregatorMarketExists(market);
        _requireInBounds(MIN_PRICE, minPrice);
        _requireInBounds(MAX_PRICE, maxPrice);
        if (minPrice >= maxPrice) revert PriceAggregatorInvalidBand(market, minPrice, maxPrice);
        _requireInBounds(MIN_SOURCES, minSources);
        _requireInBounds(MAX_DEVIATION_BPS, maxDeviationBps);
        _requireInBounds(MAX_JUMP_BPS, maxJumpBps);
        _requireInBounds(RECOVERY_READS, recoveryReads);
        // The bounds checked above fit every field, so these casts cannot truncate.
        m.config = MarketConfig({
            minPrice: uint96(minPrice),
            maxPrice: uint96(maxPrice),
            maxDeviationBps: uint16(maxDeviationBps),
            maxJumpBps: uint16(maxJumpBps),
            minSources: uint8(minSources),
            recoveryReads: uint8(recoveryReads),
            sourceCount: 0,
            listed: true
        });
        // A market starts frozen for lack of quorum until its sources are added and read.
        m.state.state = State.Frozen;
        m.state.reason = FreezeReason.NoQuorum;
        emit MarketListed(market, minPrice, maxPrice, minSources);
    }

    /// @notice Adds `source` to `market` with its own staleness limit. Timelock only.
    function addSource(bytes32 market, IPriceSource source, uint256 maxStaleness) external restricted {
        Market storage m = _listedMarket(market);
        if (_sourceMarket[source] != bytes32(0))
            revert PriceAggregatorSourceExists(_sourceMarket[source], address(source));
        uint256 count = m.config.sourceCount;
        if (count == MAX_SOURCES) revert PriceAggregatorTooManySources(market, MAX_SOURCES);
        _requireInBounds(MAX_STALENESS, maxStaleness);
        // Bounded by 72 hours, so the cast cannot truncate.
        m.sources[count] = SourceSlot(source, uint32(maxStaleness));
        m.config.sourceCount = uint8(count + 1);
        _sourceMarket[source] = market;
        emit SourceAdded(market, address(source), maxStaleness, msg.sender);
    }

    /// @notice Removes `source` from its market while the quorum still holds. Guardian and timelock.
    function removeSource(IPriceSource source, string calldata reason) external restricted {
        if (bytes(reason).length == 0) revert ParameterEmptyReason();
        bytes32 market = _sourceMarket[source];
        if (market == bytes32(0)) revert PriceAggregatorUnknownSource(address(source));
        Market storage m = _markets[market];
        uint256 count = m.config.sourceCount;
        if (count - 1 < m.config.minSources) {
            revert PriceAggregatorQuorumWouldBreak(market, count - 1, m.config.minSources);
        }
        for (uint256 i; i < count; ++i) {
            if (m.sources[i].source == source) {
                m.sources[i] = m.sources[count - 1];
                delete m.sources[count - 1];
                break;
            }
        }
        m.config.sourceCount = uint8(count - 1);
        delete _sourceMarket[source];
        emit SourceRemoved(market, address(source), msg.sender, reason);
    }

    /// @notice Clears the jump breaker's reference price so that the next trusted read sets it. Timelock only.
    function resetJumpBreaker(bytes32 market) external restricted {
        Market storage m = _listedMarket(market);
        PriceState memory s = m.state;
        if (s.reason != FreezeReason.Jump) revert PriceAggregatorNotJumpFrozen(market);
        emit JumpBreakerReset(market, s.lastGoodPrice, msg.sender);
        s.lastGoodPrice = 0;
        s.agreeingReads = 0;
        m.state = s;
        m.jumpCandidate = 0;
    }

    // ---------------------------------------------------------------------------------------------
    // Reads
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IPriceAggregator
    function priceForRisk(bytes32 market) public returns (uint256 price) {
        (price, ) = priceForRiskWithTime(market);
    }

    /// @inheritdoc IPriceAggregator
    function priceForRiskWithTime(bytes32 market) public returns (uint256 price, uint256 publishedAt) {
        (PriceState memory s, Evaluation memory e) = _read(market);
        if (s.state != State.Active) revert PriceAggregatorUntrusted(market, s.reason);
        return (e.median, e.medianUpdatedAt);
    }

    /// @inheritdoc IPriceAggregator
    function updateAndPriceForRisk(
        bytes32 market,
        bytes[] calldata updates
    ) external payable nonReentrant returns (uint256 price) {
        Market storage m = _listedMarket(market);
        uint256 count = m.config.sourceCount;
        if (updates.length != count) revert PriceAggregatorUpdateCountMismatch(updates.length, count);
        uint256 spent;
        for (uint256 i; i < count; ++i) {
            if (updates[i].length == 0) continue;
            IPriceSource source = m.sources[i].source;
            uint256 fee = source.updateFee(updates[i]);
            spent += fee;
            if (spent > msg.value) revert PriceAggregatorInsufficientFee(msg.value, spent);
            source.update{value: fee}(updates[i]);
        }
        price = priceForRisk(market);
        if (msg.value > spent) Address.sendValue(payable(msg.sender), msg.value - spent);
    }

    /// @inheritdoc IPriceAggregator
    function priceForDerisk(bytes32 market, Bias bias) external returns (uint256 price) {
        (PriceState memory s, Evaluation memory e) = _read(market);
        if (s.state == State.Active) return e.median;
        uint256 last = s.lastGoodPrice;
        if (e.validSources == 0) {
            if (last == 0) revert PriceAggregatorNoPrice(market);
            return last;
        }
        if (last == 0) return bias == Bias.Low ? e.low : e.high;
        if (bias == Bias.Low) return last < e.low ? last : e.low;
        return last > e.high ? last : e.high;
    }

    /// @inheritdoc IPriceAggregator
    function priceForLiquidation(bytes32 market) external returns (uint256) {
        return priceForRisk(market);
    }

    /// @inheritdoc IPriceAggregator
    function poke(bytes32 market) external returns (Status memory) {
        (PriceState memory s, Evaluation memory e) = _read(market);
        return _status(s, e);
    }

    /// @inheritdoc IPriceAggregator
    function status(bytes32 market) external view returns (Status memory) {
        Market storage m = _listedMarket(market);
        Evaluation memory e = _evaluate(m);
        (PriceState memory s, , ) = _transition(m, e);
        return _status(s, e);
    }

    /// @inheritdoc IPriceAggregator
    function readings(bytes32 market) external view returns (SourceReading[] memory out) {
        Market storage m = _listedMarket(market);
        uint256 count = m.config.sourceCount;
        out = new SourceReading[](count);
        for (uint256 i; i < count; ++i) {
            SourceSlot memory slot = m.sources[i];
            (uint256 price, uint256 updatedAt, IPriceSource.Status st) = _observe(slot, m.config);
            out[i] = SourceReading(slot.source, price, updatedAt, st);
        }
    }

    /// @inheritdoc IPriceAggregator
    function lastGoodPrice(bytes32 market) external view returns (uint256 price, uint256 at) {
        PriceState memory s = _listedMarket(market).state;
        return (s.lastGoodPrice, s.lastGoodAt);
    }

    /// @inheritdoc IPriceAggregator
    function firstTrustedPrice(
        bytes32 market,
        uint256 from,
        uint256 to
    ) external view returns (uint256 price, uint256 readAt) {
        _listedMarket(market);
        if (from % CHECKPOINT_PERIOD != 0) revert PriceAggregatorUnalignedTime(from, CHECKPOINT_PERIOD);
        mapping(uint256 => Checkpoint) storage checkpoints = _checkpoints[market];
        for (uint256 period = from / CHECKPOINT_PERIOD; period <= to / CHECKPOINT_PERIOD; ++period) {
            Checkpoint memory c = checkpoints[period];
            if (c.at != 0) return c.at <= to ? (c.price, c.at) : (0, 0);
        }
    }

    /// @notice The sources of `market`, in order, with their staleness limits.
    function sources(bytes32 market) external view returns (IPriceSource[] memory list, uint256[] memory staleness) {
        Market storage m = _listedMarket(market);
        uint256 count = m.config.sourceCount;
        list = new IPriceSource[](count);
        staleness = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            (list[i], staleness[i]) = (m.sources[i].source, m.sources[i].maxStaleness);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Evaluation
    // ---------------------------------------------------------------------------------------------

    /// @dev Evaluates, applies the jump breaker, records the new state (events on every change).
    function _read(bytes32 market) private returns (PriceState memory next, Evaluation memory e) {
        Market storage m = _listedMarket(market);
        e = _evaluate(m);
        PriceState memory prev = m.state;
        uint128 candidate;
        bool confirmation;
        (next, candidate, confirmation) = _transition(m, e);
        if (
            next.lastGoodPrice != prev.lastGoodPrice ||
            next.lastGoodAt != prev.lastGoodAt ||
            next.lastConfirmedUpdate != prev.lastConfirmedUpdate ||
            next.state != prev.state ||
            next.reason != prev.reason ||
            next.agreeingReads != prev.agreeingReads
        ) m.state = next;
        if (next.reason == FreezeReason.Jump && candidate != m.jumpCandidate) m.jumpCandidate = candidate;
        // The first trusted read of its period: no trusted read yet since the period began.
        uint256 period = block.timestamp / CHECKPOINT_PERIOD;
        if (next.state == State.Active && prev.lastGoodAt / CHECKPOINT_PERIOD < period) {
            _checkpoints[market][period] = Checkpoint(next.lastGoodPrice, uint40(block.timestamp));
            emit PriceCheckpointed(market, next.lastGoodPrice, block.timestamp);
        }
        if (next.state != prev.state || next.reason != prev.reason) {
            emit OracleStateChanged(market, prev.state, next.state, next.reason, e.median, e.validSources);
        }
        if (confirmation) emit JumpConfirmationRead(market, candidate, next.agreeingReads);
    }

    /// @dev The state a read with evaluation `e` moves the market to. Pure bookkeeping, shared by `_read` and
    /// `status`, so the view and the recorded state can never disagree.
    function _transition(
        Market storage m,
        Evaluation memory e
    ) private view returns (PriceState memory s, uint128 candidate, bool confirmation) {
        s = m.state;
        if (e.reason != FreezeReason.None) {
            (s.state, s.reason, s.agreeingReads) = (State.Frozen, e.reason, 0);
            return (s, m.jumpCandidate, false);
        }
        uint256 maxJump = m.config.maxJumpBps;
        uint256 last = s.lastGoodPrice;
        if (last == 0 || _within(e.median, last, maxJump)) return (_accept(s, e.median), 0, false);

        // The median jumped away from the last good price.
        candidate = s.reason == FreezeReason.Jump ? m.jumpCandidate : 0;
        bool newInformation = e.newestUpdate > s.lastConfirmedUpdate;
        if (candidate != 0 && _within(e.median, candidate, maxJump)) {
            if (newInformation) {
                s.agreeingReads += 1;
                confirmation = true;
            }
        } else {
            s.agreeingReads = 1;
        }
        // The median fits in 128 bits: it lies within the band, at most PRICE_CEILING.
        candidate = uint128(e.median);
        if (newInformation) s.lastConfirmedUpdate = uint40(e.newestUpdate);
        if (s.agreeingReads >= m.config.recoveryReads) return (_accept(s, e.median), 0, confirmation);
        (s.state, s.reason) = (State.Frozen, FreezeReason.Jump);
    }

    function _accept(PriceState memory s, uint256 median) private view returns (PriceState memory) {
        s.lastGoodPrice = uint128(median);
        s.lastGoodAt = uint40(block.timestamp);
        (s.state, s.reason, s.agreeingReads) = (State.Active, FreezeReason.None, 0);
        return s;
    }

    /// @dev Reads the sequencer and every source; finds the median, the spread and the quorum.
    function _evaluate(Market storage m) private view returns (Evaluation memory e) {
        MarketConfig memory config = m.config;
        uint256 count = config.sourceCount;
        uint256[] memory prices = new uint256[](count);
        uint256[] memory times = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            (uint256 price, uint256 updatedAt, IPriceSource.Status st) = _observe(m.sources[i], config);
            if (st != IPriceSource.Status.Valid) continue;
            // Insertion sort by price, each price keeping its timestamp: at most five values.
            uint256 j = e.validSources;
            while (j > 0 && prices[j - 1] > price) {
                (prices[j], times[j]) = (prices[j - 1], times[j - 1]);
                --j;
            }
            (prices[j], times[j]) = (price, updatedAt);
            e.validSources += 1;
            if (updatedAt > e.newestUpdate) e.newestUpdate = updatedAt;
        }
        uint256 n = e.validSources;
        if (n > 0) {
            (e.low, e.high) = (prices[0], prices[n - 1]);
            // Even counts take the mean of the two middle values, rounded down, and the older of their times.
            if (n % 2 == 1) {
                (e.median, e.medianUpdatedAt) = (prices[n / 2], times[n / 2]);
            } else {
                e.median = (prices[n / 2 - 1] + prices[n / 2]) / 2;
                uint256 a = times[n / 2 - 1];
                uint256 b = times[n / 2];
                e.medianUpdatedAt = a < b ? a : b;
            }
        }
        e.reason = _sequencerReason();
        if (e.reason != FreezeReason.None) return e;
        if (n < config.minSources || n == 0) e.reason = FreezeReason.NoQuorum;
        else if ((e.high - e.low) * BPS > uint256(config.maxDeviationBps) * e.low) e.reason = FreezeReason.Divergence;
    }

    /// @dev One source's reading with the aggregator's own checks (staleness, band) added.
    function _observe(
        SourceSlot memory slot,
        MarketConfig memory config
    ) private view returns (uint256 price, uint256 updatedAt, IPriceSource.Status st) {
        uint256 gasBefore = gasleft();
        try slot.source.observe() returns (uint256 p, uint256 t, IPriceSource.Status s) {
            (price, updatedAt, st) = (p, t, s);
        } catch (bytes memory failure) {
            // Starved here, or starved one level down (the adapter says so): revert rather than report a failure.
            if (gasleft() <= gasBefore / 64 || bytes4(failure) == IPriceSource.PriceSourceInsufficientGas.selector) {
                revert PriceAggregatorInsufficientGas();
            }
            return (0, 0, IPriceSource.Status.CallFailed);
        }
        if (st != IPriceSource.Status.Valid) return (0, updatedAt, st);
        // Adapters already refuse future timestamps; checked again so that a faulty adapter cannot make the
        // subtraction below revert the whole read.
        if (updatedAt > block.timestamp) return (0, updatedAt, IPriceSource.Status.FutureTimestamp);
        if (block.timestamp - updatedAt > slot.maxStaleness) return (0, updatedAt, IPriceSource.Status.Stale);
        if (price < config.minPrice || price > config.maxPrice) return (0, updatedAt, IPriceSource.Status.OutOfBand);
    }

    /// @dev SequencerDown when the feed says down, cannot be read, or has no `startedAt`; SequencerGrace while
    /// it has been up for less than the grace period, measured from `startedAt` (when the status last changed).
    function _sequencerReason() private view returns (FreezeReason) {
        if (address(sequencerFeed) == address(0)) return FreezeReason.None;
        uint256 gasBefore = gasleft();
        (bool ok, bytes memory data) = address(sequencerFeed).staticcall(
            abi.encodeCall(AggregatorV3Interface.latestRoundData, ())
        );
        if (!ok && gasleft() <= gasBefore / 64) revert PriceAggregatorInsufficientGas();
        if (!ok || data.length < 160) return FreezeReason.SequencerDown;
        (, int256 answer, uint256 startedAt, , ) = abi.decode(data, (uint80, int256, uint256, uint256, uint80));
        if (answer != 0 || startedAt == 0) return FreezeReason.SequencerDown;
        if (startedAt > block.timestamp || block.timestamp - startedAt < _sequencerGracePeriod) {
            return FreezeReason.SequencerGrace;
        }
        return FreezeReason.None;
    }

    function _status(PriceState memory s, Evaluation memory e) private pure returns (Status memory) {
        return Status(s.state, s.reason, e.validSources, e.median, s.lastGoodPrice, s.lastGoodAt);
    }

    /// @dev Whether `a` lies within `bps` of `ref`, measured on `ref`.
    function _within(uint256 a, uint256 ref, uint256 bps) private pure returns (bool) {
        uint256 diff = a > ref ? a - ref : ref - a;
        return diff * BPS <= bps * ref;
    }

    function _listedMarket(bytes32 market) private view returns (Market storage m) {
        m = _markets[market];
        if (!m.config.listed) revert PriceAggregatorUnknownMarket(market);
    }

    // ---------------------------------------------------------------------------------------------
    // Parameters
    // ---------------------------------------------------------------------------------------------

    function _parameterSpec(bytes32 key) internal pure override returns (ParameterSpec memory spec) {
        if (key == MIN_PRICE) return ParameterSpec(1, PRICE_CEILING, Tightening.Higher);
        if (key == MAX_PRICE) return ParameterSpec(1, PRICE_CEILING, Tightening.Lower);
        if (key == MIN_SOURCES) return ParameterSpec(1, MAX_SOURCES, Tightening.Higher);
        if (key == MAX_DEVIATION_BPS) return ParameterSpec(10, 2_000, Tightening.Lower);
        if (key == MAX_JUMP_BPS) return ParameterSpec(100, 5_000, Tightening.Lower);
        if (key == RECOVERY_READS) return ParameterSpec(2, 20, Tightening.Higher);
        if (key == MAX_STALENESS) return ParameterSpec(60, 72 hours, Tightening.Lower);
        if (key == SEQUENCER_GRACE_PERIOD) return ParameterSpec(10 minutes, 24 hours, Tightening.Higher);
    }

    function _readParameter(bytes32 scope, bytes32 key) internal view override returns (uint256) {
        if (key == SEQUENCER_GRACE_PERIOD) {
            _requireGlobal(scope);
            return _sequencerGracePeriod;
        }
        if (key == MAX_STALENESS) return _sourceSlot(scope).maxStaleness;
        MarketConfig memory c = _listedMarket(scope).config;
        if (key == MIN_PRICE) return c.minPrice;
        if (key == MAX_PRICE) return c.maxPrice;
        if (key == MIN_SOURCES) return c.minSources;
        if (key == MAX_DEVIATION_BPS) return c.maxDeviationBps;
        if (key == MAX_JUMP_BPS) return c.maxJumpBps;
        return c.recoveryReads;
    }

    // Every value arrives checked against its bounds, which fit each field, so the casts cannot truncate.
    function _writeParameter(bytes32 scope, bytes32 key, uint256 value) internal override {
        if (key == SEQUENCER_GRACE_PERIOD) {
            _requireGlobal(scope);
            _sequencerGracePeriod = value;
            return;
        }
        if (key == MAX_STALENESS) {
            _sourceSlot(scope).maxStaleness = uint32(value);
            return;
        }
        MarketConfig storage c = _listedMarket(scope).config;
        if (key == MIN_PRICE || key == MAX_PRICE) {
            (uint256 lo, uint256 hi) = key == MIN_PRICE ? (value, uint256(c.maxPrice)) : (uint256(c.minPrice), value);
            if (lo >= hi) revert PriceAggregatorInvalidBand(scope, lo, hi);
            if (key == MIN_PRICE) c.minPrice = uint96(value);
            else c.maxPrice = uint96(value);
        } else if (key == MIN_SOURCES) {
            if (value > c.sourceCount) revert PriceAggregatorQuorumAboveSources(scope, value, c.sourceCount);
            c.minSources = uint8(value);
        } else if (key == MAX_DEVIATION_BPS) {
            c.maxDeviationBps = uint16(value);
        } else if (key == MAX_JUMP_BPS) {
            c.maxJumpBps = uint16(value);
        } else {
            c.recoveryReads = uint8(value);
        }
    }

    /// @dev Per-source parameters are addressed by the adapter's address as the scope.
    function _sourceSlot(bytes32 scope) private view returns (SourceSlot storage) {
        IPriceSource source = IPriceSource(address(uint160(uint256(scope))));
        bytes32 market = _sourceMarket[source];
        if (market == bytes32(0) || uint256(scope) >> 160 != 0) revert PriceAggregatorUnknownSource(address(source));
        Market storage m = _markets[market];
        for (uint256 i; i < m.config.sourceCount; ++i) {
            if (m.sources[i].source == source) return m.sources[i];
        }
        revert PriceAggregatorUnknownSource(address(source));
    }

    function _requireGlobal(bytes32 scope) private pure {
        if (scope != bytes32(0)) revert PriceAggregatorUnknownMarket(scope);
    }
}

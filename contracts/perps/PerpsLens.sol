// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMarginAccounts} from "../interfaces/IMarginAccounts.sol";
import {IPerpsEngine} from "../interfaces/IPerpsEngine.sol";
import {IPerpsMarkets} from "../interfaces/IPerpsMarkets.sol";
import {IPriceAggregator} from "../interfaces/IPriceAggregator.sol";
import {PerpsValuation} from "./PerpsValuation.sol";

/// @title PerpsLens
/// @notice Read-only views for keepers and front ends (LIQ-6): health of many accounts in one call, a paged scan for
/// liquidatable accounts and executable orders, and each account's positions with PnL and funding. It values
/// positions with the same library as the engine (`PerpsValuation`), each market read once per call.
/// @dev A market whose price is not trusted is valued at its last good price and never reported liquidatable: the
/// engine would refuse that liquidation (AGG-4).
contract PerpsLens {
    /// @notice One account's health as `healthOf` reports it.
    struct AccountHealth {
        address account;
        IPerpsEngine.Health health;
    }

    /// @notice A liquidatable account as `liquidatableAmong` reports it (18-decimal USD; reward in collateral units).
    struct Candidate {
        address account;
        int256 equity;
        uint256 maintenanceMargin;
        uint256 expectedReward;
    }

    /// @notice A listed market as one call reads it: id, parameters, state with funding accrued to now, the price
    /// positions are valued at (the last good one when untrusted), and whether that price is trusted.
    struct MarketView {
        bytes32 id;
        IPerpsMarkets.MarketConfig config;
        IPerpsEngine.MarketState state;
        uint256 price;
        bool trusted;
    }

    IPerpsEngine public immutable engine;
    IPerpsMarkets public immutable perpsMarkets;
    IPriceAggregator public immutable aggregator;
    IMarginAccounts public immutable accounts;
    uint256 private immutable _usdScale;

    /// @param engine_ the perps engine
    /// @param accounts_ the margin accounts
    constructor(IPerpsEngine engine_, IMarginAccounts accounts_) {
        engine = engine_;
        perpsMarkets = engine_.perpsMarkets();
        aggregator = engine_.aggregator();
        accounts = accounts_;
        _usdScale = accounts_.usdScale();
    }

    /// @notice Equity, margins, liquidatable flag and expected reward of each of `list`, in one call.
    function healthOf(address[] calldata list) external view returns (AccountHealth[] memory out) {
        MarketView[] memory book = _book();
        out = new AccountHealth[](list.length);
        for (uint256 i; i < list.length; ++i) {
            out[i] = AccountHealth(list[i], _health(list[i], book));
        }
    }

    /// @notice The liquidatable accounts among `list`, in its order: what a keeper needs of each, and nothing of
    /// the healthy ones, so one call covers many accounts (KPR-3).
    function liquidatableAmong(address[] calldata list) external view returns (Candidate[] memory found) {
        MarketView[] memory book = _book();
        Candidate[] memory hits = new Candidate[](list.length);
        uint256 n;
        for (uint256 i; i < list.length; ++i) {
            IPerpsEngine.Health memory h = _health(list[i], book);
            if (h.liquidatable) hits[n++] = Candidate(list[i], h.equity, h.maintenanceMargin, h.expectedReward);
        }
        found = new Candidate[](n);
        for (uint256 i; i < n; ++i) found[i] = hits[i];
    }

    /// @notice The engine's accounts from `offset`, at most `limit` of them; `next` is where to continue (the list's
    /// length when done). Keepers resynchronise their index with it, a page per call.
    function accountList(uint256 offset, uint256 limit) external view returns (address[] memory list, uint256 next) {
        next = _end(offset, limit);
        list = new address[](next > offset ? next - offset : 0);
        for (uint256 i = offset; i < next; ++i) list[i - offset] = engine.accountAt(i);
    }

    /// @notice Liquidatable accounts among the `limit` accounts from `offset` in the engine's list; `next` is where
    /// to continue (the list's length when done).
    function liquidatable(uint256 offset, uint256 limit) external view returns (address[] memory found, uint256 next) {
        MarketView[] memory book = _book();
        next = _end(offset, limit);
        address[] memory hits = new address[](next > offset ? next - offset : 0);
        uint256 n;
        for (uint256 i = offset; i < next; ++i) {
            address account = engine.accountAt(i);
            if (_health(account, book).liquidatable) hits[n++] = account;
        }
        found = _trim(hits, n);
    }

    /// @notice Accounts among `limit` from `offset` whose pending order may be executed now (past its delay, not
    /// expired); `next` is where to continue.
    function executableOrders(
        uint256 offset,
        uint256 limit
    ) external view returns (address[] memory found, uint256 next) {
        IPerpsMarkets.GlobalConfig memory g = perpsMarkets.globalConfig();
        next = _end(offset, limit);
        address[] memory hits = new address[](next > offset ? next - offset : 0);
        uint256 n;
        for (uint256 i = offset; i < next; ++i) {
            address account = engine.accountAt(i);
            IPerpsEngine.Order memory order = engine.orderOf(account);
            if (order.committedAt == 0) continue;
            bool ready = block.timestamp >= order.committedAt + g.minOrderDelay;
            if (ready && block.timestamp <= order.committedAt + g.orderWindow) hits[n++] = account;
        }
        found = _trim(hits, n);
    }

    /// @notice `account`'s positions, valued as if closed now at each market's price.
    function positions(address account) external view returns (IPerpsEngine.PositionValue[] memory out) {
        MarketView[] memory book = _book();
        (, uint256 mask) = engine.accountOf(account);
        out = new IPerpsEngine.PositionValue[](_popcount(mask));
        uint256 n;
        for (uint256 i; i < book.length; ++i) {
            if (mask & (1 << i) != 0) out[n++] = _value(account, book[i]);
        }
    }

    function _health(address account, MarketView[] memory book) private view returns (IPerpsEngine.Health memory h) {
        (int256 balance, uint256 mask) = engine.accountOf(account);
        uint256 units = accounts.collateralOf(account);
        h.equity = (int256(units) + balance) * int256(_usdScale);
        uint256 rewardUsd;
        bool trusted = true;
        for (uint256 i; i < book.length; ++i) {
            if (mask & (1 << i) == 0) continue;
            rewardUsd = PerpsValuation.add(h, _value(account, book[i]), book[i].config, rewardUsd);
            if (!book[i].trusted) trusted = false;
        }
        PerpsValuation.finish(h, mask != 0 && trusted, rewardUsd, units, _usdScale);
    }

    function _value(address account, MarketView memory m) private view returns (IPerpsEngine.PositionValue memory) {
        IPerpsEngine.Position memory p = engine.positionOf(account, m.id);
        // The state was accrued to now in `_book`; accruing again in `value` changes nothing.
        return PerpsValuation.value(p, m.id, m.config, m.state, m.price, false);
    }

    function _book() private view returns (MarketView[] memory book) {
        bytes32[] memory ids = perpsMarkets.markets();
        book = new MarketView[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            MarketView memory m = book[i];
            m.id = ids[i];
            IPriceAggregator.Status memory st = aggregator.status(ids[i]);
            m.trusted = st.state == IPriceAggregator.State.Active;
            m.price = m.trusted ? st.median : st.lastGoodPrice;
            (, m.config) = perpsMarkets.marketAt(i);
            m.state = engine.marketState(ids[i]);
            PerpsValuation.accrue(m.state, m.config, m.price);
        }
    }

    function _end(uint256 offset, uint256 limit) private view returns (uint256) {
        uint256 count = engine.accountCount();
        return offset >= count ? count : (count - offset < limit ? count : offset + limit);
    }

    function _trim(address[] memory list, uint256 n) private pure returns (address[] memory out) {
        out = new address[](n);
        for (uint256 i; i < n; ++i) out[i] = list[i];
    }

    function _popcount(uint256 mask) private pure returns (uint256 n) {
        for (; mask != 0; mask &= mask - 1) ++n;
    }
}

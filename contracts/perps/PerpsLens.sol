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
/// positions with the same library as the engine (`PerpsValuation`), each market's price read once per call.
/// @dev A market whose price is not trusted is valued at its last good price and never reported liquidatable: the
/// engine would refuse that liquidation (AGG-4).
contract PerpsLens {
    /// @notice One account's health as `healthOf` reports it.
    struct AccountHealth {
        address account;
        IPerpsEngine.Health health;
    }

    /// @notice Market prices as one call read them.
    struct Prices {
        uint256[] price;
        bool[] trusted;
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
        Prices memory prices = _prices();
        out = new AccountHealth[](list.length);
        for (uint256 i; i < list.length; ++i) {
            out[i] = AccountHealth(list[i], _health(list[i], prices));
        }
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
        Prices memory prices = _prices();
        next = _end(offset, limit);
        address[] memory hits = new address[](next > offset ? next - offset : 0);
        uint256 n;
        for (uint256 i = offset; i < next; ++i) {
            address account = engine.accountAt(i);
            if (_health(account, prices).liquidatable) hits[n++] = account;
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
        Prices memory prices = _prices();
        (, uint256 mask) = engine.accountOf(account);
        out = new IPerpsEngine.PositionValue[](_popcount(mask));
        uint256 n;
        for (uint256 i; i < prices.price.length; ++i) {
            if (mask & (1 << i) == 0) continue;
            (bytes32 market, IPerpsMarkets.MarketConfig memory c) = perpsMarkets.marketAt(i);
            out[n++] = _value(account, market, c, prices.price[i]);
        }
    }

    function _health(address account, Prices memory prices) private view returns (IPerpsEngine.Health memory h) {
        (int256 balance, uint256 mask) = engine.accountOf(account);
        uint256 units = accounts.collateralOf(account);
        h.equity = (int256(units) + balance) * int256(_usdScale);
        uint256 rewardUsd;
        bool trusted = true;
        for (uint256 i; i < prices.price.length; ++i) {
            if (mask & (1 << i) == 0) continue;
            (bytes32 market, IPerpsMarkets.MarketConfig memory c) = perpsMarkets.marketAt(i);
            rewardUsd = PerpsValuation.add(h, _value(account, market, c, prices.price[i]), c, rewardUsd);
            if (!prices.trusted[i]) trusted = false;
        }
        PerpsValuation.finish(h, mask != 0 && trusted, rewardUsd, units, _usdScale);
    }

    function _value(
        address account,
        bytes32 market,
        IPerpsMarkets.MarketConfig memory c,
        uint256 price
    ) private view returns (IPerpsEngine.PositionValue memory) {
        IPerpsEngine.Position memory p = engine.positionOf(account, market);
        return PerpsValuation.value(p, market, c, engine.marketState(market), price, false);
    }

    function _prices() private view returns (Prices memory prices) {
        bytes32[] memory ids = perpsMarkets.markets();
        prices.price = new uint256[](ids.length);
        prices.trusted = new bool[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            IPriceAggregator.Status memory st = aggregator.status(ids[i]);
            prices.trusted[i] = st.state == IPriceAggregator.State.Active;
            prices.price[i] = prices.trusted[i] ? st.median : st.lastGoodPrice;
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

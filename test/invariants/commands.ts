/**
 * The commands of the model-based suite (INV-2). Each one observes what its prediction needs at the time its
 * transaction will run, predicts the outcome (success or the exact custom error), sends the transaction, compares,
 * and updates the model. Amounts are fractions of what the state allows, drawn away from the limit (at most 90 %
 * of it, or at least 110 %) so that a prediction is decided by the protocol's rules, not by rounding.
 */
import fc from "fast-check";
import { ethers } from "hardhat";
import type { Interface } from "ethers";
import type { IOptionsEngine } from "../../typechain-types/contracts/interfaces/IOptionsEngine";
import type { ILiquidityPool } from "../../typechain-types/contracts/interfaces/ILiquidityPool";
import type { IPerpsEngine } from "../../typechain-types/contracts/interfaces/IPerpsEngine";
import type { IPerpsMarkets } from "../../typechain-types/contracts/interfaces/IPerpsMarkets";
import type { PerpsLens } from "../../typechain-types/contracts/perps/PerpsLens";
import { Action, mask } from "../helpers/actions";
import { GLOBAL } from "../helpers/fixtures";
import { HOUR } from "../../deploy/foundation";
import { SCOPES } from "../helpers/pause-model";
import { PYTH_FEE, pythUpdate8 } from "../helpers/oracle";
import { margins } from "../helpers/perps-math";
import { checkInvariants } from "./invariants";
import {
  abs,
  addsRisk,
  BPS,
  ceilDiv,
  compare,
  MARKETS,
  max,
  min,
  type Model,
  type OrderModel,
  type Prediction,
  tradeAction,
  USD_SCALE,
  WAD,
} from "./model";
import { expectOutcome, ok, type Real, send, v } from "./real";
import type { Outcome, SeriesSpec } from "./system";

const name = (market: string) => ethers.decodeBytes32String(market);
const scopeName = (scope: string) => (scope === GLOBAL ? "GLOBAL" : name(scope));
const LONG_MAX = ethers.MaxUint256 >> 129n;
const UNTRUSTED = "PriceAggregatorUntrusted";

type Health = PerpsLens.AccountHealthStructOutput["health"];
type MarketConfig = IPerpsMarkets.MarketConfigStructOutput;
type MarketState = IPerpsEngine.MarketStateStructOutput;
type PerpsGlobal = IPerpsMarkets.GlobalConfigStructOutput;
type OptionsGlobal = IOptionsEngine.GlobalConfigStructOutput;
type PoolState = ILiquidityPool.PoolStateStructOutput;
type AccountHealth = PerpsLens.AccountHealthStructOutput;

/** A command: acts (observe, predict, send, compare, update the model), then the global invariants are checked. */
export abstract class Command implements fc.AsyncCommand<Model, Real> {
  /** Commands that move prices, let time pass or change parameters may make a healthy account unhealthy. */
  readonly movesMarket: boolean = false;
  check(m: Readonly<Model>): boolean {
    void m;
    return true;
  }
  abstract act(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
  async run(m: Model, r: Real): Promise<void> {
    await this.act(m, r);
    m.stats.commands++;
    await checkInvariants(m, r, this);
  }
}

/** The `k`-th of `items` (cyclically), or undefined when there are none. */
function pick<T>(items: T[], k: number): T | undefined {
  return items.length === 0 ? undefined : items[k % items.length];
}

/** The `k`-th open position of the model: its trader and market; a trader and market by number when none is open. */
function pickPosition(m: Model, r: Real, k: number, market: number): [string, string] {
  const open = r.traders.flatMap((t) =>
    MARKETS.filter((mk) => m.position(t, mk) !== 0n).map((mk) => [t, mk] as [string, string]),
  );
  return pick(open, k) ?? [r.traders[k % r.traders.length], MARKETS[market]];
}

/**
 * The `k`-th holding of the model: its holder and series index; by number when nobody holds options. With
 * `settledFirst`, a holding in a settled series when there is one (what a redemption needs).
 */
function pickHolding(m: Model, r: Real, k: number, series: number, settledFirst = false): [string, number] {
  const held = r.traders.flatMap((t) =>
    m.series.flatMap((s, i) => (m.holding(t, s.id) > 0n ? [[t, i] as [string, number]] : [])),
  );
  const settled = settledFirst ? held.filter(([, i]) => m.settled.has(m.series[i].id)) : [];
  return pick(settled, k) ?? pick(held, k) ?? [r.traders[k % r.traders.length], series];
}

/** The series expired at `at` and not yet settled. */
function due(m: Model, at: bigint): SeriesSpec[] {
  return m.series.filter((s) => s.expiry <= at && !m.settled.has(s.id));
}

/** The time the next transaction runs at. */
const next = (r: Real) => r.chain.now + 1n;

/** The first untrusted market among `markets` at `at`, as the aggregator would name it. */
function untrusted(m: Model, markets: string[], at: bigint): string | undefined {
  return markets.find((mk) => !m.verdict(mk, at).trusted);
}

/** Limiter claims a successful transaction queued. */
async function collectClaims(m: Model, r: Real, outcome: Outcome): Promise<void> {
  if (!outcome.ok) return;
  const topic = r.sys.limiter.interface.getEvent("OutflowLimited").topicHash;
  for (const log of await r.chain.logs(outcome.hash)) {
    if (log.topics[0] === topic && log.address.toLowerCase() === r.at.limiter.toLowerCase()) {
      m.claims.add(BigInt(log.topics[3]));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Margin
// ---------------------------------------------------------------------------------------------------------------

/** INV-EXIT-1: adding margin is never refused (but for a zero amount). */
export class MarginDeposit extends Command {
  constructor(
    readonly trader: number,
    readonly dollars: bigint,
  ) {
    super();
  }
  toString = () => `marginDeposit(trader ${this.trader}, $${this.dollars})`;
  async act(m: Model, r: Real) {
    const t = r.traders[this.trader];
    const amount = this.dollars * 1_000_000n;
    const predicted: Prediction = [amount === 0n ? "MarginAccountsInvalidInput" : null];
    const outcome = await send(r, t, r.sys.accounts, r.at.accounts, "deposit", [t, amount]);
    expectOutcome(m, outcome, predicted, this.toString());
  }
}

/** INV-EXIT-1: free margin can be withdrawn unless withdrawals are paused or a price it depends on is untrusted. */
export class MarginWithdraw extends Command {
  constructor(
    readonly trader: number,
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `marginWithdraw(trader ${this.trader}, ${this.bps} bps of withdrawable)`;
  async act(m: Model, r: Real) {
    const t = r.traders[this.trader];
    const at = next(r);
    const [state, collateral] = await r.chain.read(
      [v(r, "accounts", "accountState", [t]), v(r, "accounts", "collateralOf", [t])],
      "next",
    );
    const units = ok<bigint>(collateral, "collateralOf");
    const withdrawable = state.ok ? (state.value as { withdrawable: bigint }).withdrawable : units;
    const amount = (withdrawable * this.bps) / BPS;
    let predicted: Prediction;
    const bad = untrusted(m, m.heldMarkets(t), at);
    if (amount === 0n) predicted = ["MarginAccountsInvalidInput"];
    else if (m.paused(GLOBAL, Action.Withdraw, at)) predicted = ["MarginAccountsWithdrawPaused"];
    else if (amount > units) predicted = ["MarginAccountsInsufficientCollateral"];
    else if (bad) predicted = [UNTRUSTED];
    else if (amount > withdrawable) predicted = ["MarginAccountsBelowInitialMargin"];
    else predicted = [null];
    const outcome = await send(r, t, r.sys.accounts, r.at.accounts, "withdraw", [amount, t]);
    expectOutcome(m, outcome, predicted, this.toString());
    await collectClaims(m, r, outcome);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Perps orders
// ---------------------------------------------------------------------------------------------------------------

export class CommitOrder extends Command {
  constructor(
    readonly trader: number,
    readonly market: number,
    readonly long: boolean,
    /** The order's notional as a share of what the margin headroom and the pool allow, in bps. */
    readonly bps: bigint,
    readonly lowFee: boolean,
  ) {
    super();
  }
  toString = () =>
    `commitOrder(trader ${this.trader}, ${name(MARKETS[this.market])}, ${this.long ? "long" : "short"}, ${this.bps} bps of room${this.lowFee ? ", fee below minimum" : ""})`;
  async act(m: Model, r: Real) {
    const t = r.traders[this.trader];
    const market = MARKETS[this.market];
    const at = next(r);
    const [health, config, global, state, collateral, liquidity] = await r.chain.read(
      [
        v(r, "lens", "healthOf", [[t]]),
        v(r, "markets", "marketAt", [this.market]),
        v(r, "markets", "globalConfig"),
        v(r, "accounts", "accountState", [t]),
        v(r, "accounts", "collateralOf", [t]),
        v(r, "pool", "liquidityFor", [r.at.engine]),
      ],
      "next",
    );
    const h = ok<AccountHealth[]>(health, "healthOf")[0].health;
    const c = ok<[string, MarketConfig]>(config, "marketAt")[1];
    const g = ok<PerpsGlobal>(global, "globalConfig");
    // Sized at the price the healthy sources publish.
    const price = m.target.get(market)!;
    // What the state allows: the notional the margin headroom carries, and the one the pool's free cash can reserve.
    const headroom = h.equity - h.initialMargin;
    const byMargin = headroom > 0n ? headroom * c.maxLeverage : 0n;
    const byPool = (ok<[bigint, bigint]>(liquidity, "liquidityFor")[1] * USD_SCALE * BPS) / c.reserveBps;
    const allowed = min(byMargin, byPool);
    const notional = allowed > 0n ? (allowed * this.bps) / BPS : 1_000n * WAD;
    let size = (notional * WAD) / price;
    if (size === 0n) size = 1n;
    const sizeDelta = this.long ? size : -size;
    const fee = this.lowFee ? ceilDiv(g.minKeeperFee, USD_SCALE) - 1n : 1_000_000n;

    const old = m.position(t, market);
    const held = m.heldMarkets(t);
    const bad = untrusted(m, held, at);
    let predicted: Prediction;
    if (m.orders.has(t)) predicted = ["PerpsOrderPending"];
    else if (fee < ceilDiv(g.minKeeperFee, USD_SCALE)) predicted = ["PerpsKeeperFeeTooLow"];
    else if (m.paused(market, tradeAction(old, old + sizeDelta), at)) predicted = ["PerpsPaused"];
    else if (held.length > 0 && bad) predicted = [UNTRUSTED];
    else if (held.length > 0 && fee > ok<{ withdrawable: bigint }>(state, "accountState").withdrawable) {
      predicted = ["PerpsKeeperFeeAboveFreeMargin"];
    } else if (fee > ok<bigint>(collateral, "collateralOf")) predicted = ["MarginAccountsInsufficientCollateral"];
    else predicted = [null];
    const acceptable = sizeDelta > 0n ? LONG_MAX : 1n;
    const outcome = await send(r, t, r.sys.engine, r.at.engine, "commitOrder", [market, sizeDelta, acceptable, fee]);
    expectOutcome(m, outcome, predicted, this.toString());
    if (outcome.ok) m.orders.set(t, { market, sizeDelta, committedAt: r.chain.now, keeperFee: fee });
  }
}

export class ExecuteOrder extends Command {
  constructor(
    readonly trader: number,
    /** Whether the keeper first has the sources publish again (as a keeper pushing Pyth updates would). */
    readonly refresh: boolean,
    /** Whether the command waits for a pending order (a keeper's way) rather than trying a trader at random. */
    readonly onlyPending = false,
  ) {
    super();
  }
  check = (m: Readonly<Model>) => !this.onlyPending || m.orders.size > 0;
  toString = () => `executeOrder(pending order #${this.trader}${this.refresh ? ", after fresh prices" : ""})`;
  async act(m: Model, r: Real) {
    const t = pick([...m.orders.keys()], this.trader) ?? r.traders[this.trader % r.traders.length];
    await this.executeFor(m, r, t, this.toString());
  }

  /** Executes `t`'s order (or tries to, when it has none): predicted, sent, compared under `label`. */
  async executeFor(m: Model, r: Real, t: string, label: string) {
    const order = m.orders.get(t);
    const predicted = order ? await this.predict(m, r, t, order) : ["PerpsNoOrder"];
    const outcome = await send(r, r.keeper, r.sys.engine, r.at.engine, "executeOrder", [t]);
    expectOutcome(m, outcome, predicted, label);
    if (!outcome.ok || !order) return;
    const market = order.market;
    m.orders.delete(t);
    const old = m.position(t, market);
    m.setPosition(t, market, old + order.sizeDelta);
    m.recordRead(market, r.chain.now);
    if (addsRisk(old, old + order.sizeDelta)) {
      for (const other of m.heldMarkets(t)) if (other !== market) m.recordRead(other, r.chain.now);
    }
  }

  /** Publishes fresh prices when asked, then observes and predicts the execution of `order`. */
  private async predict(m: Model, r: Real, t: string, order: OrderModel): Promise<Prediction> {
    if (this.refresh) await publish(m, r, order.market);
    const at = next(r);
    const [health, config, global, state, reserved, liquidity] = await r.chain.read(
      [
        v(r, "lens", "healthOf", [[t]]),
        v(r, "markets", "marketAt", [MARKETS.indexOf(order.market)]),
        v(r, "markets", "globalConfig"),
        v(r, "engine", "marketState", [order.market]),
        v(r, "engine", "reservedAssets"),
        v(r, "pool", "liquidityFor", [r.at.engine]),
      ],
      "next",
    );
    const o = {
      health: ok<AccountHealth[]>(health, "healthOf")[0].health,
      config: ok<[string, MarketConfig]>(config, "marketAt")[1],
      global: ok<PerpsGlobal>(global, "globalConfig"),
      state: ok<MarketState>(state, "marketState"),
      reserved: ok<bigint>(reserved, "reservedAssets"),
      free: ok<[bigint, bigint]>(liquidity, "liquidityFor")[1],
    };
    if (at < order.committedAt + o.global.minOrderDelay) return ["PerpsOrderNotReady"];
    if (at > order.committedAt + o.global.orderWindow) return ["PerpsOrderExpired"];
    const verdict = m.verdict(order.market, at);
    if (!verdict.trusted) return [UNTRUSTED];
    if (verdict.publishedAt < order.committedAt) return ["PerpsPriceOlderThanOrder"];
    const old = m.position(t, order.market);
    const size = old + order.sizeDelta;
    if (m.paused(order.market, tradeAction(old, size), at)) return ["PerpsPaused"];
    if (!addsRisk(old, size)) return [null];

    const c = o.config;
    const s = o.state;
    const price = verdict.median;
    const long = s.longOpenInterest - max(old, 0n) + max(size, 0n);
    const short = s.shortOpenInterest - max(-old, 0n) + max(-size, 0n);
    if (size > 0n && long > c.maxLongOpenInterest) return ["PerpsOpenInterestCap"];
    if (size < 0n && short > c.maxShortOpenInterest) return ["PerpsOpenInterestCap"];
    if (abs(size) > c.maxPositionSize) return ["PerpsPositionTooLarge"];

    const outcomes: Prediction = [];
    const notional = (x: bigint) => (abs(x) * price) / WAD;
    // A flip realises the old position's PnL first, which may take some of the pool's free cash.
    const flip = old !== 0n && old > 0n !== size > 0n;
    const target = ceilDiv(ceilDiv(max(long, short) * price * c.reserveBps, WAD * BPS), USD_SCALE);
    if (target > s.reserved) {
      const band = o.free / 200n + (flip ? notional(old) / USD_SCALE / 10n : 0n);
      const liquidity = compare(o.reserved - s.reserved + target, o.free, band);
      if (liquidity === "fail") return ["PerpsInsufficientLiquidity"];
      if (liquidity === "edge") outcomes.push("PerpsInsufficientLiquidity");
    }
    const bad = untrusted(
      m,
      m.heldMarkets(t).filter((mk) => mk !== order.market),
      at,
    );
    if (bad) return [...outcomes, UNTRUSTED];
    // Initial margin after the trade: this market's at the new size replaces its old one.
    const im = (x: bigint) =>
      x === 0n ? 0n : margins(notional(x), c.maxLeverage, c.maintenanceMarginBps, c.minMargin)[0];
    const initial = o.health.initialMargin - im(old) + im(size);
    const skew = s.longOpenInterest - s.shortOpenInterest;
    // Equity counts the fee to close at today's skew, at the maker or the taker rate: the trade pays its own fee and
    // changes that closing fee by at most the new position's.
    const feeBps = max(c.makerFeeBps, c.takerFeeBps);
    const cost =
      ((notional(order.sizeDelta) + notional(size)) * feeBps) / BPS +
      (notional(order.sizeDelta) * 2n * (abs(skew) + abs(order.sizeDelta))) / c.skewScale +
      notional(size) / 1_000n +
      (flip ? notional(old) / 100n : 0n);
    const margin = compare(initial, o.health.equity, cost);
    if (margin === "fail") return [...outcomes, "PerpsInsufficientMargin"];
    if (margin === "edge") outcomes.push("PerpsInsufficientMargin");
    return [...outcomes, null];
  }
}

/**
 * A trader's whole trade as a keeper serves it: commit, then, once the order is past its minimum delay, execute it
 * with fresh prices. Each step is predicted and compared on its own, as `CommitOrder` and `ExecuteOrder` do; this
 * command only makes sure that orders meet an execution before an hour-long command lets them expire.
 */
export class Trade extends Command {
  constructor(readonly commit: CommitOrder) {
    super();
  }
  toString = () => `trade(${this.commit.toString().replace(/^commitOrder\(|\)$/g, "")})`;
  async act(m: Model, r: Real) {
    await this.commit.act(m, r);
    const t = r.traders[this.commit.trader];
    const order = m.orders.get(t);
    if (!order) return;
    const global = ok<PerpsGlobal>((await r.chain.read([v(r, "markets", "globalConfig")], "latest"))[0], "config");
    r.chain.advance(max(order.committedAt + global.minOrderDelay - next(r), 0n));
    await new ExecuteOrder(this.commit.trader, true).executeFor(m, r, t, `executeOrder(trader ${this.commit.trader})`);
  }
}

export class CancelOrder extends Command {
  constructor(readonly trader: number) {
    super();
  }
  toString = () => `cancelOrder(trader ${this.trader})`;
  async act(m: Model, r: Real) {
    const t = r.traders[this.trader];
    const at = next(r);
    const [global] = await r.chain.read([v(r, "markets", "globalConfig")], "next");
    const g = ok<PerpsGlobal>(global, "globalConfig");
    const order = m.orders.get(t);
    let predicted: Prediction;
    if (!order) predicted = ["PerpsNoOrder"];
    else if (at <= order.committedAt + g.orderWindow) predicted = ["PerpsOrderNotExpired"];
    else predicted = [null];
    const outcome = await send(r, r.keeper, r.sys.engine, r.at.engine, "cancelOrder", [t]);
    expectOutcome(m, outcome, predicted, this.toString());
    if (outcome.ok) m.orders.delete(t);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// De-risking (never needs a trusted price)
// ---------------------------------------------------------------------------------------------------------------

/** INV-EXIT-1: a position can always be reduced, unless governance paused reducing. */
export class ReducePosition extends Command {
  constructor(
    readonly trader: number,
    readonly market: number,
    /** The share of the position to take off, in bps; above 10,000 it would flip, which is refused. */
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `reducePosition(open position #${this.trader}, ${this.bps} bps)`;
  async act(m: Model, r: Real) {
    const [t, market] = pickPosition(m, r, this.trader, this.market);
    const at = next(r);
    const size = m.position(t, market);
    const delta = (-size * this.bps) / BPS;
    let predicted: Prediction;
    if (size === 0n) predicted = ["PerpsNoPosition"];
    else if (delta === 0n || abs(delta) > abs(size)) predicted = ["PerpsNotReducing"];
    else if (m.paused(market, tradeAction(size, size + delta), at)) predicted = ["PerpsPaused"];
    else predicted = [null];
    const outcome = await send(r, t, r.sys.engine, r.at.engine, "reducePosition", [market, delta, 0n]);
    expectOutcome(m, outcome, predicted, this.toString());
    if (!outcome.ok) return;
    m.setPosition(t, market, size + delta);
    m.recordRead(market, r.chain.now);
  }
}

/** INV-EXIT-1: a position can always be closed, unless governance paused closing. */
export class ClosePosition extends Command {
  constructor(
    readonly trader: number,
    readonly market: number,
  ) {
    super();
  }
  toString = () => `closePosition(open position #${this.trader})`;
  async act(m: Model, r: Real) {
    const [t, market] = pickPosition(m, r, this.trader, this.market);
    const at = next(r);
    const size = m.position(t, market);
    let predicted: Prediction;
    if (size === 0n) predicted = ["PerpsNoPosition"];
    else if (m.paused(market, Action.Close, at)) predicted = ["PerpsPaused"];
    else predicted = [null];
    const outcome = await send(r, t, r.sys.engine, r.at.engine, "closePosition", [market, 0n]);
    expectOutcome(m, outcome, predicted, this.toString());
    if (!outcome.ok) return;
    m.setPosition(t, market, 0n);
    m.recordRead(market, r.chain.now);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Liquidation
// ---------------------------------------------------------------------------------------------------------------

interface LiquidationView {
  health: Health;
  configs: MarketConfig[];
  states: MarketState[];
  window: bigint;
}

async function observeLiquidation(r: Real, accounts: string[]): Promise<LiquidationView[]> {
  const results = await r.chain.read(
    [
      v(r, "lens", "healthOf", [accounts]),
      v(r, "markets", "globalConfig"),
      ...MARKETS.map((_, i) => v(r, "markets", "marketAt", [i])),
      ...MARKETS.map((mk) => v(r, "engine", "marketState", [mk])),
    ],
    "next",
  );
  const healths = ok<AccountHealth[]>(results[0], "healthOf");
  const g = ok<PerpsGlobal>(results[1], "globalConfig");
  const configs = MARKETS.map((_, i) => ok<[string, MarketConfig]>(results[2 + i], "marketAt")[1]);
  const states = MARKETS.map((_, i) => ok<MarketState>(results[2 + MARKETS.length + i], "marketState"));
  return healths.map((h) => ({ health: h.health, configs, states, window: g.liquidationWindow }));
}

/**
 * What liquidating `account` at `at` does: the error, or the size each market closes. `used` carries each market's
 * liquidation step already used in this window across the accounts of one `liquidateMany`.
 */
function predictLiquidation(
  m: Model,
  account: string,
  at: bigint,
  o: LiquidationView,
  used: bigint[],
): { error: string } | { closes: bigint[] } {
  const held = m.heldMarkets(account);
  for (const market of held) {
    if (m.paused(market, Action.Liquidate, at)) return { error: "PerpsPaused" };
    if (m.inGrace(market, at)) return { error: "PerpsLiquidationGrace" };
    if (!m.verdict(market, at).trusted) return { error: UNTRUSTED };
  }
  if (held.length === 0 || o.health.equity >= o.health.maintenanceMargin) return { error: "PerpsAccountHealthy" };
  const closes = MARKETS.map((market, i) => {
    const size = abs(m.position(account, market));
    if (size === 0n) return 0n;
    const step = o.configs[i].liquidationStep;
    return min(size, step - min(step, used[i]));
  });
  if (closes.every((c) => c === 0n)) return { error: "PerpsLiquidationStepUsed" };
  closes.forEach((c, i) => (used[i] += c));
  return { closes };
}

/** Each market's liquidation step used so far in its current window, as of `at`. */
function stepsUsed(o: LiquidationView, at: bigint): bigint[] {
  return o.states.map((s) => (at >= s.liquidationWindowStart + o.window ? 0n : s.liquidatedInWindow));
}

/** `account`'s positions after a liquidation closes `closes` of each (toward zero). */
function afterLiquidation(m: Model, account: string, closes: bigint[]): bigint[] {
  return MARKETS.map((market, i) => {
    const size = m.position(account, market);
    return size > 0n ? size - closes[i] : size + closes[i];
  });
}

/** Sets `account`'s positions to `sizes` after a liquidation at `at`, which read the price of each market it held. */
function applyLiquidation(m: Model, account: string, sizes: bigint[], at: bigint): void {
  MARKETS.forEach((market, i) => {
    if (m.position(account, market) !== 0n) m.recordRead(market, at);
    m.setPosition(account, market, sizes[i]);
  });
}

/** INV-LIQ-1: only an account below its maintenance margin is liquidated, by at most each market's step. */
export class Liquidate extends Command {
  constructor(
    readonly trader: number,
    /** Whether the keeper first scans every trader and takes the `trader`-th one the lens reports liquidatable. */
    readonly scan = false,
  ) {
    super();
  }
  toString = () =>
    this.scan
      ? `liquidate(liquidatable account #${this.trader}, else trader ${this.trader})`
      : `liquidate(trader ${this.trader})`;
  async act(m: Model, r: Real) {
    const at = next(r);
    // A keeper's scan observes every trader once and liquidates from the same observation.
    const observed = await observeLiquidation(r, this.scan ? r.traders : [r.traders[this.trader]]);
    const liquidatable = this.scan ? r.traders.flatMap((_, j) => (observed[j].health.liquidatable ? [j] : [])) : [];
    const i = pick(liquidatable, this.trader) ?? this.trader;
    const t = r.traders[i];
    const o = observed[this.scan ? i : 0];
    const plan = predictLiquidation(m, t, at, o, stepsUsed(o, at));
    const outcome = await send(r, r.keeper, r.sys.engine, r.at.engine, "liquidate", [t]);
    expectOutcome(m, outcome, ["error" in plan ? plan.error : null], this.toString());
    if (outcome.ok && "closes" in plan) applyLiquidation(m, t, afterLiquidation(m, t, plan.closes), r.chain.now);
  }
}

/** INV-LIQ-1: `liquidateMany` liquidates exactly the accounts `liquidate` would, and skips the others. */
export class LiquidateMany extends Command {
  toString = () => "liquidateMany(every trader)";
  async act(m: Model, r: Real) {
    const at = next(r);
    const views = await observeLiquidation(r, r.traders);
    const used = stepsUsed(views[0], at);
    // Accounts are liquidated one after the other; one liquidation moves the skew, and with it the closing prices
    // the next accounts are valued at, so an account near its maintenance margin may go either way.
    const plans = r.traders.map((t, i) => {
      const h = views[i].health;
      const near = abs(h.equity - h.maintenanceMargin) * 100n <= h.maintenanceMargin && i > 0;
      return { plan: predictLiquidation(m, t, at, views[i], used), near };
    });
    const outcome = await send(r, r.keeper, r.sys.engine, r.at.engine, "liquidateMany", [r.traders]);
    expectOutcome(m, outcome, [null], this.toString());
    const positions = await r.chain.read(
      r.traders.flatMap((t) => MARKETS.map((mk) => v(r, "engine", "positionOf", [t, mk]))),
      "latest",
    );
    r.traders.forEach((t, i) => {
      const { plan, near } = plans[i];
      const actual = MARKETS.map((_, j) => ok<{ size: bigint }>(positions[i * MARKETS.length + j], "positionOf").size);
      const expected = "closes" in plan ? afterLiquidation(m, t, plan.closes) : MARKETS.map((mk) => m.position(t, mk));
      const matches = actual.every((a, j) => a === expected[j]);
      if (!matches && !near) {
        throw new Error(
          `${this.toString()}: trader ${i} was predicted ${"closes" in plan ? "liquidated" : `skipped (${plan.error})`}; positions ${actual} against ${expected}`,
        );
      }
      if (!matches || near) m.stats.edges++;
      if (actual.some((a, j) => a !== m.position(t, MARKETS[j]))) {
        applyLiquidation(m, t, actual, r.chain.now);
        m.count("liquidateMany: liquidated");
      }
    });
  }
}

export class SweepPending extends Command {
  toString = () => "sweepPending()";
  async act(m: Model, r: Real) {
    const outcome = await send(r, r.keeper, r.sys.engine, r.at.engine, "sweepPending", []);
    expectOutcome(m, outcome, [null], this.toString());
  }
}

export class ClaimProfit extends Command {
  constructor(readonly trader: number) {
    super();
  }
  toString = () => `claimProfit(trader ${this.trader})`;
  async act(m: Model, r: Real) {
    const t = r.traders[this.trader];
    const [account] = await r.chain.read([v(r, "engine", "accountOf", [t])], "next");
    const balance = ok<[bigint, bigint]>(account, "accountOf")[0];
    const outcome = await send(r, r.keeper, r.sys.engine, r.at.engine, "claimProfit", [t]);
    expectOutcome(m, outcome, [balance <= 0n ? "PerpsNothingOwed" : null], this.toString());
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------------------

export class BuyOption extends Command {
  constructor(
    readonly trader: number,
    readonly series: number,
    /** The collateral the purchase locks, as a share of what may still be locked, in bps. */
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `buyOption(trader ${this.trader}, series ${this.series}, ${this.bps} bps of room)`;
  async act(m: Model, r: Real) {
    const t = r.traders[this.trader];
    const s = m.series[this.series];
    const at = next(r);
    const [global, locked, liquidity, config] = await r.chain.read(
      [
        v(r, "options", "globalConfig"),
        v(r, "options", "lockedAssets"),
        v(r, "pool", "liquidityFor", [r.at.options]),
        v(r, "options", "marketConfig", [s.market]),
      ],
      "next",
    );
    const g = ok<OptionsGlobal>(global, "globalConfig");
    const [cash, free] = ok<[bigint, bigint]>(liquidity, "liquidityFor");
    const lockedNow = ok<bigint>(locked, "lockedAssets");
    const limit = (cash * g.maxUtilisationBps) / BPS;
    const room = min(free, limit > lockedNow ? limit - lockedNow : 0n);
    // Units of the option whose maximum payoff is `bps` of the room (collateral units → 18-decimal units).
    const amount = (room * this.bps * USD_SCALE * WAD) / BPS / s.maxPayoff;
    const oi = m.openInterest(s.id);
    const lockDelta =
      ceilDiv((oi + amount) * s.maxPayoff, WAD * USD_SCALE) - ceilDiv(oi * s.maxPayoff, WAD * USD_SCALE);
    const predicted = ((): Prediction => {
      if (amount === 0n) return ["OptionsZeroAmount"];
      if (m.settled.has(s.id)) return ["OptionsAlreadySettled"];
      if (at >= s.expiry - g.tradingCutoff) return ["OptionsTradingClosed"];
      if (m.paused(s.market, Action.BuyOption, at)) return ["OptionsPaused"];
      const cap = ok<{ maxSeriesOpenInterest: bigint }>(config, "marketConfig").maxSeriesOpenInterest;
      if (oi + amount > cap) return ["OptionsSeriesCap"];
      if (!m.verdict(s.market, at).trusted) return [UNTRUSTED];
      // The premium joins the cash before the lock is checked; the band covers it.
      const band = lockDelta / 20n + 1n;
      const util = compare(lockedNow + lockDelta, limit, band);
      if (util === "fail") return ["OptionsUtilisationLimit"];
      const outcomes: Prediction = util === "edge" ? ["OptionsUtilisationLimit"] : [];
      const pool = compare(lockDelta, free, band);
      if (pool === "fail") return [...outcomes, "LiquidityPoolInsufficientLiquidity"];
      if (pool === "edge") outcomes.push("LiquidityPoolInsufficientLiquidity");
      return [...outcomes, null];
    })();
    const outcome = await send(r, t, r.sys.options, r.at.options, "buy", [s.id, amount, ethers.MaxUint256]);
    expectOutcome(m, outcome, predicted, this.toString());
    if (!outcome.ok) return;
    m.addHolding(t, s.id, amount);
    m.recordRead(s.market, r.chain.now);
  }
}

export class SellOption extends Command {
  constructor(
    readonly trader: number,
    readonly series: number,
    /** The share of the holding to sell, in bps; above 10,000 it is more than the trader holds. */
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `sellOption(holding #${this.trader}, ${this.bps} bps of it)`;
  async act(m: Model, r: Real) {
    const [t, index] = pickHolding(m, r, this.trader, this.series);
    const s = m.series[index];
    const at = next(r);
    const [global] = await r.chain.read([v(r, "options", "globalConfig")], "next");
    const g = ok<OptionsGlobal>(global, "globalConfig");
    const held = m.holding(t, s.id);
    const amount = (held * this.bps) / BPS;
    let predicted: Prediction;
    if (amount === 0n) predicted = ["OptionsZeroAmount"];
    else if (m.settled.has(s.id)) predicted = ["OptionsAlreadySettled"];
    else if (at >= s.expiry - g.tradingCutoff) predicted = ["OptionsTradingClosed"];
    else if (m.paused(s.market, Action.SellOption, at)) predicted = ["OptionsPaused"];
    else if (!m.verdict(s.market, at).trusted) predicted = [UNTRUSTED];
    else if (amount > held) predicted = ["ERC1155InsufficientBalance"];
    else predicted = [null];
    const outcome = await send(r, t, r.sys.options, r.at.options, "sell", [s.id, amount, 0n]);
    expectOutcome(m, outcome, predicted, this.toString());
    if (!outcome.ok) return;
    m.addHolding(t, s.id, -amount);
    m.recordRead(s.market, r.chain.now);
    await collectClaims(m, r, outcome);
  }
}

/** INV-SET-1: a series settles once; the settlement is deferred, never mispriced, while no trusted price exists. */
export class SettleSeries extends Command {
  constructor(
    readonly series: number,
    /** Whether the keeper takes the `series`-th expired series still unsettled (else series `series`). */
    readonly expired = false,
  ) {
    super();
  }
  toString = () =>
    this.expired
      ? `settle(expired series #${this.series}, else series ${this.series})`
      : `settle(series ${this.series})`;
  async act(m: Model, r: Real) {
    const s = (this.expired ? pick(due(m, next(r)), this.series) : undefined) ?? m.series[this.series];
    await this.settle(m, r, s);
  }

  /** Settles `s` (a keeper's settlement publishes first, as it would push a Pyth update): predicted and compared. */
  async settle(m: Model, r: Real, s: SeriesSpec) {
    if (this.expired) await publish(m, r, s.market);
    const at = next(r);
    const [recorded] = await r.chain.read([v(r, "options", "expiryPrice", [s.market, s.expiry])], "next");
    const e = ok<{ price: bigint; window: bigint }>(recorded, "expiryPrice");
    const closesAt = s.expiry + e.window;
    const [first] = await r.chain.read(
      [v(r, "aggregator", "firstTrustedPrice", [s.market, s.expiry, min(at, closesAt)])],
      "next",
    );
    const found = ok<[bigint, bigint]>(first, "firstTrustedPrice")[0];
    let predicted: Prediction = [null];
    let settles = false;
    let freshRead = false;
    if (m.settled.has(s.id)) predicted = ["OptionsAlreadySettled"];
    else if (at < s.expiry) predicted = ["OptionsNotExpired"];
    else if (e.price === 0n && found === 0n && at > closesAt) predicted = ["OptionsSettlementWindowClosed"];
    else {
      freshRead = e.price === 0n && found === 0n;
      const priced = !freshRead || m.verdict(s.market, at).trusted;
      settles = priced && !m.paused(s.market, Action.Settle, at);
    }
    const outcome = await send(r, r.keeper, r.sys.options, r.at.options, "settle", [s.id]);
    expectOutcome(m, outcome, predicted, this.toString());
    if (!outcome.ok) return;
    if (freshRead && m.verdict(s.market, r.chain.now).trusted) m.recordRead(s.market, r.chain.now);
    const [after] = await r.chain.read([v(r, "options", "seriesOf", [s.id])], "latest");
    const settled = ok<{ settled: boolean }>(after, "seriesOf").settled;
    if (settled !== settles) {
      throw new Error(`${this.toString()}: the model predicted settled=${settles}, the chain has settled=${settled}`);
    }
    if (settled) m.settled.add(s.id);
    m.count(`settle: ${settled ? "settled" : "deferred"}`);
  }
}

/**
 * An option's whole life as a holder meets it: buy the series that expires first among those still trading, wait
 * until it expires, have a keeper settle it, redeem all of it. Each step is predicted and compared on its own, as
 * its command does; this one only makes sure that purchases meet a settlement and a redemption.
 */
export class OptionLifecycle extends Command {
  readonly movesMarket = true;
  constructor(
    readonly trader: number,
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `optionLifecycle(trader ${this.trader}, ${this.bps} bps of room)`;
  async act(m: Model, r: Real) {
    // Still trading: more than the trading cutoff (an hour) from expiry, with an hour to spare.
    const open = m.series.filter((s) => s.expiry > next(r) + 2n * HOUR && !m.settled.has(s.id));
    const s = open.sort((a, b) => Number(a.expiry - b.expiry))[0];
    if (!s) return;
    const index = m.series.indexOf(s);
    await new BuyOption(this.trader, index, this.bps).act(m, r);
    r.chain.advance(s.expiry - r.chain.now);
    await new SettleSeries(index, true).settle(m, r, s);
    const t = r.traders[this.trader];
    if (m.settled.has(s.id) && m.holding(t, s.id) > 0n)
      await new RedeemOption(this.trader, index, BPS).redeemFrom(m, r, t, s);
  }
}

/** INV-EXIT-1: a settled option can always be redeemed. */
export class RedeemOption extends Command {
  constructor(
    readonly trader: number,
    readonly series: number,
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `redeem(holding #${this.trader}, ${this.bps} bps of it)`;
  async act(m: Model, r: Real) {
    const [t, index] = pickHolding(m, r, this.trader, this.series, true);
    await this.redeemFrom(m, r, t, m.series[index]);
  }

  /** Redeems `bps` of `t`'s holding of `s`: predicted and compared. */
  async redeemFrom(m: Model, r: Real, t: string, s: SeriesSpec) {
    const held = m.holding(t, s.id);
    const amount = (held * this.bps) / BPS;
    let predicted: Prediction;
    if (amount === 0n) predicted = ["OptionsZeroAmount"];
    else if (!m.settled.has(s.id)) predicted = ["OptionsNotSettled"];
    else if (amount > held) predicted = ["ERC1155InsufficientBalance"];
    else predicted = [null];
    const outcome = await send(r, t, r.sys.options, r.at.options, "redeem", [s.id, amount]);
    expectOutcome(m, outcome, predicted, this.toString());
    if (!outcome.ok) return;
    m.addHolding(t, s.id, -amount);
    await collectClaims(m, r, outcome);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Liquidity providers and the outflow limiter
// ---------------------------------------------------------------------------------------------------------------

export class LpDeposit extends Command {
  constructor(
    readonly lp: number,
    readonly dollars: bigint,
  ) {
    super();
  }
  toString = () => `lpDeposit(lp ${this.lp}, $${this.dollars})`;
  async act(m: Model, r: Real) {
    const who = r.lps[this.lp];
    const at = next(r);
    const [state, supply, before] = await r.chain.read(
      [v(r, "pool", "poolState"), v(r, "pool", "totalSupply"), v(r, "pool", "balanceOf", [who])],
      "next",
    );
    const p = ok<PoolState>(state, "poolState");
    const amount = this.dollars * 1_000_000n;
    let predicted: Prediction;
    if (m.paused(GLOBAL, Action.Deposit, at)) predicted = ["LiquidityPoolPaused"];
    else if (!p.trusted) predicted = ["LiquidityPoolPricesUntrusted"];
    else if (p.totalAssets === 0n && ok<bigint>(supply, "totalSupply") !== 0n) predicted = ["LiquidityPoolNoAssets"];
    else if (amount === 0n) predicted = ["LiquidityPoolZeroAmount"];
    else predicted = [null];
    const outcome = await send(r, who, r.sys.pool, r.at.pool, "deposit", [amount, who]);
    expectOutcome(m, outcome, predicted, this.toString());
    if (!outcome.ok) return;
    // INV-RT-3: the shares just minted are worth no more than was paid for them.
    const [after] = await r.chain.read([v(r, "pool", "balanceOf", [who])], "latest");
    const minted = ok<bigint>(after, "balanceOf") - ok<bigint>(before, "balanceOf");
    const [worth] = await r.chain.read([v(r, "pool", "previewRedeem", [minted])], "latest");
    if (ok<bigint>(worth, "previewRedeem") > amount) {
      throw new Error(`INV-RT-3: ${minted} shares bought for ${amount} redeem for ${String(worth.ok && worth.value)}`);
    }
  }
}

export class LpRedeem extends Command {
  constructor(
    readonly lp: number,
    /** The share of the LP's free shares to redeem, in bps; above 10,000 it reaches shares still locked. */
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `lpRedeem(lp ${this.lp}, ${this.bps} bps of free shares)`;
  async act(m: Model, r: Real) {
    const who = r.lps[this.lp];
    const at = next(r);
    const [state, freeShares, locks, limits] = await r.chain.read(
      [
        v(r, "pool", "poolState"),
        v(r, "pool", "freeShares", [who]),
        v(r, "pool", "lockedShares", [who]),
        v(r, "limiter", "limits"),
      ],
      "next",
    );
    const p = ok<PoolState>(state, "poolState");
    const free = ok<bigint>(freeShares, "freeShares");
    const shares = (free * this.bps) / BPS;
    const [preview] = await r.chain.read([v(r, "pool", "previewRedeem", [shares])], "next");
    const predicted = ((): Prediction => {
      if (m.paused(GLOBAL, Action.Withdraw, at)) return ["LiquidityPoolPaused"];
      if (!p.trusted) return ["LiquidityPoolPricesUntrusted"];
      const assets = ok<bigint>(preview, "previewRedeem");
      if (p.queuedShares !== 0n) return ["LiquidityPoolRedeemQueueWaiting"];
      if (assets > p.withdrawable) return ["LiquidityPoolInsufficientLiquidity"];
      if (assets === 0n || shares === 0n) return ["LiquidityPoolZeroAmount"];
      if (shares > free) {
        const unlockAt = ok<[bigint, bigint]>(locks, "lockedShares")[1];
        return [unlockAt > at ? "LiquidityPoolSharesLocked" : "ERC20InsufficientBalance"];
      }
      if (assets > ok<{ available: bigint }>(limits, "limits").available) return ["OutflowLimiterExceeded"];
      return [null];
    })();
    const outcome = await send(r, who, r.sys.pool, r.at.pool, "redeem", [shares, who, who]);
    expectOutcome(m, outcome, predicted, this.toString());
  }
}

export class LpRequestRedeem extends Command {
  constructor(
    readonly lp: number,
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `lpRequestRedeem(lp ${this.lp}, ${this.bps} bps of free shares)`;
  async act(m: Model, r: Real) {
    const who = r.lps[this.lp];
    const at = next(r);
    const [freeShares, locks] = await r.chain.read(
      [v(r, "pool", "freeShares", [who]), v(r, "pool", "lockedShares", [who])],
      "next",
    );
    const free = ok<bigint>(freeShares, "freeShares");
    const shares = (free * this.bps) / BPS;
    let predicted: Prediction;
    if (shares === 0n) predicted = ["LiquidityPoolZeroAmount"];
    else if (shares > free) {
      const unlockAt = ok<[bigint, bigint]>(locks, "lockedShares")[1];
      predicted = [unlockAt > at ? "LiquidityPoolSharesLocked" : "ERC20InsufficientBalance"];
    } else predicted = [null];
    const outcome = await send(r, who, r.sys.pool, r.at.pool, "requestRedeem", [shares, who]);
    expectOutcome(m, outcome, predicted, this.toString());
    await collectClaims(m, r, outcome);
  }
}

export class ServeRedeemQueue extends Command {
  toString = () => "serveRedeemRequests(5)";
  async act(m: Model, r: Real) {
    const at = next(r);
    const [state] = await r.chain.read([v(r, "pool", "poolState")], "next");
    let predicted: Prediction;
    if (m.paused(GLOBAL, Action.Withdraw, at)) predicted = ["LiquidityPoolPaused"];
    else if (!ok<PoolState>(state, "poolState").trusted) predicted = ["LiquidityPoolPricesUntrusted"];
    else predicted = [null];
    const outcome = await send(r, r.keeper, r.sys.pool, r.at.pool, "serveRedeemRequests", [5n]);
    expectOutcome(m, outcome, predicted, this.toString());
    await collectClaims(m, r, outcome);
  }
}

export class ClaimOutflow extends Command {
  constructor(readonly pick: number) {
    super();
  }
  check = (m: Readonly<Model>) => m.claims.size > 0;
  toString = () => `claim(queued claim #${this.pick})`;
  async act(m: Model, r: Real) {
    const ids = [...m.claims];
    const id = ids[this.pick % ids.length];
    const at = next(r);
    const [claim, claimable, delay] = await r.chain.read(
      [
        v(r, "limiter", "claimOf", [id]),
        v(r, "limiter", "claimable", [id]),
        v(r, "limiter", "parameter", [GLOBAL, ethers.encodeBytes32String("maxClaimDelay")]),
      ],
      "next",
    );
    const c = ok<{ recipient: string; queuedAt: bigint }>(claim, "claimOf");
    let predicted: Prediction;
    if (m.paused(GLOBAL, Action.Withdraw, at)) predicted = ["OutflowLimiterPaused"];
    else if (c.recipient === ethers.ZeroAddress) predicted = ["OutflowLimiterUnknownClaim"];
    else if (at >= c.queuedAt + ok<bigint>(delay, "parameter")) predicted = [null];
    else if (ok<bigint>(claimable, "claimable") === 0n) predicted = ["OutflowLimiterNotYetClaimable"];
    else predicted = [null];
    const outcome = await send(r, r.keeper, r.sys.limiter, r.at.limiter, "claim", [id]);
    expectOutcome(m, outcome, predicted, this.toString());
    const [after] = await r.chain.read([v(r, "limiter", "claimOf", [id])], "latest");
    if (ok<{ recipient: string }>(after, "claimOf").recipient === ethers.ZeroAddress) m.claims.delete(id);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Prices and time
// ---------------------------------------------------------------------------------------------------------------

/** 18-decimal USD rounded down to the feeds' 8 decimals. */
const to8 = (price: bigint) => price / 10n ** 10n;

/** The price source `index` of `market` would publish now, by its health. */
function published(m: Model, market: string, index: number): bigint {
  const target = m.target.get(market)!;
  const base = m.health.get(market)![index] === "off" ? (target * 105n) / 100n : target;
  // The BTC feeds sit one 8-decimal unit apart, as `listChainlinkMarket` lists them.
  return (to8(base) + (market === MARKETS[1] ? BigInt(index) : 0n)) * 10n ** 10n;
}

/** Has source `index` of `market` publish `published(...)` in its own transaction, and records it in the model. */
async function push(m: Model, r: Real, market: string, index: number): Promise<void> {
  const price = published(m, market, index);
  const s = r.sys;
  let outcome: Outcome;
  if (market === MARKETS[1]) {
    const feed = s.btcFeeds[index];
    outcome = await send(r, r.deployer, feed, await feed.getAddress(), "updateAnswer", [to8(price)]);
  } else if (index === 0) {
    outcome = await send(r, r.deployer, s.feed8, await s.feed8.getAddress(), "updateAnswer", [to8(price)]);
  } else if (index === 1) {
    outcome = await send(r, r.deployer, s.feed18, await s.feed18.getAddress(), "updateAnswer", [price]);
  } else {
    const update = await pythUpdate8(s.pyth, to8(price), { publishTime: r.chain.now + 1n });
    outcome = await send(r, r.deployer, s.pythAdapter, await s.pythAdapter.getAddress(), "update", [update], PYTH_FEE);
  }
  if (!outcome.ok) throw new Error(`a price update of ${name(market)} source ${index} reverted: ${outcome.error}`);
  const source = m.oracles.get(market)!.sources[index];
  source.price = price;
  source.updatedAt = r.chain.now;
}

/** Every source of `market` that is not stuck publishes again. */
async function publish(m: Model, r: Real, market: string): Promise<void> {
  const health = m.health.get(market)!;
  for (let i = 0; i < health.length; i++) if (health[i] !== "stuck") await push(m, r, market, i);
}

/** A poke: the aggregator re-reads and records the market's state (never reverts). */
async function poke(m: Model, r: Real, market: string): Promise<void> {
  const outcome = await send(r, r.keeper, r.sys.aggregator, r.at.aggregator, "poke", [market]);
  expectOutcome(m, outcome, [null], `poke(${name(market)})`);
  m.recordRead(market, r.chain.now);
}

const BOUNDS: Record<string, [bigint, bigint]> = {
  "ETH-USD": [1_000n * WAD, 9_000n * WAD],
  "BTC-USD": [20_000n * WAD, 95_000n * WAD],
};

export class MovePrice extends Command {
  readonly movesMarket = true;
  constructor(
    readonly market: number,
    /** The move in bps of the current price: small moves, or jumps that trip the breaker. */
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `movePrice(${name(MARKETS[this.market])}, ${this.bps} bps)`;
  async act(m: Model, r: Real) {
    const market = MARKETS[this.market];
    const [low, high] = BOUNDS[name(market)];
    const moved = (m.target.get(market)! * (BPS + this.bps)) / BPS;
    m.target.set(market, max(low, min(high, moved)));
    await publish(m, r, market);
    await poke(m, r, market);
  }
}

/**
 * Moves against the `k`-th open position (up by `bps` for a short, down for a long), up to three times until its
 * account is liquidatable, so that leveraged positions meet the losses keepers exist for; a plain `MovePrice` when
 * nothing is open.
 */
export class AdverseMove extends Command {
  readonly movesMarket = true;
  constructor(
    readonly k: number,
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `adverseMove(position #${this.k}, ${this.bps} bps, until liquidatable)`;
  async act(m: Model, r: Real) {
    const [t, market] = pickPosition(m, r, this.k, this.k % MARKETS.length);
    const against = m.position(t, market) > 0n ? -this.bps : this.bps;
    for (let i = 0; i < 3; i++) {
      await new MovePrice(MARKETS.indexOf(market), against).act(m, r);
      if (m.position(t, market) === 0n) return;
      const [health] = await r.chain.read([v(r, "lens", "healthOf", [[t]])], "latest");
      if (ok<AccountHealth[]>(health, "healthOf")[0].health.liquidatable) {
        m.count("adverseMove: liquidatable");
        return;
      }
    }
    m.count("adverseMove: not liquidatable");
  }
}

export class BreakSource extends Command {
  readonly movesMarket = true;
  constructor(
    readonly market: number,
    readonly source: number,
    /** "stuck": stops publishing (and goes stale); "off": publishes 5 % away from the others. */
    readonly kind: "stuck" | "off",
  ) {
    super();
  }
  toString = () => `breakSource(${name(MARKETS[this.market])}, source ${this.source}, ${this.kind})`;
  async act(m: Model, r: Real) {
    const market = MARKETS[this.market];
    m.health.get(market)![this.source] = this.kind;
    if (this.kind === "off") await push(m, r, market, this.source);
    await poke(m, r, market);
  }
}

export class HealSource extends Command {
  readonly movesMarket = true;
  constructor(
    readonly market: number,
    readonly source: number,
  ) {
    super();
  }
  toString = () => `healSource(${name(MARKETS[this.market])}, source ${this.source})`;
  async act(m: Model, r: Real) {
    const market = MARKETS[this.market];
    m.health.get(market)![this.source] = "ok";
    await push(m, r, market, this.source);
    await poke(m, r, market);
  }
}

export class Wait extends Command {
  readonly movesMarket = true;
  constructor(readonly seconds: bigint) {
    super();
  }
  toString = () => `wait(${this.seconds} s)`;
  async act(m: Model, r: Real) {
    r.chain.advance(this.seconds);
    await r.chain.mine();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Governance and the guardian
// ---------------------------------------------------------------------------------------------------------------

/**
 * Schedules `data` on `target` through the timelock and waits the delay; the returned function executes it (its
 * outcome is predicted at `next(r)` in between).
 */
async function schedule(r: Real, target: string, data: string): Promise<() => Promise<Outcome>> {
  const timelock = r.sys.timelock;
  // Unique per operation and the same on every replay.
  const salt = ethers.zeroPadValue(ethers.toBeHex(r.chain.now), 32);
  const args = [target, 0n, data, ethers.ZeroHash, salt];
  const scheduled = await send(r, r.governor, timelock, r.at.timelock, "schedule", [...args, r.delay]);
  if (!scheduled.ok) throw new Error(`scheduling through the timelock reverted: ${scheduled.error}`);
  r.chain.advance(r.delay);
  return () => send(r, r.governor, timelock, r.at.timelock, "execute", args);
}

export class GovernPause extends Command {
  constructor(
    readonly scope: string,
    readonly actions: bigint,
    readonly unpause: boolean,
  ) {
    super();
  }
  toString = () =>
    this.unpause
      ? `govern unpause(what is paused of mask ${this.actions} in ${scopeName(this.scope)} or another paused scope)`
      : `govern confirmPause(${scopeName(this.scope)}, mask ${this.actions})`;
  async act(m: Model, r: Real) {
    m.pauses.now = next(r);
    // Governance lifts what is paused, else pauses pile up until nothing can trade or be liquidated: in the drawn
    // scope if anything is paused there, else in the first scope where something is; the drawn mask only when
    // nothing is paused anywhere, for the refusal.
    const active = (scope: string) => m.pauses.active(m.pauses.scope(scope));
    const scope = this.unpause ? ([this.scope, ...SCOPES].find((s) => active(s) !== 0n) ?? this.scope) : this.scope;
    const actions = this.unpause && active(scope) !== 0n ? this.actions & active(scope) || active(scope) : this.actions;
    const fn = this.unpause ? "unpause" : "confirmPause";
    const registry = r.sys.pauseRegistry.interface as Interface;
    const data = registry.encodeFunctionData(fn, [scope, actions, "invariant suite"]);
    const execute = await schedule(r, r.at.registry, data);
    m.pauses.now = next(r);
    const predicted = this.unpause ? m.pauses.predictUnpause(scope, actions) : m.pauses.predictConfirm(scope, actions);
    const outcome = await execute();
    expectOutcome(m, outcome, [predicted], this.toString());
    if (!outcome.ok) return;
    if (this.unpause) m.pauses.applyUnpause(scope, actions);
    else m.pauses.applyConfirm(scope, actions);
  }
}

export class GuardianPause extends Command {
  constructor(
    readonly scope: string,
    readonly actions: bigint,
  ) {
    super();
  }
  toString = () => `guardian pause(${scopeName(this.scope)}, mask ${this.actions})`;
  async act(m: Model, r: Real) {
    m.pauses.now = next(r);
    const predicted = m.pauses.predictPause(this.scope, this.actions);
    const outcome = await send(r, r.guardian, r.sys.pauseRegistry, r.at.registry, "pause", [
      this.scope,
      this.actions,
      "invariant suite",
    ]);
    expectOutcome(m, outcome, [predicted], this.toString());
    if (outcome.ok) m.pauses.applyPause(this.scope, this.actions);
  }
}

/** A bounded parameter the suite changes: its module, scope and key. */
export interface Governed {
  module: "markets" | "pool" | "options" | "limiter";
  scope: string;
  key: string;
}

const parameterName = (p: Governed) => `${p.module}, ${scopeName(p.scope)}, ${p.key}`;

export class GovernParameter extends Command {
  readonly movesMarket = true;
  constructor(
    readonly p: Governed,
    /** Where in `[min, max]` the new value lies, in bps; above 10,000 it is out of bounds. */
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `govern setParameter(${parameterName(this.p)}, ${this.bps} bps of range)`;
  async act(m: Model, r: Real) {
    const key = ethers.encodeBytes32String(this.p.key);
    const [spec] = await r.chain.read([v(r, this.p.module, "parameterSpec", [key])], "latest");
    const s = ok<{ min: bigint; max: bigint }>(spec, "parameterSpec");
    const value = s.min + ((s.max - s.min) * this.bps) / BPS + (this.bps > BPS ? 1n : 0n);
    const data = r.sys[this.p.module].interface.encodeFunctionData("setParameter", [this.p.scope, key, value]);
    const outcome = await (await schedule(r, r.at[this.p.module], data))();
    expectOutcome(m, outcome, [value > s.max ? "ParameterOutOfBounds" : null], this.toString());
  }
}

/** INV-GOV-1: the guardian may only tighten a parameter that allows it, never loosen one. */
export class GuardianTighten extends Command {
  readonly movesMarket = true;
  constructor(
    readonly p: Governed,
    /** The proposed value as bps of the current one (10,000: unchanged). */
    readonly bps: bigint,
  ) {
    super();
  }
  toString = () => `guardian tightenParameter(${parameterName(this.p)}, ${this.bps} bps of current)`;
  async act(m: Model, r: Real) {
    const key = ethers.encodeBytes32String(this.p.key);
    const [spec, current] = await r.chain.read(
      [v(r, this.p.module, "parameterSpec", [key]), v(r, this.p.module, "parameter", [this.p.scope, key])],
      "latest",
    );
    const s = ok<{ min: bigint; max: bigint; tightening: bigint }>(spec, "parameterSpec");
    const now = ok<bigint>(current, "parameter");
    const value = (now * this.bps) / BPS;
    let predicted: string | null;
    const tightening = Number(s.tightening);
    if (tightening === 0) predicted = "ParameterNotGuardianAdjustable";
    else if (tightening === 1 ? !(value < now) : !(value > now)) predicted = "ParameterNotTightening";
    else if (value < s.min || value > s.max) predicted = "ParameterOutOfBounds";
    else predicted = null;
    const outcome = await send(r, r.guardian, r.sys[this.p.module], r.at[this.p.module], "tightenParameter", [
      this.p.scope,
      key,
      value,
      "invariant suite",
    ]);
    expectOutcome(m, outcome, [predicted], this.toString());
  }
}

/** INV-GOV-1: what the guardian must never manage (GOV-2, CB-2): unpause, use governance's path, move funds. */
export class GuardianOverreach extends Command {
  constructor(readonly attempt: number) {
    super();
  }
  toString = () => `guardian overreach #${this.attempt}`;
  async act(m: Model, r: Real) {
    const g = r.guardian;
    const attempts: [() => Promise<Outcome>, string][] = [
      [
        () => send(r, g, r.sys.pauseRegistry, r.at.registry, "unpause", [GLOBAL, mask(Action.Withdraw), "x"]),
        "AccessManagedUnauthorized",
      ],
      [
        () =>
          send(r, g, r.sys.pool, r.at.pool, "setParameter", [GLOBAL, ethers.encodeBytes32String("withdrawFeeBps"), 0n]),
        "AccessManagedUnauthorized",
      ],
      [() => send(r, g, r.sys.pool, r.at.pool, "pay", [g, 1n]), "LiquidityPoolNotModule"],
      [
        () => send(r, g, r.sys.accounts, r.at.accounts, "transferMargin", [r.traders[0], g, 1n]),
        "MarginAccountsNotEngine",
      ],
      [() => send(r, g, r.sys.limiter, r.at.limiter, "setExit", [g, true]), "AccessManagedUnauthorized"],
    ];
    const [attempt, error] = attempts[this.attempt % attempts.length];
    expectOutcome(m, await attempt(), [error], this.toString());
  }
}

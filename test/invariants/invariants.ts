/**
 * The global invariants (INVARIANTS.md), checked after every command of the model-based suite from one batched
 * read of the whole protocol. Each check names its ID, so a failure points at the line of INVARIANTS.md it breaks.
 */
import { ethers } from "hardhat";
import type { ILiquidityPool } from "../../typechain-types/contracts/interfaces/ILiquidityPool";
import type { IOptionsEngine } from "../../typechain-types/contracts/interfaces/IOptionsEngine";
import type { IOutflowLimiter } from "../../typechain-types/contracts/interfaces/IOutflowLimiter";
import type { IPerpsEngine } from "../../typechain-types/contracts/interfaces/IPerpsEngine";
import type { IPriceAggregator } from "../../typechain-types/contracts/interfaces/IPriceAggregator";
import type { PerpsLens } from "../../typechain-types/contracts/perps/PerpsLens";
import { GLOBAL } from "../helpers/fixtures";
import { SCOPES } from "../helpers/pause-model";
import { fundingOwed } from "../helpers/perps-math";
import type { Command } from "./commands";
import { abs, ceilDiv, MARKETS, min, type Model, USD_SCALE, WAD } from "./model";
import { ok, type Real, v } from "./real";
import type { View } from "./system";

/** The bounded parameters the suite governs, and whose bounds INV-PARAM-1 checks after every command. */
export const GOVERNED = [
  ...MARKETS.flatMap((scope) =>
    ["takerFeeBps", "makerFeeBps", "maintenanceMarginBps", "maxLeverage", "liquidationStep", "reserveBps"].map(
      (key) => ({ module: "markets" as const, scope, key }),
    ),
  ),
  ...["minOrderDelay", "orderWindow", "liquidationWindow", "cancelChargeBps", "minKeeperFee"].map((key) => ({
    module: "markets" as const,
    scope: GLOBAL,
    key,
  })),
  { module: "pool" as const, scope: GLOBAL, key: "withdrawFeeBps" },
  { module: "pool" as const, scope: GLOBAL, key: "minHoldingTime" },
  { module: "options" as const, scope: GLOBAL, key: "spreadBps" },
  { module: "options" as const, scope: GLOBAL, key: "feeBps" },
  { module: "options" as const, scope: GLOBAL, key: "maxUtilisationBps" },
  { module: "limiter" as const, scope: GLOBAL, key: "maxOutflowBps" },
];

/** What the invariants keep between checks: values compared with their last (monotonic ones), and constants. */
export interface Memory {
  /** The governed parameters' bounds (pure views, read once per run). */
  bounds?: { min: bigint; max: bigint }[];
  lastFundingAt: bigint[];
  windowStart: bigint[];
  expiryPrices: Map<bigint, bigint>;
  health: Map<string, { equity: bigint; maintenanceMargin: bigint; trusted: boolean }>;
}

function fail(id: string, message: string): never {
  throw new Error(`${id} broken: ${message}`);
}

function check(condition: boolean, id: string, message: () => string): void {
  if (!condition) fail(id, message());
}

export async function checkInvariants(m: Model, r: Real, cmd: Command): Promise<void> {
  const traders = r.traders;
  const claims = [...m.claims];
  const views: View[] = [
    v(r, "usdc", "balanceOf", [r.at.accounts]),
    v(r, "accounts", "totalCollateral"),
    v(r, "usdc", "balanceOf", [r.at.pool]),
    v(r, "pool", "poolState"),
    v(r, "usdc", "balanceOf", [r.at.limiter]),
    v(r, "usdc", "balanceOf", [r.at.engine]),
    v(r, "usdc", "balanceOf", [r.at.options]),
    v(r, "accounts", "collateralOf", [r.at.engine]),
    v(r, "engine", "held"),
    v(r, "options", "lockedAssets"),
    v(r, "pool", "moduleOf", [r.at.options]),
    v(r, "options", "balanceOfBatch", [
      m.series.flatMap(() => traders),
      m.series.flatMap((s) => traders.map(() => s.id)),
    ]),
    v(r, "lens", "healthOf", [traders]),
    ...MARKETS.map((mk) => v(r, "engine", "marketState", [mk])),
    ...MARKETS.map((mk) => v(r, "aggregator", "status", [mk])),
    ...SCOPES.map((s) => v(r, "registry", "pausedActions", [s])),
    ...traders.flatMap((t) => MARKETS.map((mk) => v(r, "engine", "positionOf", [t, mk]))),
    ...traders.map((t) => v(r, "engine", "orderOf", [t])),
    ...m.series.map((s) => v(r, "options", "seriesOf", [s.id])),
    ...m.series.map((s) => v(r, "options", "expiryPrice", [s.market, s.expiry])),
    ...claims.map((id) => v(r, "limiter", "claimOf", [id])),
    ...GOVERNED.map((p) => v(r, p.module, "parameter", [p.scope, ethers.encodeBytes32String(p.key)])),
    ...(r.memory.bounds
      ? []
      : GOVERNED.map((p) => v(r, p.module, "parameterSpec", [ethers.encodeBytes32String(p.key)]))),
  ];
  const results = await r.chain.read(views, "latest");
  let i = 0;
  const take = <T>(what: string): T => ok<T>(results[i++], what);
  const takeMany = <T>(n: number, what: string): T[] => Array.from({ length: n }, () => take<T>(what));

  const accountsBalance = take<bigint>("balanceOf(accounts)");
  const totalCollateral = take<bigint>("totalCollateral");
  const poolBalance = take<bigint>("balanceOf(pool)");
  const pool = take<ILiquidityPool.PoolStateStructOutput>("poolState");
  const limiterBalance = take<bigint>("balanceOf(limiter)");
  const engineBalance = take<bigint>("balanceOf(engine)");
  const optionsBalance = take<bigint>("balanceOf(options)");
  const engineMargin = take<bigint>("collateralOf(engine)");
  const held = take<[bigint, bigint, bigint, bigint, bigint]>("held");
  const locked = take<bigint>("lockedAssets");
  const optionsModule = take<{ locked: bigint }>("moduleOf(options)");
  const balances = take<bigint[]>("balanceOfBatch");
  const healths = take<PerpsLens.AccountHealthStructOutput[]>("healthOf");
  const states = takeMany<IPerpsEngine.MarketStateStructOutput>(MARKETS.length, "marketState");
  const statuses = takeMany<IPriceAggregator.StatusStructOutput>(MARKETS.length, "status");
  const paused = takeMany<bigint>(SCOPES.length, "pausedActions");
  const positions = takeMany<IPerpsEngine.PositionStructOutput>(traders.length * MARKETS.length, "positionOf");
  const orders = takeMany<IPerpsEngine.OrderStructOutput>(traders.length, "orderOf");
  const series = takeMany<IOptionsEngine.SeriesStructOutput>(m.series.length, "seriesOf");
  const expiryPrices = takeMany<IOptionsEngine.ExpiryPriceStructOutput>(m.series.length, "expiryPrice");
  const claimed = takeMany<IOutflowLimiter.ClaimStructOutput>(claims.length, "claimOf");
  const values = takeMany<bigint>(GOVERNED.length, "parameter");
  const specs = (r.memory.bounds ??= takeMany<{ min: bigint; max: bigint }>(GOVERNED.length, "parameterSpec"));
  m.stats.invariantChecks++;

  // INV-SOLV-1 … 4: every token the protocol holds is owed to someone, and every obligation is backed.
  check(
    accountsBalance === totalCollateral,
    "INV-SOLV-1",
    () => `accounts hold ${accountsBalance}, owe ${totalCollateral}`,
  );
  check(
    poolBalance === pool.cash + pool.insurance,
    "INV-SOLV-2",
    () => `pool holds ${poolBalance}, books cash ${pool.cash} + insurance ${pool.insurance}`,
  );
  const queued = claimed.reduce((sum, c) => sum + (c.recipient === ethers.ZeroAddress ? 0n : c.end - c.next), 0n);
  check(limiterBalance === queued, "INV-SOLV-3", () => `limiter holds ${limiterBalance}, owes claims ${queued}`);
  const [escrow, pending, insuranceHeld] = held;
  check(
    engineBalance === 0n && optionsBalance === 0n && engineMargin === escrow + pending + insuranceHeld,
    "INV-SOLV-4",
    () => `engines hold ${engineBalance}/${optionsBalance}; perps margin ${engineMargin} vs held ${held}`,
  );

  // INV-OPT-1: the pool's lock for the options covers what they can still pay, and is part of its cash.
  let owed = 0n;
  m.series.forEach((s, k) => {
    const perUnit = series[k].settled ? series[k].payoff : s.maxPayoff;
    owed += ceilDiv(series[k].openInterest * perUnit, WAD * USD_SCALE);
  });
  check(
    locked === optionsModule.locked && locked >= owed && pool.cash >= pool.locked && pool.locked >= locked,
    "INV-OPT-1",
    () =>
      `options locked ${locked} (pool: ${optionsModule.locked}, total ${pool.locked}, cash ${pool.cash}), owed ${owed}`,
  );
  // INV-OPT-2: open interest is what holders hold, as the model counts it.
  m.series.forEach((s, k) => {
    const sum = traders.reduce((acc, _, j) => acc + balances[k * traders.length + j], 0n);
    check(
      sum === series[k].openInterest,
      "INV-OPT-2",
      () => `series ${k}: holders ${sum}, OI ${series[k].openInterest}`,
    );
    traders.forEach((t, j) =>
      check(balances[k * traders.length + j] === m.holding(t, s.id), "INV-MODEL-1", () => `series ${k} holder ${j}`),
    );
    check(series[k].settled === m.settled.has(s.id), "INV-MODEL-1", () => `series ${k} settled flag`);
  });
  // INV-SET-1: a settlement price is recorded once and never moves; the payoff follows from it and its cap.
  m.series.forEach((s, k) => {
    const price = expiryPrices[k].price;
    const before = r.memory.expiryPrices.get(s.id);
    check(before === undefined || before === price, "INV-SET-1", () => `series ${k}: ${before} then ${price}`);
    if (price !== 0n) r.memory.expiryPrices.set(s.id, price);
    if (series[k].settled) {
      const intrinsic = s.isCall
        ? price > s.strike
          ? price - s.strike
          : 0n
        : price < s.strike
          ? s.strike - price
          : 0n;
      const expected = min(intrinsic, s.maxPayoff);
      check(
        series[k].payoff === expected,
        "INV-SET-1",
        () => `series ${k}: payoff ${series[k].payoff}, expected ${expected}`,
      );
    }
  });

  // INV-OI-1, INV-FUND-1, INV-IDX-1 per market.
  MARKETS.forEach((market, k) => {
    const s = states[k];
    let long = 0n;
    let short = 0n;
    let owedByPositions = 0n;
    let correction = 0n;
    traders.forEach((t, j) => {
      const p = positions[j * MARKETS.length + k];
      check(
        p.size === m.position(t, market),
        "INV-MODEL-1",
        () => `trader ${j} ${market}: ${p.size} vs model ${m.position(t, market)}`,
      );
      if (p.size > 0n) long += p.size;
      else short -= p.size;
      owedByPositions += fundingOwed(p.size, p.entryFundingIndex, s.fundingIndex);
      correction += p.size * (p.entryPrice - p.entryFundingIndex);
    });
    check(
      long === s.longOpenInterest && short === s.shortOpenInterest,
      "INV-OI-1",
      () => `market ${k}: positions ${long}/${short}, OI ${s.longOpenInterest}/${s.shortOpenInterest}`,
    );
    // Funding conservation: what the positions owe (each rounded against its trader) is the market's aggregate, to
    // within one unit of rounding per position; and the aggregate the pool is valued with matches the positions.
    const aggregate =
      (long - short) * s.fundingIndex -
      traders.reduce((acc, _, j) => {
        const p = positions[j * MARKETS.length + k];
        return acc + p.size * p.entryFundingIndex;
      }, 0n);
    const n = BigInt(traders.length);
    check(
      owedByPositions * WAD >= aggregate && owedByPositions * WAD - aggregate < n * WAD,
      "INV-FUND-1",
      () => `market ${k}: positions owe ${owedByPositions}, aggregate ${aggregate}`,
    );
    check(
      abs(s.debtCorrection * WAD - correction) <= n * WAD,
      "INV-FUND-1",
      () => `market ${k}: debtCorrection ${s.debtCorrection}, positions ${correction / WAD}`,
    );
    const prevFunding = r.memory.lastFundingAt[k];
    const prevWindow = r.memory.windowStart[k];
    check(
      s.lastFundingAt >= prevFunding && s.lastFundingAt <= r.chain.now && s.liquidationWindowStart >= prevWindow,
      "INV-IDX-1",
      () =>
        `market ${k}: lastFundingAt ${prevFunding} → ${s.lastFundingAt}, window ${prevWindow} → ${s.liquidationWindowStart}`,
    );
    r.memory.lastFundingAt[k] = s.lastFundingAt;
    r.memory.windowStart[k] = s.liquidationWindowStart;

    // INV-ORC-1: the aggregator's verdict is the model's (quorum, divergence, staleness, jump breaker).
    const verdict = m.verdict(market, r.chain.now);
    check(
      (statuses[k].state === 0n) === verdict.trusted && Number(statuses[k].reason) === verdict.reason,
      "INV-ORC-1",
      () =>
        `market ${k}: aggregator state ${statuses[k].state} reason ${statuses[k].reason}, model ${verdict.trusted} ${verdict.reason}`,
    );
  });

  // INV-MODEL-1: pending orders are the model's.
  traders.forEach((t, j) => {
    const order = m.orders.get(t);
    check(
      (orders[j].committedAt !== 0n) === (order !== undefined) && (!order || orders[j].sizeDelta === order.sizeDelta),
      "INV-MODEL-1",
      () => `trader ${j}: order ${orders[j].sizeDelta}@${orders[j].committedAt}, model ${order?.sizeDelta}`,
    );
  });

  // INV-PAUSE-1: every module sees the pauses the model (the registry's specification) says are in force.
  m.pauses.now = r.chain.now;
  SCOPES.forEach((scope, k) =>
    check(
      paused[k] === m.pauses.paused(scope),
      "INV-PAUSE-1",
      () => `scope ${k}: ${paused[k]} vs ${m.pauses.paused(scope)}`,
    ),
  );

  // INV-PARAM-1: every governed parameter within its bounds.
  GOVERNED.forEach((p, k) =>
    check(
      values[k] >= specs[k].min && values[k] <= specs[k].max,
      "INV-PARAM-1",
      () => `${p.module} ${p.key} = ${values[k]} outside [${specs[k].min}, ${specs[k].max}]`,
    ),
  );

  // INV-HEALTH-1: without a price move, time passing or a parameter change, no action makes a healthy account
  // unhealthy. "Healthy" before means above its maintenance margin by more than 0.1 %, valued at trusted prices
  // before and after: while a market is untrusted its positions are valued at the last good price, and a reduce
  // fills at the worst valid price (AGG-4), which may realise a loss that stale valuation did not show.
  const trusted = new Set(MARKETS.filter((_, k) => statuses[k].state === 0n));
  healths.forEach((h, j) => {
    const before = r.memory.health.get(traders[j]);
    const { equity, maintenanceMargin } = h.health;
    const valued = MARKETS.every((mk, k) => trusted.has(mk) || positions[j * MARKETS.length + k].size === 0n);
    if (!cmd.movesMarket && before?.trusted && valued && before.maintenanceMargin > 0n && maintenanceMargin > 0n) {
      const wasHealthy = before.equity * 1000n > before.maintenanceMargin * 1001n;
      check(
        !wasHealthy || equity >= maintenanceMargin,
        "INV-HEALTH-1",
        () =>
          `trader ${j}: equity ${before.equity} ≥ MM ${before.maintenanceMargin}, then ${equity} < ${maintenanceMargin}`,
      );
    }
    r.memory.health.set(traders[j], { equity, maintenanceMargin, trusted: valued });
  });
  await r.extraInvariant?.(m, r);
}

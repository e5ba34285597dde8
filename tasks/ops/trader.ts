/**
 * Trader tasks (SPEC OPS-3, §1 trader): margin in and out, two-step orders, atomic closes, options, claims and an
 * account's status. Every argument is checked before a transaction is sent.
 */
import { types } from "hardhat/config";
import { claimAll } from "./claims";
import {
  type CommonArgs,
  type Ctx,
  accountOf,
  chainTime,
  collateral,
  context,
  ensureAllowance,
  findEvent,
  liveSeries,
  opsTask,
  printBlock,
  requireBalance,
  requirePerpsMarket,
} from "./common";
import { OpsError, read, send } from "./errors";
import { name32, units, usd, when } from "./format";
import { parseAmount, parseBps, parseSeriesId, parseSignedAmount, withSlippage } from "./parse";

const WAD_DECIMALS = 18;
/** `IPriceAggregator.Bias`: a seller takes the low side, a buyer the high side. */
const BIAS_LOW = 0;
const BIAS_HIGH = 1;

interface AmountArgs extends CommonArgs {
  amount: string;
  account?: string;
}

opsTask("trader:deposit", "Deposits margin (collateral, e.g. --amount 1000) into a margin account; approves if needed")
  .addParam("amount", "Collateral amount in dollars, e.g. 1000 or 12.5", undefined, types.string)
  .addOptionalParam("account", "The account credited (default: the signer)", undefined, types.string)
  .setAction(async (args: AmountArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    const amount = parseAmount(args.amount, token.decimals, "--amount");
    const account = accountOf(ctx, args.account);
    await requireBalance(ctx, token, amount, "the deposit");
    await ensureAllowance(ctx, token, ctx.d.accounts, amount);
    await send(hre, "deposit", () => ctx.d.accounts.connect(ctx.signer).deposit(account, amount));
    const held = await ctx.d.accounts.collateralOf(account);
    console.log(`trader:deposit: ${account} now holds ${token.format(held)} of margin`);
  });

interface WithdrawArgs extends CommonArgs {
  amount: string;
  to?: string;
}

opsTask("trader:withdraw", "Withdraws free margin (--amount 100, or --amount all) to the wallet")
  .addParam("amount", "Collateral amount in dollars, or 'all' for everything withdrawable now", undefined, types.string)
  .addOptionalParam("to", "Receiver (default: the signer)", undefined, types.string)
  .setAction(async (args: WithdrawArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    const { withdrawable } = await ctx.d.accounts.accountState(ctx.me);
    const all = args.amount.trim().toLowerCase() === "all";
    const amount = all ? withdrawable : parseAmount(args.amount, token.decimals, "--amount");
    if (amount === 0n || amount > withdrawable) {
      throw new OpsError(
        `${ctx.me} can withdraw at most ${token.format(withdrawable)} now ` +
          `(equity must stay at or above the initial margin of its positions)`,
      );
    }
    const receiver = accountOf(ctx, args.to, "--to");
    const receipt = await send(hre, "withdraw", () => ctx.d.accounts.connect(ctx.signer).withdraw(amount, receiver));
    const ev = await findEvent(receipt, ctx.d.accounts, "MarginWithdrawn");
    const paidNow = (ev?.paidNow as bigint | undefined) ?? amount;
    console.log(`trader:withdraw: ${token.format(paidNow)} paid to ${receiver}`);
    if (ev && ev.claimId !== 0n) {
      console.log(
        `  the rest, ${token.format(amount - paidNow)}, is outflow-limiter claim ` +
          `#${ev.claimId}: collect it with trader:claim once the window frees capacity`,
      );
    }
  });

interface CommitArgs extends CommonArgs {
  market: string;
  size: string;
  slippage: number;
  keeperFee?: string;
  acceptablePrice?: string;
}

opsTask("trader:commit", "Commits an order: --market ETH-USD --size 1.5 (negative to sell) [--slippage 100]")
  .addParam("market", "Market name, e.g. ETH-USD", undefined, types.string)
  .addParam("size", "Size delta in base units, e.g. 1.5 (long) or -0.25 (short)", undefined, types.string)
  .addOptionalParam("slippage", "Acceptable slippage from the oracle price, in bps", 100, types.int)
  .addOptionalParam("keeperFee", "Keeper fee in dollars (default: the engine's minKeeperFee)", undefined, types.string)
  .addOptionalParam(
    "acceptablePrice",
    "Explicit acceptable price in USD (overrides --slippage)",
    undefined,
    types.string,
  )
  .setAction(async (args: CommitArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    const market = await requirePerpsMarket(ctx, args.market);
    const size = parseSignedAmount(args.size, WAD_DECIMALS, "--size");
    const bps = parseBps(args.slippage, "--slippage", 9_999);
    const order = await ctx.d.engine.orderOf(ctx.me);
    if (order.committedAt !== 0n) {
      throw new OpsError(
        `${ctx.me} has a pending order already; execute it (trader:execute) or cancel it once expired`,
      );
    }
    const g = await ctx.d.markets.globalConfig();
    const minFee = minKeeperFee(g.minKeeperFee, token.decimals);
    const fee = args.keeperFee === undefined ? minFee : parseAmount(args.keeperFee, token.decimals, "--keeper-fee");
    if (fee < minFee) {
      throw new OpsError(`--keeper-fee must be at least the engine's minimum, ${units(minFee, token.decimals)}`);
    }
    const held = await ctx.d.accounts.collateralOf(ctx.me);
    if (held < fee) {
      throw new OpsError(
        `the keeper fee (${token.format(fee)}) is escrowed from margin, and ${ctx.me} holds ` +
          `${units(held, token.decimals)}: deposit first (trader:deposit)`,
      );
    }
    const acceptable =
      args.acceptablePrice === undefined
        ? withSlippage(await trustedPrice(ctx, market), bps, size > 0n)
        : parseAmount(args.acceptablePrice, WAD_DECIMALS, "--acceptable-price");
    await send(hre, "commitOrder", () => ctx.d.engine.connect(ctx.signer).commitOrder(market, size, acceptable, fee));
    const placed = await ctx.d.engine.orderOf(ctx.me);
    const now = await chainTime(hre);
    printBlock(`trader:commit: ${name32(market)} ${sizeText(size)}`, [
      ["acceptable price", `${size > 0n ? "≤" : "≥"} ${usd(acceptable, 4)}`],
      ["keeper fee", token.format(fee)],
      ["executable from", when(placed.committedAt + g.minOrderDelay, now)],
      ["expires", when(placed.committedAt + g.orderWindow, now)],
    ]);
  });

/** The engine's minimum keeper fee in collateral units (its 18-decimal USD figure, rounded up as the engine does). */
function minKeeperFee(usdFee: bigint, decimals: number): bigint {
  const scale = 10n ** BigInt(WAD_DECIMALS - decimals);
  return (usdFee + scale - 1n) / scale;
}

/** The aggregator's trusted median of `market`; refuses a frozen market (an order could not execute). */
async function trustedPrice(ctx: Ctx, market: string): Promise<bigint> {
  const st = await read(ctx.hre, "PriceAggregator.status", () => ctx.d.aggregator.status(market));
  if (st.state !== 0n) {
    throw new OpsError(
      `the price of ${name32(market)} is not trusted now (see oracle:status); an order could not execute`,
    );
  }
  return st.median;
}

function sizeText(size: bigint): string {
  return `${size > 0n ? "long +" : "short "}${units(size, WAD_DECIMALS, 18)}`;
}

interface AccountArgs extends CommonArgs {
  account?: string;
}

opsTask("trader:execute", "Executes a committed order (anyone may; the caller earns the keeper fee)")
  .addOptionalParam("account", "Whose order (default: the signer's)", undefined, types.string)
  .setAction(async (args: AccountArgs, hre) => {
    const ctx = await context(hre, args);
    const account = accountOf(ctx, args.account);
    const { readyAt, expiresAt, market } = await pendingOrder(ctx, account);
    const now = await chainTime(hre);
    if (now + 1n < readyAt) throw new OpsError(`the order of ${account} is executable from ${when(readyAt, now)}`);
    if (now >= expiresAt)
      throw new OpsError(`the order of ${account} expired ${when(expiresAt, now)}; cancel it (trader:cancel)`);
    await send(hre, "executeOrder", () => ctx.d.engine.connect(ctx.signer).executeOrder(account));
    const p = await ctx.d.engine.positionOf(account, market);
    console.log(
      `trader:execute: ${account} now holds ${name32(market)} ${sizeText(p.size)} at ${usd(p.entryPrice, 4)}`,
    );
  });

opsTask("trader:cancel", "Cancels an expired order (anyone may): the fee minus the cancel charge goes back")
  .addOptionalParam("account", "Whose order (default: the signer's)", undefined, types.string)
  .setAction(async (args: AccountArgs, hre) => {
    const ctx = await context(hre, args);
    const account = accountOf(ctx, args.account);
    const { expiresAt } = await pendingOrder(ctx, account);
    const now = await chainTime(hre);
    if (now + 1n <= expiresAt) {
      throw new OpsError(
        `the order of ${account} can be cancelled only after it expires, ${when(expiresAt + 1n, now)}`,
      );
    }
    const token = await collateral(ctx);
    const receipt = await send(hre, "cancelOrder", () => ctx.d.engine.connect(ctx.signer).cancelOrder(account));
    const ev = await findEvent(receipt, ctx.d.engine, "OrderCancelled");
    console.log(`trader:cancel: refunded ${token.format((ev?.refund as bigint) ?? 0n)}`);
  });

/** `account`'s pending order's market and timing; refuses an account without one. */
async function pendingOrder(ctx: Ctx, account: string) {
  const order = await ctx.d.engine.orderOf(account);
  if (order.committedAt === 0n) throw new OpsError(`${account} has no pending order`);
  return orderTiming(ctx, order);
}

/** A committed order's market, and when it becomes executable and when it expires. */
async function orderTiming(ctx: Ctx, order: { committedAt: bigint; marketIndex: bigint }) {
  const [g, [market]] = await Promise.all([ctx.d.markets.globalConfig(), ctx.d.markets.marketAt(order.marketIndex)]);
  return { market, readyAt: order.committedAt + g.minOrderDelay, expiresAt: order.committedAt + g.orderWindow };
}

interface CloseArgs extends CommonArgs {
  market: string;
  slippage: number;
  size?: string;
}

opsTask("trader:close", "Closes (or with --size reduces) a position at once at the de-risking price")
  .addParam("market", "Market name, e.g. ETH-USD", undefined, types.string)
  .addOptionalParam("slippage", "Acceptable slippage from the de-risking price, in bps", 100, types.int)
  .addOptionalParam("size", "Reduce by this much (base units, unsigned) instead of closing", undefined, types.string)
  .setAction(async (args: CloseArgs, hre) => {
    const ctx = await context(hre, args);
    const market = await requirePerpsMarket(ctx, args.market);
    const bps = parseBps(args.slippage, "--slippage", 9_999);
    const { size } = await ctx.d.engine.positionOf(ctx.me, market);
    if (size === 0n) throw new OpsError(`${ctx.me} has no ${name32(market)} position`);
    const long = size > 0n;
    const reduceBy = args.size === undefined ? undefined : parseAmount(args.size, WAD_DECIMALS, "--size");
    if (reduceBy !== undefined && reduceBy > (long ? size : -size)) {
      throw new OpsError(
        `--size ${args.size} is more than the position (${units(long ? size : -size, WAD_DECIMALS, 18)})`,
      );
    }
    // Closing a long sells (the low side of the known prices), closing a short buys.
    const aggregator = ctx.d.aggregator.connect(ctx.signer);
    const price = await read(hre, "priceForDerisk", () =>
      aggregator.priceForDerisk.staticCall(market, long ? BIAS_LOW : BIAS_HIGH),
    );
    const acceptable = withSlippage(price, bps, !long);
    const engine = ctx.d.engine.connect(ctx.signer);
    if (reduceBy === undefined) await send(hre, "closePosition", () => engine.closePosition(market, acceptable));
    else
      await send(hre, "reducePosition", () => engine.reducePosition(market, long ? -reduceBy : reduceBy, acceptable));
    const after = await ctx.d.engine.positionOf(ctx.me, market);
    console.log(`trader:close: ${name32(market)} position now ${after.size === 0n ? "closed" : sizeText(after.size)}`);
  });

interface OptionArgs extends CommonArgs {
  series: string;
  amount: string;
  slippage: number;
}

opsTask("trader:buy", "Buys options of a series at the ask: --series <id> --amount 1.5 [--slippage 100]")
  .addParam("series", "Series id (trader:status lists the live ones)", undefined, types.string)
  .addParam("amount", "Options, in units of the underlying, e.g. 1.5", undefined, types.string)
  .addOptionalParam("slippage", "Allowed cost above the quote, in bps", 100, types.int)
  .setAction(async (args: OptionArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    const { id, amount, bps } = await optionTrade(ctx, args);
    const q = await read(hre, "OptionsEngine.quote", () => ctx.d.options.quote(id, amount, true));
    const maxCost = withSlippage(q.premium + q.fee, bps, true);
    await requireBalance(ctx, token, q.premium + q.fee, "the premium and fee");
    await ensureAllowance(ctx, token, ctx.d.options, maxCost);
    const receipt = await send(hre, "buy", () => ctx.d.options.connect(ctx.signer).buy(id, amount, maxCost));
    const ev = await findEvent(receipt, ctx.d.options, "OptionBought");
    const cost = ev ? (ev.premium as bigint) + (ev.fee as bigint) : 0n;
    console.log(`trader:buy: ${units(amount, WAD_DECIMALS)} options for ${token.format(cost)}`);
  });

opsTask("trader:sell", "Sells options back at the bid: --series <id> --amount 1.5 [--slippage 100]")
  .addParam("series", "Series id", undefined, types.string)
  .addParam("amount", "Options, in units of the underlying", undefined, types.string)
  .addOptionalParam("slippage", "Allowed proceeds below the quote, in bps", 100, types.int)
  .setAction(async (args: OptionArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    const { id, amount, bps } = await optionTrade(ctx, args);
    const held = await ctx.d.options.balanceOf(ctx.me, id);
    if (held < amount) throw new OpsError(`${ctx.me} holds ${units(held, WAD_DECIMALS)} options of this series`);
    const q = await read(hre, "OptionsEngine.quote", () => ctx.d.options.quote(id, amount, false));
    const proceeds = q.premium > q.fee ? q.premium - q.fee : 0n;
    const minProceeds = withSlippage(proceeds, bps, false);
    const receipt = await send(hre, "sell", () => ctx.d.options.connect(ctx.signer).sell(id, amount, minProceeds));
    const ev = await findEvent(receipt, ctx.d.options, "OptionSold");
    const got = (ev?.proceeds as bigint | undefined) ?? 0n;
    console.log(`trader:sell: ${units(amount, WAD_DECIMALS)} options for ${token.format(got)}`);
    if (ev && ev.claimId !== 0n)
      console.log(`  part is outflow-limiter claim #${ev.claimId}: collect it with trader:claim`);
  });

/** The series, amount and slippage of a trade; refuses an unknown series or one closed for trading. */
async function optionTrade(ctx: Ctx, args: OptionArgs) {
  const id = parseSeriesId(args.series);
  const amount = parseAmount(args.amount, WAD_DECIMALS, "--amount");
  const bps = parseBps(args.slippage, "--slippage", 9_999);
  const s = await requireSeries(ctx, id);
  const { tradingCutoff } = await ctx.d.options.globalConfig();
  const now = await chainTime(ctx.hre);
  if (now >= s.expiry - tradingCutoff) {
    throw new OpsError(`trading in series ${id} closed ${when(s.expiry - tradingCutoff, now)} (cutoff before expiry)`);
  }
  return { id, amount, bps };
}

async function requireSeries(ctx: Ctx, id: bigint) {
  const s = await ctx.d.options.seriesOf(id);
  if (s.market === ctx.hre.ethers.ZeroHash) throw new OpsError(`no option series has the id ${id}`);
  return s;
}

interface RedeemArgs extends CommonArgs {
  series: string;
  amount?: string;
  settle: boolean;
}

opsTask("trader:redeem", "Redeems settled options for their payoff (--settle settles an expired series first)")
  .addParam("series", "Series id", undefined, types.string)
  .addOptionalParam("amount", "Options to redeem (default: all held)", undefined, types.string)
  .addFlag("settle", "Settle the series first when it has expired and is not settled")
  .setAction(async (args: RedeemArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    const id = parseSeriesId(args.series);
    let s = await requireSeries(ctx, id);
    const held = await ctx.d.options.balanceOf(ctx.me, id);
    const amount = args.amount === undefined ? held : parseAmount(args.amount, WAD_DECIMALS, "--amount");
    if (amount === 0n || amount > held)
      throw new OpsError(`${ctx.me} holds ${units(held, WAD_DECIMALS)} options of series ${id}`);
    if (!s.settled) s = await settleFirst(ctx, id, s.expiry, args.settle);
    const receipt = await send(hre, "redeem", () => ctx.d.options.connect(ctx.signer).redeem(id, amount));
    const ev = await findEvent(receipt, ctx.d.options, "OptionRedeemed");
    const payout = (ev?.payout as bigint | undefined) ?? 0n;
    console.log(
      `trader:redeem: ${units(amount, WAD_DECIMALS)} options paid ${token.format(payout)} ` +
        `(payoff ${usd(s.payoff, 4)} per unit)`,
    );
    if (ev && ev.claimId !== 0n)
      console.log(`  part is outflow-limiter claim #${ev.claimId}: collect it with trader:claim`);
  });

/** Settles series `id` when asked and possible; refuses otherwise with what is missing. */
async function settleFirst(ctx: Ctx, id: bigint, expiry: bigint, asked: boolean) {
  const now = await chainTime(ctx.hre);
  if (now < expiry) throw new OpsError(`series ${id} expires ${when(expiry, now)}; it can be redeemed once settled`);
  if (!asked) throw new OpsError(`series ${id} has expired but is not settled: pass --settle (anyone may settle it)`);
  await send(ctx.hre, "settle", () => ctx.d.options.connect(ctx.signer).settle(id));
  const s = await ctx.d.options.seriesOf(id);
  if (!s.settled) throw new OpsError(`series ${id} could not settle now (no trusted price, or settlement paused)`);
  return s;
}

interface ClaimArgs extends CommonArgs {
  account?: string;
  sinceBlock: number;
}

opsTask("trader:claim", "Collects what is owed: profit the pool deferred (claimProfit) and outflow-limiter claims")
  .addOptionalParam("account", "Whose (default: the signer; anyone may claim for anyone)", undefined, types.string)
  .addOptionalParam("sinceBlock", "First block to search for claims", 0, types.int)
  .setAction(async (args: ClaimArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    const account = accountOf(ctx, args.account);
    const [owed] = await ctx.d.engine.accountOf(account);
    if (owed > 0n) {
      await send(hre, "claimProfit", () => ctx.d.engine.connect(ctx.signer).claimProfit(account));
      const [left] = await ctx.d.engine.accountOf(account);
      console.log(`trader:claim: deferred profit paid into margin: ${token.format(owed - (left > 0n ? left : 0n))}`);
    }
    const { paid } = await claimAll(ctx, token, account, args.sinceBlock);
    if (owed <= 0n && paid === 0n) console.log(`trader:claim: nothing claimable for ${account} now`);
  });

opsTask("trader:status", "Shows an account: margin, positions with PnL, health, pending order, option holdings")
  .addOptionalParam("account", "Whose (default: the signer)", undefined, types.string)
  .setAction(async (args: AccountArgs, hre) => {
    const ctx = await context(hre, args);
    await printTraderStatus(ctx, accountOf(ctx, args.account));
  });

/** Prints everything about `account` a trader needs. */
async function printTraderStatus(ctx: Ctx, account: string): Promise<void> {
  const { hre, d } = ctx;
  const token = await collateral(ctx);
  const t = token.format;
  const [state, [balance], [health], positions, wallet] = await Promise.all([
    d.accounts.accountState(account),
    d.engine.accountOf(account),
    read(hre, "PerpsLens.healthOf", () => d.lens.healthOf([account])),
    read(hre, "PerpsLens.positions", () => d.lens.positions(account)),
    token.contract.balanceOf(account),
  ]);
  const h = health.health;
  printBlock(`trader:status ${account}`, [
    ["wallet", t(wallet)],
    ["collateral", usd(state.collateral)],
    [
      "with the pool",
      balance > 0n ? `owed ${t(balance)} (trader:claim)` : balance < 0n ? `debt ${t(-balance)}` : "even",
    ],
    ["withdrawable", t(state.withdrawable)],
    ["equity", usd(h.equity)],
    ["initial margin", usd(h.initialMargin)],
    ["maintenance margin", usd(h.maintenanceMargin)],
    ["liquidatable", h.liquidatable ? `YES (reward ${t(h.expectedReward)})` : "no"],
  ]);
  console.log(positions.length === 0 ? "  positions: none" : "  positions:");
  for (const p of positions) {
    console.log(
      `    ${name32(p.market)} ${sizeText(p.size)} entry ${usd(p.entryPrice, 4)} price ${usd(p.price, 4)} ` +
        `PnL ${usd(p.pnl)} funding owed ${usd(p.fundingOwed)} close fee ${usd(p.closeFee)} notional ${usd(p.notional)}`,
    );
  }
  await printOrder(ctx, account);
  await printHoldings(ctx, account);
}

async function printOrder(ctx: Ctx, account: string): Promise<void> {
  const order = await ctx.d.engine.orderOf(account);
  if (order.committedAt === 0n) {
    console.log("  pending order: none");
    return;
  }
  const { market, readyAt, expiresAt } = await orderTiming(ctx, order);
  const now = await chainTime(ctx.hre);
  const limit = `${order.sizeDelta > 0n ? "≤" : "≥"} ${usd(order.acceptablePrice, 4)}`;
  console.log(
    `  pending order: ${name32(market)} ${sizeText(order.sizeDelta)} at ${limit}, executable from ` +
      `${when(readyAt, now)}, expires ${when(expiresAt, now)}`,
  );
}

async function printHoldings(ctx: Ctx, account: string): Promise<void> {
  if (!ctx.d.has("OptionsEngine")) return;
  const series = await liveSeries(ctx);
  const balances =
    series.length === 0
      ? []
      : await ctx.d.options.balanceOfBatch(
          series.map(() => account),
          series.map((x) => x.id),
        );
  const now = await chainTime(ctx.hre);
  console.log(`  live option series (${series.length}):`);
  for (const [i, { id, s }] of series.entries()) {
    const kind = s.isCall ? "call" : "put";
    console.log(
      `    ${id}: ${name32(s.market)} ${kind} ${usd(s.strike, 4)} expiring ${when(s.expiry, now)}` +
        ` — held ${units(balances[i], WAD_DECIMALS)}`,
    );
  }
}

/**
 * Oracle status (SPEC OPS-3, AGG-5): per market, the aggregator's state and why it is frozen, the median and the last
 * good price, and every source's reading with its verdict, decoded to text.
 */
import { types } from "hardhat/config";
import { type CommonArgs, type Ctx, chainTime, context, liveSeries, opsTask, perpsMarketIds } from "./common";
import { read } from "./errors";
import { FREEZE_REASONS, ORACLE_STATES, SOURCE_STATUSES, duration, enumText, name32, usd, when } from "./format";
import { marketId } from "./parse";

interface OracleArgs extends CommonArgs {
  market?: string;
}

opsTask("oracle:status", "Shows each market's oracle: state, freeze reason, median, last good price, every source")
  .addOptionalParam(
    "market",
    "One market (default: every perps market and every live option series' market)",
    undefined,
    types.string,
  )
  .setAction(async (args: OracleArgs, hre) => {
    const ctx = await context(hre, args);
    const markets = args.market === undefined ? await knownMarkets(ctx) : [marketId(args.market)];
    if (markets.length === 0) console.log("oracle:status: no markets listed");
    for (const market of markets) await printMarket(ctx, market);
  });

/** The perps markets and the markets of live option series, without repeats. */
async function knownMarkets(ctx: Ctx): Promise<string[]> {
  const ids = ctx.d.has("PerpsMarkets") ? [...(await perpsMarketIds(ctx))] : [];
  if (ctx.d.has("OptionsEngine")) {
    for (const { s } of await liveSeries(ctx)) ids.push(s.market);
  }
  return [...new Set(ids)];
}

async function printMarket(ctx: Ctx, market: string): Promise<void> {
  const { aggregator } = ctx.d;
  const label = name32(market);
  const st = await read(ctx.hre, `status of ${label}`, () => aggregator.status(market));
  const [readings, [, staleness]] = await Promise.all([aggregator.readings(market), aggregator.sources(market)]);
  const descriptions = await Promise.all(readings.map((r) => sourceDescription(ctx, r.source)));
  const now = await chainTime(ctx.hre);
  const state = ORACLE_STATES[Number(st.state)] ?? `unknown(${st.state})`;
  console.log(
    `oracle:status ${label}: ${state.toUpperCase()}, median ${st.median === 0n ? "none" : usd(st.median, 4)} ` +
      `from ${st.validSources} valid of ${readings.length} sources`,
  );
  if (st.state !== 0n) console.log(`  frozen: ${enumText(FREEZE_REASONS, st.reason)}`);
  console.log(`  last good price ${usd(st.lastGoodPrice, 4)} read ${when(st.lastGoodAt, now)}`);
  for (const [i, r] of readings.entries()) {
    const description = descriptions[i];
    const updated = r.updatedAt === 0n ? "never updated" : `updated ${when(r.updatedAt, now)}`;
    const price = r.price === 0n ? "no price" : usd(r.price, 4);
    console.log(
      `  source ${i} ${r.source} "${description}": ${price}, ${updated}, ${enumText(SOURCE_STATUSES, r.status)}; ` +
        `max staleness ${duration(staleness[i] ?? 0n)}`,
    );
  }
}

async function sourceDescription(ctx: Ctx, address: string): Promise<string> {
  try {
    return await (await ctx.hre.ethers.getContractAt("IPriceSource", address)).description();
  } catch {
    return "?";
  }
}

/**
 * Keeper status (SPEC OPS-3, KPR-3, KPR-6): what a keeper has to do now — liquidatable accounts (through the lens, in
 * batches), committed orders ready or expired, expired option series not settled — and, given `--metrics-url`, the
 * running keeper's `/health` and the main lines of its `/metrics`.
 */
import { types } from "hardhat/config";
import {
  type CommonArgs,
  type Ctx,
  chainTime,
  collateral,
  context,
  liveSeries,
  opsTask,
  perpsMarketIds,
} from "./common";
import { OpsError, read } from "./errors";
import { FREEZE_REASONS, enumText, name32, units, usd, when } from "./format";

interface KeeperArgs extends CommonArgs {
  batch: number;
  metricsUrl?: string;
}

opsTask(
  "keeper:status",
  "Shows what a keeper has to do now; with --metrics-url, the running keeper's health and metrics",
)
  .addOptionalParam("batch", "Accounts per lens call", 200, types.int)
  .addOptionalParam("metricsUrl", "The keeper's metrics server, e.g. http://127.0.0.1:9464", undefined, types.string)
  .setAction(async (args: KeeperArgs, hre) => {
    if (args.batch < 1) throw new OpsError("--batch must be at least 1");
    const ctx = await context(hre, args);
    const accounts = await trackedAccounts(ctx, args.batch);
    console.log(`keeper:status: ${accounts.length} account(s) tracked by the engine`);
    await printUntrusted(ctx);
    await printLiquidatable(ctx, accounts, args.batch);
    await printOrders(ctx, accounts);
    await printSeries(ctx);
    if (args.metricsUrl !== undefined) await printKeeper(args.metricsUrl);
  });

/** Every account the engine ever saw, a page per lens call. */
async function trackedAccounts(ctx: Ctx, batch: number): Promise<string[]> {
  const count = await ctx.d.engine.accountCount();
  const out: string[] = [];
  for (let offset = 0n; offset < count;) {
    const [page, next] = await read(ctx.hre, "PerpsLens.accountList", () => ctx.d.lens.accountList(offset, batch));
    out.push(...page);
    if (next <= offset) break;
    offset = next;
  }
  return out;
}

/** Markets whose price is not trusted: the lens reports nobody liquidatable there and orders cannot execute. */
async function printUntrusted(ctx: Ctx): Promise<void> {
  for (const market of await perpsMarketIds(ctx)) {
    const st = await ctx.d.aggregator.status(market);
    if (st.state === 0n) continue;
    console.log(
      `  ${name32(market)} price NOT TRUSTED (${enumText(FREEZE_REASONS, st.reason)}): no liquidation or order ` +
        `execution there until it is (oracle:status)`,
    );
  }
}

/** The liquidatable accounts, most underwater first, as the lens finds them in batches. */
async function printLiquidatable(ctx: Ctx, accounts: string[], batch: number): Promise<void> {
  const token = await collateral(ctx);
  const found: { account: string; equity: bigint; maintenance: bigint; reward: bigint }[] = [];
  for (let i = 0; i < accounts.length; i += batch) {
    const page = accounts.slice(i, i + batch);
    const hits = await read(ctx.hre, "PerpsLens.liquidatableAmong", () => ctx.d.lens.liquidatableAmong(page));
    for (const h of hits) {
      found.push({ account: h.account, equity: h.equity, maintenance: h.maintenanceMargin, reward: h.expectedReward });
    }
  }
  const shortfall = (x: (typeof found)[number]) => x.maintenance - x.equity;
  found.sort((a, b) => (shortfall(a) === shortfall(b) ? 0 : shortfall(a) < shortfall(b) ? 1 : -1));
  console.log(`  liquidatable: ${found.length}`);
  for (const f of found) {
    console.log(
      `    ${f.account}: equity ${usd(f.equity)} below maintenance ${usd(f.maintenance)}, ` +
        `reward ${token.format(f.reward)}`,
    );
  }
}

/** Committed orders: executable now, waiting for their delay, or expired (to cancel). */
async function printOrders(ctx: Ctx, accounts: string[]): Promise<void> {
  const g = await ctx.d.markets.globalConfig();
  const now = await chainTime(ctx.hre);
  const orders = await Promise.all(accounts.map(async (a) => ({ account: a, order: await ctx.d.engine.orderOf(a) })));
  const pending = orders.filter((o) => o.order.committedAt !== 0n);
  const state = (committedAt: bigint) =>
    now > committedAt + g.orderWindow
      ? "expired: cancel"
      : now >= committedAt + g.minOrderDelay
        ? "ready: execute"
        : "waiting";
  console.log(`  committed orders: ${pending.length}`);
  for (const { account, order } of pending) {
    const [market] = await ctx.d.markets.marketAt(order.marketIndex);
    console.log(
      `    ${account}: ${name32(market)} ${units(order.sizeDelta, 18)} committed ${when(order.committedAt, now)} — ` +
        state(order.committedAt),
    );
  }
}

/** Live option series past expiry and not settled. */
async function printSeries(ctx: Ctx): Promise<void> {
  if (!ctx.d.has("OptionsEngine")) return;
  const now = await chainTime(ctx.hre);
  const series = await liveSeries(ctx);
  const due = series.filter(({ s }) => !s.settled && s.expiry <= now);
  console.log(`  series to settle: ${due.length} (of ${series.length} live)`);
  for (const { id, s } of due) {
    console.log(
      `    ${id}: ${name32(s.market)} ${s.isCall ? "call" : "put"} ${usd(s.strike)} expired ${when(s.expiry, now)}`,
    );
  }
}

/** The metric families worth a line in a status. */
const METRICS = [
  "keeper_accounts_tracked",
  "keeper_liquidatable_accounts",
  "keeper_actions_sent_total",
  "keeper_actions_succeeded_total",
  "keeper_actions_failed_total",
  "keeper_block_lag",
  "keeper_chain_head",
  "keeper_signer_balance_wei",
  "keeper_signer_pending_transactions",
  "keeper_rewards_earned_total",
  "keeper_ticks_total",
];

/** The running keeper's `/health` and the lines of `/metrics` in `METRICS`; an unreachable keeper is reported. */
async function printKeeper(url: string): Promise<void> {
  const base = url.replace(/\/+$/, "");
  if (!/^https?:\/\//.test(base)) throw new OpsError(`--metrics-url must be http(s)://host:port (got "${url}")`);
  try {
    const health = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5_000) });
    console.log(`  keeper /health: ${health.status} ${await health.text()}`);
    const metrics = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const lines = (await metrics.text()).split("\n").filter((l) => METRICS.some((m) => l.startsWith(m)));
    console.log(`  keeper /metrics (${lines.length} lines):`);
    for (const line of lines) console.log(`    ${line}`);
  } catch (error) {
    console.log(`  keeper at ${base} unreachable: ${(error as Error).message}`);
  }
}

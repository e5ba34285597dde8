/**
 * What the devnet shows (OPS-1): a snapshot of the protocol (prices and oracle status, open interest, funding, pool
 * NAV, insurance fund) and a tally of what happened, read from the contracts' events, with one line per notable
 * event. Reading is separate from formatting so the final report can be printed and written as JSON alike.
 */
import { ethers } from "ethers";
import type { ProtocolContracts } from "../deploy/checks";
import type { DevnetReport } from "./run";

const WAD = 10n ** 18n;
const REASONS = ["none", "sequencer down", "sequencer grace", "no quorum", "divergence", "jump"];

export interface MarketSnapshot {
  name: string;
  /** The median the sources give now (0 when none is valid), then the last good price, in dollars. */
  median: number;
  lastGood: number;
  trusted: boolean;
  reason: string;
  validSources: number;
  sources: number;
  /** Base units. */
  longOpenInterest: number;
  shortOpenInterest: number;
  /** Percent per day. */
  fundingPerDay: number;
}

export interface Snapshot {
  chainTime: number;
  markets: MarketSnapshot[];
  /** Dollars. */
  nav: number;
  sharePrice: number;
  insurance: number;
  lockedForOptions: number;
}

export interface Tally {
  ordersExecuted: number;
  ordersCancelled: number;
  liquidations: number;
  liquidatedAccounts: string[];
  liquidationRewards: number;
  badDebt: number;
  badDebtFromInsurance: number;
  optionsBought: number;
  premiums: number;
  expiryPrices: number;
  seriesSettled: number;
  redemptions: number;
  payouts: number;
  oracleFreezes: number;
  oracleRecoveries: number;
  /** Transactions sent by whom the tally was told is the keeper. */
  byKeeper: { executions: number; liquidations: number; settlements: number; redemptions: number };
}

export function emptyTally(): Tally {
  return {
    ordersExecuted: 0,
    ordersCancelled: 0,
    liquidations: 0,
    liquidatedAccounts: [],
    liquidationRewards: 0,
    badDebt: 0,
    badDebtFromInsurance: 0,
    optionsBought: 0,
    premiums: 0,
    expiryPrices: 0,
    seriesSettled: 0,
    redemptions: 0,
    payouts: 0,
    oracleFreezes: 0,
    oracleRecoveries: 0,
    byKeeper: { executions: 0, liquidations: 0, settlements: 0, redemptions: 0 },
  };
}

export const marketName = (id: string) => ethers.decodeBytes32String(id);
const dollars = (wad: bigint) => Number(wad) / 1e18;
export const money = (n: number) => `$${n.toLocaleString("en-US", { maximumFractionDigits: 0 })}`;
const price = (n: number) => n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const short = (address: string) => `${address.slice(0, 8)}…`;

export async function readSnapshot(
  stack: ProtocolContracts,
  marketIds: readonly string[],
  usdc: number,
): Promise<Snapshot> {
  const markets: MarketSnapshot[] = [];
  for (const id of marketIds) {
    const [status, readings, state] = await Promise.all([
      stack.aggregator.status(id),
      stack.aggregator.readings(id),
      stack.engine.marketState(id),
    ]);
    markets.push({
      name: marketName(id),
      median: dollars(status.median),
      lastGood: dollars(status.lastGoodPrice),
      trusted: Number(status.state) === 0,
      reason: REASONS[Number(status.reason)] ?? `reason ${status.reason}`,
      validSources: Number(status.validSources),
      sources: readings.length,
      longOpenInterest: dollars(state.longOpenInterest),
      shortOpenInterest: dollars(state.shortOpenInterest),
      fundingPerDay: (Number(state.fundingRate) / Number(WAD)) * 100,
    });
  }
  const [pool, decimals, block] = await Promise.all([
    stack.pool.poolState(),
    stack.pool.decimals(),
    stack.pool.runner!.provider!.getBlock("latest"),
  ]);
  const oneShare = await stack.pool.convertToAssets(10n ** decimals);
  return {
    chainTime: block!.timestamp,
    markets,
    nav: Number(pool.totalAssets) / usdc,
    sharePrice: Number(oneShare) / usdc,
    insurance: Number(pool.insurance) / usdc,
    lockedForOptions: Number(pool.locked) / usdc,
  };
}

/**
 * Adds the events of blocks `from` … `to` to `tally` and returns a line for each notable one (liquidations, bad
 * debt, oracle freezes and recoveries, settlements). `keeper` is the keeper's address, to count what it did.
 */
export async function tallyEvents(
  stack: ProtocolContracts,
  tally: Tally,
  range: { from: number; to: number },
  keeper: string,
  usdc: number,
): Promise<string[]> {
  if (range.to < range.from) return [];
  const { engine, options, aggregator } = stack;
  const q = <T>(contract: { queryFilter: (f: T, a: number, b: number) => Promise<unknown[]> }, filter: T) =>
    contract.queryFilter(filter, range.from, range.to) as Promise<ethers.EventLog[]>;
  const [executed, cancelled, liquidated, covered, bought, recorded, settled, redeemed, oracle] = await Promise.all([
    q(engine, engine.filters.OrderExecuted()),
    q(engine, engine.filters.OrderCancelled()),
    q(engine, engine.filters.PositionLiquidated()),
    q(engine, engine.filters.BadDebtCovered()),
    q(options, options.filters.OptionBought()),
    q(options, options.filters.ExpiryPriceRecorded()),
    q(options, options.filters.SeriesSettled()),
    q(options, options.filters.OptionRedeemed()),
    q(aggregator, aggregator.filters.OracleStateChanged()),
  ]);
  const lines: string[] = [];
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  // Settlements and redemptions do not name their sender; the transaction does.
  const isKeeper = async (e: ethers.EventLog) => same((await e.getTransaction()).from, keeper);
  const all = [executed, cancelled, liquidated, covered, bought, recorded, settled, redeemed, oracle].flat();
  all.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  for (const e of all) {
    const a = e.args;
    switch (e.eventName) {
      case "OrderExecuted":
        tally.ordersExecuted++;
        if (same(a.keeper, keeper)) tally.byKeeper.executions++;
        break;
      case "OrderCancelled":
        tally.ordersCancelled++;
        break;
      case "PositionLiquidated": {
        tally.liquidations++;
        if (!tally.liquidatedAccounts.includes(a.account)) tally.liquidatedAccounts.push(a.account);
        tally.liquidationRewards += Number(a.reward) / usdc;
        const byKeeper = same(a.liquidator, keeper);
        if (byKeeper) tally.byKeeper.liquidations++;
        // The event carries the closing trade: a long is closed by a negative delta.
        const size = -dollars(a.closedSize);
        lines.push(
          `${byKeeper ? "keeper" : short(a.liquidator)} liquidated ${short(a.account)}: ` +
            `${Math.abs(size).toFixed(3)} ${marketName(a.market)} ${size > 0 ? "long" : "short"} ` +
            `at ${price(dollars(a.fillPrice))}, reward ${money(Number(a.reward) / usdc)}`,
        );
        break;
      }
      case "BadDebtCovered":
        tally.badDebt += Number(a.debt) / usdc;
        tally.badDebtFromInsurance += Number(a.fromInsurance) / usdc;
        lines.push(
          `bad debt of ${short(a.account)}: ${money(Number(a.debt) / usdc)}, ` +
            `${money(Number(a.fromInsurance) / usdc)} from the insurance fund, ${money(Number(a.fromLps) / usdc)} from LPs`,
        );
        break;
      case "OptionBought":
        tally.optionsBought++;
        tally.premiums += Number(a.premium + a.fee) / usdc;
        break;
      case "ExpiryPriceRecorded":
        tally.expiryPrices++;
        lines.push(`${marketName(a.market)} expiry price recorded: ${price(dollars(a.price))}`);
        break;
      case "SeriesSettled":
        tally.seriesSettled++;
        if (await isKeeper(e)) tally.byKeeper.settlements++;
        lines.push(
          `series ${String(a.id).slice(0, 8)}… settled at ${price(dollars(a.price))}: ` +
            `payoff ${money(dollars(a.payoff))} per option, ${money(Number(a.released) / usdc)} released to LPs`,
        );
        break;
      case "OptionRedeemed":
        tally.redemptions++;
        tally.payouts += Number(a.payout) / usdc;
        if (await isKeeper(e)) tally.byKeeper.redemptions++;
        break;
      case "OracleStateChanged": {
        const frozen = Number(a.newState) === 1;
        if (frozen) tally.oracleFreezes++;
        else tally.oracleRecoveries++;
        lines.push(
          `${marketName(a.market)} oracle ${frozen ? `FROZEN (${REASONS[Number(a.reason)]})` : "trusted again"}: ` +
            `median ${price(dollars(a.median))}, ${a.validSources} valid sources`,
        );
        break;
      }
    }
  }
  return lines;
}

/** One or two lines: prices and oracle status, OI and funding, the pool, and the running tally. */
export function formatSummary(s: Snapshot, t: Tally, seriesCount: number): string {
  const markets = s.markets
    .map((m) => {
      const status = m.trusted
        ? `ok ${m.validSources}/${m.sources}`
        : `FROZEN ${m.reason} ${m.validSources}/${m.sources}`;
      const oi = `OI ${m.longOpenInterest.toFixed(2)}L/${m.shortOpenInterest.toFixed(2)}S`;
      const funding = `funding ${m.fundingPerDay >= 0 ? "+" : ""}${m.fundingPerDay.toFixed(4)}%/d`;
      return `${m.name} ${price(m.trusted ? m.median : m.lastGood)} (${status}) ${oi} ${funding}`;
    })
    .join(" | ");
  const pool =
    `pool NAV ${money(s.nav)} share ${s.sharePrice.toFixed(6)} insurance ${money(s.insurance)} ` +
    `locked ${money(s.lockedForOptions)}`;
  const counts =
    `orders ${t.ordersExecuted} liquidations ${t.liquidations} options ${t.optionsBought} ` +
    `settled ${t.seriesSettled}/${seriesCount} redeemed ${t.redemptions}`;
  return `${markets}\n        ${pool} | ${counts}`;
}

/** The chain time as `T+hh:mm` from `start`. */
export function clock(chainTime: number, start: number): string {
  const minutes = Math.floor((chainTime - start) / 60);
  const sign = minutes < 0 ? "-" : "+";
  const m = Math.abs(minutes);
  return `T${sign}${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** The final report, as printed. */
export function formatReport(r: DevnetReport): string {
  const t = r.tally;
  const hours = ((r.chainEnd - r.chainStart) / 3600).toFixed(1);
  const lines = [
    `Bulwark devnet report (profile ${r.profile}, seed ${r.seed}): ${hours} h of chain time in ${r.wallSeconds.toFixed(0)} s`,
    "",
    "markets            start        end          oracle at end",
    ...r.end.markets.map((m, i) => {
      const first = r.start.markets[i];
      const status = m.trusted ? `trusted, ${m.validSources}/${m.sources} sources` : `FROZEN (${m.reason})`;
      return `  ${m.name.padEnd(16)} ${price(first.median).padStart(10)}   ${price(m.median).padStart(10)}   ${status}`;
    }),
    "",
    `pool               NAV ${money(r.start.nav)} → ${money(r.end.nav)}, share ${r.start.sharePrice.toFixed(6)} → ${r.end.sharePrice.toFixed(6)}`,
    `insurance fund     ${money(r.start.insurance)} → ${money(r.end.insurance)}`,
    `orders             ${t.ordersExecuted} executed (${t.byKeeper.executions} by the keeper), ${t.ordersCancelled} cancelled`,
    `liquidations       ${t.liquidations} (${t.byKeeper.liquidations} by the keeper) of ${t.liquidatedAccounts.length} accounts, rewards ${money(t.liquidationRewards)}`,
    `bad debt           ${money(t.badDebt)} (${money(t.badDebtFromInsurance)} from the insurance fund)`,
    `options            ${t.optionsBought} bought for ${money(t.premiums)}; ${t.seriesSettled}/${r.series} series settled (${t.byKeeper.settlements} by the keeper); ${t.redemptions} redemptions paid ${money(t.payouts)} (${t.byKeeper.redemptions} by the keeper)`,
    `oracle             ${t.oracleFreezes} freezes, ${t.oracleRecoveries} recoveries`,
    `keeper             ${r.keeper.address}: sent ${formatCounts(r.keeper.actionsSent)}`,
    `                   simulated and not sent (waits and races): ${formatCounts(r.keeper.notSent)}`,
    "",
    "traders            margin       equity at end",
    ...r.traders.map(
      (x) =>
        `  ${x.name.padEnd(16)} ${money(x.margin).padStart(10)}   ${money(x.equity).padStart(10)}${x.liquidated ? "   liquidated" : ""}`,
    ),
  ];
  return lines.join("\n");
}

function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return entries.length === 0 ? "none" : entries.map(([k, n]) => `${n} ${k}`).join(", ");
}

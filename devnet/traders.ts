/**
 * The devnet's traders (OPS-1): each has a style, and each step `decide` (pure, from a seeded random source and what
 * the chain shows) picks at most one thing for it to do; `act` sends it as a trader would (commit an order for the
 * keeper to execute, close at once, buy an option) and reports a refusal by its custom error.
 */
import { ethers, type Signer } from "ethers";
import type { ProtocolContracts } from "../deploy/checks";
import { decodeRevert, revertData } from "../keeper/src/errors";
import type { Random } from "./random";

const WAD = 10n ** 18n;
/** IPauseRegistry.Action, by index. */
const ACTIONS = [
  "Open",
  "Increase",
  "Reduce",
  "Close",
  "Liquidate",
  "Deposit",
  "Withdraw",
  "BuyOption",
  "SellOption",
  "Settle",
];

/**
 * - `leveraged`: goes long ETH at 12–20× early and holds (the crash liquidates it);
 * - `swing`: opens and closes both markets at 2–6×, either way;
 * - `short`: shorts ETH at 3–5× early, takes profit after the crash;
 * - `options`: buys calls and puts while trading is open.
 */
export type Style = "leveraged" | "swing" | "short" | "options";

export interface Trader {
  name: string;
  signer: Signer;
  address: string;
  style: Style;
}

export type Intent =
  | { kind: "open"; market: string; size: bigint }
  | { kind: "close"; market: string; long: boolean }
  | { kind: "buy"; series: bigint; amount: bigint }
  | { kind: "none" };

/** What a trader's account shows this step. */
export interface TraderView {
  /** Equity in dollars. */
  equity: number;
  /** Position size per market id, in base units (positive long). */
  positions: Map<string, number>;
  pendingOrder: boolean;
}

export type Phase = "walk" | "crash" | "aftermath" | "incident" | "expiry";

export interface MarketInfo {
  id: string;
  /** The price the sources publish now, in dollars. */
  price: number;
}

export interface DecisionContext {
  phase: Phase;
  markets: readonly MarketInfo[];
  /** Series still open for trading: id, market, and strike in dollars. */
  openSeries: readonly { id: bigint; market: string; strike: number; isCall: boolean }[];
}

/** A size in base units (18 decimals) worth `notional` dollars at `price`, with `sign`. */
function sizeFor(notional: number, price: number, sign: 1 | -1): bigint {
  const units = Math.floor((notional / price) * 1e6);
  return (BigInt(units) * WAD * BigInt(sign)) / 1_000_000n;
}

const close = ([market, size]: [string, number]): Intent => ({ kind: "close", market, long: size > 0 });

export function decide(rng: Random, trader: Trader, view: TraderView, ctx: DecisionContext): Intent {
  if (view.pendingOrder) return { kind: "none" };
  const [eth] = ctx.markets;
  const held = [...view.positions.entries()].filter(([, size]) => size !== 0);
  switch (trader.style) {
    case "leveraged":
      if (ctx.phase === "walk" && held.length === 0 && view.equity > 100)
        return { kind: "open", market: eth.id, size: sizeFor(view.equity * rng.between(12, 20), eth.price, 1) };
      return { kind: "none" };
    case "short":
      if (ctx.phase === "walk" && held.length === 0 && view.equity > 100)
        return { kind: "open", market: eth.id, size: sizeFor(view.equity * rng.between(3, 5), eth.price, -1) };
      if (ctx.phase === "aftermath" && held.length > 0 && rng.chance(0.3)) return close(held[0]);
      return { kind: "none" };
    case "swing": {
      if (ctx.phase === "crash") return held.length > 0 && rng.chance(0.2) ? close(held[0]) : { kind: "none" };
      if (!rng.chance(0.25)) return { kind: "none" };
      if (held.length > 0 && rng.chance(0.4)) return close(rng.pick(held));
      const m = rng.pick(ctx.markets);
      const sign = rng.chance(0.5) ? 1 : -1;
      return { kind: "open", market: m.id, size: sizeFor(view.equity * rng.between(2, 6), m.price, sign) };
    }
    case "options": {
      if (ctx.openSeries.length === 0 || !rng.chance(0.3)) return { kind: "none" };
      const s = rng.pick(ctx.openSeries);
      const price = ctx.markets.find((m) => m.id === s.market)!.price;
      // About $20,000–$100,000 of notional.
      return { kind: "buy", series: s.id, amount: sizeFor(rng.between(20_000, 100_000), price, 1) };
    }
  }
}

/** Sends `intent` for `trader`; returns undefined when done, else why the protocol refused it. */
export async function act(
  stack: ProtocolContracts,
  trader: Trader,
  intent: Intent,
  ctx: DecisionContext,
  keeperFee: bigint,
): Promise<string | undefined> {
  const slippage = (price: number, up: boolean) => {
    const wad = BigInt(Math.round(price * 1e6)) * 10n ** 12n;
    return up ? (wad * 101n) / 100n : (wad * 99n) / 100n;
  };
  try {
    if (intent.kind === "open") {
      const price = ctx.markets.find((m) => m.id === intent.market)!.price;
      const engine = stack.engine.connect(trader.signer);
      await (await engine.commitOrder(intent.market, intent.size, slippage(price, intent.size > 0n), keeperFee)).wait();
    } else if (intent.kind === "close") {
      const price = ctx.markets.find((m) => m.id === intent.market)!.price;
      // Closing a long sells: the fill must not be below the limit; closing a short buys.
      const engine = stack.engine.connect(trader.signer);
      await (await engine.closePosition(intent.market, slippage(price, !intent.long))).wait();
    } else if (intent.kind === "buy") {
      const quote = await stack.options.quote(intent.series, intent.amount, true);
      const maxCost = ((quote.premium + quote.fee) * 102n) / 100n + 1n;
      await (await stack.options.connect(trader.signer).buy(intent.series, intent.amount, maxCost)).wait();
    }
    return undefined;
  } catch (error) {
    const decoded = decodeRevert(revertData(error));
    if (decoded.name.startsWith("unknown")) throw error;
    const args = decoded.args.map((a) => (typeof a === "string" && a.length === 66 ? tryName(a) : String(a)));
    // PerpsPaused(market, action) and OptionsPaused(market, action): the action by name.
    if (decoded.name.endsWith("Paused") && args.length === 2) args[1] = ACTIONS[Number(args[1])] ?? args[1];
    return `${decoded.name}(${args.join(", ")})`;
  }
}

function tryName(bytes32: string): string {
  try {
    return ethers.decodeBytes32String(bytes32);
  } catch {
    return bytes32;
  }
}

/** What each trader's account shows: equity (one lens call), positions and pending orders. */
export async function readViews(
  stack: ProtocolContracts,
  traders: readonly Trader[],
  marketIds: readonly string[],
): Promise<Map<string, TraderView>> {
  const healths = await stack.lens.healthOf(traders.map((t) => t.address));
  const views = new Map<string, TraderView>();
  await Promise.all(
    traders.map(async (t, i) => {
      const [order, ...positions] = await Promise.all([
        stack.engine.orderOf(t.address),
        ...marketIds.map((m) => stack.engine.positionOf(t.address, m)),
      ]);
      views.set(t.address, {
        equity: Number(healths[i].health.equity) / 1e18,
        positions: new Map(marketIds.map((m, j) => [m, Number(positions[j].size) / 1e18])),
        pendingOrder: order.sizeDelta !== 0n,
      });
    }),
  );
  return views;
}

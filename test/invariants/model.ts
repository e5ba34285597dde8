/**
 * The invariant suite's model of the protocol: what the commands did, kept in TypeScript, and what it predicts. It
 * tracks the discrete state exactly (orders, positions, option holdings and open interest, settlements, limiter
 * claims, pauses, every price source) and predicts each transaction's outcome, down to the custom error, from that
 * state plus an observation of the continuous quantities (equity, liquidity, quotes) made at the very time the
 * transaction runs. Where a prediction rests on an estimate (the fees and skew premium of a trade not yet made),
 * outcomes within a narrow band of the limit are accepted either way and counted as edges.
 */
import { Action } from "../helpers/actions";
import { BTC, ETH } from "../helpers/fixtures";
import { RegistryModel } from "../helpers/pause-model";
import { MarketOracle, type OracleLimits, type SourceModel, type Verdict } from "./oracle-model";
import type { SeriesSpec } from "./system";

export const MARKETS = [ETH, BTC];
export const WAD = 10n ** 18n;
export const BPS = 10_000n;
/** USD (18 decimals) per collateral unit (6 decimals). */
export const USD_SCALE = 10n ** 12n;

export type SourceHealth = "ok" | "stuck" | "off";

export interface OrderModel {
  market: string;
  sizeDelta: bigint;
  committedAt: bigint;
  keeperFee: bigint;
}

/** A prediction: success (null) or a custom error's name; several when the outcome sits on an edge. */
export type Prediction = (string | null)[];

export class Model {
  readonly pauses = new RegistryModel();
  readonly oracles = new Map<string, MarketOracle>();
  readonly health = new Map<string, SourceHealth[]>();
  /** The price the healthy sources of each market publish. */
  readonly target = new Map<string, bigint>();
  readonly orders = new Map<string, OrderModel>();
  readonly positions = new Map<string, bigint>();
  readonly holdings = new Map<string, bigint>();
  readonly settled = new Set<bigint>();
  /** Limiter claims not yet paid in full. */
  readonly claims = new Set<bigint>();
  readonly stats = {
    commands: 0,
    transactions: 0,
    invariantChecks: 0,
    edges: 0,
    outcomes: new Map<string, number>(),
  };

  constructor(
    readonly traders: string[],
    readonly series: SeriesSpec[],
    oracles: {
      market: string;
      sources: SourceModel[];
      limits: OracleLimits;
      lastGood: { price: bigint; at: bigint };
    }[],
  ) {
    for (const o of oracles) {
      this.oracles.set(o.market, new MarketOracle(o.sources, o.limits, o.lastGood));
      this.health.set(
        o.market,
        o.sources.map(() => "ok"),
      );
      this.target.set(o.market, o.lastGood.price);
    }
  }

  verdict(market: string, at: bigint): Verdict {
    return this.oracles.get(market)!.verdict(at);
  }

  /** A price read the aggregator records, made by a transaction at `at` that succeeded. */
  recordRead(market: string, at: bigint): void {
    this.oracles.get(market)!.record(at);
  }

  position(account: string, market: string): bigint {
    return this.positions.get(`${account}/${market}`) ?? 0n;
  }
  setPosition(account: string, market: string, size: bigint): void {
    this.positions.set(`${account}/${market}`, size);
  }
  /** The markets `account` holds positions in, in the engine's index order. */
  heldMarkets(account: string): string[] {
    return MARKETS.filter((m) => this.position(account, m) !== 0n);
  }

  holding(holder: string, id: bigint): bigint {
    return this.holdings.get(`${holder}/${id}`) ?? 0n;
  }
  addHolding(holder: string, id: bigint, delta: bigint): void {
    this.holdings.set(`${holder}/${id}`, this.holding(holder, id) + delta);
  }
  /** A series' open interest: what the traders hold (only they trade options). */
  openInterest(id: bigint): bigint {
    return this.traders.reduce((sum, t) => sum + this.holding(t, id), 0n);
  }

  /** Pauses as they stand at `at`. */
  paused(market: string, action: Action, at: bigint): boolean {
    this.pauses.now = at;
    return this.pauses.isPaused(market, action);
  }
  inGrace(market: string, at: bigint): boolean {
    this.pauses.now = at;
    return this.pauses.inGrace(market);
  }

  count(label: string): void {
    this.stats.outcomes.set(label, (this.stats.outcomes.get(label) ?? 0) + 1);
  }
}

/** The pause action of a trade from `oldSize` to `newSize` (CB-1), as the engine classifies it. */
export function tradeAction(oldSize: bigint, newSize: bigint): Action {
  if (newSize === 0n) return Action.Close;
  if (oldSize === 0n || oldSize > 0n !== newSize > 0n) return Action.Open;
  return abs(newSize) > abs(oldSize) ? Action.Increase : Action.Reduce;
}

/** Whether a trade opens, increases or flips a position (the trades that are risk-checked). */
export function addsRisk(oldSize: bigint, newSize: bigint): boolean {
  return abs(newSize) > abs(oldSize) || (oldSize > 0n && newSize < 0n) || (oldSize < 0n && newSize > 0n);
}

export const abs = (x: bigint) => (x < 0n ? -x : x);
export const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
export const min = (a: bigint, b: bigint) => (a < b ? a : b);
export const max = (a: bigint, b: bigint) => (a > b ? a : b);

/**
 * A limit check whose left side is only estimated within `band`: "pass" when `value ≤ limit` for sure, "fail" when
 * `value > limit` for sure, "edge" otherwise.
 */
export function compare(value: bigint, limit: bigint, band: bigint): "pass" | "fail" | "edge" {
  if (value + band <= limit) return "pass";
  if (value - band > limit) return "fail";
  return "edge";
}

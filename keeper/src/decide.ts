/**
 * The keeper's decisions, as pure functions of what the chain reported: which accounts to liquidate and in what
 * order, which orders to execute or cancel, which option series to settle and whose options to redeem, and which
 * of them this instance owns. No I/O here; `keeper.ts` feeds these from the lens and the index.
 */
import { keccak256 } from "ethers";

/** One account's health as the lens reports it (18-decimal USD; reward in collateral units). */
export interface AccountHealth {
  account: string;
  equity: bigint;
  maintenanceMargin: bigint;
  liquidatable: boolean;
  expectedReward: bigint;
}

/** A pending perps order as the index knows it. */
export interface PendingOrder {
  account: string;
  committedAt: bigint;
}

/** An option series as the index knows it. */
export interface SeriesInfo {
  id: bigint;
  market: string;
  expiry: bigint;
  settled: boolean;
}

/** Which slice of the accounts this instance serves (KPR-7): `index` of `count`, by account hash. */
export interface Shard {
  index: number;
  count: number;
}

/** The engine's order timing (`PerpsMarkets.globalConfig`). */
export interface OrderTiming {
  minOrderDelay: bigint;
  orderWindow: bigint;
}

/** Whether `account` belongs to `shard`: keccak256 of its 20 bytes, modulo the shard count. */
export function ownsAccount(account: string, shard: Shard): boolean {
  if (shard.count <= 1) return true;
  return BigInt(keccak256(account.toLowerCase())) % BigInt(shard.count) === BigInt(shard.index);
}

/** How far below its maintenance margin an account is (USD, 18 decimals); positive when underwater. */
export function shortfall(h: AccountHealth): bigint {
  return h.maintenanceMargin - h.equity;
}

/**
 * The liquidations to send: accounts the lens reports liquidatable, owned by this shard, not already in flight and
 * paying at least `minReward`; most underwater first (largest shortfall, then address, so the order is total), in
 * batches of at most `batchSize` for `liquidateMany`.
 */
export function planLiquidations(
  healths: readonly AccountHealth[],
  opts: { batchSize: number; minReward: bigint; shard: Shard; inFlight: ReadonlySet<string> },
): string[][] {
  const chosen = healths
    .filter(
      (h) =>
        h.liquidatable &&
        h.expectedReward >= opts.minReward &&
        !opts.inFlight.has(actionKey.liquidate(h.account)) &&
        ownsAccount(h.account, opts.shard),
    )
    .sort((a, b) => {
      const d = shortfall(b) - shortfall(a);
      if (d !== 0n) return d > 0n ? 1 : -1;
      return a.account.toLowerCase() < b.account.toLowerCase() ? -1 : 1;
    });
  return chunk(
    chosen.map((h) => h.account),
    Math.max(1, opts.batchSize),
  );
}

/** What to do with pending orders at `now`: execute those in their window, cancel those past it. */
export function planOrders(
  orders: readonly PendingOrder[],
  now: bigint,
  timing: OrderTiming,
  opts: { shard: Shard; inFlight: ReadonlySet<string> },
): { execute: PendingOrder[]; cancel: PendingOrder[] } {
  const execute: PendingOrder[] = [];
  const cancel: PendingOrder[] = [];
  for (const o of orders) {
    if (!ownsAccount(o.account, opts.shard)) continue;
    if (now > o.committedAt + timing.orderWindow) {
      if (!opts.inFlight.has(actionKey.cancel(o))) cancel.push(o);
    } else if (now >= o.committedAt + timing.minOrderDelay) {
      if (!opts.inFlight.has(actionKey.execute(o))) execute.push(o);
    }
  }
  const byTime = (a: PendingOrder, b: PendingOrder) => (a.committedAt < b.committedAt ? -1 : 1);
  return { execute: execute.sort(byTime), cancel: cancel.sort(byTime) };
}

/** The series to settle at `now`: expired, not settled, not in flight; earliest expiry first. */
export function planSettlements(
  series: readonly SeriesInfo[],
  now: bigint,
  inFlight: ReadonlySet<string>,
): SeriesInfo[] {
  return series
    .filter((s) => !s.settled && s.expiry <= now && !inFlight.has(actionKey.settle(s.id)))
    .sort((a, b) => (a.expiry === b.expiry ? (a.id < b.id ? -1 : 1) : a.expiry < b.expiry ? -1 : 1));
}

/**
 * The (market, expiry) pairs whose price the aggregator has not read since expiry, for expired unsettled series:
 * the keeper reads (pokes) them at once, so the first trusted read after expiry, the settlement price, is taken
 * promptly rather than by whoever reads next.
 */
export function planPokes(
  series: readonly SeriesInfo[],
  now: bigint,
  checkpointed: (market: string, expiry: bigint) => boolean,
): { market: string; expiry: bigint }[] {
  const seen = new Set<string>();
  const out: { market: string; expiry: bigint }[] = [];
  for (const s of series) {
    const key = `${s.market}:${s.expiry}`;
    if (s.settled || s.expiry > now || seen.has(key)) continue;
    seen.add(key);
    if (!checkpointed(s.market, s.expiry)) out.push({ market: s.market, expiry: s.expiry });
  }
  return out;
}

/** Holders of a settled series with options left, in batches for `redeemFor`. */
export function planRedemptions(
  holders: readonly { holder: string; balance: bigint }[],
  batchSize: number,
): string[][] {
  return chunk(
    holders.filter((h) => h.balance > 0n).map((h) => h.holder),
    Math.max(1, batchSize),
  );
}

/** The keys that stop one action from being sent twice while it is in flight. */
export const actionKey = {
  liquidate: (account: string) => `liquidate:${account.toLowerCase()}`,
  execute: (o: PendingOrder) => `execute:${o.account.toLowerCase()}:${o.committedAt}`,
  cancel: (o: PendingOrder) => `cancel:${o.account.toLowerCase()}:${o.committedAt}`,
  settle: (id: bigint) => `settle:${id}`,
  redeem: (id: bigint) => `redeem:${id}`,
  poke: (market: string, expiry: bigint) => `poke:${market}:${expiry}`,
};

export function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * The invariant suite's model of the price aggregator (AGG-1 … AGG-4), written from the spec: each source's reading
 * is valid while fresh and within the band; the median of the valid ones with a quorum, a divergence freeze and a
 * jump breaker that a run of agreeing reads with new information clears. The model knows every source's price and
 * update time because the suite's commands are the only ones that move them, and it records a read wherever a
 * transaction of the suite reads a price for risk, for de-risking or for liquidation.
 */
import type { OracleMarketConfig } from "../../deploy/oracle";
import { Reason } from "../helpers/oracle";

const BPS = 10_000n;

export interface SourceModel {
  /** 18-decimal USD. */
  price: bigint;
  updatedAt: bigint;
  maxStaleness: bigint;
}

/** A market's band, quorum, deviation, jump and recovery, as listed. */
export type OracleLimits = Omit<OracleMarketConfig, "market" | "sources">;

/** What the aggregator records per market between reads. */
interface Recorded {
  frozen: boolean;
  reason: Reason;
  lastGoodPrice: bigint;
  lastGoodAt: bigint;
  lastConfirmedUpdate: bigint;
  agreeingReads: bigint;
  jumpCandidate: bigint;
}

export interface Verdict {
  trusted: boolean;
  reason: Reason;
  median: bigint;
  /** When the median was published (the older of the two middle sources for an even count). */
  publishedAt: bigint;
  validSources: number;
  /** The state a read now would record. */
  next: Recorded;
  /** The jump candidate a read now would keep. */
  candidate: bigint;
}

const within = (a: bigint, b: bigint, bps: bigint) => (a > b ? a - b : b - a) * BPS <= bps * b;

export class MarketOracle {
  private recorded: Recorded;

  constructor(
    readonly sources: SourceModel[],
    readonly limits: OracleLimits,
    lastGood: { price: bigint; at: bigint },
  ) {
    this.recorded = {
      frozen: false,
      reason: Reason.None,
      lastGoodPrice: lastGood.price,
      lastGoodAt: lastGood.at,
      lastConfirmedUpdate: 0n,
      agreeingReads: 0n,
      jumpCandidate: 0n,
    };
  }

  clone(): MarketOracle {
    const copy = new MarketOracle(
      this.sources.map((s) => ({ ...s })),
      this.limits,
      { price: 0n, at: 0n },
    );
    copy.recorded = { ...this.recorded };
    return copy;
  }

  get lastGoodPrice(): bigint {
    return this.recorded.lastGoodPrice;
  }

  /** The aggregator's verdict at `now`, as `status` (a view) and every read compute it. */
  verdict(now: bigint): Verdict {
    const valid: { price: bigint; at: bigint }[] = [];
    let newest = 0n;
    for (const s of this.sources) {
      if (s.updatedAt > now || now - s.updatedAt > s.maxStaleness) continue;
      if (s.price < this.limits.minPrice || s.price > this.limits.maxPrice) continue;
      // A stable insertion sort by price, as the aggregator's.
      let j = valid.length;
      valid.push({ price: s.price, at: s.updatedAt });
      while (j > 0 && valid[j - 1].price > s.price) {
        valid[j] = valid[j - 1];
        j--;
      }
      valid[j] = { price: s.price, at: s.updatedAt };
      if (s.updatedAt > newest) newest = s.updatedAt;
    }
    const n = valid.length;
    let median = 0n;
    let publishedAt = 0n;
    if (n > 0) {
      const h = Math.floor(n / 2);
      if (n % 2 === 1) [median, publishedAt] = [valid[h].price, valid[h].at];
      else {
        median = (valid[h - 1].price + valid[h].price) / 2n;
        publishedAt = valid[h - 1].at < valid[h].at ? valid[h - 1].at : valid[h].at;
      }
    }
    let reason = Reason.None;
    if (BigInt(n) < this.limits.minSources || n === 0) reason = Reason.NoQuorum;
    else if ((valid[n - 1].price - valid[0].price) * BPS > this.limits.maxDeviationBps * valid[0].price) {
      reason = Reason.Divergence;
    }
    const r = { ...this.recorded };
    const verdict = (next: Recorded, candidate: bigint): Verdict => ({
      trusted: !next.frozen,
      reason: next.reason,
      median,
      publishedAt,
      validSources: n,
      next,
      candidate,
    });
    if (reason !== Reason.None) {
      return verdict({ ...r, frozen: true, reason, agreeingReads: 0n }, r.jumpCandidate);
    }
    const accept = (): Recorded => ({
      ...r,
      lastGoodPrice: median,
      lastGoodAt: now,
      frozen: false,
      reason: Reason.None,
      agreeingReads: 0n,
    });
    if (r.lastGoodPrice === 0n || within(median, r.lastGoodPrice, this.limits.maxJumpBps)) return verdict(accept(), 0n);
    // The median jumped away from the last good price.
    const candidate = r.reason === Reason.Jump ? r.jumpCandidate : 0n;
    const newInformation = newest > r.lastConfirmedUpdate;
    if (candidate !== 0n && within(median, candidate, this.limits.maxJumpBps)) {
      if (newInformation) r.agreeingReads += 1n;
    } else {
      r.agreeingReads = 1n;
    }
    if (newInformation) r.lastConfirmedUpdate = newest;
    if (r.agreeingReads >= this.limits.recoveryReads) return verdict(accept(), 0n);
    return verdict({ ...r, frozen: true, reason: Reason.Jump }, median);
  }

  /** A read at `now` that the aggregator records (poke, and every price read inside a transaction that succeeds). */
  record(now: bigint): Verdict {
    const v = this.verdict(now);
    this.recorded = {
      ...v.next,
      jumpCandidate: v.next.reason === Reason.Jump ? v.candidate : this.recorded.jumpCandidate,
    };
    return v;
  }
}

/**
 * OPT-3: the on-chain Black–Scholes library (`contracts/options/BlackScholes.sol`, through `BlackScholesHarness`)
 * measured against the 60-digit reference in `test/helpers/black-scholes-reference.ts`, plus its no-arbitrage
 * properties. Inputs are drawn by fast-check with a fixed seed (FUZZ_SEED overrides) so a run can be replayed.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { BlackScholesHarness, BlackScholesHarness__factory } from "../../../typechain-types";
import {
  callDec,
  cappedCallDec,
  D,
  type Dec,
  fromWad,
  normCdf,
  putDec,
  WAD,
  YEAR_SECONDS,
} from "../../helpers/black-scholes-reference";

const seed = Number(process.env.FUZZ_SEED ?? 42);
const numRuns = Number(process.env.BLACK_SCHOLES_RUNS ?? 400);

const HOUR = 3_600n;
const E12 = 10n ** 12n;
const E9 = 10n ** 9n;

/**
 * Asserted bounds against the exact price. Measured with seed 42: call and put 1.75e-7 of spot, capped call 5.35e-7
 * of spot, CDF 7.45e-8. All of it is the CDF approximation (A&S 26.2.17, whose largest error is 7.4517e-8, at
 * x ≈ −0.7175): the next test shows the fixed-point arithmetic adds less than 1e-17 of spot. So the bounds are the
 * ceilings that approximation implies, which no seed can exceed: a call is S·Φ(d₁) − K·Φ(d₂) with K ≤ 2S, so its
 * error is at most (1 + 2) · 7.5e-8 of spot; a capped call is two calls, the second at a strike up to 8S, so at most
 * (1 + 2 + 1 + 8) · 7.5e-8; the CDF at most 7.5e-8.
 */
const MAX_PRICE_ERROR = 2.25e-7;
const MAX_CAPPED_ERROR = 9e-7;
const MAX_CDF_ERROR = 7.5e-8;
/**
 * Bounds against A&S 26.2.17 evaluated exactly, i.e. the fixed-point rounding alone. Measured with seed 42: prices
 * 7.3e-18 of spot, CDF 4.1e-18 (a few wei). Asserted with a margin of about 12x.
 */
const MAX_PRICE_ROUNDING = 1e-16;
const MAX_CDF_ROUNDING = 5e-17;

type Case = { spot: bigint; strike: bigint; cap: bigint; vol: bigint; seconds: bigint; tau: bigint };
type Priced = Case & { call: bigint; put: bigint; capped: bigint };

/** Identical to `BlackScholes.yearsOf`: seconds as a fraction of a 365-day year, truncated to 18 decimals. */
const yearsOf = (seconds: bigint) => (seconds * WAD) / YEAR_SECONDS;
const clamp = (x: bigint, lo: bigint, hi: bigint) => (x < lo ? lo : x > hi ? hi : x);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

function makeCase(spot: bigint, strike: bigint, cap: bigint, vol: bigint, seconds: bigint): Case {
  return { spot, strike, cap, vol, seconds, tau: yearsOf(seconds) };
}

/**
 * Spot log-uniform over $1 … $100,000 (with random low digits), strike log-uniform over 0.5x … 2x spot, volatility
 * uniform over 5 % … 300 %, time to expiry log-uniform over one hour … one year, cap uniform over 0.1x … 3x strike.
 */
const caseArb = fc
  .record({
    spotExp: fc.integer({ min: 0, max: 5_000_000 }),
    spotLow: fc.bigInt({ min: 0n, max: E12 - 1n }),
    moneyness: fc.integer({ min: -1_000_000, max: 1_000_000 }),
    capRatio: fc.bigInt({ min: E9 / 10n, max: 3n * E9 }),
    vol: fc.bigInt({ min: WAD / 20n, max: 3n * WAD }),
    timeExp: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .map(({ spotExp, spotLow, moneyness, capRatio, vol, timeExp }) => {
    const spot = clamp(BigInt(Math.round(10 ** (spotExp / 1e6) * 1e6)) * E12 + spotLow, WAD, 100_000n * WAD);
    const ratio = BigInt(Math.round(2 ** (moneyness / 1e6) * 1e12));
    const strike = clamp((spot * ratio) / E12, spot / 2n, 2n * spot);
    const seconds = clamp(BigInt(Math.round(3_600 * 8_760 ** (timeExp / 1e6))), HOUR, YEAR_SECONDS);
    return makeCase(spot, strike, (strike * capRatio) / E9, vol, seconds);
  });

/** Every corner of the input box: spot, moneyness, cap, volatility and time at their extremes (and at the money). */
function corners(): Case[] {
  const out: Case[] = [];
  for (const spot of [WAD, 100_000n * WAD])
    for (const strike of [spot / 2n, spot, 2n * spot])
      for (const cap of [strike / 10n, 3n * strike])
        for (const vol of [WAD / 20n, 3n * WAD])
          for (const seconds of [HOUR, YEAR_SECONDS]) out.push(makeCase(spot, strike, cap, vol, seconds));
  return out;
}

/** Runs `fn` over `items` in parallel chunks, keeping the order. */
async function inChunks<T, R>(items: T[], fn: (item: T) => Promise<R>, size = 100): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/** |onchain − reference| / scale, both onchain and scale in WAD. */
const relError = (onchain: bigint, reference: Dec, scale: bigint) =>
  fromWad(onchain).sub(reference).abs().div(fromWad(scale));

class MaxError {
  value: Dec = new D(0);
  where = "";
  add(error: Dec, where: () => string) {
    if (error.gt(this.value)) {
      this.value = error;
      this.where = where();
    }
  }
  toString() {
    return this.value.toSignificantDigits(3).toExponential();
  }
}

const show = (c: Case) =>
  `spot=${c.spot} strike=${c.strike} cap=${c.cap} vol=${c.vol} seconds=${c.seconds} (tau=${c.tau})`;

/**
 * Abramowitz and Stegun 26.2.17, with the contract's cutoff at ten standard deviations and its clamps, evaluated
 * exactly in 60 digits: the formula the contract implements. Comparing against it separates the contract's
 * fixed-point rounding from the approximation's own error.
 */
const AS_P = new D("0.2316419");
const AS_B = ["0.319381530", "-0.356563782", "1.781477937", "-1.821255978", "1.330274429"].map((b) => new D(b));
const INV_SQRT_2PI = new D(1).div(D.acos(-1).mul(2).sqrt());

function asCdf(x: Dec): Dec {
  if (x.abs().gte(10)) return x.isPos() ? new D(1) : new D(0);
  const ax = x.abs();
  const t = new D(1).div(new D(1).add(AS_P.mul(ax)));
  const poly = AS_B.reduceRight((acc, b) => acc.add(b).mul(t), new D(0));
  const tail = D.min(D.max(INV_SQRT_2PI.mul(ax.mul(ax).div(-2).exp()).mul(poly), 0), 1);
  return x.isNeg() ? tail : new D(1).sub(tail);
}

function asCall(spot: Dec, strike: Dec, vol: Dec, tau: Dec): Dec {
  const s = vol.mul(tau.sqrt());
  const d1 = spot.div(strike).ln().add(s.mul(s).div(2)).div(s);
  const value = spot.mul(asCdf(d1)).sub(strike.mul(asCdf(d1.sub(s))));
  return D.min(D.max(value, spot.sub(strike), 0), spot);
}

describe("BlackScholes: differential test against a 60-digit reference (OPT-3)", function () {
  let bs: BlackScholesHarness;
  let priced: Priced[];
  /** CDF arguments over [−12, 12]: fuzzed, plus a grid with a step of 0.01 that resolves the error curve's peaks. */
  let xs: bigint[];
  let cdfs: bigint[];

  async function price(cases: Case[]): Promise<Priced[]> {
    return inChunks(cases, async (c) => {
      const [call, put, capped] = await Promise.all([
        bs.callValue(c.spot, c.strike, c.vol, c.tau),
        bs.putValue(c.spot, c.strike, c.vol, c.tau),
        bs.cappedCall(c.spot, c.strike, c.cap, c.vol, c.tau),
      ]);
      return { ...c, call, put, capped };
    });
  }

  before(async function () {
    const [deployer] = await ethers.getSigners();
    bs = await new BlackScholesHarness__factory(deployer).deploy();
    priced = await price([...corners(), ...fc.sample(caseArb, { seed, numRuns })]);
    xs = [
      ...fc.sample(fc.bigInt({ min: -12n * WAD, max: 12n * WAD }), { seed, numRuns: 500 }),
      ...Array.from({ length: 2_401 }, (_, i) => (BigInt(i) - 1_200n) * (WAD / 100n)),
    ];
    cdfs = await inChunks(xs, (x) => bs.cdf(x), 200);
  });

  it("OPT-3: Black-Scholes on chain agrees with a 50-digit reference over fuzzed inputs (max error stated)", async function () {
    // The harness's year fraction is the one the cases use.
    const years = await inChunks(priced, (c) => bs.yearsOf(c.seconds));
    priced.forEach((c, i) => expect(years[i], `yearsOf(${c.seconds})`).to.equal(c.tau));

    const callError = new MaxError();
    const putError = new MaxError();
    const cappedError = new MaxError();
    for (const c of priced) {
      const [spot, strike, cap, vol, tau] = [c.spot, c.strike, c.cap, c.vol, c.tau].map(fromWad);
      callError.add(relError(c.call, callDec(spot, strike, vol, tau), c.spot), () => show(c));
      putError.add(relError(c.put, putDec(spot, strike, vol, tau), c.spot), () => show(c));
      cappedError.add(relError(c.capped, cappedCallDec(spot, strike, cap, vol, tau), c.spot), () => show(c));
    }
    const cdfError = new MaxError();
    xs.forEach((x, i) => cdfError.add(relError(cdfs[i], normCdf(fromWad(x)), WAD), () => `x=${x}`));

    console.log(
      `      OPT-3 max |error| / spot over ${priced.length} cases: call ${callError}, put ${putError}, ` +
        `cappedCall ${cappedError}; cdf max |error| over ${xs.length} points in [-12, 12]: ${cdfError}`,
    );
    expect(callError.value.toNumber(), `call at ${callError.where}`).to.be.below(MAX_PRICE_ERROR);
    expect(putError.value.toNumber(), `put at ${putError.where}`).to.be.below(MAX_PRICE_ERROR);
    expect(cappedError.value.toNumber(), `cappedCall at ${cappedError.where}`).to.be.below(MAX_CAPPED_ERROR);
    expect(cdfError.value.toNumber(), `cdf at ${cdfError.where}`).to.be.below(MAX_CDF_ERROR);
  });

  it("OPT-3: apart from the A&S 26.2.17 approximation, the fixed-point arithmetic loses only a few wei", async function () {
    const callError = new MaxError();
    const cappedError = new MaxError();
    for (const c of priced) {
      const [spot, strike, cap, vol, tau] = [c.spot, c.strike, c.cap, c.vol, c.tau].map(fromWad);
      const call = asCall(spot, strike, vol, tau);
      const capped = D.min(D.max(call.sub(asCall(spot, strike.add(cap), vol, tau)), 0), cap);
      callError.add(relError(c.call, call, c.spot), () => show(c));
      // put = call + strike − spot exactly (checked below), so it shares the call's rounding.
      cappedError.add(relError(c.capped, capped, c.spot), () => show(c));
    }
    const cdfError = new MaxError();
    xs.forEach((x, i) => cdfError.add(relError(cdfs[i], asCdf(fromWad(x)), WAD), () => `x=${x}`));

    console.log(
      `      OPT-3 max |onchain - exact A&S| / spot: call ${callError}, cappedCall ${cappedError}; cdf ${cdfError}`,
    );
    expect(callError.value.toNumber(), `call at ${callError.where}`).to.be.below(MAX_PRICE_ROUNDING);
    expect(cappedError.value.toNumber(), `cappedCall at ${cappedError.where}`).to.be.below(MAX_PRICE_ROUNDING);
    expect(cdfError.value.toNumber(), `cdf at ${cdfError.where}`).to.be.below(MAX_CDF_ROUNDING);
  });

  it("OPT-3: prices stay within the no-arbitrage bounds and satisfy put-call parity", async function () {
    for (const c of priced) {
      const where = show(c);
      expect(c.call, `call ≥ intrinsic at ${where}`).to.be.gte(max(c.spot - c.strike, 0n));
      expect(c.call, `call ≤ spot at ${where}`).to.be.lte(c.spot);
      expect(c.put, `put ≥ intrinsic at ${where}`).to.be.gte(max(c.strike - c.spot, 0n));
      expect(c.put, `put ≤ strike at ${where}`).to.be.lte(c.strike);
      expect(c.capped, `cappedCall ≥ 0 at ${where}`).to.be.gte(0n);
      expect(c.capped, `cappedCall ≤ cap at ${where}`).to.be.lte(c.cap);
      expect(c.capped, `cappedCall ≤ call at ${where}`).to.be.lte(c.call);
      const parity = c.call - c.put - (c.spot - c.strike);
      expect(parity, `call − put − (spot − strike) at ${where}`).to.be.within(-1n, 1n);
    }
  });

  it("OPT-3: a zero time to expiry or a vanishing volatility gives the intrinsic value", async function () {
    const cases = fc.sample(caseArb, { seed: seed + 1, numRuns: 40 });
    await inChunks(
      cases,
      async (c) => {
        const intrinsicCall = max(c.spot - c.strike, 0n);
        const intrinsicPut = max(c.strike - c.spot, 0n);
        const intrinsicCapped = intrinsicCall < c.cap ? intrinsicCall : c.cap;
        // τ = 0, σ = 0, and a volatility so small that σ√τ truncates to zero over an hour: exactly intrinsic.
        const degenerate: [bigint, bigint][] = [
          [c.vol, 0n],
          [0n, c.tau],
          [90n, yearsOf(HOUR)],
        ];
        for (const [vol, tau] of degenerate) {
          const where = `${show(c)} with vol=${vol} tau=${tau}`;
          expect(await bs.callValue(c.spot, c.strike, vol, tau), `call at ${where}`).to.equal(intrinsicCall);
          expect(await bs.putValue(c.spot, c.strike, vol, tau), `put at ${where}`).to.equal(intrinsicPut);
          expect(await bs.cappedCall(c.spot, c.strike, c.cap, vol, tau), `capped at ${where}`).to.equal(
            intrinsicCapped,
          );
        }
        // A tiny but non-zero σ (1e-9): at least 0.1 % from the money, d₁ and d₂ are beyond ±10⁶, so the CDF
        // saturates and the value is exactly intrinsic.
        if (c.strike * 1_001n < c.spot * 1_000n || c.spot * 1_001n < c.strike * 1_000n) {
          const where = `${show(c)} with vol=1e-9`;
          expect(await bs.callValue(c.spot, c.strike, 10n ** 9n, c.tau), `call at ${where}`).to.equal(intrinsicCall);
          expect(await bs.putValue(c.spot, c.strike, 10n ** 9n, c.tau), `put at ${where}`).to.equal(intrinsicPut);
        }
      },
      10,
    );
  });

  it("OPT-3: the call value is non-decreasing and the put value non-increasing in spot", async function () {
    // For sampled strikes, volatilities and times, a ladder of 40 spots from 0.5x to 2x strike (log-spaced).
    const rungs = 40;
    const ladders = fc.sample(caseArb, { seed: seed + 2, numRuns: 30 }).map((c) =>
      Array.from({ length: rungs }, (_, i) => {
        const ratio = BigInt(Math.round(2 ** ((2 * i) / (rungs - 1) - 1) * 1e12));
        return makeCase((c.strike * ratio) / E12, c.strike, c.cap, c.vol, c.seconds);
      }),
    );
    const values = await inChunks(ladders.flat(), (c) =>
      Promise.all([bs.callValue(c.spot, c.strike, c.vol, c.tau), bs.putValue(c.spot, c.strike, c.vol, c.tau)]),
    );
    ladders.forEach((ladder, l) => {
      for (let i = 1; i < rungs; i++) {
        const [[callLo, putLo], [callHi, putHi]] = [values[l * rungs + i - 1], values[l * rungs + i]];
        const where = `spot ${ladder[i - 1].spot} → ${ladder[i].spot}, ${show(ladder[i])}`;
        expect(callHi, `call from ${where}`).to.be.gte(callLo);
        expect(putHi, `put from ${where}`).to.be.lte(putLo);
      }
    });
  });
});

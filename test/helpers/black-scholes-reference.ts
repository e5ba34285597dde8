/**
 * A high-precision reference for `contracts/options/BlackScholes.sol` (OPT-3), written from the textbook formulas
 * rather than from the Solidity: European options at a zero interest rate, computed in 60-significant-digit decimal
 * arithmetic. Inputs and outputs are 18-decimal fixed point (WAD) bigints, like the contract's; the `*Dec` variants
 * take and return plain decimals. `test/unit/options/black-scholes.test.ts` measures the contract against it.
 */
import Decimal from "decimal.js";

/** A private decimal.js constructor, so that the global configuration is never changed. */
export const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN });
export type Dec = InstanceType<typeof D>;

export const WAD = 10n ** 18n;
export const YEAR_SECONDS = 31_536_000n;

const ZERO = new D(0);
const ONE = new D(1);
const HALF = new D("0.5");
const TWO_OVER_SQRT_PI = new D(2).div(D.acos(-1).sqrt());
const WAD_DEC = new D(WAD.toString());
/** Relative size of the last series term kept: far below the 60-digit working precision's last place. */
const SERIES_EPSILON = new D("1e-64");
/**
 * Beyond |z| = 11 (|x| ≈ 15.6 standard deviations) erfc(z) < 1.5e-54, so returning exactly ±1 from `erf` (0 or 1
 * from `normCdf`) is accurate to far better than 1e-20, and it keeps the series (about 4z² terms) short.
 */
const ERF_CUTOFF = new D(11);

/** Converts an 18-decimal fixed-point bigint to a decimal. */
export function fromWad(x: bigint): Dec {
  return new D(x.toString()).div(WAD_DEC);
}

/** Converts a decimal to 18-decimal fixed point, rounded to the nearest unit (half to even). */
export function toWad(x: Dec): bigint {
  return BigInt(x.mul(WAD_DEC).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toFixed(0));
}

/**
 * The error function, from the everywhere-convergent series erf(z) = 2/√π · e^(−z²) · Σₙ (2z²)ⁿ z / (2n+1)!!
 * (Abramowitz and Stegun 7.1.6). Every term is positive, so unlike the alternating Taylor series there is no
 * cancellation: each term and the sum carry the full 60-digit precision for every |z| below the cutoff.
 */
export function erf(z: Dec): Dec {
  if (z.isZero()) return ZERO;
  if (z.abs().gte(ERF_CUTOFF)) return z.isNeg() ? ONE.neg() : ONE;
  const twoZ2 = z.mul(z).mul(2);
  let term = z;
  let sum = z;
  for (let n = 1; ; n++) {
    term = term.mul(twoZ2).div(2 * n + 1);
    sum = sum.add(term);
    // Once the ratio of successive terms 2z²/(2n+3) is at most 1/2, the remainder is at most the current term.
    if (twoZ2.mul(2).lte(2 * n + 3) && term.abs().lte(sum.abs().mul(SERIES_EPSILON))) break;
  }
  return TWO_OVER_SQRT_PI.mul(z.mul(z).neg().exp()).mul(sum);
}

/** The standard normal CDF, Φ(x) = (1 + erf(x/√2)) / 2, with an absolute error below 1e-50. */
export function normCdf(x: Dec): Dec {
  return ONE.add(erf(x.div(new D(2).sqrt()))).mul(HALF);
}

/** Years in `seconds` of a 365-day year, exactly (no truncation to 18 decimals). */
export function yearsOfDec(seconds: bigint): Dec {
  return new D(seconds.toString()).div(YEAR_SECONDS.toString());
}

/**
 * Black–Scholes call at a zero rate: S·Φ(d₁) − K·Φ(d₂), d₁ = (ln(S/K) + σ²τ/2)/(σ√τ), d₂ = d₁ − σ√τ.
 * A zero time or volatility (or spot) gives the intrinsic value max(S − K, 0). `strike` must be positive.
 */
export function callDec(spot: Dec, strike: Dec, vol: Dec, tau: Dec): Dec {
  const intrinsic = D.max(spot.sub(strike), ZERO);
  const sigmaSqrtT = vol.mul(tau.sqrt());
  if (sigmaSqrtT.isZero() || spot.isZero()) return intrinsic;
  const d1 = spot.div(strike).ln().add(sigmaSqrtT.mul(sigmaSqrtT).div(2)).div(sigmaSqrtT);
  const d2 = d1.sub(sigmaSqrtT);
  return spot.mul(normCdf(d1)).sub(strike.mul(normCdf(d2)));
}

/** Put by put–call parity at a zero rate: C − S + K. */
export function putDec(spot: Dec, strike: Dec, vol: Dec, tau: Dec): Dec {
  return callDec(spot, strike, vol, tau).sub(spot).add(strike);
}

/** A call whose payoff is capped at `cap`: the call spread C(K) − C(K + cap). */
export function cappedCallDec(spot: Dec, strike: Dec, cap: Dec, vol: Dec, tau: Dec): Dec {
  return callDec(spot, strike, vol, tau).sub(callDec(spot, strike.add(cap), vol, tau));
}

/** Φ(x) for an 18-decimal `x`, in 18 decimals (rounded to nearest). */
export function cdf(x: bigint): bigint {
  return toWad(normCdf(fromWad(x)));
}

/** `call` with WAD inputs (vol annual, tau in years) and a WAD result rounded to nearest. */
export function call(spot: bigint, strike: bigint, vol: bigint, tau: bigint): bigint {
  return toWad(callDec(fromWad(spot), fromWad(strike), fromWad(vol), fromWad(tau)));
}

/** `put` with WAD inputs and a WAD result rounded to nearest. */
export function put(spot: bigint, strike: bigint, vol: bigint, tau: bigint): bigint {
  return toWad(putDec(fromWad(spot), fromWad(strike), fromWad(vol), fromWad(tau)));
}

/** `cappedCall` with WAD inputs and a WAD result rounded to nearest. */
export function cappedCall(spot: bigint, strike: bigint, cap: bigint, vol: bigint, tau: bigint): bigint {
  return toWad(cappedCallDec(fromWad(spot), fromWad(strike), fromWad(cap), fromWad(vol), fromWad(tau)));
}

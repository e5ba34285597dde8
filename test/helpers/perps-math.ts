/**
 * The TypeScript mirror of `contracts/perps/PerpsMath.sol`, in bigint, written from the spec (PERP-4 … PERP-6,
 * LIQ-3) rather than from the Solidity. The keeper uses the same formulas; `test/property/perps.property.test.ts`
 * checks that both agree exactly.
 */
export const WAD = 10n ** 18n;
export const BPS = 10_000n;
export const DAY = 86_400n;

const abs = (x: bigint) => (x < 0n ? -x : x);
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
/** a / b rounded toward −∞ (b > 0). */
const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -ceilDiv(-a, b));
/** Solidity's signed division: truncation toward zero. */
const truncDiv = (a: bigint, b: bigint) => a / b;

/** Oracle price moved by the average skew premium before and after the trade; against the trader. */
export function fillPrice(price: bigint, skew: bigint, delta: bigint, skewScale: bigint): bigint {
  const numerator = 2n * skew + delta;
  const exact = price * abs(numerator);
  const denominator = 2n * skewScale;
  const roundUp = numerator > 0n === delta > 0n;
  const move = roundUp ? ceilDiv(exact, denominator) : exact / denominator;
  if (numerator >= 0n) return price + move;
  return move >= price ? 1n : price - move;
}

/** Maker rate on the part that reduces |skew|, taker rate on the rest; rounded up. */
export function tradeFee(skew: bigint, delta: bigint, fill: bigint, makerBps: bigint, takerBps: bigint): bigint {
  const size = abs(delta);
  const opposite = (skew > 0n && delta < 0n) || (skew < 0n && delta > 0n);
  const maker = opposite ? (size < abs(skew) ? size : abs(skew)) : 0n;
  return ceilDiv((maker * makerBps + (size - maker) * takerBps) * fill, WAD * BPS);
}

export function fundingVelocity(skew: bigint, skewScale: bigint, maxVelocity: bigint): bigint {
  const clamped = abs(skew) < skewScale ? abs(skew) : skewScale;
  const v = (clamped * maxVelocity) / skewScale;
  return skew < 0n ? -v : v;
}

/** The clamped linear funding rate integrated over `elapsed` seconds, times the price. */
export function accrueFunding(
  rate: bigint,
  velocity: bigint,
  elapsed: bigint,
  maxRate: bigint,
  price: bigint,
): [bigint, bigint] {
  const r0 = rate > maxRate ? maxRate : rate < -maxRate ? -maxRate : rate;
  if (elapsed === 0n) return [r0, 0n];
  let r1 = r0 + truncDiv(velocity * elapsed, DAY);
  let area: bigint;
  if (r1 > maxRate || r1 < -maxRate) {
    const bound = r1 > maxRate ? maxRate : -maxRate;
    let toBound = truncDiv((bound - r0) * DAY, velocity);
    if (toBound > elapsed) toBound = elapsed;
    area = truncDiv((r0 + bound) * toBound, 2n) + bound * (elapsed - toBound);
    r1 = bound;
  } else {
    area = truncDiv((r0 + r1) * elapsed, 2n);
  }
  return [r1, truncDiv(area * price, WAD * DAY)];
}

export const pnl = (size: bigint, entry: bigint, exit: bigint) => floorDiv(size * (exit - entry), WAD);
export const fundingOwed = (size: bigint, entryIndex: bigint, index: bigint) =>
  -floorDiv(size * (entryIndex - index), WAD);

export function margins(notional: bigint, maxLeverage: bigint, maintenanceBps: bigint, minMargin: bigint) {
  const leveraged = ceilDiv(notional, maxLeverage);
  return [leveraged + minMargin, ceilDiv(leveraged * maintenanceBps, BPS) + minMargin] as const;
}

export function liquidationReward(notional: bigint, flat: bigint, bps: bigint, floor: bigint, cap: bigint) {
  let reward = flat + (notional * bps) / BPS;
  if (reward < floor) reward = floor;
  return reward > cap ? cap : reward;
}

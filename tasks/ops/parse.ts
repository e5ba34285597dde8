/**
 * Parsing of the operator tasks' arguments, pure: amounts, sizes, basis points, markets and scopes, pause actions,
 * parameter values. Every function throws an `OpsError` that names the argument and what was expected.
 */
import { encodeBytes32String, isAddress, isHexString, parseUnits, zeroPadValue, ZeroHash } from "ethers";
import { OpsError } from "./errors";

const DECIMAL = /^\d+(\.\d+)?$/;
const SIGNED_DECIMAL = /^[+-]?\d+(\.\d+)?$/;

/** A positive decimal amount (e.g. "1000", "12.5") in units of `decimals`. */
export function parseAmount(text: string, decimals: number, what: string): bigint {
  const value = parseDecimal(text.trim(), decimals, what, DECIMAL);
  if (value === 0n) throw new OpsError(`${what} must be more than zero (got "${text}")`);
  return value;
}

/** A non-zero signed decimal (e.g. "1.5", "-0.25") in units of `decimals`. */
export function parseSignedAmount(text: string, decimals: number, what: string): bigint {
  const value = parseDecimal(text.trim(), decimals, what, SIGNED_DECIMAL);
  if (value === 0n) throw new OpsError(`${what} must not be zero (got "${text}")`);
  return value;
}

function parseDecimal(text: string, decimals: number, what: string, shape: RegExp): bigint {
  if (!shape.test(text)) throw new OpsError(`${what} must be a decimal number such as "12.5" (got "${text}")`);
  const fraction = text.split(".")[1] ?? "";
  if (fraction.length > decimals) {
    throw new OpsError(`${what} has more than ${decimals} decimals (got "${text}")`);
  }
  return parseUnits(text.replace(/^\+/, ""), decimals);
}

/** Basis points: an integer from 0 to `max` (10,000 by default). */
export function parseBps(value: number, what: string, max = 10_000): bigint {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new OpsError(`${what} must be a whole number of basis points from 0 to ${max} (got ${value})`);
  }
  return BigInt(value);
}

/** A market id from its name ("ETH-USD"), as the contracts key it (bytes32 text). */
export function marketId(name: string): string {
  const trimmed = name.trim();
  if (trimmed === "" || Buffer.byteLength(trimmed) > 31) {
    throw new OpsError(`a market name has 1 to 31 characters, such as "ETH-USD" (got "${name}")`);
  }
  return encodeBytes32String(trimmed);
}

/**
 * A parameter or pause scope: "GLOBAL" (or "0") for module-wide, a market name, an address (a price source's per-source
 * parameters), or a raw 32-byte hex value.
 */
export function parseScope(text: string): string {
  const t = text.trim();
  if (/^(global|0)$/i.test(t)) return ZeroHash;
  if (isAddress(t)) return zeroPadValue(t, 32);
  if (isHexString(t, 32)) return t;
  return marketId(t);
}

/** The pause registry's actions, in `IPauseRegistry.Action` order: bit i is action i. */
export const PAUSE_ACTIONS = [
  "open",
  "increase",
  "reduce",
  "close",
  "liquidate",
  "deposit",
  "withdraw",
  "buyOption",
  "sellOption",
  "settle",
] as const;

/** The actions the guardian may never pause (CB-1: traders can always de-risk). */
export const DERISKING_ACTIONS = ["reduce", "close"] as const;

const normalise = (name: string) => name.toLowerCase().replace(/[-_\s]/g, "");

/**
 * A comma-separated list of action names ("open,liquidate", case and dashes ignored; "all" for every action but
 * reduce and close) as the registry's bit mask.
 */
export function parseActions(text: string): bigint {
  let mask = 0n;
  const names = text
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  if (names.length === 0) throw new OpsError(`--actions needs at least one of: ${PAUSE_ACTIONS.join(", ")}`);
  for (const name of names) {
    if (normalise(name) === "all") {
      PAUSE_ACTIONS.forEach((a, i) => {
        if (!(DERISKING_ACTIONS as readonly string[]).includes(a)) mask |= 1n << BigInt(i);
      });
      continue;
    }
    const index = PAUSE_ACTIONS.findIndex((a) => normalise(a) === normalise(name));
    if (index === -1) {
      throw new OpsError(`unknown action "${name}"; the actions are: ${PAUSE_ACTIONS.join(", ")} (or "all")`);
    }
    mask |= 1n << BigInt(index);
  }
  return mask;
}

/** The action names of a bit mask. */
export function actionNames(mask: bigint): string[] {
  return PAUSE_ACTIONS.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

const DURATIONS: Record<string, bigint> = { s: 1n, m: 60n, h: 3_600n, d: 86_400n };

/**
 * A parameter value as the module stores it: an integer ("5000"), a decimal with an exponent for 18-decimal values
 * ("20e18", "0.5e18"), or a duration in seconds ("90s", "30m", "2h", "3d").
 */
export function parseParameterValue(text: string): bigint {
  const t = text.trim().replace(/_/g, "");
  if (/^\d+$/.test(t)) return BigInt(t);
  const duration = /^(\d+)([smhd])$/.exec(t);
  if (duration) return BigInt(duration[1]) * DURATIONS[duration[2]];
  const scientific = /^(\d+(?:\.\d+)?)e(\d+)$/i.exec(t);
  if (scientific) {
    const exponent = Number(scientific[2]);
    const fraction = scientific[1].split(".")[1] ?? "";
    if (fraction.length <= exponent && exponent <= 77) return parseUnits(scientific[1], exponent);
  }
  throw new OpsError(
    `--value must be a whole number ("5000"), a number with an exponent ("20e18", "0.5e18") or a duration ` +
      `("90s", "30m", "2h", "3d") (got "${text}")`,
  );
}

/** A parameter key ("maxLeverage") as the modules key it (bytes32 text). */
export function parameterKey(name: string): string {
  const t = name.trim();
  if (t === "" || Buffer.byteLength(t) > 31) throw new OpsError(`--key must be a parameter name such as maxLeverage`);
  return encodeBytes32String(t);
}

/** An option series id: decimal or 0x-hex uint256. */
export function parseSeriesId(text: string): bigint {
  const t = text.trim();
  if (/^\d+$/.test(t) || /^0x[0-9a-fA-F]{1,64}$/.test(t)) return BigInt(t);
  throw new OpsError(`--series must be a series id, decimal or 0x-hex (trader:status lists them; got "${text}")`);
}

/** An address argument. */
export function parseAddress(text: string, what: string): string {
  if (!isAddress(text.trim())) throw new OpsError(`${what} must be an address (got "${text}")`);
  return text.trim();
}

/** A 32-byte hex value (an operation id). */
export function parseBytes32(text: string, what: string): string {
  const t = text.trim();
  if (!isHexString(t, 32))
    throw new OpsError(`${what} must be 32 bytes of hex, 0x followed by 64 digits (got "${text}")`);
  return t;
}

/** `price × (1 ± bps)` with the rounding in the protocol's favour: up for a buyer's limit, down for a seller's. */
export function withSlippage(price: bigint, bps: bigint, buyer: boolean): bigint {
  const BPS = 10_000n;
  if (buyer) return (price * (BPS + bps) + BPS - 1n) / BPS;
  return (price * (BPS - bps)) / BPS;
}

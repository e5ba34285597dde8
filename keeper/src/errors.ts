/**
 * Decoding what the chain refused (KPR-4): a revert's custom error, by name and arguments, from every Bulwark
 * contract the keeper calls; and whether it is a benign race or wait (another keeper was first, the account is
 * healthy again, the price is not fresh yet) or a real failure worth an alert.
 */
import { Interface, type ErrorDescription } from "ethers";
import { revertData } from "./revert-data";
import {
  ERC1155__factory,
  LiquidityPool__factory,
  MarginAccounts__factory,
  OptionsEngine__factory,
  OutflowLimiter__factory,
  PauseRegistry__factory,
  PerpsEngine__factory,
  PriceAggregator__factory,
} from "../../typechain-types";

const abis = [
  PerpsEngine__factory.abi,
  OptionsEngine__factory.abi,
  PriceAggregator__factory.abi,
  LiquidityPool__factory.abi,
  MarginAccounts__factory.abi,
  OutflowLimiter__factory.abi,
  PauseRegistry__factory.abi,
  ERC1155__factory.abi,
];

/** Every custom error of the contracts above, once each (by selector). */
const errors = new Interface(
  [
    ...new Map(
      abis.flatMap((abi) => abi.filter((f) => f.type === "error")).map((f) => [JSON.stringify(f), f]),
    ).values(),
  ].map((f) => f as never),
);

export { revertData };

const builtins = new Interface(["error Error(string)", "error Panic(uint256)"]);

/** Another keeper or the account itself got there first: nothing to do. */
const RACES = new Set([
  "PerpsAccountHealthy",
  "PerpsNoOrder",
  "PerpsNoPosition",
  "OptionsAlreadySettled",
  "OptionsNotSettled",
]);

/** The action may succeed later: try again on a later tick. */
const WAITS = new Set([
  "PerpsOrderNotReady",
  "PerpsOrderNotExpired",
  "PerpsPriceOlderThanOrder",
  // The price moved past the trader's limit; it may come back before the order's window ends (then it is cancelled).
  "PerpsSlippage",
  "PerpsLiquidationStepUsed",
  "PerpsLiquidationGrace",
  "PerpsPaused",
  "PriceAggregatorUntrusted",
  "OptionsNotExpired",
]);

export type Verdict = "race" | "wait" | "failure";

export interface DecodedRevert {
  /** The custom error's name, `Error(string)`'s message, or `unknown`. */
  name: string;
  args: readonly unknown[];
  verdict: Verdict;
}

/** Decodes revert data (`0x…`) into a named error and its verdict. */
export function decodeRevert(data: string | undefined | null): DecodedRevert {
  if (!data || data === "0x") return { name: "unknown", args: [], verdict: "failure" };
  let parsed: ErrorDescription | null = null;
  try {
    parsed = errors.parseError(data);
  } catch {
    parsed = null;
  }
  if (parsed === null) {
    try {
      parsed = builtins.parseError(data);
    } catch {
      parsed = null;
    }
  }
  if (parsed === null) return { name: `unknown(${data.slice(0, 10)})`, args: [], verdict: "failure" };
  const name = parsed.name;
  const verdict: Verdict = RACES.has(name) ? "race" : WAITS.has(name) ? "wait" : "failure";
  return { name, args: [...parsed.args], verdict };
}

/** Whether an error came from the transport (endpoint down, timeout) rather than from the chain's verdict. */
export function isTransportError(error: unknown): boolean {
  const o = error as { code?: string; message?: string } | null;
  if (o === null || typeof o !== "object") return false;
  if (o.code === "CALL_EXCEPTION" || revertData(error) !== undefined) return false;
  if (
    ["NETWORK_ERROR", "SERVER_ERROR", "TIMEOUT", "ECONNREFUSED", "ECONNRESET", "UND_ERR_SOCKET"].includes(o.code ?? "")
  )
    return true;
  // An endpoint that rate-limits the keeper answers with an error, not a verdict of the chain: try another one.
  return /ECONNREFUSED|ECONNRESET|socket hang up|fetch failed|timeout|network|rate.?limit|too many requests|\b429\b|request count exceeded/i.test(
    errorText(error),
  );
}

/**
 * Whether a call failed for its size rather than the chain's verdict: out of gas, or over a node's per-call gas
 * cap (no revert data, a message about gas). The caller splits the batch and tries the halves.
 */
export function isGasLimitError(error: unknown): boolean {
  if (revertData(error) !== undefined) return false;
  return /out of gas|gas limit|gas cap|exceeds allowance|intrinsic gas/i.test(errorText(error));
}

/** Whether a node refused an `eth_getLogs` for the size of its answer or range (a smaller range will do). */
export function isTooManyLogs(error: unknown): boolean {
  return /more than \d+ results|too many (results|logs)|response size|range (is )?too (large|wide)|block range/i.test(
    errorText(error),
  );
}

/** An ethers error's message with the node's JSON-RPC error message, where the node's own words are. */
function errorText(error: unknown): string {
  const o = error as { message?: string; info?: { error?: { message?: string } } } | null;
  return `${o?.message ?? ""} ${o?.info?.error?.message ?? ""}`;
}

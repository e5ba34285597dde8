/**
 * Errors of the operator tasks: a readable `OpsError` for bad input (thrown before any transaction), and the
 * decoding of a revert's custom error, by name and arguments, over every Bulwark contract's ABI.
 */
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { revertData } from "../../keeper/src/revert-data";
import { name32 } from "./format";
import type { ContractTransactionReceipt, ContractTransactionResponse, ErrorDescription, Interface } from "ethers";

const PLUGIN = "bulwark-ops";

/** A problem the user can fix: a bad argument, a missing deployment, a call the protocol refused. */
export class OpsError extends HardhatPluginError {
  constructor(message: string, parent?: Error) {
    super(PLUGIN, message, parent);
  }
}

/** The contracts whose custom errors a revert may carry (an engine bubbles the aggregator's, the pool's, …). */
const ERROR_SOURCES = [
  "PerpsEngine",
  "PerpsMarkets",
  "PerpsLens",
  "MarginAccounts",
  "LiquidityPool",
  "OutflowLimiter",
  "OptionsEngine",
  "PriceAggregator",
  "PauseRegistry",
  "BulwarkTimelock",
  "BulwarkAccessManager",
  "MockUSDC",
];

const cache = new WeakMap<HardhatRuntimeEnvironment, Interface>();

/** One interface holding the custom errors of every Bulwark contract (ethers adds `Error(string)`, `Panic`). */
export async function errorInterface(hre: HardhatRuntimeEnvironment): Promise<Interface> {
  const known = cache.get(hre);
  if (known) return known;
  const seen = new Map<string, string>();
  for (const name of ERROR_SOURCES) {
    if (!(await hre.artifacts.artifactExists(name))) continue;
    const { abi } = await hre.artifacts.readArtifact(name);
    const iface = new hre.ethers.Interface(abi);
    iface.forEachError((e) => seen.set(e.selector, e.format("full")));
  }
  const iface = new hre.ethers.Interface([...seen.values()]);
  cache.set(hre, iface);
  return iface;
}

/** `Name(arg=value, …)` of a decoded error. */
export function formatError(parsed: ErrorDescription): string {
  const args = parsed.fragment.inputs.map((input, i) => {
    const value: unknown = parsed.args[i];
    const shown = typeof value === "string" && value.length === 66 ? quoted(name32(value)) : String(value);
    return `${input.name || `arg${i}`}=${shown}`;
  });
  return `${parsed.name}(${args.join(", ")})`;
}

/** Text of a bytes32 in quotes ("ETH-USD"), hex as is. */
function quoted(text: string): string {
  return text.startsWith("0x") ? text : `"${text}"`;
}

/** The revert of `error` decoded by name and arguments; undefined when it is not a revert. */
export async function describeRevert(hre: HardhatRuntimeEnvironment, error: unknown): Promise<string | undefined> {
  const data = revertData(error);
  if (data === undefined) {
    const message = error instanceof Error ? error.message : String(error);
    return /revert/i.test(message) ? message.split("\n")[0] : undefined;
  }
  const parsed = (await errorInterface(hre)).parseError(data);
  if (!parsed) return `unknown error ${data.slice(0, 10)} (data ${data})`;
  const hint = HINTS[parsed.name];
  return hint ? `${formatError(parsed)}: ${hint}` : formatError(parsed);
}

/** What to do about the errors an operator meets most. */
const HINTS: Record<string, string> = {
  PerpsPriceOlderThanOrder: "no price was published since the order was committed; retry after the next feed update",
  PerpsOrderNotReady: "the order's minimum delay has not passed yet",
  PerpsOrderExpired: "the order window closed; cancel it with trader:cancel",
  PerpsOrderNotExpired: "only an expired order can be cancelled",
  PerpsSlippage: "the fill price moved beyond the acceptable price; retry with more --slippage",
  OptionsSlippage: "the price moved beyond the limit; retry with more --slippage",
  PriceAggregatorUntrusted: "the oracle is frozen for this market (see oracle:status)",
  LiquidityPoolPricesUntrusted: "an engine's price is not trusted (see oracle:status); LP flows wait until it is",
  LiquidityPoolRedeemQueueWaiting: "queued redemptions come first; queue yours with lp:request",
  LiquidityPoolInsufficientLiquidity: "the pool's free liquidity is short; queue the redemption with lp:request",
  OutflowLimiterExceeded: "the outflow limit is reached for now; queue the redemption with lp:request",
  OutflowLimiterPaused: "withdrawals are paused; claims wait until governance unpauses",
  PerpsPaused: "the action is paused (guardian or governance)",
  OptionsPaused: "the action is paused (guardian or governance)",
};

/** Runs a read; a revert becomes an `OpsError` saying what was asked and the decoded error. */
export async function read<T>(hre: HardhatRuntimeEnvironment, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw await asOpsError(hre, what, error);
  }
}

/**
 * Sends a transaction and waits for it; prints its hash and gas. A revert (at estimation or on chain) becomes an
 * `OpsError` with the decoded custom error.
 */
export async function send(
  hre: HardhatRuntimeEnvironment,
  what: string,
  tx: () => Promise<ContractTransactionResponse>,
): Promise<ContractTransactionReceipt> {
  let receipt: ContractTransactionReceipt | null;
  try {
    receipt = await (await tx()).wait();
  } catch (error) {
    throw await asOpsError(hre, what, error);
  }
  if (receipt === null || receipt.status !== 1) throw new OpsError(`${what}: the transaction failed`);
  console.log(`  ${what}: tx ${receipt.hash} (gas ${receipt.gasUsed})`);
  return receipt;
}

async function asOpsError(hre: HardhatRuntimeEnvironment, what: string, error: unknown): Promise<Error> {
  if (error instanceof OpsError) return error;
  const decoded = await describeRevert(hre, error);
  if (decoded === undefined) return error instanceof Error ? error : new Error(String(error));
  return new OpsError(`${what} reverted: ${decoded}`, error instanceof Error ? error : undefined);
}

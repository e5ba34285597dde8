/**
 * What every operator task shares: the common parameters (`--deployment`, `--from`), the signer and deployment they
 * resolve to, the collateral token, the chain's time, and checks that run before any transaction is sent.
 */
import { task, types } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, ContractTransactionReceipt, Result } from "ethers";
import type { IERC20Metadata } from "../../typechain-types";
import { type Deployment, loadDeployment } from "./deployment";
import { OpsError, read, send } from "./errors";
import { name32, units } from "./format";
import { marketId, parseAddress } from "./parse";

/** The parameters every operator task takes. */
export interface CommonArgs {
  deployment?: string;
  from?: string;
}

/** Defines task `name` with the common parameters `--deployment` and `--from`. */
export function opsTask(name: string, description: string): ConfigurableTaskDefinition {
  return task(name, description)
    .addOptionalParam(
      "deployment",
      "JSON file of addresses (default: $BULWARK_DEPLOYMENT, else deploy/deployments/bulwark-<network>/deployed_addresses.json)",
      undefined,
      types.string,
    )
    .addOptionalParam(
      "from",
      "Signer: an index into the configured accounts or an address (default: 0)",
      undefined,
      types.string,
    );
}

/** A task's resolved environment. */
export interface Ctx {
  hre: HardhatRuntimeEnvironment;
  d: Deployment;
  signer: HardhatEthersSigner;
  /** The signer's address. */
  me: string;
}

/** Loads the deployment and the signer of `args`. */
export async function context(hre: HardhatRuntimeEnvironment, args: CommonArgs): Promise<Ctx> {
  const d = await loadDeployment(hre, args.deployment);
  const signer = await resolveSigner(hre, args.from);
  return { hre, d, signer, me: signer.address };
}

/** `--from`: an index into `getSigners()` or one of their addresses. */
export async function resolveSigner(hre: HardhatRuntimeEnvironment, from?: string): Promise<HardhatEthersSigner> {
  const signers = await hre.ethers.getSigners();
  if (signers.length === 0) throw new OpsError(`network ${hre.network.name} has no accounts configured`);
  const text = (from ?? "0").trim();
  if (/^\d+$/.test(text)) {
    const signer = signers[Number(text)];
    if (!signer)
      throw new OpsError(`--from ${text}: there are only ${signers.length} accounts (0 … ${signers.length - 1})`);
    return signer;
  }
  const address = parseAddress(text, "--from").toLowerCase();
  const signer = signers.find((s) => s.address.toLowerCase() === address);
  if (!signer)
    throw new OpsError(`--from ${text} is not one of the ${signers.length} accounts of network ${hre.network.name}`);
  return signer;
}

/** The address an optional argument names (`flag` in errors), the signer's by default. */
export function accountOf(ctx: Ctx, account?: string, flag = "--account"): string {
  return account === undefined ? ctx.me : parseAddress(account, flag);
}

/**
 * The chain's time as the next transaction will meet it: the latest block's timestamp, or the wall clock when that is
 * later (an automining node mines no block while idle, and its next block takes the wall-clock time).
 */
export async function chainTime(hre: HardhatRuntimeEnvironment): Promise<bigint> {
  const block = await hre.ethers.provider.getBlock("latest");
  if (!block) throw new OpsError("the node returned no latest block");
  const wall = BigInt(Math.floor(Date.now() / 1000));
  return BigInt(block.timestamp) > wall ? BigInt(block.timestamp) : wall;
}

/** The collateral token with its decimals and symbol. */
export interface Token {
  contract: IERC20Metadata;
  decimals: number;
  symbol: string;
  /** An amount of the token as text: "12.5 mUSDC". */
  format(value: bigint): string;
}

export async function collateral(ctx: Ctx): Promise<Token> {
  const contract = await ctx.d.collateral();
  const [raw, symbol] = await Promise.all([contract.decimals(), contract.symbol()]);
  const decimals = Number(raw);
  return { contract, decimals, symbol, format: (value) => `${units(value, decimals)} ${symbol}` };
}

/** Refuses `amount` beyond the signer's wallet balance of `token`. */
export async function requireBalance(ctx: Ctx, token: Token, amount: bigint, purpose: string): Promise<void> {
  const balance = await token.contract.balanceOf(ctx.me);
  if (balance < amount) {
    const f = (v: bigint) => units(v, token.decimals);
    throw new OpsError(`not enough ${token.symbol} for ${purpose}: ${ctx.me} holds ${f(balance)}, needs ${f(amount)}`);
  }
}

/** Approves `spender` for `amount` of `token` unless the allowance covers it already. */
export async function ensureAllowance(ctx: Ctx, token: Token, spender: BaseContract, amount: bigint): Promise<void> {
  const to = await spender.getAddress();
  if ((await token.contract.allowance(ctx.me, to)) >= amount) return;
  await send(ctx.hre, `approve ${token.symbol}`, () => token.contract.connect(ctx.signer).approve(to, amount));
}

/** The perps markets listed, by id. */
export async function perpsMarketIds(ctx: Ctx): Promise<string[]> {
  return read(ctx.hre, "PerpsMarkets.markets", () => ctx.d.markets.markets());
}

/** The id of perps market `name`, refusing one that is not listed. */
export async function requirePerpsMarket(ctx: Ctx, name: string): Promise<string> {
  const id = marketId(name);
  const listed = await perpsMarketIds(ctx);
  if (!listed.includes(id)) {
    throw new OpsError(`unknown market "${name}"; the listed markets are: ${listed.map(name32).join(", ") || "none"}`);
  }
  return id;
}

/** The live option series with their terms, read at once (in `liveSeries()` order). */
export async function liveSeries(ctx: Ctx) {
  const { options } = ctx.d;
  const ids = await options.liveSeries();
  return Promise.all(ids.map(async (id) => ({ id, s: await options.seriesOf(id) })));
}

/**
 * Refuses a signer the access manager does not let call `fn` of `target` at once (the guardian's functions, the
 * timelock's setters).
 */
export async function requireCanCall(ctx: Ctx, target: BaseContract, fn: string, who: string): Promise<void> {
  const fragment = target.interface.getFunction(fn);
  if (!fragment) throw new OpsError(`the contract has no function ${fn}`);
  const [immediate] = await ctx.d.accessManager.canCall(ctx.me, await target.getAddress(), fragment.selector);
  if (!immediate) throw new OpsError(`${ctx.me} may not call ${fn} (it needs ${who}); pass --from with that account`);
}

/** Prints a heading and `key: value` lines, aligned. */
export function printBlock(title: string, rows: [string, string][]): void {
  console.log(title);
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
}

/** The arguments of the first `name` event `contract` emitted in `receipt`, if any. */
export async function findEvent(
  receipt: ContractTransactionReceipt,
  contract: BaseContract,
  name: string,
): Promise<Result | undefined> {
  const address = (await contract.getAddress()).toLowerCase();
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === name) return parsed.args;
  }
  return undefined;
}

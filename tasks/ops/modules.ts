/**
 * The modules governance and the guardian address by name, their bounded parameters (GOV-5, CB-6), and calls to any
 * deployed contract encoded from readable arguments.
 */
import { isHexString, type BaseContract, type Interface, type ParamType } from "ethers";
import type { IBoundedParameters } from "../../typechain-types";
import type { Ctx } from "./common";
import { CONTRACT_NAMES, type ContractName } from "./deployment";
import { OpsError, read } from "./errors";
import { name32 } from "./format";
import { parameterKey, parseActions, parseParameterValue, parseScope } from "./parse";

/** The modules with bounded parameters (`IBoundedParameters`), by the name the tasks take. */
export const PARAMETER_MODULES = {
  pool: "LiquidityPool",
  limiter: "OutflowLimiter",
  markets: "PerpsMarkets",
  options: "OptionsEngine",
  aggregator: "PriceAggregator",
  pauses: "PauseRegistry",
} as const satisfies Record<string, ContractName>;

/** Other names the tasks accept for deployed contracts. */
const ALIASES: Record<string, ContractName> = {
  ...PARAMETER_MODULES,
  accounts: "MarginAccounts",
  engine: "PerpsEngine",
  lens: "PerpsLens",
  timelock: "BulwarkTimelock",
  accessmanager: "BulwarkAccessManager",
  pauseregistry: "PauseRegistry",
};

/** The deployed contract `name` names: a module name ("markets") or a contract name ("PerpsMarkets"). */
export function contractName(name: string): ContractName {
  const key = name.trim().toLowerCase();
  const found = ALIASES[key] ?? CONTRACT_NAMES.find((c) => c.toLowerCase() === key);
  if (!found) {
    throw new OpsError(
      `unknown module "${name}"; modules: ${Object.keys(PARAMETER_MODULES).join(", ")} (or a contract name: ` +
        `${CONTRACT_NAMES.join(", ")})`,
    );
  }
  return found;
}

/** A module's bounded parameters as `IBoundedParameters`; refuses a contract that has none. */
export async function parameterModule(ctx: Ctx, name: string): Promise<{ label: string; module: IBoundedParameters }> {
  const contract = contractName(name);
  if (!(Object.values(PARAMETER_MODULES) as string[]).includes(contract)) {
    throw new OpsError(
      `${contract} has no bounded parameters (no setParameter); the modules that do: ` +
        Object.entries(PARAMETER_MODULES)
          .map(([k, v]) => `${k} (${v})`)
          .join(", "),
    );
  }
  const address = await ctx.d.need(contract).getAddress();
  return { label: contract, module: await ctx.hre.ethers.getContractAt("IBoundedParameters", address) };
}

/** A parameter change, checked against the module's constant bounds and its current value. */
export interface ParameterChange {
  label: string;
  module: IBoundedParameters;
  scope: string;
  key: string;
  value: bigint;
  current: bigint;
  min: bigint;
  max: bigint;
  /** `IBoundedParameters.Tightening`: 0 none, 1 lower, 2 higher. */
  tightening: bigint;
}

/** Resolves and checks `module.key` in `scope` set to `value`: the key exists, the scope is valid, within bounds. */
export async function parameterChange(
  ctx: Ctx,
  moduleName: string,
  scopeText: string,
  keyText: string,
  valueText: string,
): Promise<ParameterChange> {
  const { label, module } = await parameterModule(ctx, moduleName);
  const scope = parseScope(scopeText);
  const key = parameterKey(keyText);
  const value = parseParameterValue(valueText);
  const spec = await read(ctx.hre, `${label}.parameterSpec("${keyText}")`, () => module.parameterSpec(key));
  const current = await read(ctx.hre, `${label}.parameter(${scopeText}, "${keyText}")`, () =>
    module.parameter(scope, key),
  );
  if (value < spec.min || value > spec.max) {
    throw new OpsError(`${keyText} = ${value} is outside its hard bounds [${spec.min}, ${spec.max}] (GOV-5)`);
  }
  return { label, module, scope, key, value, current, min: spec.min, max: spec.max, tightening: spec.tightening };
}

/** "Label.key[scope]: current → value (bounds)". */
export function changeText(c: ParameterChange): string {
  return `${c.label}.${name32(c.key)}[${name32(c.scope)}]: ${c.current} → ${c.value} (bounds ${c.min} … ${c.max})`;
}

/**
 * Encodes `fn(args)` of `contract`: `args` is a JSON array; a bytes32 argument may be a market name, "GLOBAL" or an
 * address (as `parseScope` takes them), numbers may be strings ("20e18", "2h"), and an `actions` mask a list of
 * action names ("open,liquidate").
 */
export function encodeCall(contract: BaseContract, fn: string, argsJson: string): string {
  const fragment = contract.interface.getFunction(fn);
  if (!fragment) throw new OpsError(`the contract has no function "${fn}"`);
  let args: unknown;
  try {
    args = JSON.parse(argsJson);
  } catch (error) {
    throw new OpsError(`--args must be a JSON array, e.g. '["ETH-USD", 5]' (${(error as Error).message})`);
  }
  if (!Array.isArray(args) || args.length !== fragment.inputs.length) {
    const wanted = fragment.inputs.map((p) => `${p.type} ${p.name}`).join(", ");
    throw new OpsError(`--args must be a JSON array of ${fragment.inputs.length} values: ${fn}(${wanted})`);
  }
  try {
    return contract.interface.encodeFunctionData(
      fragment,
      args.map((a, i) => coerce(fragment.inputs[i], a)),
    );
  } catch (error) {
    throw new OpsError(`--args do not fit ${fragment.format()}: ${(error as Error).message}`);
  }
}

function coerce(param: ParamType, value: unknown): unknown {
  if (param.name === "actions" && typeof value === "string" && /[a-z]/i.test(value)) return parseActions(value);
  if (param.type === "bytes32" && typeof value === "string" && !isHexString(value, 32)) return parseScope(value);
  if (/^u?int\d*$/.test(param.type) && (typeof value === "string" || typeof value === "number")) {
    return typeof value === "string" && /^[\d.e]+$/i.test(value) && /[.e]/i.test(value)
      ? parseParameterValue(value)
      : BigInt(value);
  }
  return value;
}

/** `Contract.fn(arg, …)` for calldata sent to `target`, decoded with the deployment's ABIs. */
export function describeCall(ctx: Ctx, target: string, data: string): string {
  const name = CONTRACT_NAMES.find((n) => ctx.d.addresses[n]?.toLowerCase() === target.toLowerCase());
  if (name === undefined) return `${target}: calldata ${data.slice(0, 10)}…`;
  const iface: Interface = ctx.d.need(name).interface;
  const parsed = iface.parseTransaction({ data });
  if (!parsed) return `${name}: calldata ${data.slice(0, 10)}…`;
  const args = parsed.fragment.inputs.map((p, i) => argText(p, parsed.args[i]));
  return `${name}.${parsed.name}(${args.join(", ")})`;
}

function argText(param: ParamType, value: unknown): string {
  if (param.type === "bytes32" && typeof value === "string") return name32(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(String).join(", ")}]`;
  return String(value);
}

/**
 * Guardian tasks (SPEC OPS-3, CB-1, CB-2, CB-6, GOV-4): pause actions of a market or globally at once, and tighten a
 * parameter at once in its safer direction. The guardian never unpauses or loosens (that is gov:schedule).
 */
import { types } from "hardhat/config";
import { type CommonArgs, chainTime, context, opsTask, requireCanCall } from "./common";
import { OpsError, read, send } from "./errors";
import { name32, when } from "./format";
import { changeText, parameterChange } from "./modules";
import { DERISKING_ACTIONS, PAUSE_ACTIONS, actionNames, parseActions, parseScope } from "./parse";

interface PauseArgs extends CommonArgs {
  scope: string;
  actions: string;
  reason: string;
}

opsTask("guardian:pause", "Pauses actions at once: --scope ETH-USD|GLOBAL --actions open,liquidate --reason '…'")
  .addParam("scope", "A market (ETH-USD) or GLOBAL", undefined, types.string)
  .addParam("actions", `Comma-separated: ${PAUSE_ACTIONS.join(", ")}, or all`, undefined, types.string)
  .addParam("reason", "Why (recorded in the Paused event)", undefined, types.string)
  .setAction(async (args: PauseArgs, hre) => {
    const ctx = await context(hre, args);
    const scope = parseScope(args.scope);
    const mask = parseActions(args.actions);
    const refused = actionNames(mask).filter((a) => (DERISKING_ACTIONS as readonly string[]).includes(a));
    if (refused.length > 0) {
      throw new OpsError(
        `the guardian may not pause ${refused.join(", ")} (CB-1: traders must always be able to de-risk); ` +
          `governance can, through gov:schedule --module pauses --function confirmPause`,
      );
    }
    if (args.reason.trim() === "") throw new OpsError("--reason must say why (CB-7)");
    if (scope !== hre.ethers.ZeroHash) {
      await read(hre, `market ${args.scope}`, () => ctx.d.aggregator.lastGoodPrice(scope));
    }
    const registry = ctx.d.pauseRegistry;
    await requireCanCall(ctx, registry, "pause", "the guardian role");
    await send(hre, "pause", () => registry.connect(ctx.signer).pause(scope, mask, args.reason));
    const state = await registry.scopeState(scope);
    const paused = await registry.pausedActions(scope);
    console.log(`guardian:pause: ${name32(scope)} paused: ${actionNames(paused).join(", ")}`);
    console.log(
      `  the guardian's pause lapses ${when(state.guardianUntil, await chainTime(hre))} unless governance confirms it`,
    );
  });

interface TightenArgs extends CommonArgs {
  module: string;
  scope: string;
  key: string;
  value: string;
  reason: string;
}

opsTask("guardian:tighten", "Tightens a parameter at once in its safer direction: --module markets --key maxLeverage …")
  .addParam("module", "Module: pool, limiter, markets, options, aggregator, pauses", undefined, types.string)
  .addOptionalParam("scope", "GLOBAL, a market (ETH-USD) or a source address", "GLOBAL", types.string)
  .addParam("key", "Parameter name, e.g. maxLeverage", undefined, types.string)
  .addParam("value", "New value: 5000, 20e18, 2h …", undefined, types.string)
  .addParam("reason", "Why (recorded in the ParameterTightened event)", undefined, types.string)
  .setAction(async (args: TightenArgs, hre) => {
    const ctx = await context(hre, args);
    const change = await parameterChange(ctx, args.module, args.scope, args.key, args.value);
    if (change.tightening === 0n) {
      throw new OpsError(`the guardian may not change ${args.key} at all; only governance can (gov:schedule)`);
    }
    const lower = change.tightening === 1n;
    if (lower ? change.value >= change.current : change.value <= change.current) {
      throw new OpsError(
        `${args.key} may only go ${lower ? "down" : "up"} for the guardian (CB-6): it is ${change.current}, ` +
          `asked ${change.value}; loosening is gov:schedule`,
      );
    }
    if (args.reason.trim() === "") throw new OpsError("--reason must say why");
    await requireCanCall(ctx, change.module, "tightenParameter", "the guardian role");
    const module = change.module.connect(ctx.signer);
    await send(hre, "tightenParameter", () =>
      module.tightenParameter(change.scope, change.key, change.value, args.reason),
    );
    console.log(`guardian:tighten: ${changeText(change)}`);
  });

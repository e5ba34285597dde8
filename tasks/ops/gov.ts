/**
 * Governance tasks (SPEC OPS-3, GOV-2, GOV-3): schedule a parameter change (or any call) through the timelock,
 * execute it once ready, cancel it, and list the timelock's queue with each operation's state, expiry included.
 */
import { types } from "hardhat/config";
import { id as textHash, isHexString, ZeroHash } from "ethers";
import type { BulwarkTimelock } from "../../typechain-types";
import { type CommonArgs, type Ctx, chainTime, context, opsTask } from "./common";
import { OpsError, send } from "./errors";
import { type OperationStatus, duration, when } from "./format";
import { changeText, contractName, describeCall, encodeCall, parameterChange } from "./modules";
import { parseBytes32 } from "./parse";

/** One call of an operation. */
interface Call {
  target: string;
  value: bigint;
  data: string;
}

/** A timelock operation: its calls, predecessor and salt. */
interface Operation {
  id: string;
  calls: Call[];
  predecessor: string;
  salt: string;
}

interface OperationArgs extends CommonArgs {
  module?: string;
  scope: string;
  key?: string;
  value?: string;
  function?: string;
  args?: string;
  salt?: string;
  predecessor?: string;
}

/** Adds the parameters that name an operation by its content. */
function withOperationParams(name: string, description: string) {
  return opsTask(name, description)
    .addOptionalParam(
      "module",
      "Module: pool, limiter, markets, options, aggregator, pauses (or a contract name)",
      undefined,
      types.string,
    )
    .addOptionalParam(
      "scope",
      "Parameter scope: GLOBAL, a market (ETH-USD) or a source address",
      "GLOBAL",
      types.string,
    )
    .addOptionalParam("key", "Parameter name, e.g. maxLeverage", undefined, types.string)
    .addOptionalParam("value", "New value: 5000, 20e18, 0.5e18, 2h, 3d …", undefined, types.string)
    .addOptionalParam("function", "Instead of setParameter: any function of the module", undefined, types.string)
    .addOptionalParam("args", "Its arguments, a JSON array (with --function)", undefined, types.string)
    .addOptionalParam("salt", "Salt: 32-byte hex or any text (hashed); default zero", undefined, types.string)
    .addOptionalParam("predecessor", "Operation id that must be executed first", undefined, types.string);
}

/** The operation the arguments describe (one call), checked before anything is sent. */
async function operationFromArgs(ctx: Ctx, args: OperationArgs): Promise<{ op: Operation; text: string }> {
  if (args.module === undefined)
    throw new OpsError("name the operation: --id, or --module with --key/--value or --function");
  let call: Call;
  let text: string;
  if (args.function !== undefined) {
    const contract = ctx.d.need(contractName(args.module));
    call = {
      target: await contract.getAddress(),
      value: 0n,
      data: encodeCall(contract, args.function, args.args ?? "[]"),
    };
    text = describeCall(ctx, call.target, call.data);
  } else {
    if (args.key === undefined || args.value === undefined) {
      throw new OpsError("a parameter change needs --key and --value (or use --function and --args)");
    }
    const change = await parameterChange(ctx, args.module, args.scope, args.key, args.value);
    const data = change.module.interface.encodeFunctionData("setParameter", [change.scope, change.key, change.value]);
    call = { target: await change.module.getAddress(), value: 0n, data };
    text = changeText(change);
  }
  const predecessor = args.predecessor === undefined ? ZeroHash : parseBytes32(args.predecessor, "--predecessor");
  const salt = saltOf(args.salt);
  const id = await ctx.d.timelock.hashOperation(call.target, call.value, call.data, predecessor, salt);
  return { op: { id, calls: [call], predecessor, salt }, text };
}

/** `--salt`: 32-byte hex as is, other text hashed; zero by default. */
function saltOf(text?: string): string {
  if (text === undefined) return ZeroHash;
  return isHexString(text.trim(), 32) ? text.trim() : textHash(text);
}

/** Refuses a signer without `role` of the timelock. */
async function requireRole(ctx: Ctx, role: "PROPOSER_ROLE" | "EXECUTOR_ROLE" | "CANCELLER_ROLE", who: string) {
  const t = ctx.d.timelock;
  const hash = await t[role]();
  const open = role === "EXECUTOR_ROLE" && (await t.hasRole(hash, ctx.hre.ethers.ZeroAddress));
  if (!open && !(await t.hasRole(hash, ctx.me))) {
    throw new OpsError(`${ctx.me} is not a ${who} of the timelock (${role}); pass --from with a governor's account`);
  }
}

interface ScheduleArgs extends OperationArgs {
  delay?: number;
}

withOperationParams("gov:schedule", "Schedules a parameter change (setParameter) or any call through the timelock")
  .addOptionalParam("delay", "Delay in seconds (default and minimum: the timelock's min delay)", undefined, types.int)
  .setAction(async (args: ScheduleArgs, hre) => {
    const ctx = await context(hre, args);
    const { op, text } = await operationFromArgs(ctx, args);
    const t = ctx.d.timelock;
    const minDelay = await t.getMinDelay();
    const delay = args.delay === undefined ? minDelay : BigInt(args.delay);
    if (delay < minDelay)
      throw new OpsError(`--delay ${args.delay} is below the timelock's minimum, ${minDelay} s (GOV-2)`);
    await requireRole(ctx, "PROPOSER_ROLE", "proposer");
    const { state } = await statusOf(t, op.id, new Set(), await chainTime(hre));
    if (state !== "unknown" && state !== "cancelled") {
      throw new OpsError(
        `operation ${op.id} exists already (${state}); pass --salt <text> to schedule the same call again`,
      );
    }
    const [c] = op.calls;
    await send(hre, "schedule", () =>
      t.connect(ctx.signer).schedule(c.target, c.value, c.data, op.predecessor, op.salt, delay),
    );
    const readyAt = await t.getTimestamp(op.id);
    const now = await chainTime(hre);
    console.log(`gov:schedule: ${text}`);
    console.log(`  operation ${op.id}`);
    console.log(`  salt ${op.salt}, delay ${duration(delay)}`);
    console.log(`  ready ${when(readyAt, now)}, expires ${when(await t.expiresAt(op.id), now)}`);
    console.log(`  then: npx hardhat gov:execute --id ${op.id}`);
  });

interface IdArgs extends OperationArgs {
  id?: string;
  sinceBlock: number;
}

withOperationParams(
  "gov:execute",
  "Executes a ready timelock operation, by --id or by the arguments it was scheduled with",
)
  .addOptionalParam("id", "Operation id (gov:queue lists them)", undefined, types.string)
  .addOptionalParam("sinceBlock", "First block to search for the operation's events (with --id)", 0, types.int)
  .setAction(async (args: IdArgs, hre) => {
    const ctx = await context(hre, args);
    const op = await resolveOperation(ctx, args);
    const t = ctx.d.timelock;
    const now = await chainTime(hre);
    const { state, readyAt, expiresAt } = await statusOf(t, op.id, new Set(), now);
    if (state === "pending") throw new OpsError(`operation ${op.id} is not ready: ready ${when(readyAt, now)}`);
    if (state === "expired") {
      throw new OpsError(`operation ${op.id} expired ${when(expiresAt, now)}; it can only be cancelled (GOV-3)`);
    }
    if (state === "done") throw new OpsError(`operation ${op.id} was executed already`);
    if (state !== "ready") throw new OpsError(`operation ${op.id} is not scheduled (never, or cancelled)`);
    await requireRole(ctx, "EXECUTOR_ROLE", "executor");
    const timelock = t.connect(ctx.signer);
    const [c] = op.calls;
    await send(hre, "execute", () =>
      op.calls.length === 1
        ? timelock.execute(c.target, c.value, c.data, op.predecessor, op.salt)
        : timelock.executeBatch(
            op.calls.map((x) => x.target),
            op.calls.map((x) => x.value),
            op.calls.map((x) => x.data),
            op.predecessor,
            op.salt,
          ),
    );
    console.log(`gov:execute: operation ${op.id} executed`);
    for (const call of op.calls) console.log(`  ${describeCall(ctx, call.target, call.data)}`);
  });

withOperationParams("gov:cancel", "Cancels a pending timelock operation (governors and the guardian may)")
  .addOptionalParam("id", "Operation id (gov:queue lists them)", undefined, types.string)
  .addOptionalParam("sinceBlock", "First block to search for the operation's events (with --id)", 0, types.int)
  .setAction(async (args: IdArgs, hre) => {
    const ctx = await context(hre, args);
    const id = args.id !== undefined ? parseBytes32(args.id, "--id") : (await operationFromArgs(ctx, args)).op.id;
    const t = ctx.d.timelock;
    if (!(await t.isOperationPending(id)))
      throw new OpsError(`operation ${id} is not pending (unknown, executed or cancelled)`);
    await requireRole(ctx, "CANCELLER_ROLE", "canceller");
    await send(hre, "cancel", () => t.connect(ctx.signer).cancel(id));
    console.log(`gov:cancel: operation ${id} cancelled`);
  });

/** The operation `--id` names (from its `CallScheduled` and `CallSalt` events), or the one the arguments describe. */
async function resolveOperation(ctx: Ctx, args: IdArgs): Promise<Operation> {
  if (args.id === undefined) return (await operationFromArgs(ctx, args)).op;
  const id = parseBytes32(args.id, "--id");
  const ops = await scheduledOperations(ctx, args.sinceBlock, id);
  const op = ops.get(id);
  if (!op) throw new OpsError(`no operation ${id} was scheduled on this timelock (since block ${args.sinceBlock})`);
  return op;
}

/** Operations scheduled since `fromBlock` (only `onlyId` when given), from their last scheduling transaction. */
async function scheduledOperations(ctx: Ctx, fromBlock: number, onlyId?: string): Promise<Map<string, Operation>> {
  const t = ctx.d.timelock;
  const [scheduled, salts] = await Promise.all([
    t.queryFilter(t.filters.CallScheduled(onlyId), fromBlock),
    t.queryFilter(t.filters.CallSalt(onlyId), fromBlock),
  ]);
  const saltOfId = new Map(salts.map((e) => [e.args.id, e.args.salt]));
  const lastTx = new Map(scheduled.map((e) => [e.args.id, e.transactionHash]));
  const ops = new Map<string, Operation>();
  for (const e of scheduled) {
    if (lastTx.get(e.args.id) !== e.transactionHash) continue;
    const op = ops.get(e.args.id) ?? {
      id: e.args.id,
      calls: [],
      predecessor: e.args.predecessor,
      salt: saltOfId.get(e.args.id) ?? ZeroHash,
    };
    op.calls[Number(e.args.index)] = { target: e.args.target, value: e.args.value, data: e.args.data };
    ops.set(e.args.id, op);
  }
  return ops;
}

/** An operation's state with the times it was judged by: when it is ready and when it expires (0 if not pending). */
interface OperationState {
  state: OperationStatus;
  readyAt: bigint;
  expiresAt: bigint;
}

/**
 * An operation's state as the queue shows it, at `now`: from its ready time (0 unset, 1 done), so that an idle node's
 * stale latest block does not hide readiness; BulwarkTimelock's expiry turns a lapsed ready one into "expired".
 */
async function statusOf(t: BulwarkTimelock, id: string, cancelled: Set<string>, now: bigint): Promise<OperationState> {
  const readyAt = await t.getTimestamp(id);
  if (readyAt === 0n) return { state: cancelled.has(id) ? "cancelled" : "unknown", readyAt, expiresAt: 0n };
  if (readyAt === 1n) return { state: "done", readyAt, expiresAt: 0n };
  const expiresAt = await t.expiresAt(id);
  if (now < readyAt) return { state: "pending", readyAt, expiresAt };
  return { state: now >= expiresAt ? "expired" : "ready", readyAt, expiresAt };
}

interface QueueArgs extends CommonArgs {
  sinceBlock: number;
  open: boolean;
}

opsTask("gov:queue", "Lists the timelock's operations with their state: pending, ready, done, cancelled, expired")
  .addOptionalParam("sinceBlock", "First block to search", 0, types.int)
  .addFlag("open", "Only pending and ready operations")
  .setAction(async (args: QueueArgs, hre) => {
    const ctx = await context(hre, args);
    const t = ctx.d.timelock;
    const ops = await scheduledOperations(ctx, args.sinceBlock);
    const cancelled = new Set((await t.queryFilter(t.filters.Cancelled(), args.sinceBlock)).map((e) => e.args.id));
    const now = await chainTime(hre);
    console.log(
      `gov:queue: ${ops.size} operation(s) on timelock ${await t.getAddress()} (min delay ${await t.getMinDelay()} s)`,
    );
    const listed = await Promise.all(
      [...ops.values()].map(async (op) => ({ op, status: await statusOf(t, op.id, cancelled, now) })),
    );
    for (const { op, status } of listed) {
      if (args.open && status.state !== "pending" && status.state !== "ready") continue;
      console.log(`  ${op.id} ${status.state.toUpperCase()}${timing(status, now)}`);
      for (const c of op.calls) console.log(`    ${describeCall(ctx, c.target, c.data)}`);
    }
  });

function timing({ state, readyAt, expiresAt }: OperationState, now: bigint): string {
  if (state !== "pending" && state !== "ready" && state !== "expired") return "";
  return `: ready ${when(readyAt, now)}, expires ${when(expiresAt, now)}`;
}

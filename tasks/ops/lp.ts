/**
 * Liquidity-provider tasks (SPEC OPS-3, POOL-1 … POOL-4, CB-4): deposit, withdraw (or queue when the pool cannot
 * pay now), the redemption queue, claims and an LP's status.
 */
import { types } from "hardhat/config";
import { ZeroHash } from "ethers";
import { claimAll, owedClaims, printClaims } from "./claims";
import {
  type CommonArgs,
  type Ctx,
  type Token,
  accountOf,
  chainTime,
  collateral,
  context,
  ensureAllowance,
  findEvent,
  opsTask,
  printBlock,
  requireBalance,
} from "./common";
import { OpsError, read, send } from "./errors";
import { units, when } from "./format";
import { PAUSE_ACTIONS, parseAmount } from "./parse";

/** `IPauseRegistry.Action`. */
const DEPOSIT = PAUSE_ACTIONS.indexOf("deposit");
const WITHDRAW = PAUSE_ACTIONS.indexOf("withdraw");

interface DepositArgs extends CommonArgs {
  amount: string;
}

opsTask("lp:deposit", "Deposits collateral into the liquidity pool for shares (locked for minHoldingTime)")
  .addParam("amount", "Collateral amount in dollars, e.g. 10000", undefined, types.string)
  .setAction(async (args: DepositArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    const amount = parseAmount(args.amount, token.decimals, "--amount");
    await requireBalance(ctx, token, amount, "the deposit");
    if ((await ctx.d.pool.maxDeposit(ctx.me)) < amount) throw new OpsError(await whyClosed(ctx, DEPOSIT));
    await ensureAllowance(ctx, token, ctx.d.pool, amount);
    const receipt = await send(hre, "deposit", () => ctx.d.pool.connect(ctx.signer).deposit(amount, ctx.me));
    const ev = await findEvent(receipt, ctx.d.pool, "Deposit");
    const [, unlockAt] = await ctx.d.pool.lockedShares(ctx.me);
    const shares = (ev?.shares as bigint | undefined) ?? 0n;
    console.log(
      `lp:deposit: ${token.format(amount)} for ${await shareText(ctx, shares)}, ` +
        `locked until ${when(unlockAt, await chainTime(hre))}`,
    );
  });

/** Why deposits (or withdrawals) are closed now. */
async function whyClosed(ctx: Ctx, action: number): Promise<string> {
  const verb = action === DEPOSIT ? "deposits" : "withdrawals";
  if (await ctx.d.pauseRegistry.isPaused(ZeroHash, action)) return `pool ${verb} are paused`;
  if (!(await ctx.d.pool.poolState()).trusted) {
    return `pool ${verb} wait: an engine's price is not trusted now (see oracle:status), so shares cannot be priced`;
  }
  return `pool ${verb} are closed now (the pool's shares are worth nothing, or the pool is full)`;
}

interface WithdrawArgs extends CommonArgs {
  shares?: string;
  assets?: string;
  all: boolean;
  request: boolean;
  receiver?: string;
}

opsTask("lp:withdraw", "Redeems shares (--shares / --all) or withdraws assets (--assets); --request queues if needed")
  .addOptionalParam("shares", "Shares to redeem (bwLP, 12 decimals)", undefined, types.string)
  .addOptionalParam("assets", "Collateral to withdraw, in dollars", undefined, types.string)
  .addFlag("all", "Redeem every share that is past its holding time")
  .addFlag("request", "When the pool cannot pay now, queue the redemption (requestRedeem) instead of failing")
  .addOptionalParam("receiver", "Who is paid (default: the signer)", undefined, types.string)
  .setAction(async (args: WithdrawArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    const receiver = accountOf(ctx, args.receiver, "--receiver");
    const chosen = [args.shares !== undefined, args.assets !== undefined, args.all].filter(Boolean).length;
    if (chosen !== 1) throw new OpsError("lp:withdraw takes exactly one of --shares, --assets or --all");
    const pool = ctx.d.pool.connect(ctx.signer);
    if (args.assets !== undefined) {
      const assets = parseAmount(args.assets, token.decimals, "--assets");
      const shares = await read(hre, "previewWithdraw", () => ctx.d.pool.previewWithdraw(assets));
      await requireFreeShares(ctx, shares);
      if ((await ctx.d.pool.maxWithdraw(ctx.me)) >= assets) {
        await send(hre, "withdraw", () => pool.withdraw(assets, receiver, ctx.me));
        console.log(`lp:withdraw: ${token.format(assets)} paid to ${receiver}`);
        return;
      }
      return queueOrRefuse(ctx, token, shares, assets, receiver, args.request);
    }
    const shares = args.all ? await ctx.d.pool.freeShares(ctx.me) : await parseShares(ctx, args.shares ?? "");
    if (shares === 0n) throw new OpsError(`${ctx.me} has no shares past their holding time`);
    await requireFreeShares(ctx, shares);
    if ((await ctx.d.pool.maxRedeem(ctx.me)) >= shares) {
      const receipt = await send(hre, "redeem", () => pool.redeem(shares, receiver, ctx.me));
      const ev = await findEvent(receipt, ctx.d.pool, "Withdraw");
      const paid = (ev?.assets as bigint | undefined) ?? 0n;
      console.log(`lp:withdraw: ${await shareText(ctx, shares)} redeemed for ${token.format(paid)}`);
      return;
    }
    const assets = await read(hre, "previewRedeem", () => ctx.d.pool.previewRedeem(shares));
    return queueOrRefuse(ctx, token, shares, assets, receiver, args.request);
  });

/** When a direct exit cannot be paid now: queue it when asked, else say why and how. */
async function queueOrRefuse(
  ctx: Ctx,
  token: Token,
  shares: bigint,
  assets: bigint,
  receiver: string,
  request: boolean,
): Promise<void> {
  const why = await whyNotNow(ctx, token, assets);
  if (!request) {
    const decimals = await ctx.d.shareDecimals();
    throw new OpsError(
      `the pool cannot pay this now: ${why}. Queue it: lp:request --shares ${units(shares, decimals, decimals)} ` +
        `(or pass --request)`,
    );
  }
  console.log(`lp:withdraw: the pool cannot pay this now (${why}); queueing it`);
  await requestRedeem(ctx, token, shares, receiver);
}

/** Why a direct withdrawal of `assets` cannot be served now. */
async function whyNotNow(ctx: Ctx, token: Token, assets: bigint): Promise<string> {
  const t = token.format;
  if (await ctx.d.pauseRegistry.isPaused(ZeroHash, WITHDRAW)) return "withdrawals are paused";
  const st = await ctx.d.pool.poolState();
  if (!st.trusted) return "an engine's price is not trusted (see oracle:status)";
  if (st.queuedShares > 0n) return `${await shareText(ctx, st.queuedShares)} wait in the redemption queue first`;
  if (assets > st.withdrawable) {
    return `the pool's free liquidity is ${t(st.withdrawable)} (the rest is locked for options or reserved for traders)`;
  }
  const { available } = await ctx.d.limiter.limits();
  return `the outflow limiter lets ${t(available)} leave now`;
}

async function parseShares(ctx: Ctx, text: string): Promise<bigint> {
  return parseAmount(text, await ctx.d.shareDecimals(), "--shares");
}

/** Refuses more shares than the signer holds past their holding time (POOL-4). */
async function requireFreeShares(ctx: Ctx, shares: bigint): Promise<void> {
  const [balance, free, [, unlockAt]] = await Promise.all([
    ctx.d.pool.balanceOf(ctx.me),
    ctx.d.pool.freeShares(ctx.me),
    ctx.d.pool.lockedShares(ctx.me),
  ]);
  if (shares > balance) throw new OpsError(`${ctx.me} holds ${await shareText(ctx, balance)}, fewer than asked`);
  if (shares > free) {
    const now = await chainTime(ctx.hre);
    throw new OpsError(
      `only ${await shareText(ctx, free)} of ${ctx.me} are past their holding time; the rest unlock ${when(unlockAt, now)}`,
    );
  }
}

async function shareText(ctx: Ctx, shares: bigint): Promise<string> {
  return `${units(shares, await ctx.d.shareDecimals(), 12)} shares`;
}

interface RequestArgs extends CommonArgs {
  shares?: string;
  all: boolean;
  receiver?: string;
}

opsTask("lp:request", "Queues a redemption (requestRedeem): served first in, first out as liquidity frees")
  .addOptionalParam("shares", "Shares to queue", undefined, types.string)
  .addFlag("all", "Queue every share that is past its holding time")
  .addOptionalParam("receiver", "Who is paid (default: the signer)", undefined, types.string)
  .setAction(async (args: RequestArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    if ((args.shares !== undefined) === args.all)
      throw new OpsError("lp:request takes exactly one of --shares or --all");
    const shares = args.all ? await ctx.d.pool.freeShares(ctx.me) : await parseShares(ctx, args.shares ?? "");
    if (shares === 0n) throw new OpsError(`${ctx.me} has no shares past their holding time`);
    await requireFreeShares(ctx, shares);
    await requestRedeem(ctx, token, shares, accountOf(ctx, args.receiver, "--receiver"));
  });

/** `requestRedeem`, then what happened: served now (fully, in part, with a limiter claim) or queued. */
async function requestRedeem(ctx: Ctx, token: Token, shares: bigint, receiver: string): Promise<void> {
  const pool = ctx.d.pool.connect(ctx.signer);
  const receipt = await send(ctx.hre, "requestRedeem", () => pool.requestRedeem(shares, receiver));
  const requested = await findEvent(receipt, ctx.d.pool, "RedeemRequested");
  const served = await findEvent(receipt, ctx.d.pool, "RedeemRequestServed");
  console.log(`lp:request: request #${requested?.requestId} for ${await shareText(ctx, shares)}`);
  if (!served) {
    console.log("  queued: it is served in order as liquidity frees (anyone may serve; lp:claim does)");
    return;
  }
  const t = token.format;
  const part = served.complete ? "in full" : `in part (${await shareText(ctx, served.shares)}; the rest stays queued)`;
  console.log(`  served at once ${part}: ${t(served.assets)}, of which ${t(served.paidNow)} paid now`);
  if (served.claimId !== 0n) {
    console.log(`  the rest is outflow-limiter claim #${served.claimId}: collect it with lp:claim when it is due`);
  }
}

interface ClaimArgs extends CommonArgs {
  account?: string;
  sinceBlock: number;
  maxRequests: number;
}

opsTask("lp:claim", "Serves the redemption queue up to the account's requests, then collects its limiter claims")
  .addOptionalParam(
    "account",
    "Whose (default: the signer; anyone may serve and claim for anyone)",
    undefined,
    types.string,
  )
  .addOptionalParam("sinceBlock", "First block to search for requests and claims", 0, types.int)
  .addOptionalParam("maxRequests", "Most queued requests to serve in one call", 50, types.int)
  .setAction(async (args: ClaimArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    const account = accountOf(ctx, args.account);
    const pending = await pendingRequests(ctx, account, args.sinceBlock);
    if (pending.length > 0) await serveQueue(ctx, args.maxRequests);
    const { paid, waiting } = await claimAll(ctx, token, account, args.sinceBlock);
    const left = await pendingRequests(ctx, account, args.sinceBlock);
    for (const r of left) console.log(`  request #${r.id}: ${await shareText(ctx, r.shares)} still queued`);
    if (paid === 0n && left.length === 0 && waiting.length === 0) {
      console.log(`lp:claim: nothing is owed to ${account}`);
    }
  });

/** Serves the queue when the pool can (not paused, prices trusted, free liquidity); says why not otherwise. */
async function serveQueue(ctx: Ctx, maxRequests: number): Promise<void> {
  if (maxRequests < 1) throw new OpsError("--max-requests must be at least 1");
  const st = await ctx.d.pool.poolState();
  if ((await ctx.d.pauseRegistry.isPaused(ZeroHash, WITHDRAW)) || !st.trusted) {
    console.log(`  the queue cannot be served now: ${await whyClosed(ctx, WITHDRAW)}`);
    return;
  }
  if (st.withdrawable === 0n) {
    console.log("  the queue waits: the pool has no free liquidity now (locked for options or reserved for traders)");
    return;
  }
  const pool = ctx.d.pool.connect(ctx.signer);
  await send(ctx.hre, "serveRedeemRequests", () => pool.serveRedeemRequests(maxRequests));
}

/** `owner`'s redemption requests still in the queue, from `RedeemRequested` events. */
async function pendingRequests(ctx: Ctx, owner: string, sinceBlock: number) {
  const { pool } = ctx.d;
  const events = await read(ctx.hre, "RedeemRequested events", () =>
    pool.queryFilter(pool.filters.RedeemRequested(undefined, owner), sinceBlock),
  );
  const requests = await Promise.all(
    events.map(async (e) => ({ id: e.args.requestId, r: await pool.redeemRequest(e.args.requestId) })),
  );
  return requests
    .filter(({ r }) => r.owner !== ctx.hre.ethers.ZeroAddress)
    .map(({ id, r }) => ({ id, shares: r.shares, receiver: r.receiver }));
}

interface StatusArgs extends CommonArgs {
  account?: string;
  sinceBlock: number;
}

opsTask("lp:status", "Shows an LP: shares, their value, locked shares, what may leave now, queued requests, claims")
  .addOptionalParam("account", "Whose (default: the signer)", undefined, types.string)
  .addOptionalParam("sinceBlock", "First block to search for requests and claims", 0, types.int)
  .setAction(async (args: StatusArgs, hre) => {
    const ctx = await context(hre, args);
    const token = await collateral(ctx);
    const account = accountOf(ctx, args.account);
    const t = token.format;
    const { pool } = ctx.d;
    const [balance, [locked, unlockAt], free, st, maxWithdraw, maxRedeem] = await Promise.all([
      pool.balanceOf(account),
      pool.lockedShares(account),
      pool.freeShares(account),
      pool.poolState(),
      pool.maxWithdraw(account),
      pool.maxRedeem(account),
    ]);
    const gross = await pool.convertToAssets(balance);
    const net = st.trusted ? t(await pool.previewRedeem(balance)) : "not priceable now (prices untrusted)";
    const now = await chainTime(hre);
    printBlock(`lp:status ${account}`, [
      ["shares", await shareText(ctx, balance)],
      ["value", `${t(gross)} (${net} after the withdrawal fee)`],
      [
        "locked",
        locked === 0n || unlockAt <= now ? "none" : `${await shareText(ctx, locked)} until ${when(unlockAt, now)}`,
      ],
      ["free", await shareText(ctx, free)],
      ["may leave now", `${t(maxWithdraw)} (${await shareText(ctx, maxRedeem)})`],
      ["pool NAV", `${t(st.totalAssets)}, cash ${t(st.cash)}, insurance ${t(st.insurance)}`],
      ["pool free liquidity", `${t(st.withdrawable)} (locked ${t(st.locked)}, reserved ${t(st.reserved)})`],
      ["pool queue", `${await shareText(ctx, st.queuedShares)}${st.trusted ? "" : "; prices UNTRUSTED"}`],
    ]);
    const requests = await pendingRequests(ctx, account, args.sinceBlock);
    if (requests.length === 0) console.log("  queued requests: none");
    for (const r of requests) console.log(`  request #${r.id}: ${await shareText(ctx, r.shares)} for ${r.receiver}`);
    await printClaims(ctx, token, await owedClaims(ctx, account, args.sinceBlock));
  });

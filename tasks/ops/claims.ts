/**
 * Outflow-limiter claims (CB-4): what the limiter queued for a recipient (a margin withdrawal, an LP redemption, an
 * option sale or payoff that did not fit the window), found from `OutflowLimited` events and paid by `claim`.
 */
import { type Ctx, type Token, chainTime, findEvent } from "./common";
import { read, send } from "./errors";
import { units, when } from "./format";
import { PAUSE_ACTIONS, parameterKey } from "./parse";

/** A claim still owed: `owed` in all, `claimable` of it now. */
export interface OwedClaim {
  id: bigint;
  owed: bigint;
  claimable: bigint;
  /** When it is due in full at the latest (queued + `maxClaimDelay`). */
  dueAt: bigint;
}

const MAX_CLAIM_DELAY = parameterKey("maxClaimDelay");

/** The limiter claims of `recipient` not yet paid in full, found in events from `sinceBlock`. */
export async function owedClaims(ctx: Ctx, recipient: string, sinceBlock: number): Promise<OwedClaim[]> {
  const { limiter } = ctx.d;
  const [events, delay] = await Promise.all([
    read(ctx.hre, "OutflowLimited events", () =>
      limiter.queryFilter(limiter.filters.OutflowLimited(undefined, recipient), sinceBlock),
    ),
    limiter.parameter(ctx.hre.ethers.ZeroHash, MAX_CLAIM_DELAY),
  ]);
  const ids = [...new Set(events.map((e) => e.args.claimId))];
  const claims = await Promise.all(
    ids.map(async (id): Promise<OwedClaim | undefined> => {
      const c = await limiter.claimOf(id);
      if (c.recipient === ctx.hre.ethers.ZeroAddress) return undefined;
      return { id, owed: c.end - c.next, claimable: await limiter.claimable(id), dueAt: c.queuedAt + delay };
    }),
  );
  return claims.filter((c) => c !== undefined);
}

/** Prints the claims of `recipient`. */
export async function printClaims(ctx: Ctx, token: Token, claims: OwedClaim[]): Promise<void> {
  const now = await chainTime(ctx.hre);
  if (claims.length === 0) console.log("  outflow-limiter claims: none");
  for (const c of claims) {
    console.log(
      `  limiter claim #${c.id}: ${token.format(c.owed)} owed, ` +
        `${units(c.claimable, token.decimals)} claimable now, all due by ${when(c.dueAt, now)}`,
    );
  }
}

/**
 * Claims every claim of `recipient` that has something claimable now (anyone may; the recipient is paid); prints
 * what still waits. Returns the amount paid and the claims still owed.
 */
export async function claimAll(
  ctx: Ctx,
  token: Token,
  recipient: string,
  sinceBlock: number,
): Promise<{ paid: bigint; waiting: OwedClaim[] }> {
  const claims = await owedClaims(ctx, recipient, sinceBlock);
  if (claims.length > 0 && (await ctx.d.pauseRegistry.isPaused(ctx.hre.ethers.ZeroHash, WITHDRAW))) {
    console.log("  withdrawals are paused: the limiter's claims wait until governance unpauses");
    await printClaims(ctx, token, claims);
    return { paid: 0n, waiting: claims };
  }
  const due = claims.filter((x) => x.claimable > 0n);
  let paid = 0n;
  for (const c of due) {
    const receipt = await send(ctx.hre, `claim #${c.id}`, () => ctx.d.limiter.connect(ctx.signer).claim(c.id));
    paid += ((await findEvent(receipt, ctx.d.limiter, "ClaimPaid"))?.amount as bigint | undefined) ?? 0n;
  }
  // Nothing sent, nothing changed: the claims read above are still what waits.
  const waiting = due.length > 0 ? await owedClaims(ctx, recipient, sinceBlock) : claims;
  if (paid > 0n) console.log(`  paid ${token.format(paid)} to ${recipient}`);
  if (waiting.length > 0) await printClaims(ctx, token, waiting);
  return { paid, waiting };
}

/** `IPauseRegistry.Action.Withdraw`. */
const WITHDRAW = PAUSE_ACTIONS.indexOf("withdraw");

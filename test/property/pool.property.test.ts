/**
 * Properties of the pool's share accounting (POOL-1, POOL-4) over random sequences of LP deposits, mints,
 * withdrawals and redemptions, realised pool gains and losses, and time. After every command:
 *
 * - the sum of every holder's shares equals the total supply;
 * - the pool holds at least the collateral it has booked (cash + insurance);
 * - a deposit, mint, withdrawal or redemption never lowers the value of a share (rounding and the fee are always
 *   in the remaining LPs' favour);
 * - no LP has taken out more than it put in plus its share of the pool's gains (its shares times every rise of
 *   the share price while it held them).
 *
 * Seeds are fixed so a run replays exactly; FUZZ_SEED and POOL_PROPERTY_RUNS override.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { poolFixture, type PoolFixture, SHARE_OFFSET, usdc } from "../helpers/pool";

const seed = Number(process.env.FUZZ_SEED ?? 20261121);
const numRuns = Number(process.env.POOL_PROPERTY_RUNS ?? 20);
const LPS = 3;

/** A share price as the exact fraction (totalAssets + 1) / (totalSupply + offset) that the vault uses. */
interface Price {
  num: bigint;
  den: bigint;
}

interface LpBook {
  deposited: bigint;
  withdrawn: bigint;
  /** Numerator over `GAIN_DEN`: Σ shares × rise of the share price while held, an upper bound on gains. */
  gains: bigint;
}

class Model {
  books: LpBook[] = Array.from({ length: LPS }, () => ({ deposited: 0n, withdrawn: 0n, gains: 0n }));
  lastCommandMovesPrice = false;
}

interface Real {
  f: PoolFixture;
  lps: HardhatEthersSigner[];
}

async function priceOf(f: PoolFixture): Promise<Price> {
  return { num: (await f.pool.totalAssets()) + 1n, den: (await f.pool.totalSupply()) + SHARE_OFFSET };
}

/** Runs `action`, then books every LP's gain from the rise of the share price and checks the invariants. */
async function step(model: Model, real: Real, movesPrice: boolean, action: () => Promise<void>) {
  const { f, lps } = real;
  const before = await priceOf(f);
  const sharesBefore = await Promise.all(lps.map((lp) => f.pool.balanceOf(lp.address)));
  await action();
  const after = await priceOf(f);
  const sharesAfter = await Promise.all(lps.map((lp) => f.pool.balanceOf(lp.address)));

  // rise = after − before, as a fraction over before.den × after.den
  const rise = after.num * before.den - before.num * after.den;
  if (!movesPrice) expect(rise, "an LP action lowered the share price").to.be.gte(0n);
  if (rise > 0n) {
    const den = before.den * after.den;
    lps.forEach((_, i) => {
      const held = sharesBefore[i] > sharesAfter[i] ? sharesBefore[i] : sharesAfter[i];
      model.books[i].gains += (held * rise + den - 1n) / den; // rounded up: an upper bound
    });
  }

  const supply = await f.pool.totalSupply();
  const escrow = await f.pool.balanceOf(await f.pool.getAddress());
  expect(sharesAfter.reduce((a, b) => a + b, 0n) + escrow, "Σ shares != totalSupply").to.equal(supply);
  const s = await f.pool.poolState();
  expect(await f.usdc.balanceOf(f.pool), "pool holds less than it booked").to.be.gte(s.cash + s.insurance);
  model.books.forEach((b, i) => {
    expect(b.withdrawn, `LP ${i} took out more than it put in plus its gains`).to.be.lte(b.deposited + b.gains);
  });
}

/** Sends `tx` and returns the assets the LP received from its Withdraw event. */
async function withdrawnBy(f: PoolFixture, tx: Promise<{ wait(): Promise<unknown> }>): Promise<bigint> {
  const receipt = (await (await tx).wait()) as { logs: { topics: string[]; data: string }[] };
  for (const log of receipt.logs) {
    const parsed = f.pool.interface.parseLog(log);
    if (parsed?.name === "Withdraw") return parsed.args.assets as bigint;
  }
  throw new Error("no Withdraw event");
}

type Cmd = fc.AsyncCommand<Model, Real>;

class Deposit implements Cmd {
  constructor(
    readonly lp: number,
    readonly amount: bigint,
    readonly viaMint: boolean,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const { f, lps } = real;
    const who = lps[this.lp];
    const shares = await f.pool.previewDeposit(this.amount);
    if (shares === 0n) return;
    await step(model, real, false, async () => {
      if (this.viaMint) {
        const assets = await f.pool.previewMint(shares);
        await (await f.pool.connect(who).mint(shares, who.address)).wait();
        model.books[this.lp].deposited += assets;
      } else {
        await (await f.pool.connect(who).deposit(this.amount, who.address)).wait();
        model.books[this.lp].deposited += this.amount;
      }
    });
  }
  toString = () => `${this.viaMint ? "mint" : "deposit"}(lp${this.lp}, ${this.amount})`;
}

class Exit implements Cmd {
  constructor(
    readonly lp: number,
    readonly fraction: bigint,
    readonly viaWithdraw: boolean,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const { f, lps } = real;
    const who = lps[this.lp];
    // An LP whose shares are still in their holding time waits it out first, as it would have to.
    const [, unlockAt] = await f.pool.lockedShares(who.address);
    if (unlockAt > 0n) await step(model, real, false, () => time.increaseTo(unlockAt));
    await step(model, real, false, async () => {
      if (this.viaWithdraw) {
        const assets = ((await f.pool.maxWithdraw(who.address)) * this.fraction) / 100n;
        if (assets === 0n) return;
        const tx = f.pool.connect(who).withdraw(assets, who.address, who.address);
        model.books[this.lp].withdrawn += await withdrawnBy(f, tx);
      } else {
        const shares = ((await f.pool.maxRedeem(who.address)) * this.fraction) / 100n;
        if ((await f.pool.previewRedeem(shares)) === 0n) return;
        const tx = f.pool.connect(who).redeem(shares, who.address, who.address);
        model.books[this.lp].withdrawn += await withdrawnBy(f, tx);
      }
    });
  }
  toString = () => `${this.viaWithdraw ? "withdraw" : "redeem"}(lp${this.lp}, ${this.fraction}% of max)`;
}

/** Traders realise a loss to the pool (a gain for the LPs) or a profit from it (a loss for the LPs). */
class TraderPnl implements Cmd {
  constructor(readonly signedBps: bigint) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const { f } = real;
    const cash = (await f.pool.poolState()).cash;
    const amount = (cash * (this.signedBps < 0n ? -this.signedBps : this.signedBps)) / 10_000n;
    if (amount === 0n) return;
    await step(model, real, true, async () => {
      if (this.signedBps > 0n) {
        await f.usdc.mint(await f.engine.getAddress(), amount);
        await (await f.engine.collect(amount)).wait();
      } else {
        await (await f.engine.pay(await f.accounts.getAddress(), amount)).wait();
      }
    });
  }
  toString = () => `traders ${this.signedBps > 0n ? "lose" : "win"} ${this.signedBps} bps of cash`;
}

class Advance implements Cmd {
  constructor(readonly seconds: number) {}
  check = () => true;
  async run(model: Model, real: Real) {
    await step(model, real, false, async () => {
      await time.increase(this.seconds);
    });
  }
  toString = () => `advance(${this.seconds}s)`;
}

describe("Property: pool share accounting (POOL-1, POOL-4)", function () {
  it("POOL-1: over random LP sequences, Σ shares == totalSupply, no LP action lowers the share price, and no LP takes out more than it put in plus its share of gains", async function () {
    const lp = fc.integer({ min: 0, max: LPS - 1 });
    const exit = fc
      .tuple(lp, fc.constantFrom(1n, 37n, 50n, 99n, 100n), fc.boolean())
      .map(([i, p, w]) => new Exit(i, p, w));
    const commands = [
      fc.tuple(lp, fc.bigInt({ min: 1n, max: usdc(2_000_000) }), fc.boolean()).map(([i, a, m]) => new Deposit(i, a, m)),
      fc.tuple(lp, fc.bigInt({ min: 1n, max: 999n }), fc.boolean()).map(([i, a, m]) => new Deposit(i, a, m)),
      exit,
      exit,
      exit,
      fc.integer({ min: -500, max: 500 }).map((b) => new TraderPnl(BigInt(b))),
      fc.constantFrom(1, 3_600, 86_400, 2 * 86_400).map((s) => new Advance(s)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: "large" }), async (cmds) => {
        const f = await loadFixture(poolFixture);
        const real: Real = { f, lps: [f.alice, f.bob, f.carol] };
        await fc.asyncModelRun(() => ({ model: new Model(), real }), cmds);
      }),
      { numRuns, seed, verbose: 1 },
    );
  });
});

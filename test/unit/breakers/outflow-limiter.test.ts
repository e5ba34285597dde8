import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, HOUR } from "../../../deploy/foundation";
import { GLOBAL, key } from "../../helpers/fixtures";
import { Action, mask } from "../../helpers/actions";
import { governCall } from "../../helpers/timelock";
import { MockFlashUser__factory } from "../../../typechain-types";
import { poolFixture, type PoolFixture, usdc } from "../../helpers/pool";

const MAX_OUTFLOW_BPS = key("maxOutflowBps");
const OUTFLOW_WINDOW = key("outflowWindow");
const MAX_CLAIM_DELAY = key("maxClaimDelay");

/** 1,000,000 USDC of margin, half Alice's and half Bob's: the protocol's TVL; 10 % may leave per day. */
async function tvlFixture() {
  const f = await poolFixture();
  await f.accounts.connect(f.alice).deposit(f.alice.address, usdc(500_000));
  await f.accounts.connect(f.bob).deposit(f.bob.address, usdc(500_000));
  return f;
}

async function claimIdOf(f: PoolFixture, tx: Promise<unknown>) {
  const receipt = await (await (tx as Promise<{ wait(): Promise<unknown> }>)).wait();
  const logs = (receipt as { logs: { topics: string[]; data: string }[] }).logs;
  for (const log of logs) {
    const parsed = f.limiter.interface.parseLog(log);
    if (parsed?.name === "OutflowLimited") return parsed.args.claimId as bigint;
  }
  return 0n;
}

describe("OutflowLimiter", () => {
  it("CB-4: at most half the window's cap leaves at once; the rest is queued, not refused", async () => {
    const f = await loadFixture(tvlFixture);
    const l = await f.limiter.limits();
    expect(l.tvl).to.equal(usdc(1_000_000));
    expect(l.capacity).to.equal(usdc(100_000)); // 10 % of the TVL per window
    expect(l.available).to.equal(usdc(50_000)); // the bucket: half of it

    await f.accounts.connect(f.alice).withdraw(usdc(30_000), f.alice.address);
    const before = await f.usdc.balanceOf(f.bob.address);
    // The bucket is resized to the 970,000 left (48,500) and 30,000 of it is in use, less a second of refill.
    const tx = f.accounts.connect(f.bob).withdraw(usdc(50_000), f.bob.address);
    await expect(tx).to.emit(f.limiter, "OutflowLimited");
    const [event] = await f.limiter.queryFilter(f.limiter.filters.OutflowLimited());
    const { available, paidNow, queued } = event.args;
    expect(available).to.be.closeTo(usdc(18_500), usdc(1));
    expect(paidNow).to.equal(available);
    expect(queued).to.equal(usdc(50_000) - paidNow);
    await expect(tx)
      .to.emit(f.accounts, "MarginWithdrawn")
      .withArgs(f.bob.address, f.bob.address, usdc(50_000), paidNow, 1n);
    expect((await f.usdc.balanceOf(f.bob.address)) - before).to.equal(paidNow);
    expect(await f.usdc.balanceOf(f.limiter)).to.equal(queued);
    expect((await f.limiter.claimOf(1n)).recipient).to.equal(f.bob.address);
    expect((await f.limiter.limits()).backlog).to.equal(queued);
  });

  it("CB-4: within any window at most maxOutflowBps of the TVL leaves: the bucket refills over one window", async () => {
    const f = await loadFixture(tvlFixture);
    await f.accounts.connect(f.alice).withdraw(usdc(50_000), f.alice.address);
    const start = BigInt(await time.latest());
    expect((await f.limiter.limits()).available).to.equal(0n);
    await time.increaseTo(start + DAY / 2n);
    // Half a window drains half of what the bucket used (50,000 at the old size), and the bucket is now sized to
    // the 950,000 left (47,500): 47,500 - 25,000 free.
    expect((await f.limiter.limits()).available).to.equal(usdc(22_500));

    // The greediest drain takes everything at the start and again just before the window ends: the cap holds.
    await time.setNextBlockTimestamp(start + DAY - 1n);
    const available = (await f.limiter.limits()).available;
    const last = await f.accounts.connect(f.alice).withdraw.staticCall(usdc(100_000), f.alice.address);
    expect(last.paidNow).to.be.lte(available + usdc(1));
    expect(usdc(50_000) + last.paidNow).to.be.lte(usdc(100_000));
  });

  it("CB-4: queued outflows are paid first in, first out; a new outflow never overtakes a waiting claim", async () => {
    const f = await loadFixture(tvlFixture);
    await f.accounts.connect(f.alice).withdraw(usdc(50_000), f.alice.address);
    const first = await claimIdOf(f, f.accounts.connect(f.bob).withdraw(usdc(300_000), f.bob.address));
    const second = await claimIdOf(f, f.accounts.connect(f.alice).withdraw(usdc(20_000), f.alice.address));
    expect([first, second]).to.deep.equal([1n, 2n]);
    await expect(f.limiter.claim(first))
      .to.be.revertedWithCustomError(f.limiter, "OutflowLimiterNotYetClaimable")
      .withArgs(first, 0n);
    await expect(f.limiter.claim(second))
      .to.be.revertedWithCustomError(f.limiter, "OutflowLimiterNotYetClaimable")
      .withArgs(second, usdc(300_000));

    // A day later the bucket is full again (half of 10 % of the 630,000 left); it all goes to the queue, so a new
    // outflow, however small, queues behind it.
    await time.increase(DAY);
    await expect(f.accounts.connect(f.bob).withdraw(usdc(1), f.bob.address))
      .to.emit(f.limiter, "OutflowLimited")
      .withArgs(await f.accounts.getAddress(), f.bob.address, 3n, usdc(1), 0n, 0n, usdc(1));
    // The bucket (half of 10 % of 630,000) less what the earlier over-use has not drained yet.
    const refill = await f.limiter.claimable(first);
    expect(refill).to.be.greaterThan(0n).and.lte(usdc(31_500));
    expect(await f.limiter.claimable(second)).to.equal(0n);

    // Anyone may trigger a payment; it always goes to the claim's recipient, and a claim may be paid in parts.
    const bobBefore = await f.usdc.balanceOf(f.bob.address);
    await expect(f.limiter.connect(f.carol).claim(first)).to.emit(f.limiter, "ClaimPaid");
    const paid = (await f.usdc.balanceOf(f.bob.address)) - bobBefore;
    expect(paid).to.be.closeTo(refill, usdc(1)); // plus the second of refill the transaction came later
    expect((await f.limiter.claimOf(first)).next).to.equal(paid);

    // Once the second claim has waited maxClaimDelay (3 days), it and everything before it is due.
    await time.increase(2n * DAY);
    await f.limiter.claim(second);
    await f.limiter.claim(first);
    expect((await f.usdc.balanceOf(f.bob.address)) - bobBefore).to.equal(usdc(300_000));
    await expect(f.limiter.claim(first))
      .to.be.revertedWithCustomError(f.limiter, "OutflowLimiterUnknownClaim")
      .withArgs(first);
    expect(await f.usdc.balanceOf(f.limiter)).to.equal(usdc(1)); // Bob's last claim, queued a day later
  });

  it("CB-4: a claim that waited maxClaimDelay is paid even without capacity, and so is every claim before it", async () => {
    const f = await loadFixture(tvlFixture);
    // A mass exit: every account leaves; the TVL (and the capacity with it) shrinks as it goes.
    await f.accounts.connect(f.alice).withdraw(usdc(500_000), f.alice.address);
    await f.accounts.connect(f.bob).withdraw(usdc(500_000), f.bob.address);
    expect((await f.limiter.limits()).tvl).to.equal(0n);
    await time.increase(3n * DAY - 2n);
    expect(await f.limiter.claimable(2n)).to.be.lessThan(usdc(500_000));
    await time.increase(2n);
    expect(await f.limiter.claimable(2n)).to.equal(usdc(500_000));
    await f.limiter.claim(2n);
    await f.limiter.claim(1n);
    expect(await f.usdc.balanceOf(f.alice.address)).to.equal(usdc(10_000_000));
    expect(await f.usdc.balanceOf(f.bob.address)).to.equal(usdc(10_000_000));
    expect(await f.usdc.balanceOf(f.limiter)).to.equal(0n);
  });

  it("CB-4: claims wait while withdrawals are paused and are paid after the unpause", async () => {
    const f = await loadFixture(tvlFixture);
    await f.accounts.connect(f.alice).withdraw(usdc(150_000), f.alice.address);
    await f.pauseRegistry.connect(f.guardian).pause(GLOBAL, mask(Action.Withdraw), "exploit suspected");
    await time.increase(DAY);
    await expect(f.limiter.claim(1n)).to.be.revertedWithCustomError(f.limiter, "OutflowLimiterPaused");
    await governCall(f, f.pauseRegistry, "unpause", [GLOBAL, mask(Action.Withdraw), "ok"]);
    await time.increase(2n * DAY); // the claim matures
    await f.limiter.claim(1n);
    expect(await f.usdc.balanceOf(f.alice.address)).to.equal(usdc(10_000_000 - 500_000 + 150_000));
  });

  it("CB-4: a same-transaction deposit-then-withdraw neither trips the limit nor frees capacity", async () => {
    const f = await loadFixture(tvlFixture);
    const flash = await new MockFlashUser__factory(f.deployer).deploy();
    await f.usdc.mint(await flash.getAddress(), usdc(5_000_000));
    await f.accounts.connect(f.alice).withdraw(usdc(30_000), f.alice.address);
    const before = await f.limiter.limits();

    // 5,000,000 in and out again: nothing queued, nothing used, the cap not raised.
    await expect(flash.depositAndWithdraw(f.accounts, f.usdc, usdc(5_000_000), usdc(5_000_000))).not.to.emit(
      f.limiter,
      "OutflowLimited",
    );
    const after = await f.limiter.limits();
    expect(after.tvl).to.equal(before.tvl);
    expect(after.capacity).to.equal(before.capacity);
    expect(after.used).to.be.lte(before.used); // only the refill of the seconds that passed
    expect(after.available - before.available).to.be.lte(usdc(2));

    // Taking out more than came in draws the excess from the bucket, whose size the inflow did not raise.
    await f.accounts.connect(f.carol).deposit(await flash.getAddress(), usdc(100_000));
    const tx = flash.depositAndWithdraw(f.accounts, f.usdc, usdc(1_000_000), usdc(1_100_000));
    await expect(tx).to.emit(f.limiter, "OutflowLimited");
    const [event] = await f.limiter.queryFilter(f.limiter.filters.OutflowLimited());
    // The bucket is half of 10 % of 1,070,000 (Carol's deposit counts: it came in its own transaction), with
    // 30,000 in use less a few seconds of refill.
    expect(event.args.available).to.be.closeTo(usdc(53_500 - 30_000), usdc(3));
    expect(event.args.paidNow).to.equal(usdc(1_000_000) + event.args.available);
    expect(event.args.queued).to.equal(usdc(100_000) - event.args.available);
  });

  it("CB-4: closing a position is internal and never meets the limiter, even with the window spent", async () => {
    const f = await loadFixture(tvlFixture);
    await f.pool.connect(f.carol).deposit(usdc(1_000_000), f.carol.address);
    await f.accounts.connect(f.alice).withdraw(usdc(200_000), f.alice.address);
    expect((await f.limiter.limits()).available).to.equal(0n);
    // The engine books a profit of 250,000 for Bob (a close): paid from the pool into his account at once.
    await expect(f.engine.settle(f.bob.address, usdc(250_000))).not.to.emit(f.limiter, "OutflowLimited");
    expect(await f.accounts.collateralOf(f.bob.address)).to.equal(usdc(750_000));
    // Leaving the protocol with it is what the limiter meters.
    await expect(f.accounts.connect(f.bob).withdraw(usdc(750_000), f.bob.address)).to.emit(f.limiter, "OutflowLimited");
  });

  it("CB-4: only exits report flows; only governance adds exits, and only contracts", async () => {
    const f = await loadFixture(tvlFixture);
    for (const call of [
      () => f.limiter.connect(f.mallory).recordInflow(1n),
      () => f.limiter.connect(f.mallory).consume(1n),
      () => f.limiter.connect(f.mallory).release(f.mallory.address, 1n),
    ]) {
      await expect(call())
        .to.be.revertedWithCustomError(f.limiter, "OutflowLimiterNotExit")
        .withArgs(f.mallory.address);
    }
    await expect(f.limiter.connect(f.guardian).setExit(f.guardian.address, true)).to.be.revertedWithCustomError(
      f.limiter,
      "AccessManagedUnauthorized",
    );
    await expect(governCall(f, f.limiter, "setExit", [f.mallory.address, true]))
      .to.be.revertedWithCustomError(f.limiter, "OutflowLimiterInvalidExit")
      .withArgs(f.mallory.address);
    expect(await f.limiter.isExit(f.accounts)).to.equal(true);
    expect(await f.limiter.isExit(f.pool)).to.equal(true);
  });

  it("CB-4, CB-6: parameters are bounded; the guardian may only lower the cap and lengthen the delays", async () => {
    const f = await loadFixture(tvlFixture);
    const set = (k: string, v: bigint) => governCall(f, f.limiter, "setParameter", [GLOBAL, k, v]);
    await expect(set(MAX_OUTFLOW_BPS, 5_001n))
      .to.be.revertedWithCustomError(f.limiter, "ParameterOutOfBounds")
      .withArgs(MAX_OUTFLOW_BPS, 5_001n, 100n, 5_000n);
    await expect(set(OUTFLOW_WINDOW, HOUR - 1n))
      .to.be.revertedWithCustomError(f.limiter, "ParameterOutOfBounds")
      .withArgs(OUTFLOW_WINDOW, HOUR - 1n, HOUR, 7n * DAY);
    await expect(set(MAX_CLAIM_DELAY, 15n * DAY))
      .to.be.revertedWithCustomError(f.limiter, "ParameterOutOfBounds")
      .withArgs(MAX_CLAIM_DELAY, 15n * DAY, DAY, 14n * DAY);
    await set(MAX_OUTFLOW_BPS, 2_000n);
    expect((await f.limiter.limits()).capacity).to.equal(usdc(200_000));

    const g = f.limiter.connect(f.guardian);
    await expect(g.tightenParameter(GLOBAL, MAX_OUTFLOW_BPS, 2_500n, "loosen")).to.be.revertedWithCustomError(
      f.limiter,
      "ParameterNotTightening",
    );
    await expect(g.tightenParameter(GLOBAL, MAX_OUTFLOW_BPS, 500n, "drain in progress"))
      .to.emit(f.limiter, "ParameterTightened")
      .withArgs(GLOBAL, MAX_OUTFLOW_BPS, 2_000n, 500n, f.guardian.address, "drain in progress");
    await g.tightenParameter(GLOBAL, OUTFLOW_WINDOW, 2n * DAY, "slower");
    await g.tightenParameter(GLOBAL, MAX_CLAIM_DELAY, 7n * DAY, "time to react");
    await expect(g.tightenParameter(GLOBAL, MAX_CLAIM_DELAY, 6n * DAY, "shorter")).to.be.revertedWithCustomError(
      f.limiter,
      "ParameterNotTightening",
    );
    // A two-day window refills the bucket (half of 5 % of 1,000,000) at half the speed.
    await f.accounts.connect(f.alice).withdraw(usdc(25_000), f.alice.address);
    await time.increase(DAY);
    expect((await f.limiter.limits()).used).to.equal(usdc(12_500));
    await expect(f.limiter.parameter(key("market"), MAX_OUTFLOW_BPS))
      .to.be.revertedWithCustomError(f.limiter, "OutflowLimiterScopeNotGlobal")
      .withArgs(key("market"));
  });
});

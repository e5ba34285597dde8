import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, HOUR } from "../../../deploy/foundation";
import { GLOBAL, key } from "../../helpers/fixtures";
import { Action, mask } from "../../helpers/actions";
import { govern } from "../../helpers/timelock";
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
  it("CB-4: at most maxOutflowBps of the TVL leaves within the window; the rest is queued, not refused", async () => {
    const f = await loadFixture(tvlFixture);
    const l = await f.limiter.limits();
    expect(l.tvl).to.equal(usdc(1_000_000));
    expect(l.capacity).to.equal(usdc(100_000));
    expect(l.available).to.equal(usdc(100_000));

    await f.accounts.connect(f.alice).withdraw(usdc(60_000), f.alice.address);
    const before = await f.usdc.balanceOf(f.bob.address);
    await expect(f.accounts.connect(f.bob).withdraw(usdc(50_000), f.bob.address))
      .to.emit(f.limiter, "OutflowLimited")
      .withArgs(
        await f.accounts.getAddress(),
        f.bob.address,
        1n,
        usdc(50_000),
        usdc(34_000), // 10 % of the 940,000 left, minus the 60,000 already used
        usdc(34_000),
        usdc(16_000),
      )
      .and.to.emit(f.accounts, "MarginWithdrawn")
      .withArgs(f.bob.address, f.bob.address, usdc(50_000), usdc(34_000), 1n);
    expect((await f.usdc.balanceOf(f.bob.address)) - before).to.equal(usdc(34_000));
    expect(await f.usdc.balanceOf(f.limiter)).to.equal(usdc(16_000));
    expect((await f.limiter.claimOf(1n)).recipient).to.equal(f.bob.address);
    expect((await f.limiter.limits()).backlog).to.equal(usdc(16_000));
  });

  it("CB-4: the window slides: what left at t is capacity again at t + window, not before", async () => {
    const f = await loadFixture(tvlFixture);
    await f.accounts.connect(f.alice).withdraw(usdc(100_000), f.alice.address);
    const spentAt = BigInt(await time.latest());
    expect((await f.limiter.limits()).available).to.equal(0n);
    await time.increaseTo(spentAt + DAY - 1n);
    expect((await f.limiter.limits()).available).to.equal(0n);
    await time.increaseTo(spentAt + DAY);
    expect((await f.limiter.limits()).available).to.equal(usdc(90_000)); // 10 % of the 900,000 left
  });

  it("CB-4: queued outflows are paid first in, first out; a new outflow never overtakes a waiting claim", async () => {
    const f = await loadFixture(tvlFixture);
    await f.accounts.connect(f.alice).withdraw(usdc(100_000), f.alice.address);
    const first = await claimIdOf(f, f.accounts.connect(f.bob).withdraw(usdc(300_000), f.bob.address));
    const second = await claimIdOf(f, f.accounts.connect(f.alice).withdraw(usdc(20_000), f.alice.address));
    expect([first, second]).to.deep.equal([1n, 2n]);
    await expect(f.limiter.claim(first))
      .to.be.revertedWithCustomError(f.limiter, "OutflowLimiterNotYetClaimable")
      .withArgs(first, 0n);
    await expect(f.limiter.claim(second))
      .to.be.revertedWithCustomError(f.limiter, "OutflowLimiterNotYetClaimable")
      .withArgs(second, usdc(300_000));

    // A day later the window has room again (10 % of the 580,000 left); it all goes to the queue, so a new
    // outflow, however small, queues behind it.
    await time.increase(DAY);
    await f.accounts.connect(f.carol).deposit(f.carol.address, usdc(1));
    await expect(f.accounts.connect(f.carol).withdraw(usdc(1), f.carol.address))
      .to.emit(f.limiter, "OutflowLimited")
      .withArgs(await f.accounts.getAddress(), f.carol.address, 3n, usdc(1), 0n, 0n, usdc(1));
    const refill = usdc(58_000) + 100_000n; // 10 % of 580,001 (Carol's 1 USDC counts)
    expect(await f.limiter.claimable(first)).to.equal(refill);
    expect(await f.limiter.claimable(second)).to.equal(0n);

    // Anyone may trigger a payment; it always goes to the claim's recipient, and a claim may be paid in parts.
    const bobBefore = await f.usdc.balanceOf(f.bob.address);
    await expect(f.limiter.connect(f.carol).claim(first))
      .to.emit(f.limiter, "ClaimPaid")
      .withArgs(first, f.bob.address, refill, f.carol.address);
    expect((await f.limiter.claimOf(first)).next).to.equal(refill);

    // Once the second claim has waited maxClaimDelay (3 days), it and everything before it is due.
    await time.increase(2n * DAY);
    await f.limiter.claim(second);
    await f.limiter.claim(first);
    expect((await f.usdc.balanceOf(f.bob.address)) - bobBefore).to.equal(usdc(300_000));
    await expect(f.limiter.claim(first))
      .to.be.revertedWithCustomError(f.limiter, "OutflowLimiterUnknownClaim")
      .withArgs(first);
    expect(await f.usdc.balanceOf(f.limiter)).to.equal(usdc(1)); // Carol's claim, queued a day later
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
    const data = f.pauseRegistry.interface.encodeFunctionData("unpause", [GLOBAL, mask(Action.Withdraw), "ok"]);
    await govern(f.timelock, f.governor, [{ target: await f.pauseRegistry.getAddress(), data }]);
    await f.limiter.claim(1n);
    expect(await f.usdc.balanceOf(f.alice.address)).to.equal(usdc(10_000_000 - 500_000 + 150_000));
  });

  it("CB-4: a same-transaction deposit-then-withdraw neither trips the limit nor frees capacity", async () => {
    const f = await loadFixture(tvlFixture);
    const flash = await new MockFlashUser__factory(f.deployer).deploy();
    await f.usdc.mint(await flash.getAddress(), usdc(5_000_000));
    await f.accounts.connect(f.alice).withdraw(usdc(70_000), f.alice.address);
    const before = await f.limiter.limits();

    // 5,000,000 in and out again: nothing queued, and the window is where it was.
    await expect(flash.depositAndWithdraw(f.accounts, f.usdc, usdc(5_000_000), usdc(5_000_000))).not.to.emit(
      f.limiter,
      "OutflowLimited",
    );
    const after = await f.limiter.limits();
    expect(after.used).to.equal(before.used);
    expect(after.tvl).to.equal(before.tvl);
    expect(after.available).to.equal(before.available);

    // Taking out more than came in draws the excess from the window, whose cap the inflow did not raise.
    await f.accounts.connect(f.carol).deposit(await flash.getAddress(), usdc(100_000));
    expect(before.available).to.equal(usdc(23_000));
    await expect(flash.depositAndWithdraw(f.accounts, f.usdc, usdc(1_000_000), usdc(1_100_000)))
      .to.emit(f.limiter, "OutflowLimited")
      .withArgs(
        await f.accounts.getAddress(),
        await flash.getAddress(),
        1n,
        usdc(1_100_000),
        usdc(33_000), // the cap grew by 10 % of Carol's deposit (its own transaction), not of the flash deposit
        usdc(1_033_000),
        usdc(67_000),
      );
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
    const data = f.limiter.interface.encodeFunctionData("setExit", [f.mallory.address, true]);
    await expect(govern(f.timelock, f.governor, [{ target: await f.limiter.getAddress(), data }]))
      .to.be.revertedWithCustomError(f.limiter, "OutflowLimiterInvalidExit")
      .withArgs(f.mallory.address);
    expect(await f.limiter.isExit(f.accounts)).to.equal(true);
    expect(await f.limiter.isExit(f.pool)).to.equal(true);
  });

  it("CB-4, CB-6: parameters are bounded; the guardian may only lower the cap and lengthen the delays", async () => {
    const f = await loadFixture(tvlFixture);
    const set = (k: string, v: bigint) =>
      govern(f.timelock, f.governor, [
        {
          target: ethers.getAddress(f.limiter.target as string),
          data: f.limiter.interface.encodeFunctionData("setParameter", [GLOBAL, k, v]),
        },
      ]);
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
    // A longer window keeps what left in the last two days on the books.
    await f.accounts.connect(f.alice).withdraw(usdc(50_000), f.alice.address);
    await time.increase(DAY + 1n);
    expect((await f.limiter.limits()).used).to.equal(usdc(50_000));
    await expect(f.limiter.parameter(key("market"), MAX_OUTFLOW_BPS))
      .to.be.revertedWithCustomError(f.limiter, "OutflowLimiterScopeNotGlobal")
      .withArgs(key("market"));
  });
});

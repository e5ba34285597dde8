/**
 * Attack stories against the pool side (SPEC §14): the first-depositor inflation attack, LP deposit before and
 * withdrawal after a known PnL move, a 30 % TVL drain in one window, withdrawals while paused.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY } from "../../deploy/foundation";
import { GLOBAL } from "../helpers/fixtures";
import { Action, mask } from "../helpers/actions";
import { WAD } from "../helpers/oracle";
import { poolFixture, type PoolFixture, usdc } from "../helpers/pool";

/** Pays every outflow claim of the limiter, in order, once it has matured (maxClaimDelay). */
async function payAllClaims(f: PoolFixture) {
  await time.increase(3n * DAY);
  const limited = await f.limiter.queryFilter(f.limiter.filters.OutflowLimited());
  for (const e of limited) {
    if ((await f.limiter.claimOf(e.args.claimId)).recipient !== "0x0000000000000000000000000000000000000000") {
      await f.limiter.claim(e.args.claimId);
    }
  }
}

describe("Scenario: attacks on the pool", () => {
  it("POOL-1: the first-depositor inflation attack by donation changes no share price and loses the donation", async () => {
    const f = await loadFixture(poolFixture);
    const attacker = f.mallory;
    const start = await f.usdc.balanceOf(attacker.address);
    await f.pool.connect(attacker).deposit(1n, attacker.address);
    await f.usdc.connect(attacker).transfer(f.pool, usdc(1_000_000)); // the "donation"
    expect(await f.pool.totalAssets()).to.equal(1n);

    await f.pool.connect(f.alice).deposit(usdc(500_000), f.alice.address);
    const aliceShares = await f.pool.balanceOf(f.alice.address);
    expect(aliceShares).to.equal(usdc(500_000) * 10n ** 6n);
    expect(await f.pool.convertToAssets(aliceShares)).to.equal(usdc(500_000));

    await time.increase(DAY);
    const attackerShares = await f.pool.balanceOf(attacker.address);
    expect(await f.pool.previewRedeem(attackerShares)).to.equal(0n); // its one unit, minus the fee
    expect(await f.pool.maxRedeem(attacker.address)).to.equal(0n);
    // The donation is not the attacker's any more: anyone can move it to the insurance fund.
    await f.pool.sweepSurplus();
    expect((await f.pool.poolState()).insurance).to.equal(usdc(1_000_000));
    expect(await f.usdc.balanceOf(attacker.address)).to.equal(start - usdc(1_000_000) - 1n);
  });

  it("POOL-1: inflating the share price through realised trader losses costs the attacker half its outlay; the victim loses under a millionth", async () => {
    const f = await loadFixture(poolFixture);
    const attacker = f.mallory;
    await f.pool.connect(attacker).deposit(1n, attacker.address);
    // The attacker's trading losses reach the pool as realised PnL (here, through the engine).
    await f.usdc.mint(await f.engine.getAddress(), usdc(1_000_000));
    await f.engine.collect(usdc(1_000_000));
    expect(await f.pool.totalAssets()).to.equal(usdc(1_000_000) + 1n);

    await f.pool.connect(f.alice).deposit(usdc(500_000), f.alice.address);
    const aliceShares = await f.pool.balanceOf(f.alice.address);
    expect(aliceShares).to.be.greaterThan(0n);
    const aliceValue = await f.pool.convertToAssets(aliceShares);
    expect(usdc(500_000) - aliceValue).to.be.lessThan(usdc(500_000) / 1_000_000n);

    await time.increase(DAY);
    const attackerValue = await f.pool.previewRedeem(await f.pool.balanceOf(attacker.address));
    const outlay = usdc(1_000_000) + 1n;
    expect(attackerValue).to.be.lessThan(outlay / 2n + usdc(1));
    // The virtual shares (10^6 per unit) keep most of what the attacker gave: it went to the LPs' NAV.
  });

  it("POOL-4: depositing just before a known PnL move and leaving after it does not pay", async () => {
    const f = await loadFixture(poolFixture);
    await f.pool.connect(f.alice).deposit(usdc(1_000_000), f.alice.address);
    // Traders are long 1,000 ETH from 3,000. An oracle update to 2,900 is known to be coming: traders will be
    // down 100,000, the pool up 100,000 (+10 %).
    await f.engine.setPosition(1_000n * WAD, 3_000n * WAD);
    const attacker = f.mallory;
    const start = await f.usdc.balanceOf(attacker.address);
    await f.pool.connect(attacker).deposit(usdc(1_000_000), attacker.address);
    const shares = await f.pool.balanceOf(attacker.address);
    await f.setAll(2_900n);

    // Without the holding time the trade would pay about 50,000; with it, every way out is shut.
    expect(await f.pool.previewRedeem(shares)).to.be.greaterThan(usdc(1_045_000));
    expect(await f.pool.maxRedeem(attacker.address)).to.equal(0n);
    await expect(
      f.pool.connect(attacker).redeem(shares, attacker.address, attacker.address),
    ).to.be.revertedWithCustomError(f.pool, "LiquidityPoolSharesLocked");
    await expect(f.pool.connect(attacker).requestRedeem(shares, attacker.address)).to.be.revertedWithCustomError(
      f.pool,
      "LiquidityPoolSharesLocked",
    );
    await expect(f.pool.connect(attacker).transfer(f.bob.address, shares)).to.be.revertedWithCustomError(
      f.pool,
      "LiquidityPoolSharesLocked",
    );

    // A day later the attacker carries whatever the day brought: here the move has reverted, and leaving pays
    // the withdrawal fee on top.
    await time.increase(DAY);
    await f.setAll(3_000n);
    await f.pool.connect(attacker).requestRedeem(shares, attacker.address);
    await payAllClaims(f);
    const pnl = (await f.usdc.balanceOf(attacker.address)) - start;
    expect(pnl).to.be.lessThan(0n);
    expect(pnl).to.be.lessThan(-usdc(999)); // the 0.1 % fee on 1,000,000
  });

  it("CB-4: a 30 % TVL drain inside one window trips the limiter, queues the rest, and all of it is paid later", async () => {
    const f = await loadFixture(poolFixture);
    await f.pool.connect(f.alice).deposit(usdc(600_000), f.alice.address);
    await f.accounts.connect(f.bob).deposit(f.bob.address, usdc(200_000));
    await f.accounts.connect(f.carol).deposit(f.carol.address, usdc(200_000));
    expect((await f.limiter.limits()).tvl).to.equal(usdc(1_000_000));
    const bobStart = await f.usdc.balanceOf(f.bob.address);
    const carolStart = await f.usdc.balanceOf(f.carol.address);

    // Within the hour, 300,000 heads for the exit (an exploit draining accounts would look the same).
    await f.accounts.connect(f.bob).withdraw(usdc(150_000), f.bob.address);
    await time.increase(600);
    await f.accounts.connect(f.carol).withdraw(usdc(150_000), f.carol.address);
    const limited = await f.limiter.queryFilter(f.limiter.filters.OutflowLimited());
    expect(limited.map((e) => [e.args.paidNow, e.args.queued])).to.deep.equal([
      [usdc(50_000), usdc(100_000)], // at once: half of the window's cap of 10 % of the TVL
      [0n, usdc(150_000)],
    ]);
    expect((await f.usdc.balanceOf(f.bob.address)) - bobStart).to.equal(usdc(50_000));
    expect(await f.usdc.balanceOf(f.limiter)).to.equal(usdc(250_000));
    const l = await f.limiter.limits();
    expect(l.backlog).to.equal(usdc(250_000));
    expect(l.available).to.equal(0n);
    // LPs meet the same wall: their direct exit is capped at what the window has left (nothing).
    await time.increase(DAY);
    expect(await f.pool.maxWithdraw(f.alice.address)).to.equal(0n);

    // Nothing is lost: the queue is paid in order as capacity returns, and in full once claims mature.
    await payAllClaims(f);
    expect((await f.usdc.balanceOf(f.bob.address)) - bobStart).to.equal(usdc(150_000));
    expect((await f.usdc.balanceOf(f.carol.address)) - carolStart).to.equal(usdc(150_000));
    expect(await f.usdc.balanceOf(f.limiter)).to.equal(0n);
    expect((await f.limiter.limits()).backlog).to.equal(0n);
  });

  it("CB-1, CB-4: while withdrawals are paused, nothing leaves, margin can still be added and positions settled", async () => {
    const f = await loadFixture(poolFixture);
    await f.pool.connect(f.alice).deposit(usdc(1_000_000), f.alice.address);
    await f.accounts.connect(f.bob).deposit(f.bob.address, usdc(200_000));
    await f.accounts.connect(f.bob).withdraw(usdc(150_000), f.bob.address); // 90,000 of it queued
    await time.increase(DAY);
    await f.setAll(3_000n);

    await f.pauseRegistry.connect(f.guardian).pause(GLOBAL, mask(Action.Withdraw), "suspicious outflows");
    await expect(
      f.pool.connect(f.alice).redeem(usdc(1) * 10n ** 6n, f.alice.address, f.alice.address),
    ).to.be.revertedWithCustomError(f.pool, "LiquidityPoolPaused");
    await expect(f.pool.serveRedeemRequests(1)).to.be.revertedWithCustomError(f.pool, "LiquidityPoolPaused");
    await expect(f.accounts.connect(f.bob).withdraw(usdc(1), f.bob.address)).to.be.revertedWithCustomError(
      f.accounts,
      "MarginAccountsWithdrawPaused",
    );
    await expect(f.limiter.claim(1n)).to.be.revertedWithCustomError(f.limiter, "OutflowLimiterPaused");
    // Defending a position is never paused: margin goes in, and a close settles inside the protocol.
    await f.accounts.connect(f.carol).deposit(f.carol.address, usdc(10_000));
    await f.engine.settle(f.carol.address, usdc(2_000));
    expect(await f.accounts.collateralOf(f.carol.address)).to.equal(usdc(12_000));

    // The guardian's pause lapses after 72 hours unless governance confirms it; then the claim is paid.
    await time.increase(3n * DAY);
    await f.limiter.claim(1n);
    expect(await f.usdc.balanceOf(f.limiter)).to.equal(0n);
  });
});

import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Action, mask } from "../../helpers/actions";
import { ETH, key } from "../../helpers/fixtures";
import { Reason } from "../../helpers/oracle";
import { freshTrader, perpsFixture, type PerpsFixture, units, usdc } from "../../helpers/perps";
import { governCall } from "../../helpers/timelock";

/** A trader with 10,000 USDC long 60 ETH at 3000 (18x), and the price moved to `to`. */
async function underwater(f: PerpsFixture, to: bigint, index = 0) {
  const trader = await freshTrader(f, index, usdc(10_000));
  await f.trade(trader, ETH, units(60));
  await f.setPrices(to);
  return trader;
}

describe("PerpsEngine: liquidation (SPEC §8)", function () {
  it("LIQ-1: a healthy account cannot be liquidated; below maintenance anyone liquidates it and earns the reward", async function () {
    const f = await loadFixture(perpsFixture);
    const trader = await underwater(f, 2_950n);
    await expect(f.engine.connect(f.keeper).liquidate(trader.address)).to.be.revertedWithCustomError(
      f.engine,
      "PerpsAccountHealthy",
    );
    await f.setPrices(2_880n);
    const [h] = await f.lens.healthOf([trader.address]);
    expect(h.health.liquidatable).to.equal(true);
    const insuranceBefore = (await f.pool.poolState()).insurance;
    const keeperBefore = await f.accounts.collateralOf(f.keeper.address);
    const left = (await f.accounts.collateralOf(trader.address)) - h.health.expectedReward;
    await expect(f.engine.connect(f.keeper).liquidate(trader.address))
      .to.emit(f.engine, "PositionLiquidated")
      .withArgs(trader.address, ETH, f.keeper.address, -units(60), 2_880n * 10n ** 18n, h.health.expectedReward)
      .and.to.emit(f.engine, "MarginToInsuranceFund");
    // Reward = flat 2 + 10 bps of 172,800 = 174.8 USDC.
    expect(h.health.expectedReward).to.equal(174_800_000n);
    expect((await f.accounts.collateralOf(f.keeper.address)) - keeperBefore).to.equal(174_800_000n);
    expect(await f.accounts.collateralOf(trader.address)).to.equal(0n);
    // The remaining margin (less the closing loss and fee) is held for the insurance fund, and reaches it on the sweep.
    const held = (await f.engine.held()).insurance;
    expect(held).to.be.gt(0n).and.to.be.lte(left);
    await expect(f.engine.sweepPending()).to.emit(f.engine, "PendingSwept");
    expect((await f.pool.poolState()).insurance - insuranceBefore).to.equal(held);
    expect((await f.engine.held()).insurance).to.equal(0n);
    expect((await f.engine.accountOf(trader.address)).marketMask).to.equal(0n);
    await expect(f.engine.liquidate(trader.address)).to.be.revertedWithCustomError(f.engine, "PerpsAccountHealthy");
  });

  it("LIQ-1, AGG-4: no liquidation without a trusted price", async function () {
    const f = await loadFixture(perpsFixture);
    const trader = await underwater(f, 2_880n);
    await f.feed18.updateAnswer(3_600n * 10n ** 18n);
    await expect(f.engine.liquidate(trader.address))
      .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
      .withArgs(ETH, Reason.Divergence);
  });

  it("LIQ-2: a large position is liquidated in steps; one window moves the skew by at most the step", async function () {
    const f = await loadFixture(perpsFixture);
    await governCall(f, f.markets, "setParameter", [ETH, key("liquidationStep"), units(20)]);
    const trader = await underwater(f, 2_840n);
    await f.engine.connect(f.keeper).liquidate(trader.address);
    expect((await f.engine.positionOf(trader.address, ETH)).size).to.equal(units(40));
    expect((await f.engine.marketState(ETH)).longOpenInterest).to.equal(units(40));
    const windowStart = (await f.engine.marketState(ETH)).liquidationWindowStart;
    await expect(f.engine.connect(f.keeper).liquidate(trader.address))
      .to.be.revertedWithCustomError(f.engine, "PerpsLiquidationStepUsed")
      .withArgs(ETH, windowStart + 30n);
    await time.increase(30);
    await f.engine.connect(f.keeper).liquidate(trader.address);
    expect((await f.engine.positionOf(trader.address, ETH)).size).to.equal(units(20));
  });

  it("LIQ-3: the reward is clamped between floor and cap and never above the remaining margin; a dust position pays the floor", async function () {
    const f = await loadFixture(perpsFixture);
    const dust = await freshTrader(f, 0, usdc(25));
    await f.trade(dust, ETH, units(1) / 100n, { keeperFee: usdc(3) });
    await f.setPrices(2_850n);
    const [h] = await f.lens.healthOf([dust.address]);
    expect(h.health.liquidatable).to.equal(true);
    // flat 2 + 10 bps of 28.5 = 2.0285 < floor 5.
    expect(h.health.expectedReward).to.equal(usdc(5));
    const keeperBefore = await f.accounts.collateralOf(f.keeper.address);
    await f.engine.connect(f.keeper).liquidate(dust.address);
    expect((await f.accounts.collateralOf(f.keeper.address)) - keeperBefore).to.equal(usdc(5));
  });

  it("LIQ-1, LIQ-3: the reward never exceeds the account's equity, so liquidating oneself near zero equity does not pay", async function () {
    const f = await loadFixture(perpsFixture);
    await governCall(f, f.markets, "setParameter", [ETH, key("liquidationRewardBps"), 100n]);
    const trader = await underwater(f, 2_845n);
    const [h] = await f.lens.healthOf([trader.address]);
    const equityUnits = h.health.equity / 10n ** 12n;
    expect(equityUnits).to.be.gt(0n);
    // 1 % of 170,700 = 1,707 would be the reward; the equity is lower, and caps it.
    expect(h.health.expectedReward).to.equal(equityUnits);
    const keeperBefore = await f.accounts.collateralOf(f.keeper.address);
    await f.engine.connect(f.keeper).liquidate(trader.address);
    expect((await f.accounts.collateralOf(f.keeper.address)) - keeperBefore).to.equal(equityUnits);
  });

  it("LIQ-4: a shortfall is covered by the insurance fund, then by the LPs, with events saying how much", async function () {
    const f = await loadFixture(perpsFixture);
    await f.pool.connect(f.lp).fundInsurance(usdc(1_000));
    const trader = await underwater(f, 2_730n);
    const navBefore = (await f.pool.poolState()).totalAssets;
    const tx = f.engine.connect(f.keeper).liquidate(trader.address);
    await expect(tx).to.emit(f.engine, "BadDebtCovered").and.to.emit(f.pool, "ShortfallCovered");
    const receipt = await (await tx).wait();
    const covered = receipt!.logs
      .map((l) => f.engine.interface.parseLog(l))
      .find((e) => e?.name === "BadDebtCovered")!.args;
    expect(covered.fromInsurance).to.equal(usdc(1_000));
    expect(covered.fromLps).to.equal(covered.debt - usdc(1_000));
    expect((await f.pool.poolState()).insurance).to.equal(0n);
    // The LPs' NAV fell by what they covered (the trader's loss was already marked in it).
    await f.engine.sweepPending();
    const navAfter = (await f.pool.poolState()).totalAssets;
    expect(navBefore - navAfter).to.be.closeTo(covered.fromLps, usdc(200));
    expect((await f.engine.accountOf(trader.address)).balance).to.equal(0n);
  });

  it("LIQ-4: margin held for the insurance fund covers later bad debt before the fund and the LPs", async function () {
    const f = await loadFixture(perpsFixture);
    const first = await underwater(f, 3_000n, 0);
    const second = await underwater(f, 2_880n, 1);
    await f.engine.connect(f.keeper).liquidate(first.address);
    const held = (await f.engine.held()).insurance;
    expect(held).to.be.gt(0n);
    // The second trader's loss at 2,730 is beyond its margin: bad debt, covered first by what the engine holds.
    await f.setPrices(2_730n);
    const tx = await f.engine.connect(f.keeper).liquidate(second.address);
    const covered = (await tx.wait())!.logs
      .map((l) => f.engine.interface.parseLog(l))
      .find((e) => e?.name === "BadDebtCovered")!.args;
    expect(covered.debt).to.be.gt(held);
    expect(covered.fromInsurance).to.equal(held);
    expect(covered.fromLps).to.equal(covered.debt - held);
    expect((await f.engine.held()).insurance).to.equal(0n);
  });

  it("LIQ-4: when traders' profit exceeds the cap of pool cash, anyone may close profitable positions (ADL)", async function () {
    const f = await loadFixture(perpsFixture);
    for (const t of [f.alice, f.bob, f.carol]) await f.trade(t, ETH, units(200));
    await f.trade(f.mallory, ETH, -units(1));
    await expect(f.engine.autoDeleverage(f.alice.address, ETH)).to.be.revertedWithCustomError(
      f.engine,
      "PerpsAdlNotNeeded",
    );
    for (const p of [3_300n, 3_630n, 3_993n]) {
      await f.setPrices(p);
      await f.aggregator.poke(ETH);
    }
    await expect(f.engine.autoDeleverage(f.mallory.address, ETH)).to.be.revertedWithCustomError(
      f.engine,
      "PerpsAdlNotProfitable",
    );
    const before = await f.accounts.collateralOf(f.alice.address);
    await expect(f.engine.connect(f.keeper).autoDeleverage(f.alice.address, ETH)).to.emit(f.engine, "AutoDeleveraged");
    expect((await f.engine.positionOf(f.alice.address, ETH)).size).to.equal(0n);
    expect((await f.accounts.collateralOf(f.alice.address)) - before).to.be.gt(usdc(190_000));
    // Back under the cap: no more deleveraging.
    await expect(f.engine.autoDeleverage(f.bob.address, ETH)).to.be.revertedWithCustomError(
      f.engine,
      "PerpsAdlNotNeeded",
    );
  });

  it("LIQ-4, POOL-3: profit the pool has no cash for is owed, counted against the LPs, kept from other modules, and paid later; never dropped", async function () {
    const f = await loadFixture(perpsFixture);
    await f.trade(f.alice, ETH, units(600));
    await f.trade(f.bob, ETH, -units(20));
    await expect(f.engine.claimProfit(f.alice.address))
      .to.be.revertedWithCustomError(f.engine, "PerpsNothingOwed")
      .withArgs(f.alice.address);
    for (const p of [3_270n, 3_564n, 3_885n, 4_234n, 4_616n, 5_031n]) {
      await f.setPrices(p);
      await f.aggregator.poke(ETH);
    }
    // Alice's profit, about 1.2 M, is more than the LPs' 1 M of cash: the rest is owed to her.
    const tx = await f.engine.connect(f.alice).closePosition(ETH, 0n);
    const deferred = (await tx.wait())!.logs
      .map((l) => f.engine.interface.parseLog(l))
      .find((e) => e?.name === "ProfitDeferred")!.args;
    const owed = deferred.owed;
    expect(owed).to.be.gt(usdc(100_000));
    expect((await f.engine.accountOf(f.alice.address)).balance).to.equal(owed);
    expect((await f.engine.held()).totalOwed).to.equal(owed);
    expect((await f.pool.poolState()).cash).to.equal(0n);
    // The pool counts what it owes: its NAV cannot be more than its cash less that.
    expect((await f.pool.poolState()).totalAssets).to.equal(0n);
    // Bob's loss comes in as held pending, and pays part of what alice is owed.
    await f.engine.connect(f.bob).closePosition(ETH, 0n);
    // With no position open, all the engine keeps from other modules (the options' locks) is the profit it owes.
    expect(await f.engine.reservedAssets()).to.equal(owed);
    const pending = (await f.engine.held()).pending;
    expect(pending).to.be.gt(usdc(30_000));
    const before = await f.accounts.collateralOf(f.alice.address);
    await expect(f.engine.claimProfit(f.alice.address))
      .to.emit(f.engine, "ProfitDeferred")
      .withArgs(f.alice.address, owed - pending);
    expect((await f.accounts.collateralOf(f.alice.address)) - before).to.equal(pending);
    expect((await f.engine.accountOf(f.alice.address)).balance).to.equal(owed - pending);
    expect((await f.engine.held()).totalOwed).to.equal(owed - pending);
    expect(await f.engine.reservedAssets()).to.equal(owed - pending);
  });

  it("LIQ-5: liquidateMany skips accounts that are healthy or already liquidated", async function () {
    const f = await loadFixture(perpsFixture);
    const a = await underwater(f, 2_990n, 0);
    const b = await underwater(f, 2_990n, 1);
    await f.trade(f.alice, ETH, units(1));
    await f.setPrices(2_880n);
    const list = [f.alice.address, a.address, b.address, a.address];
    const [count] = await f.engine.connect(f.keeper).liquidateMany.staticCall(list);
    expect(count).to.equal(2n);
    await f.engine.connect(f.keeper).liquidateMany(list);
    expect((await f.engine.accountOf(a.address)).marketMask).to.equal(0n);
    expect((await f.engine.accountOf(b.address)).marketMask).to.equal(0n);
    expect((await f.engine.positionOf(f.alice.address, ETH)).size).to.equal(units(1));
  });

  it("LIQ-6, KPR-3: the lens reports health in one call, the liquidatable among a list, pages through liquidatable accounts and executable orders, and values positions", async function () {
    const f = await loadFixture(perpsFixture);
    const a = await underwater(f, 3_000n, 0);
    await f.trade(f.alice, ETH, units(1));
    await f.setPrices(2_880n);
    const health = await f.lens.healthOf([f.alice.address, a.address]);
    expect(health.map((h) => h.health.liquidatable)).to.deep.equal([false, true]);
    // The keeper's call: only the liquidatable, with the same figures as `healthOf`.
    const found = await f.lens.liquidatableAmong([f.alice.address, a.address]);
    expect(found.map((c) => [c.account, c.equity, c.maintenanceMargin, c.expectedReward])).to.deep.equal([
      [a.address, health[1].health.equity, health[1].health.maintenanceMargin, health[1].health.expectedReward],
    ]);
    const count = await f.engine.accountCount();
    const [all, next] = await f.lens.liquidatable(0n, 100n);
    expect([all, next]).to.deep.equal([[a.address], count]);
    const [first, afterFirst] = await f.lens.liquidatable(0n, 1n);
    expect([first, afterFirst]).to.deep.equal([[a.address], 1n]);
    const [second, afterSecond] = await f.lens.liquidatable(1n, 1n);
    expect([second, afterSecond]).to.deep.equal([[], 2n]);
    await f.engine.connect(f.bob).commitOrder(ETH, units(1), 10n ** 30n, usdc(1));
    expect((await f.lens.executableOrders(0n, 100n))[0]).to.deep.equal([]);
    await time.increase(2);
    expect((await f.lens.executableOrders(0n, 100n))[0]).to.deep.equal([f.bob.address]);
    const [pos] = await f.lens.positions(a.address);
    expect(pos.size).to.equal(units(60));
    expect(pos.pnl).to.be.lt(0n);
  });

  it("CB-3: liquidations obey the pause and wait out the grace period after an unpause", async function () {
    const f = await loadFixture(perpsFixture);
    const trader = await underwater(f, 2_880n);
    await f.pauseRegistry.connect(f.guardian).pause(ETH, mask(Action.Liquidate), "incident");
    await expect(f.engine.liquidate(trader.address))
      .to.be.revertedWithCustomError(f.engine, "PerpsPaused")
      .withArgs(ETH, Action.Liquidate);
    await governCall(f, f.pauseRegistry, "unpause", [ETH, mask(Action.Liquidate), "resolved"]);
    await f.setPrices(2_880n);
    await expect(f.engine.liquidate(trader.address))
      .to.be.revertedWithCustomError(f.engine, "PerpsLiquidationGrace")
      .withArgs(ETH);
    await time.increase(3_600);
    await f.setPrices(2_880n);
    await f.engine.liquidate(trader.address);
  });
});

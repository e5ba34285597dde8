/**
 * Trading attacks of SPEC §14, each played against the deployed perps stack. The dust-position attack is
 * test/unit/perps/liquidation.test.ts "LIQ-3: … a dust position pays the floor".
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Action, GUARDIAN_PAUSABLE, mask } from "../helpers/actions";
import { ETH, GLOBAL, key } from "../helpers/fixtures";
import { freshTrader, perpsFixture, type PerpsFixture, units, usdc } from "../helpers/perps";
import { governCall } from "../helpers/timelock";

const WAD = 10n ** 18n;

/** The account's margin in the accounts (its keeper fees are paid out once its orders ran). */
const collateral = (f: PerpsFixture, who: string) => f.accounts.collateralOf(who);

describe("Scenario: trading attacks (SPEC §14)", function () {
  it("PERP-2: trading ahead of a known oracle update does not pay", async function () {
    const f = await loadFixture(perpsFixture);
    const start = await collateral(f, f.mallory.address);
    // Mallory knows every source is about to publish 3100 and commits a long at 3000.
    await f.engine.connect(f.mallory).commitOrder(ETH, units(100), 10n ** 30n, usdc(1));
    await time.increase(2);
    // Executing on the stale price is refused: it is older than the order.
    await expect(f.engine.connect(f.keeper).executeOrder(f.mallory.address)).to.be.revertedWithCustomError(
      f.engine,
      "PerpsPriceOlderThanOrder",
    );
    await f.setPrices(3_100n);
    await f.engine.connect(f.keeper).executeOrder(f.mallory.address);
    expect((await f.engine.positionOf(f.mallory.address, ETH)).entryPrice).to.be.gte(3_100n * WAD);
    await f.engine.connect(f.mallory).closePosition(ETH, 0n);
    expect(await collateral(f, f.mallory.address)).to.be.lt(start);
  });

  it("PERP-4, INV-RT-1: an open–close round trip at one price never profits", async function () {
    const f = await loadFixture(perpsFixture);
    await f.trade(f.carol, ETH, -units(37)); // some skew already in the market
    for (const size of [units(1) / 1000n, units(3), -units(50), units(333)]) {
      const before = await collateral(f, f.alice.address);
      await f.trade(f.alice, ETH, size);
      await f.engine.connect(f.alice).closePosition(ETH, 0n);
      expect(await collateral(f, f.alice.address)).to.be.lt(before);
    }
  });

  it("LIQ-1: self-liquidation does not pay: it ends no better than closing", async function () {
    const f = await loadFixture(perpsFixture);
    const closer = await freshTrader(f, 0, usdc(10_000));
    const self = await freshTrader(f, 1, usdc(10_000));
    const selfLiquidator = await freshTrader(f, 2, usdc(1));
    for (const t of [closer, self]) await f.trade(t, ETH, units(60));
    await f.setPrices(2_880n);
    await f.engine.connect(closer).closePosition(ETH, 0n);
    await f.engine.connect(selfLiquidator).liquidate(self.address);
    const closed = await collateral(f, closer.address);
    const selfTotal = (await collateral(f, self.address)) + (await collateral(f, selfLiquidator.address)) - usdc(1);
    expect(selfTotal).to.be.lt(closed);
  });

  it("LIQ-2: a whale liquidation moves the skew by at most the step per window", async function () {
    const f = await loadFixture(perpsFixture);
    const whale = await freshTrader(f, 0, usdc(80_000));
    await f.trade(whale, ETH, units(600));
    await f.setPrices(2_900n);
    const [, config] = await f.markets.configOf(ETH);
    expect(config.liquidationStep).to.be.gt(units(600)); // the default step would close it at once…
    await governCall(f, f.markets, "setParameter", [ETH, key("liquidationStep"), units(100)]);
    await f.setPrices(2_900n);
    const skewBefore = (await f.engine.marketState(ETH)).longOpenInterest;
    await f.engine.connect(f.keeper).liquidate(whale.address);
    await expect(f.engine.connect(f.keeper).liquidate(whale.address)).to.be.revertedWithCustomError(
      f.engine,
      "PerpsLiquidationStepUsed",
    );
    expect(skewBefore - (await f.engine.marketState(ETH)).longOpenInterest).to.equal(units(100));
  });

  it("PERP-5: flipping the skew to steer funding does not pay", async function () {
    const f = await loadFixture(perpsFixture);
    const start = await collateral(f, f.mallory.address);
    await f.trade(f.mallory, ETH, units(300));
    await time.increase(3_600);
    await f.setPrices(3_000n);
    await f.trade(f.mallory, ETH, -units(600)); // flip to short to collect the funding it pushed up
    await time.increase(86_400);
    await f.setPrices(3_000n);
    await f.engine.connect(f.mallory).closePosition(ETH, 0n);
    expect(await collateral(f, f.mallory.address)).to.be.lt(start);
  });

  it("POOL-4: an LP who deposits before a PnL move and leaves after loses", async function () {
    const f = await loadFixture(perpsFixture);
    await f.trade(f.alice, ETH, units(300));
    const lp2 = f.carol;
    await f.pool.connect(lp2).deposit(usdc(50_000), lp2.address);
    // The known move: traders lose, the pool gains at once…
    await f.setPrices(2_900n);
    const locked = await f.pool.balanceOf(lp2.address);
    await expect(f.pool.connect(lp2).redeem(locked, lp2.address, lp2.address)).to.be.revertedWithCustomError(
      f.pool,
      "LiquidityPoolSharesLocked",
    );
    // …but the LP must stay through the holding time, over which the move reverses.
    await time.increase(86_400);
    await f.setPrices(3_000n);
    const shares = await f.pool.balanceOf(lp2.address);
    const before = await f.usdc.balanceOf(lp2.address);
    await f.pool.connect(lp2).redeem(shares, lp2.address, lp2.address);
    expect((await f.usdc.balanceOf(lp2.address)) - before).to.be.lt(usdc(50_000));
  });

  it("LIQ-4: the full waterfall: margin, then insurance fund, then the LPs, each with its event", async function () {
    const f = await loadFixture(perpsFixture);
    await f.pool.connect(f.lp).fundInsurance(usdc(300));
    const trader = await freshTrader(f, 0, usdc(10_000));
    await f.trade(trader, ETH, units(60));
    await f.setPrices(2_730n);
    const sharePrice = async () => f.pool.convertToAssets(10n ** 12n);
    const before = await sharePrice();
    await expect(f.engine.connect(f.keeper).liquidate(trader.address))
      .to.emit(f.accounts, "MarginTransferred") // margin: reward, then the loss
      .and.to.emit(f.pool, "ShortfallCovered")
      .and.to.emit(f.engine, "BadDebtCovered");
    expect((await f.pool.poolState()).insurance).to.equal(0n);
    expect(await sharePrice()).to.be.lt(before);
  });

  it("CB-1, PERP-3: for every pause and oracle state, reduce, close and add margin still work", async function () {
    const oracleStates: [string, (f: PerpsFixture) => Promise<unknown>][] = [
      ["active", async () => undefined],
      ["divergence", (f) => f.feed18.updateAnswer(3_600n * WAD)],
      ["jump", (f) => f.setPrices(3_400n)],
      [
        "sequencer down",
        async (f) => {
          const now = BigInt(await time.latest());
          await f.sequencer.updateRoundData(2, 1, now, now);
        },
      ],
    ];
    const pauses: [string, (f: PerpsFixture) => Promise<unknown>][] = [
      ["none", async () => undefined],
      ["market", (f) => f.pauseRegistry.connect(f.guardian).pause(ETH, GUARDIAN_PAUSABLE, "incident")],
      ["global", (f) => f.pauseRegistry.connect(f.guardian).pause(GLOBAL, GUARDIAN_PAUSABLE, "incident")],
    ];
    for (const [oracleName, breakOracle] of oracleStates) {
      for (const [pauseName, pause] of pauses) {
        const f = await loadFixture(perpsFixture);
        await f.trade(f.alice, ETH, units(10));
        await f.trade(f.bob, ETH, -units(10));
        await breakOracle(f);
        await pause(f);
        const label = `${oracleName} / ${pauseName}`;
        await f.accounts.connect(f.alice).deposit(f.alice.address, usdc(10));
        await f.engine.connect(f.alice).reducePosition(ETH, -units(4), 0n);
        await f.engine.connect(f.alice).closePosition(ETH, 0n);
        await f.engine.connect(f.bob).closePosition(ETH, 0n);
        expect((await f.engine.marketState(ETH)).longOpenInterest, label).to.equal(0n);
        expect(await f.pauseRegistry.isPaused(ETH, Action.Open), label).to.equal(pauseName !== "none");
      }
    }
    expect(mask(Action.Reduce, Action.Close) & GUARDIAN_PAUSABLE).to.equal(0n);
  });
});

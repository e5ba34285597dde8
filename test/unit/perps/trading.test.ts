import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Action, mask } from "../../helpers/actions";
import { BTC, ETH, key } from "../../helpers/fixtures";
import { Bias } from "../../helpers/oracle";
import * as M from "../../helpers/perps-math";
import { freshTrader, perpsFixture, positionModified, units, usd, usdc } from "../../helpers/perps";
import { governCall } from "../../helpers/timelock";
import { marketConfig } from "../../../deploy/perps";

const WAD = 10n ** 18n;
const ETH_SKEW_SCALE = 1_000_000n * WAD;

describe("PerpsEngine: markets, orders and trading (SPEC §7)", function () {
  describe("PERP-1: several markets, each with its own oracle and bounded parameters", function () {
    it("PERP-1: ETH-USD and BTC-USD are listed with their own parameters; listing needs governance and an oracle market", async function () {
      const f = await loadFixture(perpsFixture);
      expect(await f.markets.markets()).to.deep.equal([ETH, BTC]);
      const [, eth] = await f.markets.configOf(ETH);
      const [, btc] = await f.markets.configOf(BTC);
      expect(eth.skewScale).to.equal(ETH_SKEW_SCALE);
      expect(btc.skewScale).to.equal((3_000_000_000n * WAD) / 60_000n);
      const sol = marketConfig(150n);
      await expect(f.markets.listMarket(key("SOL-USD"), sol)).to.be.revertedWithCustomError(
        f.markets,
        "AccessManagedUnauthorized",
      );
      await expect(governCall(f, f.markets, "listMarket", [key("SOL-USD"), sol])).to.be.revertedWithCustomError(
        f.aggregator,
        "PriceAggregatorUnknownMarket",
      );
      await expect(governCall(f, f.markets, "listMarket", [ETH, sol])).to.be.revertedWithCustomError(
        f.markets,
        "PerpsCannotList",
      );
      await expect(f.engine.commitOrder(key("SOL-USD"), 1n, 1n, usdc(1)))
        .to.be.revertedWithCustomError(f.markets, "PerpsUnknownMarket")
        .withArgs(key("SOL-USD"));
      await expect(f.markets.marketAt(2)).to.be.revertedWithCustomError(f.markets, "PerpsUnknownMarket");
    });

    it("PERP-1, CB-6: parameters stay in bounds; the guardian may lower leverage and raise margins, never the reverse", async function () {
      const f = await loadFixture(perpsFixture);
      await f.markets.connect(f.guardian).tightenParameter(ETH, key("maxLeverage"), 10n, "volatility");
      expect(await f.markets.parameter(ETH, key("maxLeverage"))).to.equal(10n);
      await expect(f.markets.connect(f.guardian).tightenParameter(ETH, key("maxLeverage"), 20n, "x"))
        .to.be.revertedWithCustomError(f.markets, "ParameterNotTightening")
        .withArgs(key("maxLeverage"), 10n, 20n);
      await f.markets.connect(f.guardian).tightenParameter(ETH, key("minMargin"), usd(50), "dust");
      await expect(f.markets.connect(f.guardian).tightenParameter(ETH, key("takerFeeBps"), 10n, "x"))
        .to.be.revertedWithCustomError(f.markets, "ParameterNotGuardianAdjustable")
        .withArgs(key("takerFeeBps"));
      await expect(governCall(f, f.markets, "setParameter", [ETH, key("maxLeverage"), 51n]))
        .to.be.revertedWithCustomError(f.markets, "ParameterOutOfBounds")
        .withArgs(key("maxLeverage"), 51n, 1n, 50n);
      // The reward floor must fit under the minimum margin, so a dust position still pays its liquidator.
      await expect(governCall(f, f.markets, "setParameter", [ETH, key("liquidationRewardFloor"), usd(60)]))
        .to.be.revertedWithCustomError(f.markets, "PerpsParameterConflict")
        .withArgs(key("liquidationRewardFloor"), usd(60));
      await governCall(f, f.markets, "setParameter", [ETH, key("maxLeverage"), 50n]);
      expect(await f.markets.parameter(ETH, key("maxLeverage"))).to.equal(50n);
    });
  });

  describe("PERP-2: two-step orders", function () {
    it("PERP-2: an order escrows the keeper fee, waits the delay, needs a price newer than itself, and pays its keeper", async function () {
      const f = await loadFixture(perpsFixture);
      const before = await f.accounts.collateralOf(f.alice.address);
      await f.engine.connect(f.alice).commitOrder(ETH, units(10), ethers.MaxUint256 >> 128n, usdc(2));
      const committedAt = BigInt(await time.latest());
      expect(await f.accounts.collateralOf(f.alice.address)).to.equal(before - usdc(2));
      expect((await f.engine.held()).escrow).to.equal(usdc(2));
      await expect(f.engine.connect(f.keeper).executeOrder(f.alice.address))
        .to.be.revertedWithCustomError(f.engine, "PerpsOrderNotReady")
        .withArgs(f.alice.address, committedAt + 2n);
      await time.increase(5);
      // The sources last published before the commit: that price is refused.
      await expect(f.engine.connect(f.keeper).executeOrder(f.alice.address)).to.be.revertedWithCustomError(
        f.engine,
        "PerpsPriceOlderThanOrder",
      );
      await f.setPrices(3_000n);
      await expect(f.engine.connect(f.keeper).executeOrder(f.alice.address))
        .to.emit(f.engine, "OrderExecuted")
        .withArgs(f.alice.address, ETH, f.keeper.address, usdc(2));
      expect(await f.accounts.collateralOf(f.keeper.address)).to.equal(usdc(2));
      expect((await f.engine.positionOf(f.alice.address, ETH)).size).to.equal(units(10));
      expect((await f.engine.held()).escrow).to.equal(0n);
      await expect(f.engine.executeOrder(f.alice.address))
        .to.be.revertedWithCustomError(f.engine, "PerpsNoOrder")
        .withArgs(f.alice.address);
    });

    it("PERP-2: one order at a time, a minimum keeper fee, a non-zero size; bad input changes nothing", async function () {
      const f = await loadFixture(perpsFixture);
      await expect(f.engine.connect(f.alice).commitOrder(ETH, 0n, 1n, usdc(1))).to.be.revertedWithCustomError(
        f.engine,
        "PerpsInvalidInput",
      );
      await expect(f.engine.connect(f.alice).commitOrder(ETH, units(1), 1n, 100_000n))
        .to.be.revertedWithCustomError(f.engine, "PerpsKeeperFeeTooLow")
        .withArgs(100_000n, 500_000n);
      // Sizes are bounded by 10^28 units, so an order's size change fits 96 bits; beyond, it is refused.
      await expect(f.engine.connect(f.alice).commitOrder(ETH, 1n << 95n, 1n, usdc(1))).to.be.revertedWithCustomError(
        f.engine,
        "SafeCastOverflowedIntDowncast",
      );
      await f.engine.connect(f.alice).commitOrder(ETH, units(1), ethers.MaxUint256 >> 128n, usdc(1));
      await expect(f.engine.connect(f.alice).commitOrder(BTC, units(1), 1n, usdc(1)))
        .to.be.revertedWithCustomError(f.engine, "PerpsOrderPending")
        .withArgs(f.alice.address);
      expect(await f.accounts.collateralOf(f.alice.address)).to.equal(usdc(100_000) - usdc(1));
    });

    it("PERP-2: with positions open, the keeper fee may only come from free margin (review: margin carried away by a fee)", async function () {
      const f = await loadFixture(perpsFixture);
      const trader = await freshTrader(f, 0, usdc(10_000));
      await f.trade(trader, ETH, units(60));
      const free = (await f.accounts.accountState(trader.address)).withdrawable;
      const fee = await f.accounts.collateralOf(trader.address);
      await expect(f.engine.connect(trader).commitOrder(ETH, -units(1), 1n, fee))
        .to.be.revertedWithCustomError(f.engine, "PerpsKeeperFeeAboveFreeMargin")
        .withArgs(fee, (x: bigint) => x <= free && free - x <= 1n); // a second more of funding
      await f.engine.connect(trader).commitOrder(ETH, -units(1), 1n, usdc(1));
    });

    it("PERP-2: an expired order cannot execute; anyone cancels it and the fee returns minus the charge", async function () {
      const f = await loadFixture(perpsFixture);
      await f.engine.connect(f.alice).commitOrder(ETH, units(1), ethers.MaxUint256 >> 128n, usdc(10));
      const committedAt = BigInt(await time.latest());
      await expect(f.engine.connect(f.bob).cancelOrder(f.alice.address))
        .to.be.revertedWithCustomError(f.engine, "PerpsOrderNotExpired")
        .withArgs(f.alice.address, committedAt + 3601n);
      await time.increase(3_601);
      await f.setPrices(3_000n);
      await expect(f.engine.connect(f.keeper).executeOrder(f.alice.address))
        .to.be.revertedWithCustomError(f.engine, "PerpsOrderExpired")
        .withArgs(f.alice.address, committedAt + 3600n);
      await expect(f.engine.connect(f.bob).cancelOrder(f.alice.address))
        .to.emit(f.engine, "OrderCancelled")
        .withArgs(f.alice.address, ETH, f.bob.address, usdc(9), usdc(1));
      expect(await f.accounts.collateralOf(f.alice.address)).to.equal(usdc(100_000) - usdc(1));
      const held = await f.engine.held();
      expect([held.escrow, held.pending]).to.deep.equal([0n, usdc(1)]);
    });
  });

  describe("PERP-3: atomic de-risking", function () {
    it("PERP-3: with the oracle frozen and opens paused, reduce and close fill at once at the conservative price, and margin can be added", async function () {
      const f = await loadFixture(perpsFixture);
      await f.trade(f.alice, ETH, units(10));
      // One source spikes: the market freezes; the guardian pauses opening, increasing and deposits.
      await f.feed18.updateAnswer(3_600n * WAD);
      await f.pauseRegistry
        .connect(f.guardian)
        .pause(ETH, mask(Action.Open, Action.Increase, Action.Deposit), "incident");
      await expect(f.engine.connect(f.alice).commitOrder(ETH, units(1), 1n, usdc(1)))
        .to.be.revertedWithCustomError(f.engine, "PerpsPaused")
        .withArgs(ETH, Action.Increase);
      await f.accounts.connect(f.alice).deposit(f.alice.address, usdc(1_000));
      // A seller gets the low side: the last good price 3000, not the spike.
      expect(await f.aggregator.priceForDerisk.staticCall(ETH, Bias.Low)).to.equal(3_000n * WAD);
      const s = await f.engine.marketState(ETH);
      const skew = s.longOpenInterest - s.shortOpenInterest;
      const expected = M.fillPrice(3_000n * WAD, skew, -units(4), ETH_SKEW_SCALE);
      const reduced = await positionModified(f, await f.engine.connect(f.alice).reducePosition(ETH, -units(4), 1n));
      expect(reduced.fillPrice).to.equal(expected);
      expect(reduced.newSize).to.equal(units(6));
      await f.engine.connect(f.alice).closePosition(ETH, 1n);
      expect((await f.engine.positionOf(f.alice.address, ETH)).size).to.equal(0n);
      expect((await f.engine.accountOf(f.alice.address)).marketMask).to.equal(0n);
    });

    it("PERP-3: de-risking never increases or flips a position; without a position there is nothing to close", async function () {
      const f = await loadFixture(perpsFixture);
      await expect(f.engine.connect(f.alice).closePosition(ETH, 0n))
        .to.be.revertedWithCustomError(f.engine, "PerpsNoPosition")
        .withArgs(f.alice.address, ETH);
      await f.trade(f.alice, ETH, units(10));
      for (const delta of [units(1), -units(11), 0n]) {
        await expect(f.engine.connect(f.alice).reducePosition(ETH, delta, 0n))
          .to.be.revertedWithCustomError(f.engine, "PerpsNotReducing")
          .withArgs(units(10), delta);
      }
    });
  });

  describe("PERP-4: fill price and fees", function () {
    it("PERP-4: trades that increase the skew fill above the oracle and pay the taker fee; trades that reduce it fill better and pay the maker fee", async function () {
      const f = await loadFixture(perpsFixture);
      const price = 3_000n * WAD;
      const opened = await positionModified(f, await f.trade(f.alice, ETH, units(100)));
      const aliceFill = M.fillPrice(price, 0n, units(100), ETH_SKEW_SCALE);
      expect(opened.fillPrice).to.equal(aliceFill);
      expect(aliceFill).to.equal(3_000_150_000_000_000_000_000n); // 3000 × (1 + 100 / 2,000,000)
      expect(opened.fee).to.equal(M.tradeFee(0n, units(100), aliceFill, 2n, 6n));
      const shorted = await positionModified(f, await f.trade(f.bob, ETH, -units(50)));
      const bobFill = M.fillPrice(price, units(100), -units(50), ETH_SKEW_SCALE);
      expect(shorted.fillPrice).to.equal(bobFill);
      expect(bobFill).to.be.gt(price); // the short sells above the oracle: it helps the skew
      expect(shorted.fee).to.equal(M.tradeFee(units(100), -units(50), bobFill, 2n, 6n));
      expect(shorted.fee * 3n).to.be.lt(opened.fee); // maker rate on half the size
      // Crossing zero: the part up to zero pays maker, the rest taker.
      const crossed = await positionModified(f, await f.trade(f.carol, ETH, -units(80)));
      expect(crossed.fee).to.equal(M.tradeFee(units(50), -units(80), crossed.fillPrice, 2n, 6n));
    });

    it("PERP-4: the acceptable price bounds slippage", async function () {
      const f = await loadFixture(perpsFixture);
      await expect(f.trade(f.alice, ETH, units(100), { acceptablePrice: 3_000n * WAD }))
        .to.be.revertedWithCustomError(f.engine, "PerpsSlippage")
        .withArgs(3_000_150_000_000_000_000_000n, 3_000n * WAD);
      await f.trade(f.bob, ETH, units(100));
      await expect(f.engine.connect(f.bob).closePosition(ETH, 3_001n * WAD)).to.be.revertedWithCustomError(
        f.engine,
        "PerpsSlippage",
      );
    });
  });

  describe("PERP-5: funding", function () {
    it("PERP-5: the rate drifts with skew / skew scale; longs owe what shorts are owed, the pool keeping the rest", async function () {
      const f = await loadFixture(perpsFixture);
      await f.trade(f.alice, ETH, units(300));
      await f.trade(f.bob, ETH, -units(100));
      const s0 = await f.engine.marketState(ETH);
      await time.increase(86_400);
      await f.setPrices(3_000n);
      const now = BigInt(await time.latest());
      const v = M.fundingVelocity(units(200), ETH_SKEW_SCALE, 3n * WAD);
      const [rate, delta] = M.accrueFunding(s0.fundingRate, v, now - s0.lastFundingAt, WAD / 10n, 3_000n * WAD);
      expect(rate).to.be.gt(0n);
      const [alice] = await f.lens.positions(f.alice.address);
      const [bob] = await f.lens.positions(f.bob.address);
      const index = s0.fundingIndex + delta;
      const alicePos = await f.engine.positionOf(f.alice.address, ETH);
      const bobPos = await f.engine.positionOf(f.bob.address, ETH);
      expect(alice.fundingOwed).to.equal(M.fundingOwed(alicePos.size, alicePos.entryFundingIndex, index));
      expect(bob.fundingOwed).to.equal(M.fundingOwed(bobPos.size, bobPos.entryFundingIndex, index));
      expect(alice.fundingOwed).to.be.gt(0n);
      expect(bob.fundingOwed).to.be.lt(0n);
      // The skew's share stays with the pool: the longs owe more than the shorts are owed.
      expect(alice.fundingOwed + bob.fundingOwed).to.be.gt(0n);
    });

    it("PERP-5: the rate is clamped at the market's maximum", async function () {
      const f = await loadFixture(perpsFixture);
      await governCall(f, f.markets, "setParameter", [ETH, key("maxFundingRate"), 10n ** 14n]);
      await f.setPrices(3_000n);
      await f.trade(f.alice, ETH, units(600));
      await time.increase(30 * 86_400);
      await f.setPrices(3_000n);
      await f.trade(f.bob, ETH, units(1)); // accrues
      expect((await f.engine.marketState(ETH)).fundingRate).to.equal(10n ** 14n);
    });
  });

  describe("PERP-6: margin", function () {
    it("PERP-6: opening needs equity, net of closing fee and price impact, above notional / max leverage plus the minimum", async function () {
      const f = await loadFixture(perpsFixture);
      const trader = await freshTrader(f, 0, usdc(1_000));
      // 10 ETH at 3000: initial margin 30,000 / 25 + 20 = 1,220 > 1,000.
      await expect(f.trade(trader, ETH, units(10))).to.be.revertedWithCustomError(f.engine, "PerpsInsufficientMargin");
      await time.increase(3_601);
      await f.engine.cancelOrder(trader.address);
      await f.trade(trader, ETH, units(7));
      const [h] = await f.lens.healthOf([trader.address]);
      const [v] = await f.lens.positions(trader.address);
      expect(h.health.initialMargin).to.equal(v.initialMargin);
      expect(v.initialMargin).to.equal(M.margins(v.notional, 25n, 5_000n, usd(20))[0]);
      const collateral = (await f.accounts.collateralOf(trader.address)) * 10n ** 12n;
      expect(h.health.equity).to.equal(collateral + v.pnl - v.fundingOwed - v.closeFee);
      expect(v.closeFee).to.be.gt(0n);
      // Valued at the closing fill price: the sale moves the skew back, so it fills where the purchase did.
      expect(v.closeFillPrice).to.equal(M.fillPrice(3_000n * WAD, units(7), -units(7), ETH_SKEW_SCALE));
      expect(v.pnl).to.equal(M.pnl(units(7), v.entryPrice, v.closeFillPrice));
    });

    it("PERP-6: a margin withdrawal that would leave equity below the initial margin reverts", async function () {
      const f = await loadFixture(perpsFixture);
      const trader = await freshTrader(f, 0, usdc(2_000));
      await f.trade(trader, ETH, units(10));
      await expect(f.accounts.connect(trader).withdraw(usdc(1_000), trader.address)).to.be.revertedWithCustomError(
        f.accounts,
        "MarginAccountsBelowInitialMargin",
      );
      await f.accounts.connect(trader).withdraw(usdc(500), trader.address);
    });
  });

  describe("PERP-7, CB-5: open-interest caps and maximum position", function () {
    it("PERP-7, CB-5: caps per side and the maximum position block the trade, never the close", async function () {
      const f = await loadFixture(perpsFixture);
      await f.trade(f.alice, ETH, units(40));
      await f.markets.connect(f.guardian).tightenParameter(ETH, key("maxPositionSize"), units(30), "cap");
      await expect(f.trade(f.bob, ETH, units(31)))
        .to.be.revertedWithCustomError(f.engine, "PerpsPositionTooLarge")
        .withArgs(ETH, units(31), units(30));
      await time.increase(3_601);
      await f.engine.cancelOrder(f.bob.address);
      await f.markets.connect(f.guardian).tightenParameter(ETH, key("maxLongOpenInterest"), units(50), "cap");
      await expect(f.trade(f.bob, ETH, units(11)))
        .to.be.revertedWithCustomError(f.engine, "PerpsOpenInterestCap")
        .withArgs(ETH, true, units(51), units(50));
      await time.increase(3_601);
      await f.engine.cancelOrder(f.bob.address);
      // The other side is not capped by the long cap.
      await f.trade(f.carol, ETH, -units(20));
      await expect(f.trade(f.mallory, ETH, -units(31)))
        .to.be.revertedWithCustomError(f.engine, "PerpsPositionTooLarge")
        .withArgs(ETH, units(31), units(30));
      // Caps cut to zero: the positions above them still close.
      await f.markets.connect(f.guardian).tightenParameter(ETH, key("maxLongOpenInterest"), 0n, "halt");
      await f.engine.connect(f.alice).reducePosition(ETH, -units(5), 0n);
      await f.engine.connect(f.alice).closePosition(ETH, 0n);
      expect((await f.engine.marketState(ETH)).longOpenInterest).to.equal(0n);
    });

    it("PERP-7, POOL-3: an open whose maximum profit the pool cannot reserve reverts; the pool reads the reservation; closes need none", async function () {
      const f = await loadFixture(perpsFixture);
      // 700 ETH at 3000 with reserveBps 5000: 1,050,000 USDC against the LPs' 1,000,000.
      await expect(f.trade(f.alice, ETH, units(700)))
        .to.be.revertedWithCustomError(f.engine, "PerpsInsufficientLiquidity")
        .withArgs((x: bigint) => x >= usdc(1_050_000) && x < usdc(1_050_100), usdc(1_000_000));
      await time.increase(3_601);
      await f.engine.cancelOrder(f.alice.address);
      await f.trade(f.alice, ETH, units(600));
      const reserved = await f.engine.reservedAssets();
      expect(reserved).to.be.gte(usdc(900_000));
      expect((await f.pool.poolState()).reserved).to.equal(reserved);
      expect((await f.pool.poolState()).withdrawable).to.be.lte(usdc(1_000_000) - reserved);
      // Reducing only lowers the reservation, whatever the pool holds.
      await f.engine.connect(f.alice).reducePosition(ETH, -units(300), 0n);
      expect(await f.engine.reservedAssets()).to.be.lt(reserved);
      await f.engine.connect(f.alice).closePosition(ETH, 0n);
      expect(await f.engine.reservedAssets()).to.equal(0n);
    });
  });
});

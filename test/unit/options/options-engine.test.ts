import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { ethers } from "hardhat";
import { impersonateAccount, loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { Action, GUARDIAN_PAUSABLE } from "../../helpers/actions";
import { ETH, GLOBAL } from "../../helpers/fixtures";
import { Reason } from "../../helpers/oracle";
import { DAY, HOUR, hourAfter, type OptionsFixture, optionsFixture, seriesId } from "../../helpers/options";
import { units, usd, usdc } from "../../helpers/perps";
import { timelockSigner } from "../../helpers/timelock";

const USD_SCALE = 10n ** 12n;
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
/** Collateral locked for `amount` options paying at most `maxPayoff` each, rounded up as the engine does. */
const lockFor = (amount: bigint, maxPayoff: bigint) => ceilDiv(ceilDiv(amount * maxPayoff, 10n ** 18n), USD_SCALE);

async function expectLockedMatchesPool(f: OptionsFixture) {
  const locked = await f.options.lockedAssets();
  expect((await f.pool.moduleOf(f.options)).locked).to.equal(locked);
  expect((await f.pool.poolState()).locked).to.equal(locked);
}

describe("OptionsEngine", () => {
  describe("OPT-1: series on a grid", () => {
    it("OPT-1: governance lists series through the timelock; nobody else can", async () => {
      const f = await loadFixture(optionsFixture);
      const expiry = await hourAfter(10n * DAY);
      await expect(
        f.options.connect(f.alice).listSeries(ETH, usd(3_100), expiry, true, usd(3_000)),
      ).to.be.revertedWithCustomError(f.options, "AccessManagedUnauthorized");
      await expect(
        f.options.connect(f.guardian).listSeries(ETH, usd(3_100), expiry, true, usd(3_000)),
      ).to.be.revertedWithCustomError(f.options, "AccessManagedUnauthorized");
      const s = await f.options.seriesOf(f.call);
      expect([s.market, s.strike, s.expiry, s.isCall, s.maxPayoff]).to.deep.equal([
        ETH,
        usd(3_000),
        f.expiry,
        true,
        usd(3_000),
      ]);
      expect((await f.options.seriesOf(f.put)).maxPayoff).to.equal(usd(3_000));
      expect(await f.options.liveSeries()).to.deep.equal([f.call, f.put]);
      // The fixture listed both through the whole timelock path: schedule, wait the delay, execute.
    });

    it("OPT-1: a listing off the grid reverts and changes nothing", async () => {
      const f = await loadFixture(optionsFixture);
      const tl = await timelockSigner(f.timelock);
      const o = f.options.connect(tl);
      const expiry = await hourAfter(10n * DAY);
      // Strike grid for ETH at $3,000: steps of $10, between 50 % and 200 % of the spot.
      await expect(o.listSeries(ETH, usd(3_005), expiry, true, usd(3_000))).to.be.revertedWithCustomError(
        o,
        "OptionsInvalidStrike",
      );
      await expect(o.listSeries(ETH, usd(1_490), expiry, false, 0n))
        .to.be.revertedWithCustomError(o, "OptionsInvalidStrike")
        .withArgs(usd(1_490), usd(1_500), usd(6_000), usd(10));
      await expect(o.listSeries(ETH, usd(6_010), expiry, false, 0n)).to.be.revertedWithCustomError(
        o,
        "OptionsInvalidStrike",
      );
      // Expiry: whole hours, between 1 hour and 365 days away.
      await expect(o.listSeries(ETH, usd(3_000), expiry + 60n, false, 0n)).to.be.revertedWithCustomError(
        o,
        "OptionsInvalidExpiry",
      );
      const now = BigInt(await time.latest());
      await expect(
        o.listSeries(ETH, usd(3_000), ((now + HOUR) / HOUR) * HOUR, false, 0n),
      ).to.be.revertedWithCustomError(o, "OptionsInvalidExpiry");
      await expect(o.listSeries(ETH, usd(3_000), await hourAfter(366n * DAY), false, 0n)).to.be.revertedWithCustomError(
        o,
        "OptionsInvalidExpiry",
      );
      // A call's cap within 10 %–500 % of the strike; a put takes none.
      await expect(o.listSeries(ETH, usd(3_000), expiry, true, usd(299)))
        .to.be.revertedWithCustomError(o, "OptionsInvalidCap")
        .withArgs(usd(299), usd(300), usd(15_000));
      await expect(o.listSeries(ETH, usd(3_000), expiry, true, usd(15_001))).to.be.revertedWithCustomError(
        o,
        "OptionsInvalidCap",
      );
      await expect(o.listSeries(ETH, usd(3_000), expiry, false, 1n)).to.be.revertedWithCustomError(
        o,
        "OptionsInvalidCap",
      );
      await expect(o.listSeries(ETH, usd(3_000), f.expiry, true, usd(3_000)))
        .to.be.revertedWithCustomError(o, "OptionsSeriesExists")
        .withArgs(f.call);
      const other = ethers.encodeBytes32String("SOL-USD");
      await expect(o.listSeries(other, usd(100), expiry, true, usd(100)))
        .to.be.revertedWithCustomError(o, "OptionsUnknownMarket")
        .withArgs(other);
      expect(await f.options.liveSeries()).to.deep.equal([f.call, f.put]);
      // On the grid it lists.
      await o.listSeries(ETH, usd(3_500), expiry, true, usd(1_000));
      expect((await f.options.seriesOf(seriesId(ETH, usd(3_500), expiry, true))).maxPayoff).to.equal(usd(1_000));
    });

    it("OPT-1: at most MAX_LIVE_SERIES series are unsettled at once; settling frees a slot though holders never redeem", async () => {
      const f = await loadFixture(optionsFixture);
      const o = f.options.connect(await timelockSigner(f.timelock));
      const max = await f.options.MAX_LIVE_SERIES();
      const expiry = await hourAfter(20n * DAY);
      for (let i = 2n; i < max; i++) await o.listSeries(ETH, usd(2_000) + i * usd(10), expiry, false, 0n);
      await expect(o.listSeries(ETH, usd(4_000), expiry, false, 0n))
        .to.be.revertedWithCustomError(o, "OptionsTooManySeries")
        .withArgs(max);
      // One wei of an option held by someone who never redeems does not keep the slot.
      await f.options.connect(f.mallory).buy(f.call, 1n, usdc(1));
      await time.increaseTo(f.expiry);
      await f.setPrices(3_000n);
      await f.options.settle(f.call);
      expect(await f.options.liveSeries()).to.have.length(Number(max) - 1);
      await o.listSeries(ETH, usd(4_000), expiry, false, 0n);
    });
  });

  describe("OPT-2: full collateralisation", () => {
    it("OPT-2: the pool locks exactly the maximum payoff of every option sold, and never owes more", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.call, units(7), usdc(1_000_000));
      await f.options.connect(f.bob).buy(f.put, units(3), usdc(1_000_000));
      await f.options.connect(f.bob).buy(f.call, 123_456_789n, usdc(1_000_000));
      const callLock = lockFor(units(7) + 123_456_789n, usd(3_000));
      expect(await f.options.lockedAssets()).to.equal(callLock + lockFor(units(3), usd(3_000)));
      await expectLockedMatchesPool(f);
      // LPs may not withdraw what is locked.
      const state = await f.pool.poolState();
      // The options' value is covered by what is locked for them: it is not kept a second time (no perps here).
      expect(state.withdrawable).to.equal(state.cash - state.locked);
      // The options' value counts against the LPs, and never exceeds what is locked.
      const exposure = await f.options.poolExposure();
      expect(exposure.trusted).to.equal(true);
      expect(exposure.liability).to.be.greaterThan(0n);
      expect(exposure.liability).to.be.at.most(await f.options.lockedAssets());
    });

    it("OPT-2, POOL-2: while the price is not trusted the options count at their maximum payoff", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.call, units(5), usdc(1_000_000));
      await f.feed18.updateAnswer(3_600n * 10n ** 18n); // one source diverges: frozen
      const exposure = await f.options.poolExposure();
      expect(exposure.trusted).to.equal(false);
      expect(exposure.liability).to.equal(lockFor(units(5), usd(3_000)));
      await expect(f.pool.connect(f.lp).deposit(usdc(1), f.lp.address)).to.be.revertedWithCustomError(
        f.pool,
        "LiquidityPoolPricesUntrusted",
      );
    });
  });

  describe("OPT-3, OPT-4: pricing and trading", () => {
    it("OPT-3: ask = fair × (1 + spread + utilisation premium) + carry, bid = fair × (1 − spread), each valued at the spot moved by the price band against the trader; fee on the notional", async () => {
      const f = await loadFixture(optionsFixture);
      const g = await f.options.globalConfig();
      const amount = units(10);
      // Quoted in the latest block, whose timestamp is known.
      const at = { blockTag: "latest" } as const;
      const ask = await f.options.quote(f.call, amount, true, at);
      const bid = await f.options.quote(f.call, amount, false, at);
      expect([ask.spot, bid.spot]).to.deep.equal([usd(3_000), usd(3_000)]);
      // A call buyer pays as if the spot were 0.5 % higher, a seller gets as if it were 0.5 % lower; puts mirror it.
      expect(g.priceBandBps).to.equal(50n);
      expect([ask.valuedAt, bid.valuedAt]).to.deep.equal([usd(3_015), usd(2_985)]);
      const [putAsk, putBid] = [
        await f.options.quote(f.put, amount, true),
        await f.options.quote(f.put, amount, false),
      ];
      expect([putAsk.valuedAt, putBid.valuedAt]).to.deep.equal([usd(2_985), usd(3_015)]);
      expect(ask.fairPerUnit).to.be.greaterThan(bid.fairPerUnit);
      expect(putAsk.fairPerUnit).to.be.greaterThan(putBid.fairPerUnit);
      const locked = (await f.options.lockedAssets()) + ask.lockDelta;
      const cash = (await f.pool.poolState()).cash;
      const premiumBps = g.spreadBps + ceilDiv(g.utilisationPremiumBps * locked, cash);
      // The carry: carryBps a year of the unit's maximum payoff ($3,000), until expiry.
      const left = f.expiry - BigInt(await time.latest());
      const carry = ceilDiv(usd(3_000) * g.carryBps * left, 10_000n * 365n * DAY);
      expect(carry).to.be.greaterThan(usd(3));
      const perUnit = ceilDiv(ask.fairPerUnit * (10_000n + premiumBps), 10_000n) + carry;
      expect(ask.premium).to.equal(ceilDiv(ceilDiv(perUnit * amount, 10n ** 18n), USD_SCALE));
      const bidPerUnit = (bid.fairPerUnit * (10_000n - g.spreadBps)) / 10_000n;
      expect(bid.premium).to.equal((bidPerUnit * amount) / 10n ** 18n / USD_SCALE);
      expect(ask.fee).to.equal(ceilDiv((usd(3_000) * amount * g.feeBps) / 10n ** 22n, USD_SCALE));
      // A larger order pays a higher price per unit: utilisation is priced.
      const big = await f.options.quote(f.call, units(100), true);
      expect(big.premium * 10n).to.be.greaterThan(ask.premium * 100n);
    });

    it("OPT-4: buy pays premium + fee from the wallet and mints ERC-1155 tokens; sell pays the bid less the fee", async () => {
      const f = await loadFixture(optionsFixture);
      const before = await f.usdc.balanceOf(f.alice.address);
      const q = await f.options.quote(f.call, units(2), true);
      // The quote is a view at the last block; the trade lands later (a second, or more on a loaded machine: after
      // a fixture's revert the next block follows the wall clock), so the option has lost a little time value.
      const nearQuote = (x: bigint) => x <= q.premium && x * 10_000n >= q.premium * 9_990n;
      const tx = f.options.connect(f.alice).buy(f.call, units(2), q.premium + q.fee);
      await expect(tx)
        .to.emit(f.options, "OptionBought")
        .withArgs(f.alice.address, f.call, units(2), nearQuote, q.fee, usd(3_000))
        .and.to.emit(f.options, "TransferSingle");
      const bought = await f.options.queryFilter(f.options.filters.OptionBought(f.alice.address));
      const paid = bought[0].args.premium + bought[0].args.fee;
      expect(before - (await f.usdc.balanceOf(f.alice.address))).to.equal(paid);
      expect(await f.options.balanceOf(f.alice.address, f.call)).to.equal(units(2));
      // Transferable: bob receives one and sells it back.
      await f.options.connect(f.alice).safeTransferFrom(f.alice.address, f.bob.address, f.call, units(1), "0x");
      const s = await f.options.quote(f.call, units(1), false);
      const bobBefore = await f.usdc.balanceOf(f.bob.address);
      await expect(f.options.connect(f.bob).sell(f.call, units(1), ((s.premium - s.fee) * 999n) / 1000n)).to.emit(
        f.options,
        "OptionSold",
      );
      const sold = await f.options.queryFilter(f.options.filters.OptionSold(f.bob.address));
      expect(sold[0].args.proceeds).to.be.closeTo(s.premium - s.fee, (s.premium - s.fee) / 10_000n);
      expect((await f.usdc.balanceOf(f.bob.address)) - bobBefore).to.equal(sold[0].args.proceeds);
      expect((await f.options.seriesOf(f.call)).openInterest).to.equal(units(1));
      await expectLockedMatchesPool(f);
      expect(await f.options.lockedAssets()).to.equal(lockFor(units(1), usd(3_000)));
    });

    it("OPT-4, CB-4: the pool books a premium only once it has arrived, as an inflow", async () => {
      const f = await loadFixture(optionsFixture);
      const engine = await f.options.getAddress();
      await impersonateAccount(engine);
      await setBalance(engine, 10n ** 18n);
      const asEngine = f.pool.connect(await ethers.getSigner(engine));
      const state = await f.pool.poolState();
      const booked = state.cash + state.insurance;
      await expect(asEngine.collectTransferred(1n))
        .to.be.revertedWithCustomError(f.pool, "CollateralBalanceShortfall")
        .withArgs(booked, booked + 1n);
      await expect(f.pool.connect(f.alice).collectTransferred(0n))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolNotModule")
        .withArgs(f.alice.address);
      await f.usdc.connect(f.alice).transfer(f.pool, 5n);
      const tvl = (await f.limiter.limits()).tvl;
      await expect(asEngine.collectTransferred(5n)).to.emit(f.pool, "Collected").withArgs(engine, 5n);
      expect((await f.pool.poolState()).cash).to.equal(state.cash + 5n);
      // A premium from a wallet is an inflow for the outflow limiter (CB-4), as a deposit is.
      expect((await f.limiter.limits()).tvl).to.equal(tvl + 5n);
    });

    it("OPT-4: slippage limits, zero amounts and unknown series revert and change nothing", async () => {
      const f = await loadFixture(optionsFixture);
      const q = await f.options.quote(f.put, units(1), true);
      const limit = (q.premium * 9n) / 10n;
      await expect(f.options.connect(f.alice).buy(f.put, units(1), limit))
        .to.be.revertedWithCustomError(f.options, "OptionsSlippage")
        .withArgs((x: bigint) => x > limit, limit);
      await expect(f.options.connect(f.alice).buy(f.put, 0n, 1n)).to.be.revertedWithCustomError(
        f.options,
        "OptionsZeroAmount",
      );
      await expect(f.options.connect(f.alice).buy(123n, units(1), 1n))
        .to.be.revertedWithCustomError(f.options, "OptionsUnknownSeries")
        .withArgs(123n);
      await f.options.connect(f.alice).buy(f.put, units(1), q.premium + q.fee);
      await expect(f.options.connect(f.alice).sell(f.put, units(1), q.premium)).to.be.revertedWithCustomError(
        f.options,
        "OptionsSlippage",
      );
      await expect(f.options.connect(f.bob).sell(f.put, units(1), 0n)).to.be.revertedWithCustomError(
        f.options,
        "ERC1155InsufficientBalance",
      );
      expect(await f.options.balanceOf(f.alice.address, f.put)).to.equal(units(1));
    });

    it("OPT-4: buying then immediately selling never profits", async () => {
      const f = await loadFixture(optionsFixture);
      for (const [id, amount] of [
        [f.call, units(1)],
        [f.put, units(25)],
        [f.call, 10n ** 12n],
        [f.put, 1n],
      ] as const) {
        const before = await f.usdc.balanceOf(f.carol.address);
        await f.options.connect(f.carol).buy(id, amount, usdc(10_000_000));
        await f.options.connect(f.carol).sell(id, amount, 0n);
        expect(await f.usdc.balanceOf(f.carol.address)).to.be.lessThan(before);
      }
    });

    it("OPT-4: trading stops the cutoff before expiry", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.call, units(1), usdc(1_000_000));
      const closesAt = f.expiry - (await f.options.globalConfig()).tradingCutoff;
      await time.increaseTo(closesAt);
      await f.setPrices(3_000n);
      await expect(f.options.connect(f.alice).buy(f.call, units(1), usdc(1_000_000)))
        .to.be.revertedWithCustomError(f.options, "OptionsTradingClosed")
        .withArgs(f.call, closesAt);
      await expect(f.options.connect(f.alice).sell(f.call, units(1), 0n)).to.be.revertedWithCustomError(
        f.options,
        "OptionsTradingClosed",
      );
    });
  });

  describe("OPT-5: limits", () => {
    it("OPT-5: locked collateral stays below its share of the pool's cash; per-series caps hold", async () => {
      const f = await loadFixture(optionsFixture);
      // Half of about $1,000,000 of cash: a put locks $3,000 per unit, so 170 units pass the limit.
      await expect(f.options.connect(f.alice).buy(f.put, units(170), usdc(10_000_000))).to.be.revertedWithCustomError(
        f.options,
        "OptionsUtilisationLimit",
      );
      await f.options.connect(f.alice).buy(f.put, units(160), usdc(10_000_000));
      const cap = (await f.options.marketConfig(ETH)).maxSeriesOpenInterest;
      // The guardian may lower the series cap at once, never raise it.
      await f.options
        .connect(f.guardian)
        .tightenParameter(ETH, await f.options.MAX_SERIES_OPEN_INTEREST(), units(161), "incident");
      await expect(f.options.connect(f.bob).buy(f.put, units(2), usdc(10_000_000)))
        .to.be.revertedWithCustomError(f.options, "OptionsSeriesCap")
        .withArgs(f.put, units(162), units(161));
      await expect(
        f.options.connect(f.guardian).tightenParameter(ETH, await f.options.MAX_SERIES_OPEN_INTEREST(), cap, "undo"),
      ).to.be.revertedWithCustomError(f.options, "ParameterNotTightening");
      await expect(
        f.options.connect(f.guardian).tightenParameter(GLOBAL, await f.options.FEE_BPS(), 0n, "x"),
      ).to.be.revertedWithCustomError(f.options, "ParameterNotGuardianAdjustable");
    });

    it("OPT-3, CB-6: the guardian may tighten every engine-wide parameter it holds (wider band, higher carry, spread and premium, lower utilisation, longer cutoff), never loosen one", async () => {
      const f = await loadFixture(optionsFixture);
      const guardian = f.options.connect(f.guardian);
      const g = await f.options.globalConfig();
      const tightened: [string, bigint, bigint][] = [
        [await f.options.PRICE_BAND_BPS(), 100n, g.priceBandBps],
        [await f.options.CARRY_BPS(), 800n, g.carryBps],
        [await f.options.SPREAD_BPS(), 300n, g.spreadBps],
        [await f.options.UTILISATION_PREMIUM_BPS(), 1500n, g.utilisationPremiumBps],
        [await f.options.MAX_UTILISATION_BPS(), 4000n, g.maxUtilisationBps],
        [await f.options.TRADING_CUTOFF(), 90n * 60n, g.tradingCutoff],
      ];
      for (const [key, value, old] of tightened) {
        const name = ethers.decodeBytes32String(key);
        await guardian.tightenParameter(GLOBAL, key, value, "incident");
        expect(await f.options.parameter(GLOBAL, key), name).to.equal(value);
        await expect(guardian.tightenParameter(GLOBAL, key, old, "undo"), name).to.be.revertedWithCustomError(
          f.options,
          "ParameterNotTightening",
        );
      }
      const band = await f.options.PRICE_BAND_BPS();
      await expect(guardian.tightenParameter(GLOBAL, band, 501n, "too wide"))
        .to.be.revertedWithCustomError(f.options, "ParameterOutOfBounds")
        .withArgs(band, 501n, 0n, 500n);
      // Governance moves them anywhere within bounds.
      await f.options.connect(await timelockSigner(f.timelock)).setParameter(GLOBAL, band, 0n);
      expect((await f.options.globalConfig()).priceBandBps).to.equal(0n);
    });

    it("OPT-5: the pause registry gates buy and sell per market", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.call, units(1), usdc(1_000_000));
      await f.pauseRegistry
        .connect(f.guardian)
        .pause(ETH, (1n << BigInt(Action.BuyOption)) | (1n << BigInt(Action.SellOption)), "incident");
      await expect(f.options.connect(f.alice).buy(f.call, units(1), usdc(1_000_000)))
        .to.be.revertedWithCustomError(f.options, "OptionsPaused")
        .withArgs(ETH, Action.BuyOption);
      await expect(f.options.connect(f.alice).sell(f.call, units(1), 0n))
        .to.be.revertedWithCustomError(f.options, "OptionsPaused")
        .withArgs(ETH, Action.SellOption);
    });
  });

  describe("OPT-6: settlement", () => {
    async function expired(f: OptionsFixture, eth: bigint) {
      await time.increaseTo(f.expiry);
      await f.setPrices(eth);
    }

    it("OPT-6: anyone settles once after expiry; the payoff is capped; unused collateral returns to the pool", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.call, units(4), usdc(1_000_000));
      await f.options.connect(f.bob).buy(f.put, units(2), usdc(1_000_000));
      await expect(f.options.settle(f.call))
        .to.be.revertedWithCustomError(f.options, "OptionsNotExpired")
        .withArgs(f.call, f.expiry);
      await expired(f, 3_200n);
      const cashBefore = (await f.pool.poolState()).cash;
      await expect(f.options.connect(f.keeper).settle(f.call))
        .to.emit(f.options, "SeriesSettled")
        .withArgs(f.call, usd(3_200), usd(200), lockFor(units(4), usd(3_000)) - lockFor(units(4), usd(200)), false);
      await expect(f.options.settle(f.call)).to.be.revertedWithCustomError(f.options, "OptionsAlreadySettled");
      await f.options.settle(f.put); // out of the money: pays nothing, releases everything
      expect((await f.options.seriesOf(f.put)).payoff).to.equal(0n);
      expect((await f.pool.poolState()).cash).to.equal(cashBefore);
      expect(await f.options.lockedAssets()).to.equal(lockFor(units(4), usd(200)));
      await expectLockedMatchesPool(f);
      // Settled series leave the live list at once; the pool counts what they still owe.
      expect(await f.options.liveSeries()).to.deep.equal([]);
      expect(await f.options.poolExposure()).to.deep.equal([lockFor(units(4), usd(200)), true]);
      // Redeem pays the payoff; the last redemption finishes the series.
      const before = await f.usdc.balanceOf(f.alice.address);
      await expect(f.options.connect(f.alice).redeem(f.call, units(4)))
        .to.emit(f.options, "OptionRedeemed")
        .withArgs(f.alice.address, f.call, units(4), usdc(800), usdc(800), 0n);
      expect((await f.usdc.balanceOf(f.alice.address)) - before).to.equal(usdc(800));
      expect(await f.options.lockedAssets()).to.equal(0n);
      expect(await f.options.poolExposure()).to.deep.equal([0n, true]);
      await expect(f.options.connect(f.bob).redeem(f.put, units(2)))
        .to.emit(f.options, "OptionRedeemed")
        .withArgs(f.bob.address, f.put, units(2), 0n, 0n, 0n);
    });

    it("OPT-6: every series of one expiry settles at one price, the first trusted read after expiry; a read from before expiry is not used", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.call, units(1), usdc(1_000_000));
      await f.options.connect(f.alice).buy(f.put, units(1), usdc(1_000_000));
      // The last trusted read ($3,000) was recorded before expiry: the first settle reads the sources afresh.
      await time.increaseTo(f.expiry);
      await f.setPrices(2_900n);
      await expect(f.options.settle(f.call))
        .to.emit(f.options, "SeriesSettled")
        .withArgs(f.call, usd(2_900), 0n, anyValue, false);
      // The sources move on and are read again within the tolerance, but the put settles at the expiry's price.
      await time.increase(60);
      await f.setPrices(2_800n);
      await f.aggregator.poke(ETH);
      await expect(f.options.settle(f.put))
        .to.emit(f.options, "SeriesSettled")
        .withArgs(f.put, usd(2_900), usd(100), anyValue, false);
    });

    it("OPT-6: a call pays at most its cap", async () => {
      const f = await loadFixture(optionsFixture);
      // A narrow call: strike $3,100, payoff capped at $400.
      await f.options.connect(await timelockSigner(f.timelock)).listSeries(ETH, usd(3_100), f.expiry, true, usd(400));
      const narrow = seriesId(ETH, usd(3_100), f.expiry, true);
      await f.options.connect(f.alice).buy(narrow, units(1), usdc(1_000_000));
      expect(await f.options.lockedAssets()).to.equal(usdc(400));
      // Up before expiry in steps the jump breaker accepts, each read by the aggregator.
      for (const p of [3_200n, 3_450n, 3_700n]) {
        await f.setPrices(p);
        await f.aggregator.poke(ETH);
      }
      await time.increaseTo(f.expiry);
      await f.setPrices(3_700n);
      await f.options.settle(narrow);
      expect((await f.options.seriesOf(narrow)).payoff).to.equal(usd(400));
      expect(await f.options.connect(f.alice).redeem.staticCall(narrow, units(1))).to.equal(usdc(400));
    });

    it("OPT-6: with the oracle frozen at expiry the first trusted price in the window settles every series of that expiry", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.put, units(1), usdc(1_000_000));
      await f.options.connect(f.alice).buy(f.call, units(1), usdc(1_000_000));
      await time.increaseTo(f.expiry);
      await f.setPrices(2_900n);
      await f.feed18.updateAnswer(3_600n * 10n ** 18n); // divergence: frozen
      expect(await f.options.settle.staticCall(f.put)).to.equal(false);
      await expect(f.options.settle(f.put))
        .to.emit(f.options, "SettlementDeferred")
        .withArgs(f.put, false, Reason.Divergence);
      expect(await f.options.expiryPrice(ETH, f.expiry)).to.deep.equal([0n, false, 4n * DAY]);
      expect((await f.options.seriesOf(f.put)).settled).to.equal(false);
      // The first trusted read, hours later, stands in for the price at expiry; a read after it changes nothing.
      await time.increase(2n * HOUR);
      await f.setPrices(2_800n);
      await f.aggregator.poke(ETH);
      await time.increase(HOUR);
      await f.setPrices(2_700n);
      await f.aggregator.poke(ETH);
      await expect(f.options.settle(f.put))
        .to.emit(f.options, "ExpiryPriceRecorded")
        .withArgs(ETH, f.expiry, usd(2_800), false)
        .and.to.emit(f.options, "SeriesSettled")
        .withArgs(f.put, usd(2_800), usd(200), anyValue, false);
      // The call of that expiry settles at the same price, whatever the sources say now.
      await f.setPrices(3_200n);
      await expect(f.options.settle(f.call))
        .to.emit(f.options, "SeriesSettled")
        .withArgs(f.call, usd(2_800), 0n, anyValue, false);
    });

    it("OPT-6: without a trusted price through its window an expiry is settled only by the timelocked fallback", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.call, units(1), usdc(1_000_000));
      await f.options.connect(f.alice).buy(f.put, units(1), usdc(1_000_000));
      const g = await f.options.globalConfig();
      const tl = await timelockSigner(f.timelock);
      await time.increaseTo(f.expiry + HOUR);
      await expect(
        f.options.connect(f.guardian).settleFallback(ETH, f.expiry, usd(2_800)),
      ).to.be.revertedWithCustomError(f.options, "AccessManagedUnauthorized");
      await expect(f.options.connect(tl).settleFallback(ETH, f.expiry, usd(2_800)))
        .to.be.revertedWithCustomError(f.options, "OptionsSettlementWindowOpen")
        .withArgs(ETH, f.expiry, f.expiry + g.settlementWindow);
      await time.increaseTo(f.expiry + g.settlementWindow + 1n);
      await f.setPrices(2_800n);
      await expect(f.options.settle(f.call))
        .to.be.revertedWithCustomError(f.options, "OptionsSettlementWindowClosed")
        .withArgs(f.call, f.expiry + g.settlementWindow);
      await expect(f.options.connect(tl).settleFallback(ETH, f.expiry, 0n)).to.be.revertedWithCustomError(
        f.options,
        "OptionsInvalidPrice",
      );
      await expect(f.options.connect(tl).settleFallback(ETH, f.expiry, usd(3_100)))
        .to.emit(f.options, "ExpiryPriceRecorded")
        .withArgs(ETH, f.expiry, usd(3_100), true);
      await expect(f.options.connect(tl).settleFallback(ETH, f.expiry, usd(2_000)))
        .to.be.revertedWithCustomError(f.options, "OptionsExpiryPriceRecorded")
        .withArgs(ETH, f.expiry, usd(3_100));
      // Anyone then settles each series of the expiry at that price, after the window too.
      await expect(f.options.settle(f.call))
        .to.emit(f.options, "SeriesSettled")
        .withArgs(f.call, usd(3_100), usd(100), anyValue, true);
      await expect(f.options.settle(f.put))
        .to.emit(f.options, "SeriesSettled")
        .withArgs(f.put, usd(3_100), 0n, anyValue, true);
    });

    it("OPT-6, CB-1: the pause registry gates settle but cannot move its price: the trusted price at expiry is recorded during the pause and settles after it", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.call, units(1), usdc(1_000_000));
      await time.increaseTo(f.expiry);
      await f.setPrices(3_100n);
      await f.pauseRegistry.connect(f.guardian).pause(ETH, 1n << BigInt(Action.Settle), "incident");
      await expect(f.options.settle(f.call))
        .to.emit(f.options, "ExpiryPriceRecorded")
        .withArgs(ETH, f.expiry, usd(3_100), false)
        .and.to.emit(f.options, "SettlementDeferred")
        .withArgs(f.call, true, 0);
      expect((await f.options.seriesOf(f.call)).settled).to.equal(false);
      await expect(f.options.redeem(f.call, 1n)).to.be.revertedWithCustomError(f.options, "OptionsNotSettled");
      // The guardian's pause lapses after 72 hours; the price has moved, the settlement price has not.
      await time.increase(73n * HOUR);
      await f.setPrices(3_150n);
      await expect(f.options.settle(f.call))
        .to.emit(f.options, "SeriesSettled")
        .withArgs(f.call, usd(3_100), usd(100), anyValue, false);
    });

    it("OPT-6: the first trusted read after expiry is the price: a holder cannot pick a later one by reading when it suits them", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.call, units(10), usdc(1_000_000));
      await time.increaseTo(f.expiry);
      await f.setPrices(3_000n); // at expiry: out of the money; the keeper reads it
      await f.aggregator.connect(f.keeper).poke(ETH);
      // Fifty minutes later the price is up; the holder reads it again, then settles.
      await time.increase(50n * 60n);
      await f.setPrices(3_120n);
      await f.aggregator.connect(f.alice).poke(ETH);
      await expect(f.options.connect(f.alice).settle(f.call))
        .to.emit(f.options, "SeriesSettled")
        .withArgs(f.call, usd(3_000), 0n, anyValue, false);
    });

    it("OPT-6: later reads and freezes cannot erase the price at expiry: a late settle still finds it, within the window and after", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.put, units(1), usdc(1_000_000));
      await f.options.connect(f.alice).buy(f.call, units(1), usdc(1_000_000));
      await time.increaseTo(f.expiry);
      await f.setPrices(2_900n);
      await f.aggregator.poke(ETH); // the first trusted read after expiry, by anyone
      // Two days of reads at other prices, then a freeze.
      await time.increase(2n * DAY);
      await f.setPrices(2_750n);
      await f.aggregator.poke(ETH);
      await f.feed18.updateAnswer(3_600n * 10n ** 18n);
      await f.aggregator.poke(ETH);
      await expect(f.options.settle(f.put))
        .to.emit(f.options, "SeriesSettled")
        .withArgs(f.put, usd(2_900), usd(100), anyValue, false);
      // After the window too, and governance cannot override it.
      const window = (await f.options.globalConfig()).settlementWindow;
      await time.increaseTo(f.expiry + window + 1n);
      await expect(f.options.connect(await timelockSigner(f.timelock)).settleFallback(ETH, f.expiry, usd(3_100)))
        .to.be.revertedWithCustomError(f.options, "OptionsExpiryPriceRecorded")
        .withArgs(ETH, f.expiry, usd(2_900));
      await expect(f.options.settle(f.call))
        .to.emit(f.options, "SeriesSettled")
        .withArgs(f.call, usd(2_900), 0n, anyValue, false);
    });

    it("OPT-6: a trusted read within the window, not yet recorded, settles after the window; the fallback cannot override it", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.put, units(1), usdc(1_000_000));
      await time.increaseTo(f.expiry + 3n * HOUR);
      await f.setPrices(2_950n);
      await f.aggregator.poke(ETH); // nobody settles
      const window = (await f.options.globalConfig()).settlementWindow;
      await time.increaseTo(f.expiry + window + 1n);
      await f.setPrices(2_500n);
      await expect(f.options.connect(await timelockSigner(f.timelock)).settleFallback(ETH, f.expiry, usd(2_500)))
        .to.be.revertedWithCustomError(f.options, "OptionsExpiryPriceAvailable")
        .withArgs(ETH, f.expiry, usd(2_950));
      await expect(f.options.settle(f.put))
        .to.emit(f.options, "ExpiryPriceRecorded")
        .withArgs(ETH, f.expiry, usd(2_950), false)
        .and.to.emit(f.options, "SeriesSettled")
        .withArgs(f.put, usd(2_950), usd(50), anyValue, false);
    });

    it("OPT-6, POOL-2: once the expiry's price is fixed, the pool values the expired series at it, not at the live price, before and during a settle pause", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.call, units(100), usdc(1_000_000));
      await time.increaseTo(f.expiry);
      await f.setPrices(3_290n);
      await f.aggregator.poke(ETH); // the expiry's price is fixed: $3,290, owing $290 a unit
      await f.setPrices(3_150n);
      await f.aggregator.poke(ETH);
      expect(await f.options.poolExposure()).to.deep.equal([lockFor(units(100), usd(290)), true]);
      // A settle pause records the price and leaves the series live; the valuation holds still.
      await f.pauseRegistry.connect(f.guardian).pause(ETH, 1n << BigInt(Action.Settle), "incident");
      await f.options.settle(f.call);
      await f.setPrices(3_000n);
      await f.aggregator.poke(ETH);
      expect((await f.options.seriesOf(f.call)).settled).to.equal(false);
      expect(await f.options.poolExposure()).to.deep.equal([lockFor(units(100), usd(290)), true]);
    });

    it("OPT-6: each expiry keeps the settlement window of its first listing; a later change neither erases a read within it nor reopens it", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.put, units(1), usdc(1_000_000));
      const tl = await timelockSigner(f.timelock);
      const window = ethers.encodeBytes32String("settlementWindow");
      expect((await f.options.expiryPrice(ETH, f.expiry)).window).to.equal(4n * DAY);
      await f.options.connect(tl).setParameter(GLOBAL, window, DAY);
      // A trusted read two days after expiry: outside the new window, inside the expiry's own.
      await time.increaseTo(f.expiry + 2n * DAY);
      await f.setPrices(2_800n);
      await f.aggregator.poke(ETH);
      await time.increaseTo(f.expiry + 4n * DAY + 1n);
      await expect(f.options.connect(tl).settleFallback(ETH, f.expiry, usd(3_000)))
        .to.be.revertedWithCustomError(f.options, "OptionsExpiryPriceAvailable")
        .withArgs(ETH, f.expiry, usd(2_800));
      await expect(f.options.settle(f.put))
        .to.emit(f.options, "SeriesSettled")
        .withArgs(f.put, usd(2_800), usd(200), anyValue, false);
      // A fallback for an expiry with no series listed is refused.
      await expect(f.options.connect(tl).settleFallback(ETH, f.expiry + HOUR, usd(3_000)))
        .to.be.revertedWithCustomError(f.options, "OptionsNoSeriesAtExpiry")
        .withArgs(ETH, f.expiry + HOUR);
    });

    it("OPT-6: redeem works with everything else paused, forever, and the keeper redeems for holders in batches", async () => {
      const f = await loadFixture(optionsFixture);
      await f.options.connect(f.alice).buy(f.call, units(2), usdc(1_000_000));
      await f.options.connect(f.bob).buy(f.call, units(3), usdc(1_000_000));
      await f.options.connect(f.carol).buy(f.call, units(1), usdc(1_000_000));
      await time.increaseTo(f.expiry);
      await f.setPrices(3_100n);
      await f.options.settle(f.call);

      // Everything the guardian can pause, globally and for the market.
      await f.pauseRegistry.connect(f.guardian).pause(GLOBAL, GUARDIAN_PAUSABLE, "incident");
      await f.pauseRegistry.connect(f.guardian).pause(ETH, GUARDIAN_PAUSABLE, "incident");
      await time.increase(2n * 365n * DAY);
      const before = await f.usdc.balanceOf(f.alice.address);
      await f.options.connect(f.alice).redeem(f.call, units(2));
      expect((await f.usdc.balanceOf(f.alice.address)) - before).to.equal(usdc(200));
      const bobBefore = await f.usdc.balanceOf(f.bob.address);
      expect(
        await f.options
          .connect(f.keeper)
          .redeemFor.staticCall(f.call, [f.alice.address, f.bob.address, f.carol.address]),
      ).to.equal(2n);
      await f.options.connect(f.keeper).redeemFor(f.call, [f.alice.address, f.bob.address, f.carol.address]);
      expect((await f.usdc.balanceOf(f.bob.address)) - bobBefore).to.equal(usdc(300));
      expect(await f.options.balanceOf(f.carol.address, f.call)).to.equal(0n);
      expect(await f.options.lockedAssets()).to.equal(0n);
    });
  });
});

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { MarketPriceFeed__factory } from "../../../typechain-types";
import { HOUR } from "../../../deploy/foundation";
import { Bias, oracleFixture, OracleState, pythUpdate, Reason, WAD } from "../../helpers/oracle";
import { BTC, ETH, GLOBAL, key } from "../../helpers/fixtures";
import { governCall } from "../../helpers/timelock";

type F = Awaited<ReturnType<typeof oracleFixture>>;

const governAggregator = (f: F, fn: string, args: unknown[]) => governCall(f, f.aggregator, fn, args);

describe("PriceAggregator (AGG-1 … AGG-6)", function () {
  describe("AGG-1 median, quorum, divergence", function () {
    it("AGG-1: the price is the median of the valid sources", async function () {
      const f = await loadFixture(oracleFixture);
      await f.feed8.updateAnswer(3_010n * 10n ** 8n);
      await f.feed18.updateAnswer(2_990n * WAD);
      expect(await f.aggregator.priceForRisk.staticCall(ETH)).to.equal(3_000n * WAD);
    });

    it("AGG-1: with two valid sources the median is their mean, rounded down", async function () {
      const f = await loadFixture(oracleFixture);
      await f.proxy.setBroken(true);
      await f.feed18.updateAnswer(3_001n * WAD + 1n);
      const s = await f.aggregator.status(ETH);
      expect([s.state, s.validSources, s.median]).to.deep.equal([0n, 2n, (3_001n * WAD + 1n + 3_000n * WAD) / 2n]);
    });

    it("AGG-1: below quorum the market freezes with NoQuorum", async function () {
      const f = await loadFixture(oracleFixture);
      await f.proxy.setBroken(true);
      await f.feed18.updateAnswer(0);
      await expect(f.aggregator.priceForRisk(ETH))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
        .withArgs(ETH, Reason.NoQuorum);
    });

    it("AGG-1: sources spread wider than maxDeviationBps freeze the market; it never picks a side", async function () {
      const f = await loadFixture(oracleFixture);
      await f.feed18.updateAnswer(3_061n * WAD); // 2.03 % above the others
      await expect(f.aggregator.poke(ETH))
        .to.emit(f.aggregator, "OracleStateChanged")
        .withArgs(ETH, OracleState.Active, OracleState.Frozen, Reason.Divergence, 3_000n * WAD, 3);
      await expect(f.aggregator.priceForRisk(ETH))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
        .withArgs(ETH, Reason.Divergence);
      await f.feed18.updateAnswer(3_060n * WAD); // exactly 2 %: accepted
      expect(await f.aggregator.priceForRisk.staticCall(ETH)).to.equal(3_000n * WAD);
    });
  });

  describe("AGG-2 jump breaker", function () {
    it("AGG-2: a move beyond maxJumpBps freezes, and needs recoveryReads reads with new reports to confirm", async function () {
      const f = await loadFixture(oracleFixture);
      await f.setAll(3_400n); // +13.3 % > 10 %
      await expect(f.aggregator.poke(ETH))
        .to.emit(f.aggregator, "OracleStateChanged")
        .withArgs(ETH, OracleState.Active, OracleState.Frozen, Reason.Jump, 3_400n * WAD, 3);
      // Re-reading the same reports does not confirm anything.
      await f.aggregator.poke(ETH);
      await f.aggregator.poke(ETH);
      expect((await f.aggregator.status(ETH)).reason).to.equal(Reason.Jump);
      // New reports that agree with the jump confirm it: read 2 ...
      await f.setAll(3_410n);
      await expect(f.aggregator.poke(ETH))
        .to.emit(f.aggregator, "JumpConfirmationRead")
        .withArgs(ETH, 3_410n * WAD, 2);
      // ... and read 3 accepts the new level.
      await f.setAll(3_405n);
      await expect(f.aggregator.poke(ETH))
        .to.emit(f.aggregator, "OracleStateChanged")
        .withArgs(ETH, OracleState.Frozen, OracleState.Active, Reason.None, 3_405n * WAD, 3);
      expect((await f.aggregator.lastGoodPrice(ETH))[0]).to.equal(3_405n * WAD);
    });

    it("AGG-2: a median back near the last good price unfreezes at once", async function () {
      const f = await loadFixture(oracleFixture);
      await f.setAll(3_400n);
      await f.aggregator.poke(ETH);
      await f.setAll(3_050n);
      expect(await f.aggregator.priceForRisk.staticCall(ETH)).to.equal(3_050n * WAD);
    });

    it("AGG-2: governance can reset the breaker through the timelock; the next trusted read sets the reference", async function () {
      const f = await loadFixture(oracleFixture);
      await f.setAll(3_400n);
      await f.aggregator.poke(ETH);
      await expect(governAggregator(f, "resetJumpBreaker", [ETH]))
        .to.emit(f.aggregator, "JumpBreakerReset")
        .withArgs(ETH, 3_000n * WAD, await f.timelock.getAddress());
      await f.setAll(3_400n); // refresh: the timelock delay made the reports stale
      expect(await f.aggregator.priceForRisk.staticCall(ETH)).to.equal(3_400n * WAD);
    });

    it("AGG-2: only a jump-frozen market can be reset, and the guardian cannot reset", async function () {
      const f = await loadFixture(oracleFixture);
      await expect(governAggregator(f, "resetJumpBreaker", [ETH]))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorNotJumpFrozen")
        .withArgs(ETH);
      await expect(f.aggregator.connect(f.guardian).resetJumpBreaker(ETH))
        .to.be.revertedWithCustomError(f.aggregator, "AccessManagedUnauthorized")
        .withArgs(f.guardian.address);
    });
  });

  describe("AGG-3 sequencer gate", function () {
    it("AGG-3: a sequencer that is down freezes risk-increasing reads", async function () {
      const f = await loadFixture(oracleFixture);
      const now = BigInt(await time.latest());
      await f.sequencer.updateRoundData(2, 1, now, now);
      await expect(f.aggregator.priceForRisk(ETH))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
        .withArgs(ETH, Reason.SequencerDown);
    });

    it("AGG-3: grace is measured from startedAt, not from the latest heartbeat", async function () {
      const f = await loadFixture(oracleFixture);
      const upAt = BigInt(await time.latest());
      await f.sequencer.updateRoundData(3, 0, upAt, upAt);
      await time.increase(HOUR - 100n);
      // A heartbeat: a new round with a fresh updatedAt but the same startedAt.
      const heartbeat = BigInt(await time.latest());
      await f.sequencer.updateRoundData(4, 0, heartbeat, upAt);
      await f.setAll(3_000n);
      await expect(f.aggregator.priceForRisk(ETH))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
        .withArgs(ETH, Reason.SequencerGrace);
      await time.increaseTo(upAt + HOUR);
      await f.setAll(3_000n);
      expect(await f.aggregator.priceForRisk.staticCall(ETH)).to.equal(3_000n * WAD);
    });

    it("AGG-3: startedAt == 0 is invalid and reads as down", async function () {
      const f = await loadFixture(oracleFixture);
      await f.sequencer.updateRoundData(5, 0, await time.latest(), 0);
      expect((await f.aggregator.status(ETH)).reason).to.equal(Reason.SequencerDown);
    });

    it("AGG-3: the grace period is a bounded parameter the guardian may only lengthen", async function () {
      const f = await loadFixture(oracleFixture);
      const GRACE = key("sequencerGracePeriod");
      await expect(f.aggregator.connect(f.guardian).tightenParameter(GLOBAL, GRACE, HOUR / 2n, "shorter"))
        .to.be.revertedWithCustomError(f.aggregator, "ParameterNotTightening")
        .withArgs(GRACE, HOUR, HOUR / 2n);
      await f.aggregator.connect(f.guardian).tightenParameter(GLOBAL, GRACE, 2n * HOUR, "unstable L2");
      expect(await f.aggregator.parameter(GLOBAL, GRACE)).to.equal(2n * HOUR);
    });
  });

  describe("AGG-4 the three reads", function () {
    it("AGG-4: the risk read reverts naming the market and the reason; the state change is published by poke", async function () {
      const f = await loadFixture(oracleFixture);
      await f.feed18.updateAnswer(3_300n * WAD);
      await expect(f.aggregator.priceForRisk(ETH))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
        .withArgs(ETH, Reason.Divergence);
      await expect(f.aggregator.poke(ETH)).to.emit(f.aggregator, "OracleStateChanged");
    });

    it("AGG-4: the de-risking read always answers, on the conservative side of last good and valid sources", async function () {
      const f = await loadFixture(oracleFixture);
      await f.feed18.updateAnswer(3_300n * WAD); // divergence: valid prices 3000, 3000, 3300; last good 3000
      expect(await f.aggregator.priceForDerisk.staticCall(ETH, Bias.Low)).to.equal(3_000n * WAD);
      expect(await f.aggregator.priceForDerisk.staticCall(ETH, Bias.High)).to.equal(3_300n * WAD);
      await f.feed18.updateAnswer(2_700n * WAD);
      expect(await f.aggregator.priceForDerisk.staticCall(ETH, Bias.Low)).to.equal(2_700n * WAD);
      expect(await f.aggregator.priceForDerisk.staticCall(ETH, Bias.High)).to.equal(3_000n * WAD);
    });

    it("AGG-4: with every source down the de-risking read still answers the last good price", async function () {
      const f = await loadFixture(oracleFixture);
      await f.proxy.setBroken(true);
      await f.feed18.updateAnswer(0);
      await time.increase(200); // Pyth goes stale
      expect(await f.aggregator.priceForDerisk.staticCall(ETH, Bias.Low)).to.equal(3_000n * WAD);
      expect(await f.aggregator.priceForDerisk.staticCall(ETH, Bias.High)).to.equal(3_000n * WAD);
    });

    it("AGG-4: liquidations need a trusted price: they revert in every frozen state", async function () {
      const f = await loadFixture(oracleFixture);
      expect(await f.aggregator.priceForLiquidation.staticCall(ETH)).to.equal(3_000n * WAD);
      await f.feed18.updateAnswer(3_300n * WAD);
      await expect(f.aggregator.priceForLiquidation(ETH))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
        .withArgs(ETH, Reason.Divergence);
      await f.feed18.updateAnswer(3_000n * WAD);
      const now = BigInt(await time.latest());
      await f.sequencer.updateRoundData(6, 0, now, now);
      await expect(f.aggregator.priceForLiquidation(ETH))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
        .withArgs(ETH, Reason.SequencerGrace);
    });

    it("AGG-4: update and read in one transaction, excess fee refunded", async function () {
      const f = await loadFixture(oracleFixture);
      const data = await pythUpdate(f.pyth, 3_020n);
      const before = await ethers.provider.getBalance(f.alice.address);
      const tx = await f.aggregator.connect(f.alice).updateAndPriceForRisk(ETH, ["0x", "0x", data], { value: 1000n });
      const receipt = await tx.wait();
      const after = await ethers.provider.getBalance(f.alice.address);
      expect(before - after - receipt!.gasUsed * receipt!.gasPrice).to.equal(1n);
      expect((await f.pythAdapter.observe())[0]).to.equal(3_020n * WAD);
      await expect(f.aggregator.updateAndPriceForRisk(ETH, [data], { value: 1n }))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUpdateCountMismatch")
        .withArgs(1, 3);
    });
  });

  describe("AGG-5 status and events", function () {
    it("AGG-5: status returns state, valid count, median, last good price and time", async function () {
      const f = await loadFixture(oracleFixture);
      const tx = await f.aggregator.poke(ETH);
      const at = BigInt((await tx.getBlock())!.timestamp);
      const s = await f.aggregator.status(ETH);
      expect([s.state, s.reason, s.validSources, s.median, s.lastGoodPrice, s.lastGoodAt]).to.deep.equal([
        BigInt(OracleState.Active),
        BigInt(Reason.None),
        3n,
        3_000n * WAD,
        3_000n * WAD,
        at,
      ]);
    });

    it("AGG-5: an unknown market is refused by every read", async function () {
      const f = await loadFixture(oracleFixture);
      await expect(f.aggregator.status(BTC))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUnknownMarket")
        .withArgs(BTC);
      await expect(f.aggregator.priceForRisk(BTC)).to.be.revertedWithCustomError(
        f.aggregator,
        "PriceAggregatorUnknownMarket",
      );
      await expect(f.aggregator.poke(BTC)).to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUnknownMarket");
    });
  });

  describe("OPT-6: hourly checkpoints of the first trusted read", function () {
    /** The next hour boundary after now, and moves the chain to it with every source at `usd`. */
    async function atNextHour(f: F, usd: bigint) {
      const hour = (BigInt(await time.latest()) / HOUR + 1n) * HOUR;
      await time.setNextBlockTimestamp(hour);
      await f.setAll(usd);
      return hour;
    }

    it("OPT-6, AGG-5: the first trusted read of each hour is kept; later reads, in that hour or after, cannot change it", async function () {
      const f = await loadFixture(oracleFixture);
      const hour = await atNextHour(f, 3_000n);
      expect(await f.aggregator.firstTrustedPrice(ETH, hour, hour + HOUR)).to.deep.equal([0n, 0n]);
      await time.increase(600);
      const first = f.aggregator.poke(ETH);
      const at = BigInt((await (await first).getBlock())!.timestamp);
      await expect(first)
        .to.emit(f.aggregator, "PriceCheckpointed")
        .withArgs(ETH, 3_000n * WAD, at);
      // Later reads in the hour move the last good price, not the checkpoint, and emit nothing of the kind.
      await f.setAll(3_050n);
      await expect(f.aggregator.poke(ETH)).not.to.emit(f.aggregator, "PriceCheckpointed");
      expect((await f.aggregator.lastGoodPrice(ETH))[0]).to.equal(3_050n * WAD);
      await time.increase(2n * HOUR);
      await f.setAll(3_100n);
      await expect(f.aggregator.poke(ETH)).to.emit(f.aggregator, "PriceCheckpointed");
      expect(await f.aggregator.firstTrustedPrice(ETH, hour, BigInt(await time.latest()))).to.deep.equal([
        3_000n * WAD,
        at,
      ]);
      // A read after `to` is not within the range; the range must start on the grid.
      expect(await f.aggregator.firstTrustedPrice(ETH, hour, at - 1n)).to.deep.equal([0n, 0n]);
      await expect(f.aggregator.firstTrustedPrice(ETH, hour + 1n, at))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUnalignedTime")
        .withArgs(hour + 1n, HOUR);
      await expect(f.aggregator.firstTrustedPrice(BTC, hour, at))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUnknownMarket")
        .withArgs(BTC);
    });

    it("OPT-6, AGG-4: an untrusted read keeps no checkpoint; the first trusted read after the freeze is the hour's first", async function () {
      const f = await loadFixture(oracleFixture);
      const hour = await atNextHour(f, 3_000n);
      await f.feed18.updateAnswer(3_600n * WAD); // divergence
      await expect(f.aggregator.poke(ETH)).not.to.emit(f.aggregator, "PriceCheckpointed");
      await time.increase(HOUR + 60n);
      await expect(f.aggregator.poke(ETH)).not.to.emit(f.aggregator, "PriceCheckpointed");
      expect(await f.aggregator.firstTrustedPrice(ETH, hour, BigInt(await time.latest()))).to.deep.equal([0n, 0n]);
      await f.setAll(2_950n);
      const healed = f.aggregator.priceForDerisk(ETH, Bias.Low);
      const at = BigInt((await (await healed).getBlock())!.timestamp);
      await expect(healed)
        .to.emit(f.aggregator, "PriceCheckpointed")
        .withArgs(ETH, 2_950n * WAD, at);
      expect(await f.aggregator.firstTrustedPrice(ETH, hour, at + 10n * HOUR)).to.deep.equal([2_950n * WAD, at]);
    });
  });

  describe("AGG-6 AggregatorV3Interface view", function () {
    it("AGG-6: other protocols read Bulwark's last trusted price as a Chainlink-style feed", async function () {
      const f = await loadFixture(oracleFixture);
      const feed = await new MarketPriceFeed__factory(f.deployer).deploy(await f.aggregator.getAddress(), ETH);
      await f.setAll(3_050n);
      const tx = await f.aggregator.poke(ETH);
      const at = BigInt((await tx.getBlock())!.timestamp);
      expect(await feed.decimals()).to.equal(18n);
      const [roundId, answer, startedAt, updatedAt, answeredInRound] = await feed.latestRoundData();
      expect([roundId, answer, startedAt, updatedAt, answeredInRound]).to.deep.equal([at, 3_050n * WAD, at, at, at]);
      expect((await feed.getRoundData(roundId))[1]).to.equal(3_050n * WAD);
      await expect(feed.getRoundData(roundId - 1n)).to.be.revertedWithCustomError(feed, "MarketPriceFeedNoHistory");
    });

    it("AGG-6: while frozen the feed keeps its old timestamp, so consumers' staleness checks see it", async function () {
      const f = await loadFixture(oracleFixture);
      const feed = await new MarketPriceFeed__factory(f.deployer).deploy(await f.aggregator.getAddress(), ETH);
      const [, , , before] = await feed.latestRoundData();
      await time.increase(600);
      await f.feed18.updateAnswer(3_300n * WAD);
      await f.aggregator.poke(ETH);
      const [, answer, , updatedAt] = await feed.latestRoundData();
      expect([answer, updatedAt]).to.deep.equal([3_000n * WAD, before]);
    });
  });

  describe("Guardian and governance on the oracle (CB-6, GOV-5)", function () {
    it("CB-6: the guardian tightens deviation, jump and staleness limits but never loosens them", async function () {
      const f = await loadFixture(oracleFixture);
      const DEV = key("maxDeviationBps");
      await f.aggregator.connect(f.guardian).tightenParameter(ETH, DEV, 100n, "tighter");
      expect(await f.aggregator.parameter(ETH, DEV)).to.equal(100n);
      await expect(f.aggregator.connect(f.guardian).tightenParameter(ETH, DEV, 150n, "looser"))
        .to.be.revertedWithCustomError(f.aggregator, "ParameterNotTightening")
        .withArgs(DEV, 100n, 150n);
      const scope = ethers.zeroPadValue(await f.chainlink18.getAddress(), 32);
      await f.aggregator.connect(f.guardian).tightenParameter(scope, key("maxStaleness"), 600n, "tighter");
      expect((await f.aggregator.sources(ETH))[1][1]).to.equal(600n);
    });

    it("CB-6: the guardian removes a source while quorum holds, never below it", async function () {
      const f = await loadFixture(oracleFixture);
      await expect(f.aggregator.connect(f.guardian).removeSource(f.chainlink8, "feed compromised"))
        .to.emit(f.aggregator, "SourceRemoved")
        .withArgs(ETH, await f.chainlink8.getAddress(), f.guardian.address, "feed compromised");
      await expect(f.aggregator.connect(f.guardian).removeSource(f.chainlink18, "again"))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorQuorumWouldBreak")
        .withArgs(ETH, 1, 2);
      expect((await f.aggregator.sources(ETH))[0].length).to.equal(2);
    });

    it("CB-6: the guardian cannot add a source, list a market or raise the quorum above the sources", async function () {
      const f = await loadFixture(oracleFixture);
      await expect(f.aggregator.connect(f.guardian).addSource(ETH, f.bob.address, 600n))
        .to.be.revertedWithCustomError(f.aggregator, "AccessManagedUnauthorized")
        .withArgs(f.guardian.address);
      await expect(f.aggregator.connect(f.guardian).tightenParameter(ETH, key("minSources"), 4n, "more"))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorQuorumAboveSources")
        .withArgs(ETH, 4n, 3n);
    });

    it("GOV-5: listing and band changes respect hard bounds and a coherent band", async function () {
      const f = await loadFixture(oracleFixture);
      await expect(governAggregator(f, "listMarket", [BTC, 10n * WAD, 10n ** 29n, 2n, 200n, 1000n, 3n]))
        .to.be.revertedWithCustomError(f.aggregator, "ParameterOutOfBounds")
        .withArgs(key("maxPrice"), 10n ** 29n, 1n, 10n ** 28n);
      await expect(governAggregator(f, "setParameter", [ETH, key("minPrice"), 200_000n * WAD]))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorInvalidBand")
        .withArgs(ETH, 200_000n * WAD, 100_000n * WAD);
      await expect(governAggregator(f, "listMarket", [ETH, 10n * WAD, 20n * WAD, 2n, 200n, 1000n, 3n]))
        .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorMarketExists")
        .withArgs(ETH);
    });
  });
});

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ChainlinkAdapter__factory, MockV3Aggregator__factory, PythAdapter__factory } from "../../../typechain-types";
import { NO_FEED_BOUNDS } from "../../../deploy/oracle";
import { oracleFixture, pythUpdate, PYTH_ETH, PYTH_FEE, S, WAD } from "../../helpers/oracle";
import { ETH, GLOBAL, key } from "../../helpers/fixtures";
import { govern } from "../../helpers/timelock";

describe("Price sources (ORC-1, ORC-2, ORC-3)", function () {
  describe("ORC-1 adapters behind one interface", function () {
    it("ORC-1: a Chainlink-type feed and a Pyth feed read through the same IPriceSource", async function () {
      const { chainlink8, pythAdapter } = await loadFixture(oracleFixture);
      const [p1, , s1] = await chainlink8.observe();
      const [p2, , s2] = await pythAdapter.observe();
      expect([p1, s1]).to.deep.equal([3_000n * WAD, BigInt(S.Valid)]);
      expect([p2, s2]).to.deep.equal([3_000n * WAD, BigInt(S.Valid)]);
    });

    it("ORC-1: a third kind of source joins a market without any change to the aggregator", async function () {
      const { aggregator, timelock, governor } = await loadFixture(oracleFixture);
      const [deployer] = await ethers.getSigners();
      const third = await (await ethers.getContractFactory("MockPriceSource", deployer)).deploy();
      const data = aggregator.interface.encodeFunctionData("addSource", [ETH, await third.getAddress(), 3600n]);
      await expect(govern(timelock, governor, [{ target: await aggregator.getAddress(), data }])).to.emit(
        aggregator,
        "SourceAdded",
      );
      await third.set(3_001n * WAD, await time.latest(), S.Valid);
      const readings = await aggregator.readings(ETH);
      expect(readings.length).to.equal(4);
      expect(readings[3].price).to.equal(3_001n * WAD);
    });

    it("ORC-1: a push feed takes no update data; Pyth takes it with its fee", async function () {
      const { chainlink8, pythAdapter, pyth } = await loadFixture(oracleFixture);
      await expect(chainlink8.update("0x")).to.be.revertedWithCustomError(chainlink8, "PriceSourceNotUpdatable");
      const data = await pythUpdate(pyth, 3_100n);
      expect(await pythAdapter.updateFee(data)).to.equal(PYTH_FEE);
      await expect(pythAdapter.update(data, { value: 0 }))
        .to.be.revertedWithCustomError(pythAdapter, "PythAdapterInsufficientFee")
        .withArgs(0, PYTH_FEE);
      await pythAdapter.update(data, { value: PYTH_FEE });
      expect((await pythAdapter.observe())[0]).to.equal(3_100n * WAD);
    });
  });

  describe("ORC-2 per-source validation, each failure with its reason", function () {
    it("ORC-2: a reverting feed reads as CallFailed, it does not revert the reader", async function () {
      const { chainlink8, proxy } = await loadFixture(oracleFixture);
      await proxy.setBroken(true);
      expect((await chainlink8.observe())[2]).to.equal(S.CallFailed);
    });

    it("ORC-2: a feed that returns nothing (no code) reads as CallFailed", async function () {
      const { chainlink8, proxy, bob } = await loadFixture(oracleFixture);
      await proxy.setAggregator(bob.address);
      // The proxy forwards to an address without code: its call reverts while decoding, which is a failure.
      expect((await chainlink8.observe())[2]).to.equal(S.CallFailed);
    });

    it("ORC-2: answer <= 0 is NonPositive", async function () {
      const { chainlink18, feed18 } = await loadFixture(oracleFixture);
      await feed18.updateAnswer(0);
      expect((await chainlink18.observe())[2]).to.equal(S.NonPositive);
      await feed18.updateAnswer(-5n * WAD);
      expect((await chainlink18.observe())[2]).to.equal(S.NonPositive);
    });

    it("ORC-2: updatedAt == 0 is NoTimestamp, a future updatedAt is FutureTimestamp", async function () {
      const { chainlink18, feed18 } = await loadFixture(oracleFixture);
      await feed18.updateRoundData(7, 3_000n * WAD, 0, 0);
      expect((await chainlink18.observe())[2]).to.equal(S.NoTimestamp);
      const future = BigInt(await time.latest()) + 600n;
      await feed18.updateRoundData(8, 3_000n * WAD, future, future);
      expect((await chainlink18.observe())[2]).to.equal(S.FutureTimestamp);
    });

    it("ORC-2: an answer on the feed's own min or max answer is AtFeedBound", async function () {
      const { chainlink8, feed8 } = await loadFixture(oracleFixture);
      await feed8.updateAnswer(1n * 10n ** 8n);
      expect((await chainlink8.observe())[2]).to.equal(S.AtFeedBound);
      await feed8.updateAnswer(1_000_000n * 10n ** 8n);
      expect((await chainlink8.observe())[2]).to.equal(S.AtFeedBound);
      await feed8.updateAnswer(1n * 10n ** 8n + 1n);
      expect((await chainlink8.observe())[2]).to.equal(S.Valid);
    });

    it("ORC-2: decimals changed since configuration is DecimalsChanged", async function () {
      const { chainlink8, proxy } = await loadFixture(oracleFixture);
      const [deployer] = await ethers.getSigners();
      const replacement = await new MockV3Aggregator__factory(deployer).deploy(18, 3_000n * WAD);
      await proxy.setAggregator(await replacement.getAddress());
      expect((await chainlink8.observe())[2]).to.equal(S.DecimalsChanged);
    });

    it("ORC-2: a Pyth confidence wider than maxConfBps is ConfidenceTooWide", async function () {
      const { pythAdapter, pyth } = await loadFixture(oracleFixture);
      const price = 3_000n * 10n ** 8n;
      // maxConfBps is 100 (1 %): exactly 1 % passes, one unit more fails.
      await pythAdapter.update(await pythUpdate(pyth, 3_000n, { conf: price / 100n }), { value: PYTH_FEE });
      expect((await pythAdapter.observe())[2]).to.equal(S.Valid);
      await time.increase(1);
      await pythAdapter.update(await pythUpdate(pyth, 3_000n, { conf: price / 100n + 1n }), { value: PYTH_FEE });
      expect((await pythAdapter.observe())[2]).to.equal(S.ConfidenceTooWide);
    });

    it("ORC-2: an older Pyth update can never roll the price back", async function () {
      const { pythAdapter, pyth } = await loadFixture(oracleFixture);
      const now = BigInt(await time.latest());
      await pythAdapter.update(await pythUpdate(pyth, 3_200n, { publishTime: now + 1n }), { value: PYTH_FEE });
      await pythAdapter.update(await pythUpdate(pyth, 2_000n, { publishTime: now - 30n }), { value: PYTH_FEE });
      const [price, updatedAt] = await pythAdapter.observe();
      expect([price, updatedAt]).to.deep.equal([3_200n * WAD, now + 1n]);
    });

    it("ORC-2: staleness is judged per source against its own limit, bounded 60 s – 72 h", async function () {
      const { aggregator, timelock, governor, chainlink18, pythAdapter } = await loadFixture(oracleFixture);
      await time.increase(121);
      const r = await aggregator.readings(ETH);
      // Pyth (120 s) is stale, the Chainlink feeds (1 h) are not.
      expect(r.map((x) => Number(x.status))).to.deep.equal([S.Valid, S.Valid, S.Stale]);
      const scope = ethers.zeroPadValue(await chainlink18.getAddress(), 32);
      const STALE = key("maxStaleness");
      expect(await aggregator.parameter(scope, STALE)).to.equal(3600n);
      expect(await aggregator.parameter(ethers.zeroPadValue(await pythAdapter.getAddress(), 32), STALE)).to.equal(120n);
      for (const bad of [59n, 72n * 3600n + 1n]) {
        const data = aggregator.interface.encodeFunctionData("setParameter", [scope, STALE, bad]);
        await expect(govern(timelock, governor, [{ target: await aggregator.getAddress(), data }]))
          .to.be.revertedWithCustomError(aggregator, "ParameterOutOfBounds")
          .withArgs(STALE, bad, 60n, 72n * 3600n);
      }
    });

    it("ORC-2: a price outside the market's band is OutOfBand", async function () {
      const { aggregator, feed18 } = await loadFixture(oracleFixture);
      await feed18.updateAnswer(99n * WAD);
      expect((await aggregator.readings(ETH))[1].status).to.equal(S.OutOfBand);
      await feed18.updateAnswer(100_001n * WAD);
      expect((await aggregator.readings(ETH))[1].status).to.equal(S.OutOfBand);
    });

    it("ORC-2: a caller cannot force CallFailed by starving the feed of gas", async function () {
      const { chainlink8, proxy } = await loadFixture(oracleFixture);
      await proxy.setGasToBurn(200_000);
      // Plenty of gas: the expensive feed is read normally.
      expect((await chainlink8.observe({ gasLimit: 2_000_000 }))[2]).to.equal(S.Valid);
      // Too little for the feed: the adapter reverts instead of reporting a broken feed.
      await expect(chainlink8.observe({ gasLimit: 150_000 })).to.be.revertedWithCustomError(
        chainlink8,
        "PriceSourceInsufficientGas",
      );
    });
  });

  describe("ORC-3 normalisation to 18 decimals", function () {
    for (const decimals of [6, 8, 18]) {
      it(`ORC-3: a ${decimals}-decimal feed normalises exactly`, async function () {
        const [deployer] = await ethers.getSigners();
        const answer = 123_456_789n * 10n ** BigInt(decimals) + 7n;
        const feed = await new MockV3Aggregator__factory(deployer).deploy(decimals, answer);
        const adapter = await new ChainlinkAdapter__factory(deployer).deploy(
          feed,
          NO_FEED_BOUNDS.minAnswer,
          NO_FEED_BOUNDS.maxAnswer,
        );
        expect(await adapter.feedDecimals()).to.equal(decimals);
        expect((await adapter.observe())[0]).to.equal(answer * 10n ** BigInt(18 - decimals));
      });
    }

    it("ORC-3: a feed with more than 18 decimals is refused at configuration", async function () {
      const [deployer] = await ethers.getSigners();
      const feed = await new MockV3Aggregator__factory(deployer).deploy(19, 1);
      const factory = new ChainlinkAdapter__factory(deployer);
      await expect(factory.deploy(feed, NO_FEED_BOUNDS.minAnswer, NO_FEED_BOUNDS.maxAnswer))
        .to.be.revertedWithCustomError(factory, "ChainlinkAdapterDecimalsTooHigh")
        .withArgs(19);
    });

    it("ORC-3: the Pyth exponent is read once at configuration and checked on every read", async function () {
      const { pythAdapter, pyth } = await loadFixture(oracleFixture);
      expect(await pythAdapter.expo()).to.equal(-8n);
      const now = BigInt(await time.latest()) + 1n;
      const vaa = await pyth.createPriceFeedUpdateData(PYTH_ETH, 3_000n * 10n ** 6n, 1n, -6, 0, 0, now, 0);
      await pyth.updatePriceFeeds([vaa], { value: PYTH_FEE });
      expect((await pythAdapter.observe())[2]).to.equal(S.DecimalsChanged);
    });

    it("ORC-3: a Pyth exponent outside [-18, 0] is refused at configuration", async function () {
      const { pyth, accessManager } = await loadFixture(oracleFixture);
      const [deployer] = await ethers.getSigners();
      const id = ethers.id("odd");
      const vaa = await pyth.createPriceFeedUpdateData(id, 5n, 1n, 2, 0, 0, await time.latest(), 0);
      await pyth.updatePriceFeeds([vaa], { value: PYTH_FEE });
      const factory = new PythAdapter__factory(deployer);
      await expect(factory.deploy(accessManager, pyth, id, 100n))
        .to.be.revertedWithCustomError(factory, "PythAdapterUnsupportedExponent")
        .withArgs(2);
    });

    it("ORC-2: the guardian may only lower maxConfBps", async function () {
      const { pythAdapter, guardian } = await loadFixture(oracleFixture);
      const CONF = key("maxConfBps");
      await expect(pythAdapter.connect(guardian).tightenParameter(GLOBAL, CONF, 200n, "loosen"))
        .to.be.revertedWithCustomError(pythAdapter, "ParameterNotTightening")
        .withArgs(CONF, 100n, 200n);
      await pythAdapter.connect(guardian).tightenParameter(GLOBAL, CONF, 50n, "wide spreads");
      expect(await pythAdapter.parameter(GLOBAL, CONF)).to.equal(50n);
    });
  });
});

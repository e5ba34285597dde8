/**
 * SPEC §14, oracle attacks: each historical failure mode is replayed and the aggregator must refuse to trade on
 * it (risk reads revert with the reason) while de-risking keeps an answer.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { HOUR } from "../../deploy/foundation";
import { deployAggregator, deployChainlinkAdapter, listOracleMarket } from "../../deploy/oracle";
import { deployFoundation, devConfig } from "../../deploy/foundation";
import { MockV3Aggregator__factory } from "../../typechain-types";
import { Bias, ETH_CONFIG, oracleFixture, pythUpdate, PYTH_FEE, Reason, S, WAD } from "../helpers/oracle";
import { ETH, key } from "../helpers/fixtures";

describe("Scenario: oracle attacks (SPEC §14)", function () {
  it("AGG-1: one of three sources spikes 20 % → frozen, no trade, no side picked", async function () {
    const f = await loadFixture(oracleFixture);
    await f.feed18.updateAnswer(3_600n * WAD);
    await expect(f.aggregator.priceForRisk(ETH))
      .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
      .withArgs(ETH, Reason.Divergence);
    // A trader closing a short (buying) is charged the spike, never credited it; a long closing sells at 3000.
    expect(await f.aggregator.priceForDerisk.staticCall(ETH, Bias.Low)).to.equal(3_000n * WAD);
  });

  it("ORC-2: a feed stuck at its floor (LUNA) is invalid, and the market keeps quorum on the others", async function () {
    const f = await loadFixture(oracleFixture);
    await f.feed8.updateAnswer(1n * 10n ** 8n); // the aggregator's minAnswer
    expect((await f.aggregator.readings(ETH))[0].status).to.equal(S.AtFeedBound);
    expect(await f.aggregator.priceForRisk.staticCall(ETH)).to.equal(3_000n * WAD);
    // The LUNA collapse itself: every feed pinned at the floor → no quorum, no trading at a fake price.
    await f.feed18.updateAnswer(1n); // below the market band too
    await time.increase(200); // Pyth stale
    await expect(f.aggregator.priceForRisk(ETH))
      .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
      .withArgs(ETH, Reason.NoQuorum);
  });

  it("ORC-2: a stale feed past its heartbeat is dropped; two stale feeds freeze the market", async function () {
    const f = await loadFixture(oracleFixture);
    await time.increase(HOUR + 1n);
    await f.pythAdapter.update(await pythUpdate(f.pyth, 3_000n), { value: PYTH_FEE });
    expect((await f.aggregator.readings(ETH)).map((r) => Number(r.status))).to.deep.equal([S.Stale, S.Stale, S.Valid]);
    await expect(f.aggregator.priceForRisk(ETH))
      .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
      .withArgs(ETH, Reason.NoQuorum);
  });

  it("ORC-2: a Pyth price with too wide a confidence is not used", async function () {
    const f = await loadFixture(oracleFixture);
    await f.pythAdapter.update(await pythUpdate(f.pyth, 2_500n, { conf: 100n * 10n ** 8n }), { value: PYTH_FEE });
    expect((await f.aggregator.readings(ETH))[2].status).to.equal(S.ConfidenceTooWide);
    // Without the uncertain Pyth price the two Chainlink feeds still agree on 3000.
    expect(await f.aggregator.priceForRisk.staticCall(ETH)).to.equal(3_000n * WAD);
  });

  it("AGG-1: two sources only, and they disagree (sKRW) → frozen, never the higher or the lower", async function () {
    const [deployer, governor, guardian] = await ethers.getSigners();
    const foundation = await deployFoundation(deployer, devConfig([governor.address], guardian.address));
    const aggregator = await deployAggregator(foundation, deployer);
    const a = await new MockV3Aggregator__factory(deployer).deploy(8, 3_000n * 10n ** 8n);
    const b = await new MockV3Aggregator__factory(deployer).deploy(8, 3_000n * 10n ** 8n);
    await listOracleMarket(aggregator, {
      ...ETH_CONFIG,
      sources: [
        { source: await (await deployChainlinkAdapter(deployer, a)).getAddress(), maxStaleness: HOUR },
        { source: await (await deployChainlinkAdapter(deployer, b)).getAddress(), maxStaleness: HOUR },
      ],
    });
    expect(await aggregator.priceForRisk.staticCall(ETH)).to.equal(3_000n * WAD);
    await aggregator.poke(ETH);
    await b.updateAnswer(6_000n * 10n ** 8n); // one source doubles, as sKRW's did
    await expect(aggregator.priceForRisk(ETH))
      .to.be.revertedWithCustomError(aggregator, "PriceAggregatorUntrusted")
      .withArgs(ETH, Reason.Divergence);
    const s = await aggregator.status(ETH);
    expect(s.median).to.equal(4_500n * WAD);
    expect(s.lastGoodPrice).to.equal(3_000n * WAD);
  });

  it("AGG-3: sequencer down, then up with a heartbeat inside the grace period → still gated", async function () {
    const f = await loadFixture(oracleFixture);
    const down = BigInt(await time.latest());
    await f.sequencer.updateRoundData(10, 1, down, down);
    await expect(f.aggregator.priceForRisk(ETH)).to.be.revertedWithCustomError(
      f.aggregator,
      "PriceAggregatorUntrusted",
    );
    await time.increase(1_800);
    const up = BigInt(await time.latest());
    await f.sequencer.updateRoundData(11, 0, up, up);
    await time.increase(1_200);
    await f.sequencer.updateRoundData(12, 0, BigInt(await time.latest()), up); // heartbeat, startedAt unchanged
    await f.setAll(3_000n);
    await expect(f.aggregator.priceForRisk(ETH))
      .to.be.revertedWithCustomError(f.aggregator, "PriceAggregatorUntrusted")
      .withArgs(ETH, Reason.SequencerGrace);
    expect(await f.aggregator.priceForDerisk.staticCall(ETH, Bias.Low)).to.equal(3_000n * WAD);
    await time.increaseTo(up + HOUR);
    await f.setAll(3_000n);
    expect(await f.aggregator.priceForRisk.staticCall(ETH)).to.equal(3_000n * WAD);
  });

  it("ORC-2: a reverting feed is one invalid source, not a reverted read", async function () {
    const f = await loadFixture(oracleFixture);
    await f.proxy.setBroken(true);
    expect((await f.aggregator.readings(ETH))[0].status).to.equal(S.CallFailed);
    expect(await f.aggregator.priceForRisk.staticCall(ETH)).to.equal(3_000n * WAD);
  });

  it("ORC-2: an under-gassed call cannot make sources look broken and freeze the market", async function () {
    const f = await loadFixture(oracleFixture);
    // With a quorum of all three, starving one source would freeze the market, if the attacker could.
    await f.aggregator.connect(f.guardian).tightenParameter(ETH, key("minSources"), 3n, "all sources required");
    // An expensive feed: starving it only works when the 1/64 of gas kept by the caller finishes the read.
    await f.proxy.setGasToBurn(4_000_000);
    await f.setAll(3_000n);
    const full = await f.aggregator.poke.estimateGas(ETH);
    let attempts = 0;
    for (let gas = full - 300_000n; gas <= full; gas += 50_000n) {
      attempts += 1;
      try {
        const receipt = await (await f.aggregator.poke(ETH, { gasLimit: gas })).wait();
        // It went through: then it recorded the truth, with no freeze.
        const events = receipt!.logs.filter(
          (l) => l.topics[0] === f.aggregator.interface.getEvent("OracleStateChanged").topicHash,
        );
        expect(events, `gas ${gas}`).to.deep.equal([]);
      } catch (error) {
        // Reverted, recording nothing: out of gas, or the explicit guard.
        expect(String(error), `gas ${gas}`).to.match(
          /PriceAggregatorInsufficientGas|PriceSourceInsufficientGas|out of gas|ran out/i,
        );
      }
    }
    expect(attempts).to.be.greaterThan(5);
    expect((await f.aggregator.status(ETH)).reason).to.equal(BigInt(Reason.None));
  });
});

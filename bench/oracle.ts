/**
 * Gas of the oracle (issue 3): the risk read over three valid Chainlink-type sources, all cold, in its own
 * transaction; the same read when it is the first trusted one of its hour (it keeps the hour's checkpoint); and a
 * Pyth update pushed and read in the same transaction.
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { deployFoundation, devConfig, handOverToTimelock, HOUR } from "../deploy/foundation";
import { deployAggregator, deployChainlinkAdapter, deployPythAdapter, listOracleMarket } from "../deploy/oracle";
import { MockPyth__factory, MockV3Aggregator__factory } from "../typechain-types";
import type { GasMeasurement } from "./harness";
import { DEV_LIMITS, listChainlinkMarket, setFeeds } from "../deploy/feeds";

export async function oracleMeasurements(): Promise<GasMeasurement[]> {
  const [deployer, governor, guardian] = await ethers.getSigners();
  const foundation = await deployFoundation(deployer, devConfig([governor.address], guardian.address));
  const aggregator = await deployAggregator(foundation, deployer);
  const eth = ethers.encodeBytes32String("ETH-USD");
  const ethFeeds = await listChainlinkMarket(aggregator, deployer, eth, 3_000n);

  const btc = ethers.encodeBytes32String("BTC-USD");
  const pyth = await new MockPyth__factory(deployer).deploy(60, 1);
  const btcId = ethers.id("Crypto.BTC/USD");
  const vaa = async (publishTime: bigint) =>
    pyth.createPriceFeedUpdateData(
      btcId,
      60_000n * 10n ** 8n,
      10n ** 8n,
      -8,
      60_000n * 10n ** 8n,
      10n ** 8n,
      publishTime,
      0,
    );
  await pyth.updatePriceFeeds([await vaa(BigInt(await time.latest()))], { value: 1 });
  const pythAdapter = await deployPythAdapter(foundation, deployer, await pyth.getAddress(), btcId, 100n);
  const btcSources = [{ source: await pythAdapter.getAddress(), maxStaleness: 120n }];
  for (let i = 0; i < 2; i++) {
    const feed = await new MockV3Aggregator__factory(deployer).deploy(8, 60_000n * 10n ** 8n);
    btcSources.push({ source: await (await deployChainlinkAdapter(deployer, feed)).getAddress(), maxStaleness: HOUR });
  }
  await listOracleMarket(aggregator, { market: btc, ...DEV_LIMITS, sources: btcSources });
  await handOverToTimelock(foundation, deployer);
  // Steady state: each market has had a trusted read before the measured one.
  await aggregator.priceForRisk(eth);
  await aggregator.priceForRisk(btc);
  await time.increase(30);

  return [
    {
      name: "oracle_read_3",
      budget: 80_000n,
      send: () => aggregator.priceForRisk(eth),
    },
    {
      name: "pyth_update_and_read",
      send: async () => {
        const update = ethers.AbiCoder.defaultAbiCoder().encode(
          ["bytes[]"],
          [[await vaa(BigInt(await time.latest()))]],
        );
        return aggregator.updateAndPriceForRisk(btc, [update, "0x", "0x"], { value: 1 });
      },
    },
    {
      name: "oracle_read_3_first_of_hour",
      send: async () => {
        await time.increaseTo((BigInt(await time.latest()) / HOUR + 1n) * HOUR);
        await setFeeds(ethFeeds, 3_000n);
        return aggregator.priceForRisk(eth);
      },
    },
  ];
}

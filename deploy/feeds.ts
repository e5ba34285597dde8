/** Mock-fed markets for the in-process chain, the bench, the tests and the devnet: the same risk limits everywhere, three Chainlink-type mock feeds each. */
import type { Signer } from "ethers";
import { HOUR } from "./foundation";
import { deployChainlinkAdapter, listOracleMarket } from "./oracle";
import { type MockV3Aggregator, MockV3Aggregator__factory, type PriceAggregator } from "../typechain-types";

const WAD = 10n ** 18n;

/** Band, quorum, deviation, jump and recovery of every mock-fed market. */
export const DEV_LIMITS = {
  minPrice: 100n * WAD,
  maxPrice: 100_000n * WAD,
  minSources: 2n,
  maxDeviationBps: 200n,
  maxJumpBps: 1_000n,
  recoveryReads: 3n,
};

/**
 * Lists `market` on `aggregator` with three 8-decimal mock feeds at `usd` (each a unit apart, so the median is
 * a real middle value), and returns the feeds.
 */
export async function listChainlinkMarket(
  aggregator: PriceAggregator,
  deployer: Signer,
  market: string,
  usd: bigint,
): Promise<MockV3Aggregator[]> {
  const feeds: MockV3Aggregator[] = [];
  const sources = [];
  for (let i = 0; i < 3; i++) {
    const feed = await new MockV3Aggregator__factory(deployer).deploy(8, usd * 10n ** 8n + BigInt(i));
    feeds.push(feed);
    sources.push({ source: await (await deployChainlinkAdapter(deployer, feed)).getAddress(), maxStaleness: HOUR });
  }
  await listOracleMarket(aggregator, { market, ...DEV_LIMITS, sources });
  return feeds;
}

/** Moves the feeds of `listChainlinkMarket` to `usd` (each a unit apart again), timestamped now. */
export async function setFeeds(feeds: MockV3Aggregator[], usd: bigint): Promise<void> {
  for (const [i, feed] of feeds.entries()) await feed.updateAnswer(usd * 10n ** 8n + BigInt(i));
}

/**
 * The whole protocol on a development chain with mock feeds: governance, oracle (three Chainlink-type mock feeds
 * per market), pool and margin accounts, perps, and options with series listed, handed over to the timelock. The
 * keeper's integration tests run it against a real `hardhat node`; it takes any signers, so it works on the
 * in-process network as well.
 */
import type { Signer } from "ethers";
import { MockUSDC__factory, type MockUSDC, type MockV3Aggregator } from "../typechain-types";
import type { ProtocolContracts } from "./checks";
import { listChainlinkMarket, setFeeds } from "./feeds";
import { deployFoundation, devConfig, handOverToTimelock, mined } from "./foundation";
import { deployOptions, optionMarket, seriesId } from "./options";
import { deployAggregator } from "./oracle";
import { deployPerps, marketConfig } from "./perps";
import { deployPool } from "./pool";

export interface DevMarket {
  id: string;
  /** The starting price, whole dollars. */
  usd: bigint;
}

export interface DevSeries {
  market: string;
  strike: bigint;
  expiry: bigint;
  isCall: boolean;
}

export interface DevStack extends ProtocolContracts {
  feeds: Map<string, MockV3Aggregator[]>;
  usdc: MockUSDC;
  /** Ids of the series listed at deployment, in the order given. */
  series: bigint[];
  /** The block the deployment began in (a keeper's `startBlock`). */
  startBlock: number;
  /** Moves `market`'s feeds to `usd` whole dollars, timestamped now. */
  setPrice(market: string, usd: bigint): Promise<void>;
}

export async function deployDevStack(
  signers: { deployer: Signer; governor: Signer; guardian: Signer },
  listing: { markets: DevMarket[]; series?: DevSeries[] },
): Promise<DevStack> {
  const { deployer } = signers;
  const startBlock = await deployer.provider!.getBlockNumber();
  const config = devConfig([await signers.governor.getAddress()], await signers.guardian.getAddress());
  const foundation = await deployFoundation(deployer, config);
  const aggregator = await deployAggregator(foundation, deployer);
  const feeds = new Map<string, MockV3Aggregator[]>();
  for (const m of listing.markets) feeds.set(m.id, await listChainlinkMarket(aggregator, deployer, m.id, m.usd));
  const usdc = await new MockUSDC__factory(deployer).deploy();
  await usdc.waitForDeployment();
  const { limiter, pool, accounts } = await deployPool(foundation, deployer, await usdc.getAddress());
  const wiring = { aggregator, pool, accounts };
  const { markets, engine, lens } = await deployPerps(
    foundation,
    deployer,
    wiring,
    listing.markets.map((m) => ({ market: m.id, config: marketConfig(m.usd) })),
  );
  const options = await deployOptions(
    foundation,
    deployer,
    wiring,
    listing.markets.map((m) => ({ market: m.id, config: optionMarket(m.usd) })),
  );
  const series: bigint[] = [];
  for (const s of listing.series ?? []) {
    const cap = s.isCall ? s.strike : 0n;
    await mined(options.listSeries(s.market, s.strike, s.expiry, s.isCall, cap));
    series.push(seriesId(s.market, s.strike, s.expiry, s.isCall));
  }
  await handOverToTimelock(foundation, deployer);
  for (const m of listing.markets) await mined(aggregator.poke(m.id));
  return {
    ...foundation,
    aggregator,
    feeds,
    usdc,
    limiter,
    pool,
    accounts,
    markets,
    engine,
    lens,
    options,
    series,
    startBlock,
    setPrice: (market, usd) => setFeeds(feeds.get(market)!, usd),
  };
}

/**
 * Deployment of the oracle (SPEC §4): the aggregator, the adapters, and the listing of each market with its
 * sources. Runs before `handOverToTimelock`, while the deployer still administers the access manager; afterwards
 * each of these calls is a timelock operation.
 */
import type { AddressLike, Signer } from "ethers";
import { ethers } from "ethers";
import {
  ChainlinkAdapter,
  ChainlinkAdapter__factory,
  PriceAggregator,
  PriceAggregator__factory,
  PythAdapter,
  PythAdapter__factory,
} from "../typechain-types";
import { type Foundation, GUARDIAN_FUNCTIONS, setGuardianFunctions } from "./foundation";

export interface OracleSourceConfig {
  source: AddressLike;
  /** Seconds; bounded 60 s – 72 h. */
  maxStaleness: bigint;
}

export interface OracleMarketConfig {
  /** bytes32 market id, e.g. ethers.encodeBytes32String("ETH-USD"). */
  market: string;
  /** 18-decimal USD band outside which a source is invalid. */
  minPrice: bigint;
  maxPrice: bigint;
  minSources: bigint;
  maxDeviationBps: bigint;
  maxJumpBps: bigint;
  recoveryReads: bigint;
  sources: OracleSourceConfig[];
}

/** Chainlink's feeds have no min/max answer on the proxy; pass the aggregator's, or these for "none". */
export const NO_FEED_BOUNDS = { minAnswer: -(2n ** 255n), maxAnswer: 2n ** 255n - 1n } as const;

export async function deployAggregator(
  foundation: Foundation,
  deployer: Signer,
  sequencerFeed: string = ethers.ZeroAddress,
): Promise<PriceAggregator> {
  const aggregator = await new PriceAggregator__factory(deployer).deploy(
    await foundation.accessManager.getAddress(),
    sequencerFeed,
  );
  await aggregator.waitForDeployment();
  await setGuardianFunctions(foundation, aggregator, GUARDIAN_FUNCTIONS.priceAggregator);
  return aggregator;
}

export async function deployChainlinkAdapter(
  deployer: Signer,
  feed: AddressLike,
  bounds: { minAnswer: bigint; maxAnswer: bigint } = NO_FEED_BOUNDS,
): Promise<ChainlinkAdapter> {
  const adapter = await new ChainlinkAdapter__factory(deployer).deploy(feed, bounds.minAnswer, bounds.maxAnswer);
  await adapter.waitForDeployment();
  return adapter;
}

export async function deployPythAdapter(
  foundation: Foundation,
  deployer: Signer,
  pyth: AddressLike,
  priceId: string,
  maxConfBps: bigint,
): Promise<PythAdapter> {
  const adapter = await new PythAdapter__factory(deployer).deploy(
    await foundation.accessManager.getAddress(),
    pyth,
    priceId,
    maxConfBps,
  );
  await adapter.waitForDeployment();
  await setGuardianFunctions(foundation, adapter, GUARDIAN_FUNCTIONS.boundedParameters);
  return adapter;
}

/** Lists a market and adds its sources; the caller must still hold the access manager's admin role. */
export async function listOracleMarket(aggregator: PriceAggregator, config: OracleMarketConfig): Promise<void> {
  await (
    await aggregator.listMarket(
      config.market,
      config.minPrice,
      config.maxPrice,
      config.minSources,
      config.maxDeviationBps,
      config.maxJumpBps,
      config.recoveryReads,
    )
  ).wait();
  for (const { source, maxStaleness } of config.sources) {
    await (await aggregator.addSource(config.market, source, maxStaleness)).wait();
  }
}

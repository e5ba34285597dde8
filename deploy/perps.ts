/**
 * Deployment of the perpetual futures (SPEC §7, §8): the market registry with its bounded parameters, the engine, and
 * the keepers' lens, registered with the pool (as an engine that reports exposure) and with the margin accounts.
 * Runs before `handOverToTimelock`, while the deployer still administers the access manager; afterwards listing a
 * market or changing a parameter is a timelock operation.
 */
import type { Signer } from "ethers";
import type { IPerpsMarkets } from "../typechain-types/contracts/perps/PerpsMarkets";
import {
  type LiquidityPool,
  type MarginAccounts,
  type PauseRegistry,
  PerpsEngine,
  PerpsEngine__factory,
  PerpsLens,
  PerpsLens__factory,
  PerpsMarkets,
  PerpsMarkets__factory,
  type PriceAggregator,
} from "../typechain-types";
import { type Foundation, GUARDIAN_FUNCTIONS, mined, setGuardianFunctions } from "./foundation";

export type MarketConfig = IPerpsMarkets.MarketConfigStruct;

const WAD = 10n ** 18n;

/**
 * Risk parameters for a liquid crypto market, in base units of an asset priced around `usd` dollars: 25x leverage,
 * maintenance at half the initial margin plus a $20 floor, 2/6 bps maker/taker fees, a skew scale of $3 billion and
 * open interest up to $300 million a side.
 */
export function marketConfig(usd: bigint): MarketConfig {
  const units = (dollars: bigint) => (dollars * WAD) / usd;
  return {
    skewScale: units(3_000_000_000n),
    maxPositionSize: units(30_000_000n),
    maxLongOpenInterest: units(300_000_000n),
    maxShortOpenInterest: units(300_000_000n),
    liquidationStep: units(10_000_000n),
    maxFundingVelocity: 3n * WAD,
    maxFundingRate: WAD / 10n,
    minMargin: 20n * WAD,
    liquidationRewardFlat: 2n * WAD,
    makerFeeBps: 2n,
    takerFeeBps: 6n,
    maintenanceMarginBps: 5_000n,
    liquidationRewardBps: 10n,
    liquidationRewardFloor: 5n * WAD,
    liquidationRewardCap: 1_000n * WAD,
    reserveBps: 5_000n,
    maxLeverage: 25n,
  };
}

export interface PerpsDeployment {
  markets: PerpsMarkets;
  engine: PerpsEngine;
  lens: PerpsLens;
}

export async function deployPerps(
  foundation: Foundation & { pauseRegistry: PauseRegistry },
  deployer: Signer,
  wiring: { aggregator: PriceAggregator; pool: LiquidityPool; accounts: MarginAccounts },
  listings: { market: string; config: MarketConfig }[],
): Promise<PerpsDeployment> {
  const { aggregator, pool, accounts } = wiring;
  const markets = await new PerpsMarkets__factory(deployer).deploy(
    await foundation.accessManager.getAddress(),
    aggregator,
  );
  await markets.waitForDeployment();
  for (const { market, config } of listings) await mined(markets.listMarket(market, config));
  await setGuardianFunctions(foundation, markets, GUARDIAN_FUNCTIONS.boundedParameters);

  const engine = await new PerpsEngine__factory(deployer).deploy(
    markets,
    aggregator,
    accounts,
    pool,
    foundation.pauseRegistry,
  );
  await engine.waitForDeployment();
  await mined(pool.addModule(engine, true));
  await mined(accounts.addEngine(engine));
  const lens = await new PerpsLens__factory(deployer).deploy(engine, accounts);
  await lens.waitForDeployment();
  return { markets, engine, lens };
}

/**
 * Deployment of the options (SPEC §9): the pricing and parameter libraries and the options engine, registered with the pool as an
 * engine that reports exposure (its options' value counts in the share price) and locks collateral. Runs before
 * `handOverToTimelock`, while the deployer still administers the access manager; afterwards listing a market or a
 * series, or changing a parameter, is a timelock operation.
 */
import { ethers, type Signer } from "ethers";
import type { IOptionsEngine } from "../typechain-types/contracts/options/OptionsEngine";
import {
  type LiquidityPool,
  OptionsEngine,
  OptionsEngine__factory,
  OptionsParameters__factory,
  OptionsPricer__factory,
  type PauseRegistry,
  type PriceAggregator,
} from "../typechain-types";
import { type Foundation, GUARDIAN_FUNCTIONS, mined, setGuardianFunctions } from "./foundation";

export type OptionMarket = IOptionsEngine.OptionMarketStruct;

const WAD = 10n ** 18n;

/**
 * Option parameters for an underlying priced around `usd` dollars: 80 % implied volatility, strikes on a grid of at most 1 %
 * of the price (rounded to a power of ten of dollars), and up to $50 million of notional per series.
 */
export function optionMarket(usd: bigint): OptionMarket {
  let step = 1n;
  while (step * 1_000n <= usd) step *= 10n;
  return {
    impliedVol: (8n * WAD) / 10n,
    strikeStep: step * WAD,
    maxSeriesOpenInterest: (50_000_000n * WAD) / usd,
  };
}

/** A series' id, as `OptionsEngine.listSeries` derives it (also its ERC-1155 token id). */
export function seriesId(market: string, strike: bigint, expiry: bigint, isCall: boolean): bigint {
  const encoded = ethers.AbiCoder.defaultAbiCoder().encode(
    ["bytes32", "uint256", "uint256", "bool"],
    [market, strike, expiry, isCall],
  );
  return BigInt(ethers.keccak256(encoded));
}

export async function deployOptions(
  foundation: Foundation & { pauseRegistry: PauseRegistry },
  deployer: Signer,
  wiring: { aggregator: PriceAggregator; pool: LiquidityPool },
  listings: { market: string; config: OptionMarket }[],
): Promise<OptionsEngine> {
  const pricer = await new OptionsPricer__factory(deployer).deploy();
  const parameters = await new OptionsParameters__factory(deployer).deploy();
  await Promise.all([pricer.waitForDeployment(), parameters.waitForDeployment()]);
  const engine = await new OptionsEngine__factory(
    {
      "contracts/options/OptionsPricer.sol:OptionsPricer": await pricer.getAddress(),
      "contracts/options/OptionsParameters.sol:OptionsParameters": await parameters.getAddress(),
    },
    deployer,
  ).deploy(await foundation.accessManager.getAddress(), wiring.aggregator, wiring.pool, foundation.pauseRegistry);
  await engine.waitForDeployment();
  await mined(wiring.pool.addModule(engine, true));
  for (const { market, config } of listings) await mined(engine.listMarket(market, config));
  await setGuardianFunctions(foundation, engine, GUARDIAN_FUNCTIONS.boundedParameters);
  return engine;
}

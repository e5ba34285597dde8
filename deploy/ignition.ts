/**
 * Deploys the protocol through the Ignition module (`deploy/modules/bulwark.ts`) and returns typed handles: the
 * contracts, every address by name (as the tasks read them), and the mocks when the parameters asked for them (the
 * devnet publishes prices through them).
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { ContractRunner } from "ethers";
import {
  BulwarkAccessManager__factory,
  BulwarkTimelock__factory,
  LiquidityPool__factory,
  MarginAccounts__factory,
  MockPyth__factory,
  MockUSDC__factory,
  MockV3Aggregator__factory,
  OptionsEngine__factory,
  OutflowLimiter__factory,
  PauseRegistry__factory,
  PerpsEngine__factory,
  PerpsLens__factory,
  PerpsMarkets__factory,
  PriceAggregator__factory,
  type MockPyth,
  type MockUSDC,
  type MockV3Aggregator,
} from "../typechain-types";
import type { ExpectedProtocol, ProtocolContracts } from "./checks";
import type { DeploymentConfig } from "./config";
import { bulwarkModule, feedFutureId, marketId, type SeriesListing } from "./modules/bulwark";

/** A market's price sources as the mocks stand in for them: each Chainlink feed, or a Pyth price id. */
export type MockSource = { kind: "chainlink"; feed: MockV3Aggregator } | { kind: "pyth"; priceId: string };

export interface IgnitionDeployment {
  contracts: ProtocolContracts;
  /** Every contract by name: the module's contracts and the mocks. */
  addresses: Record<string, string>;
  /** Present when the collateral is a mock. */
  usdc?: MockUSDC;
  pyth?: MockPyth;
  /** Per market id, its sources in listing order (mocks only; a live feed is not ours to move). */
  sources: Map<string, MockSource[]>;
  /** The block the deployment began in (a keeper's `startBlock`). */
  startBlock: number;
}

export async function deployWithIgnition(
  hre: HardhatRuntimeEnvironment,
  config: DeploymentConfig,
  opts: { series?: SeriesListing[]; deploymentId?: string; displayUi?: boolean } = {},
): Promise<IgnitionDeployment> {
  const startBlock = await hre.ethers.provider.getBlockNumber();
  const deployed = (await hre.ignition.deploy(bulwarkModule(config, opts.series ?? []), {
    deploymentId: opts.deploymentId,
    displayUi: opts.displayUi ?? false,
  })) as Record<string, { getAddress(): Promise<string> }>;
  const addresses: Record<string, string> = {};
  for (const [name, contract] of Object.entries(deployed)) addresses[name] = await contract.getAddress();
  const [runner] = await hre.ethers.getSigners();
  const contracts = connectProtocol(addresses, runner);
  const sources = new Map<string, MockSource[]>();
  for (const market of config.markets) {
    const list: MockSource[] = [];
    for (const [i, s] of market.sources.entries()) {
      if (s.kind === "pyth" && config.pyth === "mock") list.push({ kind: "pyth", priceId: s.priceId });
      const feed = addresses[feedFutureId(market.id, i)];
      if (s.kind === "chainlink" && feed)
        list.push({ kind: "chainlink", feed: MockV3Aggregator__factory.connect(feed, runner) });
    }
    if (list.length === market.sources.length) sources.set(marketId(market.id), list);
  }
  return {
    contracts,
    addresses,
    usdc: addresses.Collateral ? MockUSDC__factory.connect(addresses.Collateral, runner) : undefined,
    pyth: addresses.Pyth ? MockPyth__factory.connect(addresses.Pyth, runner) : undefined,
    sources,
    startBlock,
  };
}

/** What the post-deploy check expects of a deployment with `config`. */
export function expectations(
  config: DeploymentConfig,
  deployer: string,
  addresses: Record<string, string>,
): ExpectedProtocol {
  const vendor = (v: { address: string } | "mock" | null | undefined, mock: string | undefined) =>
    v === null || v === undefined ? "0x0000000000000000000000000000000000000000" : v === "mock" ? mock : v.address;
  return {
    deployer,
    governors: config.governors,
    guardian: config.guardian,
    timelockDelay: BigInt(config.timelock.delay),
    collateral: vendor(config.collateral, addresses.Collateral),
    sequencerFeed: vendor(config.sequencerUptimeFeed, addresses.SequencerUptimeFeed),
    perpsMarkets: config.markets.map((m) => marketId(m.id)),
    optionMarkets: config.markets.filter((m) => m.options).map((m) => marketId(m.id)),
    sourceCount: Object.fromEntries(config.markets.map((m) => [marketId(m.id), m.sources.length])),
  };
}

/** Typed handles on the contracts at `addresses` (by name, as the deployment records them). */
export function connectProtocol(addresses: Record<string, string>, runner: ContractRunner): ProtocolContracts {
  return {
    timelock: BulwarkTimelock__factory.connect(addresses.BulwarkTimelock, runner),
    accessManager: BulwarkAccessManager__factory.connect(addresses.BulwarkAccessManager, runner),
    pauseRegistry: PauseRegistry__factory.connect(addresses.PauseRegistry, runner),
    aggregator: PriceAggregator__factory.connect(addresses.PriceAggregator, runner),
    limiter: OutflowLimiter__factory.connect(addresses.OutflowLimiter, runner),
    pool: LiquidityPool__factory.connect(addresses.LiquidityPool, runner),
    accounts: MarginAccounts__factory.connect(addresses.MarginAccounts, runner),
    markets: PerpsMarkets__factory.connect(addresses.PerpsMarkets, runner),
    engine: PerpsEngine__factory.connect(addresses.PerpsEngine, runner),
    lens: PerpsLens__factory.connect(addresses.PerpsLens, runner),
    options: OptionsEngine__factory.connect(addresses.OptionsEngine, runner),
  };
}

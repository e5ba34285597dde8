/**
 * The Hardhat Ignition module of the whole protocol (OPS-2), built from a network's parameters (`deploy/config.ts`):
 * the foundation (timelock, access manager, pause registry), the oracle (aggregator, a Chainlink or Pyth adapter per
 * source, each market listed), the pool side (outflow limiter, liquidity pool, margin accounts), the perps (markets,
 * engine, lens) and the options, every guardian function mapped, and finally the hand-over: the timelock administers
 * everything and the deployer renounces what it held (GOV-1). The same wiring as `deploy/devstack.ts`; the post-deploy
 * check (`deploy/checks.ts`) asserts it for both.
 *
 * Where the parameters say `"mock"`, the vendors' own mocks are deployed instead (`MockV3Aggregator`, `MockPyth`,
 * `MockUSDC`): the in-process chain and the devnet, or a testnet's file with `--mocks`.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { ContractCallFuture, CallableContractFuture, Future } from "@nomicfoundation/ignition-core";
import { ethers } from "ethers";
import type { DeploymentConfig } from "../config";
import { GUARDIAN_FUNCTIONS } from "../foundation";
import { optionMarket } from "../options";
import { marketConfig } from "../perps";
import { selectors } from "../selectors";

const WAD = 10n ** 18n;
/** `BulwarkAccessManager`'s roles (OZ AccessManager: ADMIN_ROLE is 0). */
const ADMIN_ROLE = 0n;
const GUARDIAN_ROLE = 1n;
/** OpenZeppelin TimelockController's roles. */
const TIMELOCK_ADMIN = ethers.ZeroHash;
const CANCELLER_ROLE = ethers.id("CANCELLER_ROLE");
/** Mock Pyth: updates valid for a minute, a fee of one wei each. */
const MOCK_PYTH = { validTimePeriod: 60n, fee: 1n };

/** Series to list before the hand-over (the devnet's); on public networks governance lists them later. */
export interface SeriesListing {
  market: string;
  /** Whole dollars. */
  strike: bigint;
  expiry: bigint;
  isCall: boolean;
}

export const marketId = (name: string) => ethers.encodeBytes32String(name);
/** The id of a market's source future: `Source_ETH_USD_0`, its feed `Feed_ETH_USD_0` when mocked. */
/** A market's name as a future-id part: `ETH-USD` → `ETH_USD`. */
const tag = (market: string) => market.replace(/-/g, "_");
const sourceFutureId = (market: string, i: number) => `Source_${tag(market)}_${i}`;
export const feedFutureId = (market: string, i: number) => `Feed_${tag(market)}_${i}`;

export function bulwarkModule(config: DeploymentConfig, series: readonly SeriesListing[] = []) {
  return buildModule("Bulwark", (m) => {
    const deployer = m.getAccount(0);
    /** The mocks deployed, by future id, returned with the contracts. */
    const mocks: Record<string, CallableContractFuture<string>> = {};
    const mocked = <T extends CallableContractFuture<string>>(future: T): T => {
      mocks[future.id.split("#")[1]] = future;
      return future;
    };
    const configured: Future[] = [];
    const configure = <T extends ContractCallFuture<string, string>>(call: T): T => {
      configured.push(call);
      return call;
    };

    // Foundation: the deployer is a temporary admin of the timelock and the manager, renounced at the end.
    const timelock = m.contract("BulwarkTimelock", [
      BigInt(config.timelock.delay),
      BigInt(config.timelock.gracePeriod),
      config.governors,
      config.governors,
      deployer,
    ]);
    configure(m.call(timelock, "grantRole", [CANCELLER_ROLE, config.guardian], { id: "GuardianCancels" }));
    const manager = m.contract("BulwarkAccessManager", [deployer]);
    configure(m.call(manager, "labelRole", [GUARDIAN_ROLE, "GUARDIAN"]));
    configure(m.call(manager, "grantRole", [GUARDIAN_ROLE, config.guardian, 0n], { id: "GrantGuardian" }));
    const registry = m.contract("PauseRegistry", [manager]);
    const guardianMay = (target: CallableContractFuture<string>, name: string, functions: readonly string[]) =>
      configure(
        m.call(manager, "setTargetFunctionRole", [target, selectors(name, functions), GUARDIAN_ROLE], {
          id: `Guardian_${target.id.split("#")[1]}`,
        }),
      );
    guardianMay(registry, "PauseRegistry", GUARDIAN_FUNCTIONS.pauseRegistry);

    // Oracle.
    const sequencer = vendorOrMock(config.sequencerUptimeFeed, () => {
      // Up since the epoch: no grace period pending.
      const feed = mocked(m.contract("MockV3Aggregator", [0n, 0n], { id: "SequencerUptimeFeed" }));
      configure(m.call(feed, "updateRoundData", [1n, 0n, 1n, 1n]));
      return feed;
    });
    const aggregator = m.contract("PriceAggregator", [manager, sequencer ?? ethers.ZeroAddress]);
    guardianMay(aggregator, "PriceAggregator", GUARDIAN_FUNCTIONS.priceAggregator);
    const pyth = vendorOrMock(config.pyth, () =>
      mocked(m.contract("MockPyth", [MOCK_PYTH.validTimePeriod, MOCK_PYTH.fee], { id: "Pyth" })),
    );

    for (const market of config.markets) {
      const id = marketId(market.id);
      const listing = configure(
        m.call(
          aggregator,
          "listMarket",
          [
            id,
            BigInt(market.oracle.minPrice) * WAD,
            BigInt(market.oracle.maxPrice) * WAD,
            BigInt(market.oracle.minSources),
            BigInt(market.oracle.maxDeviationBps),
            BigInt(market.oracle.maxJumpBps),
            BigInt(market.oracle.recoveryReads),
          ],
          { id: `List_${tag(market.id)}` },
        ),
      );
      for (const [i, source] of market.sources.entries()) {
        let adapter: CallableContractFuture<string>;
        if (source.kind === "chainlink") {
          const feed = vendorOrMock(source.feed, () =>
            // Eight decimals, a unit apart, so the median is a real middle value.
            mocked(
              m.contract("MockV3Aggregator", [8n, BigInt(market.referencePrice) * 10n ** 8n + BigInt(i)], {
                id: feedFutureId(market.id, i),
              }),
            ),
          )!;
          adapter = m.contract("ChainlinkAdapter", [feed, -(2n ** 255n), 2n ** 255n - 1n], {
            id: sourceFutureId(market.id, i),
          });
        } else {
          const seeded: Future[] = [];
          if (config.pyth === "mock") {
            // A mock Pyth must know the feed before an adapter can read its exponent.
            const data = m.staticCall(
              pyth as CallableContractFuture<"MockPyth">,
              "createPriceFeedUpdateData",
              [source.priceId, BigInt(market.referencePrice) * 10n ** 8n, 0n, -8, 0n, 0n, 1n, 0n],
              0,
              { id: `PythSeedData_${tag(market.id)}_${i}` },
            );
            seeded.push(
              m.call(pyth as CallableContractFuture<"MockPyth">, "updatePriceFeeds", [[data]], {
                id: `PythSeed_${tag(market.id)}_${i}`,
                value: MOCK_PYTH.fee,
              }),
            );
          }
          adapter = m.contract("PythAdapter", [manager, pyth!, source.priceId, BigInt(source.maxConfBps)], {
            id: sourceFutureId(market.id, i),
            after: seeded,
          });
          guardianMay(adapter, "PythAdapter", GUARDIAN_FUNCTIONS.boundedParameters);
        }
        configure(
          m.call(aggregator, "addSource", [id, adapter, BigInt(source.maxStaleness)], {
            id: `AddSource_${tag(market.id)}_${i}`,
            after: [listing],
          }),
        );
      }
    }

    // Pool side.
    const collateral = vendorOrMock(config.collateral, () => mocked(m.contract("MockUSDC", [], { id: "Collateral" })))!;
    const limiter = m.contract("OutflowLimiter", [manager, collateral, registry]);
    const pool = m.contract("LiquidityPool", [manager, collateral, limiter, registry]);
    const accounts = m.contract("MarginAccounts", [manager, pool, limiter, registry]);
    configure(m.call(limiter, "setExit", [pool, true], { id: "ExitPool" }));
    configure(m.call(limiter, "setExit", [accounts, true], { id: "ExitAccounts" }));
    configure(m.call(pool, "addModule", [accounts, false], { id: "ModuleAccounts" }));
    guardianMay(limiter, "OutflowLimiter", GUARDIAN_FUNCTIONS.boundedParameters);
    guardianMay(pool, "LiquidityPool", GUARDIAN_FUNCTIONS.boundedParameters);

    // Perps.
    const markets = m.contract("PerpsMarkets", [manager, aggregator]);
    // One after another, so that market indexes follow the parameters' order.
    let previous: Future[] = [];
    for (const market of config.markets) {
      const listed = configure(
        m.call(markets, "listMarket", [marketId(market.id), marketConfig(BigInt(market.referencePrice))], {
          id: `PerpsList_${tag(market.id)}`,
          after: previous,
        }),
      );
      previous = [listed];
    }
    guardianMay(markets, "PerpsMarkets", GUARDIAN_FUNCTIONS.boundedParameters);
    const engine = m.contract("PerpsEngine", [markets, aggregator, accounts, pool, registry]);
    configure(m.call(pool, "addModule", [engine, true], { id: "ModuleEngine" }));
    configure(m.call(accounts, "addEngine", [engine]));
    const lens = m.contract("PerpsLens", [engine, accounts]);

    // Options.
    const pricer = m.library("OptionsPricer");
    const parameters = m.library("OptionsParameters");
    const options = m.contract("OptionsEngine", [manager, aggregator, pool, registry], {
      libraries: { OptionsPricer: pricer, OptionsParameters: parameters },
    });
    configure(m.call(pool, "addModule", [options, true], { id: "ModuleOptions" }));
    const optionListings = config.markets
      .filter((market) => market.options)
      .map((market) =>
        configure(
          m.call(options, "listMarket", [marketId(market.id), optionMarket(BigInt(market.referencePrice))], {
            id: `OptionsList_${tag(market.id)}`,
          }),
        ),
      );
    for (const s of series) {
      const name = `${tag(s.market)}_${s.strike}_${s.expiry}_${s.isCall ? "C" : "P"}`;
      const strike = s.strike * WAD;
      configure(
        m.call(options, "listSeries", [marketId(s.market), strike, s.expiry, s.isCall, s.isCall ? strike : 0n], {
          id: `Series_${name}`,
          after: optionListings,
        }),
      );
    }
    guardianMay(options, "OptionsEngine", GUARDIAN_FUNCTIONS.boundedParameters);

    // Hand-over (GOV-1): after everything above, the timelock administers and the deployer holds nothing.
    const grantAdmin = m.call(manager, "grantRole", [ADMIN_ROLE, timelock, 0n], {
      id: "TimelockAdmin",
      after: configured,
    });
    const grantGuardian = m.call(manager, "grantRole", [GUARDIAN_ROLE, timelock, 0n], {
      id: "TimelockGuardian",
      after: configured,
    });
    const renounced = m.call(manager, "renounceRole", [ADMIN_ROLE, deployer], {
      id: "DeployerRenouncesManager",
      after: [grantAdmin, grantGuardian],
    });
    const handedOver = m.call(timelock, "renounceRole", [TIMELOCK_ADMIN, deployer], {
      id: "DeployerRenouncesTimelock",
      after: [renounced],
    });
    // A first trusted read of each market.
    for (const market of config.markets) {
      m.call(aggregator, "poke", [marketId(market.id)], {
        id: `Poke_${tag(market.id)}`,
        after: [handedOver],
      });
    }

    return {
      BulwarkTimelock: timelock,
      BulwarkAccessManager: manager,
      PauseRegistry: registry,
      PriceAggregator: aggregator,
      OutflowLimiter: limiter,
      LiquidityPool: pool,
      MarginAccounts: accounts,
      PerpsMarkets: markets,
      PerpsEngine: engine,
      PerpsLens: lens,
      OptionsEngine: options,
      ...mocks,
    };
  });
}

/** The vendor's contract's address, the mock `deploy` makes for `"mock"`, or undefined when not configured. */
function vendorOrMock(
  value: { address: string } | "mock" | null | undefined,
  deploy: () => CallableContractFuture<string>,
): CallableContractFuture<string> | string | undefined {
  if (value === null || value === undefined) return undefined;
  return value === "mock" ? deploy() : value.address;
}

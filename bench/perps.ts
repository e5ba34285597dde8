/**
 * Gas of the perps engine (issue 5) in a warm market: orders, atomic close and liquidations, on ETH-USD read from
 * three Chainlink-type sources, with BTC-USD listed beside it.
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { deployFoundation, devConfig, handOverToTimelock } from "../deploy/foundation";
import { deployAggregator } from "../deploy/oracle";
import { deployPerps, marketConfig } from "../deploy/perps";
import { deployPool } from "../deploy/pool";
import { MockUSDC__factory } from "../typechain-types";
import type { GasMeasurement } from "./harness";
import { listChainlinkMarket, setFeeds } from "../deploy/feeds";

const WAD = 10n ** 18n;
const usdc = (n: bigint | number) => BigInt(n) * 1_000_000n;
const MAX_PRICE = 10n ** 30n;

export async function perpsMeasurements(): Promise<GasMeasurement[]> {
  const signers = await ethers.getSigners();
  const [deployer, governor, guardian, lp, alice, bob, keeper] = signers;
  const foundation = await deployFoundation(deployer, devConfig([governor.address], guardian.address));
  const aggregator = await deployAggregator(foundation, deployer);
  const eth = ethers.encodeBytes32String("ETH-USD");
  const btc = ethers.encodeBytes32String("BTC-USD");
  const ethFeeds = await listChainlinkMarket(aggregator, deployer, eth, 3_000n);
  await listChainlinkMarket(aggregator, deployer, btc, 60_000n);
  const token = await new MockUSDC__factory(deployer).deploy();
  const { pool, accounts } = await deployPool(foundation, deployer, await token.getAddress());
  const { engine } = await deployPerps(foundation, deployer, { aggregator, pool, accounts }, [
    { market: eth, config: marketConfig(3_000n) },
    { market: btc, config: marketConfig(60_000n) },
  ]);
  await handOverToTimelock(foundation, deployer);

  const setEth = (usd: bigint) => setFeeds(ethFeeds, usd);
  const fund = async (who: Signer, amount: bigint) => {
    await token.mint(await who.getAddress(), amount);
    await token.connect(who).approve(pool, ethers.MaxUint256);
    await token.connect(who).approve(accounts, ethers.MaxUint256);
  };
  const open = async (who: Signer, size: bigint) => {
    await engine.connect(who).commitOrder(eth, size, size > 0n ? MAX_PRICE : 1n, usdc(1));
    await time.increase(2);
    await setEth(3_000n);
    await engine.connect(keeper).executeOrder(await who.getAddress());
  };
  await fund(lp, usdc(3_000_000));
  await pool.connect(lp).deposit(usdc(3_000_000), lp.address);
  for (const who of [alice, bob]) {
    await fund(who, usdc(100_000));
    await accounts.connect(who).deposit(await who.getAddress(), usdc(100_000));
  }
  // A warm market: positions on both sides, the engine's balances and the pool reservation already non-zero. Bob
  // has traded before and holds no position now.
  await open(alice, 10n * WAD);
  await open(bob, -3n * WAD);
  await engine.connect(bob).closePosition(eth, 0n);

  // Accounts at 18x, to be made liquidatable by a 4 % fall.
  const leveraged = signers.slice(7, 18);
  for (const who of leveraged) {
    await fund(who, usdc(10_000));
    await accounts.connect(who).deposit(await who.getAddress(), usdc(10_000));
    await open(who, 60n * WAD);
  }

  return [
    {
      name: "commit_order",
      budget: 100_000n,
      send: () => engine.connect(bob).commitOrder(eth, 5n * WAD, MAX_PRICE, usdc(1)),
    },
    {
      // A new position in a warm market, priced from three sources at execution.
      name: "execute_order_open",
      budget: 220_000n,
      send: async () => {
        await time.increase(2);
        await setEth(3_000n);
        return engine.connect(keeper).executeOrder(bob.address);
      },
    },
    {
      name: "close_atomic",
      budget: 200_000n,
      send: () => engine.connect(alice).closePosition(eth, 0n),
    },
    {
      name: "liquidate_one",
      budget: 200_000n,
      send: async () => {
        await setEth(2_880n);
        return engine.connect(keeper).liquidate(await leveraged[0].getAddress());
      },
    },
    {
      name: "liquidate_many_10",
      send: async () =>
        engine.connect(keeper).liquidateMany(await Promise.all(leveraged.slice(1).map((s) => s.getAddress()))),
    },
  ];
}

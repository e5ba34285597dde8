/**
 * Gas of the options engine (issue 6) beside the perps engine, on ETH-USD read from three Chainlink-type sources: a
 * buy in a series that already has holders, a sell-back, settlement (the first series of an expiry, and the next
 * one) and a redemption.
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { deployFoundation, devConfig, handOverToTimelock } from "../deploy/foundation";
import { deployOptions, optionMarket, seriesId } from "../deploy/options";
import { deployAggregator } from "../deploy/oracle";
import { deployPerps, marketConfig } from "../deploy/perps";
import { deployPool } from "../deploy/pool";
import { MockUSDC__factory } from "../typechain-types";
import type { GasMeasurement } from "./harness";
import { listChainlinkMarket, setFeeds } from "../deploy/feeds";

const WAD = 10n ** 18n;
const usdc = (n: bigint | number) => BigInt(n) * 1_000_000n;
const HOUR = 3_600n;

export async function optionsMeasurements(): Promise<GasMeasurement[]> {
  const [deployer, governor, guardian, lp, alice, bob, keeper] = await ethers.getSigners();
  const foundation = await deployFoundation(deployer, devConfig([governor.address], guardian.address));
  const aggregator = await deployAggregator(foundation, deployer);
  const eth = ethers.encodeBytes32String("ETH-USD");
  const ethFeeds = await listChainlinkMarket(aggregator, deployer, eth, 3_000n);
  const token = await new MockUSDC__factory(deployer).deploy();
  const { pool, accounts } = await deployPool(foundation, deployer, await token.getAddress());
  await deployPerps(foundation, deployer, { aggregator, pool, accounts }, [
    { market: eth, config: marketConfig(3_000n) },
  ]);
  const options = await deployOptions(foundation, deployer, { aggregator, pool }, [
    { market: eth, config: optionMarket(3_000n) },
  ]);
  const now = BigInt(await time.latest());
  const expiry = ((now + 7n * 24n * HOUR) / HOUR + 1n) * HOUR;
  const strike = 3_000n * WAD;
  await (await options.listSeries(eth, strike, expiry, true, strike)).wait();
  await (await options.listSeries(eth, strike, expiry, false, 0n)).wait();
  const id = seriesId(eth, strike, expiry, true);
  const put = seriesId(eth, strike, expiry, false);
  await handOverToTimelock(foundation, deployer);

  const setEth = (usd: bigint) => setFeeds(ethFeeds, usd);
  const fund = async (who: Signer, amount: bigint) => {
    await token.mint(await who.getAddress(), amount);
    await token.connect(who).approve(pool, ethers.MaxUint256);
    await token.connect(who).approve(options, ethers.MaxUint256);
  };
  await fund(lp, usdc(3_000_000));
  await pool.connect(lp).deposit(usdc(3_000_000), lp.address);
  await fund(alice, usdc(100_000));
  await fund(bob, usdc(100_000));
  // A series with a holder already: its open interest and the engine's lock are non-zero.
  await setEth(3_000n);
  await options.connect(alice).buy(id, 5n * WAD, usdc(100_000));
  await options.connect(alice).buy(put, 5n * WAD, usdc(100_000));

  return [
    {
      // Black-Scholes quote (a capped call: two calls), three sources, premium from the wallet, a new ERC-1155 holder.
      name: "buy_option",
      budget: 220_000n,
      send: async () => {
        await setEth(3_000n);
        return options.connect(bob).buy(id, 2n * WAD, usdc(100_000));
      },
    },
    {
      name: "sell_option",
      send: () => options.connect(alice).sell(id, WAD, 0n),
    },
    {
      // The first series of an expiry to settle reads every source afresh.
      name: "settle_series_fresh_read",
      send: async () => {
        await time.increaseTo(expiry);
        await setEth(3_100n);
        return options.connect(keeper).settle(id);
      },
    },
    {
      // Every other series of that expiry (a strike ladder expires together) settles at the read the first recorded.
      name: "settle_series",
      budget: 120_000n,
      send: () => options.connect(keeper).settle(put),
    },
    {
      name: "redeem_option",
      budget: 80_000n,
      send: () => options.connect(bob).redeem(id, 2n * WAD),
    },
  ];
}

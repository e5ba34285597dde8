/**
 * The whole perps stack as deployed everywhere: foundation, the three-source ETH-USD oracle of the oracle tests plus a
 * BTC-USD market of three Chainlink-type feeds, the pool side, and the perps engine with its lens, handed over to the
 * timelock. An LP has deposited 1,000,000 USDC; alice, bob, carol and mallory hold margin.
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { listChainlinkMarket, setFeeds } from "../../deploy/feeds";
import { deployFoundation, devConfig, handOverToTimelock } from "../../deploy/foundation";
import { deployPerps, marketConfig } from "../../deploy/perps";
import { deployOptions, optionMarket } from "../../deploy/options";
import { deployPool } from "../../deploy/pool";
import { MockUSDC__factory } from "../../typechain-types";
import { BTC, ETH } from "./fixtures";
import { deployTestOracle, WAD } from "./oracle";
import { usdc } from "./pool";

export { usdc };
/** `n` whole units of a base asset (18 decimals). */
export const units = (n: bigint | number) => BigInt(n) * WAD;
/** `n` dollars in 18-decimal USD. */
export const usd = (n: bigint | number) => BigInt(n) * WAD;

export function perpsFixture() {
  return protocol(false);
}

/** The same with the options engine too (ETH-USD and BTC-USD listed for options, no series yet). */
export function protocolFixture() {
  return protocol(true);
}

async function protocol(withOptions: boolean) {
  const [deployer, governor, guardian, lp, alice, bob, carol, mallory, keeper] = await ethers.getSigners();
  const foundation = await deployFoundation(deployer, devConfig([governor.address], guardian.address));
  const oracle = await deployTestOracle(foundation, deployer);
  const btcFeeds = await listChainlinkMarket(oracle.aggregator, deployer, BTC, 60_000n);
  const usdcToken = await new MockUSDC__factory(deployer).deploy();
  const { limiter, pool, accounts } = await deployPool(foundation, deployer, await usdcToken.getAddress());
  const { markets, engine, lens } = await deployPerps(
    foundation,
    deployer,
    { aggregator: oracle.aggregator, pool, accounts },
    [
      { market: ETH, config: marketConfig(3_000n) },
      { market: BTC, config: marketConfig(60_000n) },
    ],
  );
  const options = withOptions
    ? await deployOptions(foundation, deployer, { aggregator: oracle.aggregator, pool }, [
        { market: ETH, config: optionMarket(3_000n) },
        { market: BTC, config: optionMarket(60_000n) },
      ])
    : undefined;
  await handOverToTimelock(foundation, deployer);
  await oracle.aggregator.poke(ETH);
  await oracle.aggregator.poke(BTC);

  for (const user of [lp, alice, bob, carol, mallory]) {
    await usdcToken.mint(user.address, usdc(10_000_000));
    await usdcToken.connect(user).approve(pool, ethers.MaxUint256);
    await usdcToken.connect(user).approve(accounts, ethers.MaxUint256);
    if (options) await usdcToken.connect(user).approve(options, ethers.MaxUint256);
  }
  await pool.connect(lp).deposit(usdc(1_000_000), lp.address);
  for (const trader of [alice, bob, carol, mallory])
    await accounts.connect(trader).deposit(trader.address, usdc(100_000));

  /** Moves every BTC source to `price` (whole dollars) in this block's time. */
  async function setBtc(price: bigint) {
    await setFeeds(btcFeeds, price);
  }

  /** Moves both markets' sources to `eth` and `btc` (whole dollars), timestamped now. */
  async function setPrices(eth: bigint, btc = 60_000n) {
    await oracle.setAll(eth);
    await setBtc(btc);
  }

  /**
   * The two steps of an order: `trader` commits, the sources publish (`eth`, `btc`) after the commit, the minimum
   * delay passes, and `keeper` executes.
   */
  async function trade(
    trader: Signer,
    market: string,
    sizeDelta: bigint,
    opts: { eth?: bigint; btc?: bigint; acceptablePrice?: bigint; keeperFee?: bigint } = {},
  ) {
    const acceptablePrice = opts.acceptablePrice ?? (sizeDelta > 0 ? ethers.MaxUint256 >> 129n : 1n);
    await engine.connect(trader).commitOrder(market, sizeDelta, acceptablePrice, opts.keeperFee ?? usdc(1));
    await time.increase(2);
    await setPrices(opts.eth ?? 3_000n, opts.btc ?? 60_000n);
    return engine.connect(keeper).executeOrder(await trader.getAddress());
  }

  return {
    ...foundation,
    ...oracle,
    btcFeeds,
    usdc: usdcToken,
    limiter,
    pool,
    accounts,
    markets,
    engine,
    lens,
    options,
    deployer,
    governor,
    guardian,
    lp,
    alice,
    bob,
    carol,
    mallory,
    keeper,
    setBtc,
    setPrices,
    trade,
  };
}

export type PerpsFixture = Awaited<ReturnType<typeof perpsFixture>>;

/** A fresh trader holding `deposit` USDC of margin. */
export async function freshTrader(f: PerpsFixture, index: number, deposit: bigint) {
  const signer = (await ethers.getSigners())[10 + index];
  await f.usdc.mint(signer.address, deposit);
  await f.usdc.connect(signer).approve(f.accounts, ethers.MaxUint256);
  await f.accounts.connect(signer).deposit(signer.address, deposit);
  return signer;
}

/** The `PositionModified` event of a transaction: [oldSize, newSize, fillPrice, realised, fee]. */
export async function positionModified(f: PerpsFixture, tx: { wait(): Promise<unknown> }) {
  const receipt = (await tx.wait()) as { logs: { topics: readonly string[]; data: string }[] };
  for (const log of receipt.logs) {
    const parsed = f.engine.interface.parseLog(log);
    if (parsed?.name === "PositionModified") return parsed.args;
  }
  throw new Error("no PositionModified event");
}

/**
 * The pool side as deployed everywhere (limiter, pool, accounts) on top of the foundation and the ETH-USD oracle,
 * with a stand-in engine (MockPoolEngine) registered as governance would register the perps engine: as a pool
 * module that reports exposure and as an engine of the margin accounts.
 */
import { ethers } from "hardhat";
import { deployFoundation, devConfig, handOverToTimelock } from "../../deploy/foundation";
import { deployPool } from "../../deploy/pool";
import { MockPoolEngine__factory, MockUSDC__factory } from "../../typechain-types";
import { ETH } from "./fixtures";
import { deployTestOracle } from "./oracle";

/** `n` whole USDC in 6-decimal units. */
export const usdc = (n: bigint | number) => BigInt(n) * 1_000_000n;
/** The pool's shares carry 6 more decimals than the collateral (the inflation-attack offset). */
export const SHARE_OFFSET = 10n ** 6n;
export const BPS = 10_000n;

export async function poolFixture() {
  const [deployer, governor, guardian, alice, bob, carol, mallory] = await ethers.getSigners();
  const foundation = await deployFoundation(deployer, devConfig([governor.address], guardian.address));
  const oracle = await deployTestOracle(foundation, deployer);
  const usdcToken = await new MockUSDC__factory(deployer).deploy();
  const { limiter, pool, accounts } = await deployPool(foundation, deployer, await usdcToken.getAddress());
  const engine = await new MockPoolEngine__factory(deployer).deploy(oracle.aggregator, ETH, pool, accounts);
  await (await pool.addModule(engine, true)).wait();
  await (await accounts.addEngine(engine)).wait();
  await handOverToTimelock(foundation, deployer);
  await oracle.aggregator.poke(ETH);

  for (const user of [alice, bob, carol, mallory]) {
    await usdcToken.mint(user.address, usdc(10_000_000));
    await usdcToken.connect(user).approve(pool, ethers.MaxUint256);
    await usdcToken.connect(user).approve(accounts, ethers.MaxUint256);
  }
  return {
    ...foundation,
    ...oracle,
    usdc: usdcToken,
    limiter,
    pool,
    accounts,
    engine,
    deployer,
    governor,
    guardian,
    alice,
    bob,
    carol,
    mallory,
  };
}

export type PoolFixture = Awaited<ReturnType<typeof poolFixture>>;

/**
 * Gas of the pool side (issue 4): an LP deposit and withdrawal priced with an engine's open exposure (so share
 * pricing reads the 3-source oracle), and a margin deposit and withdrawal of an account with no open position.
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, deployFoundation, devConfig, handOverToTimelock } from "../deploy/foundation";
import { deployAggregator } from "../deploy/oracle";
import { deployPool } from "../deploy/pool";
import { MockPoolEngine__factory, MockUSDC__factory } from "../typechain-types";
import type { GasMeasurement } from "./harness";
import { listChainlinkMarket, setFeeds } from "../deploy/feeds";

const WAD = 10n ** 18n;
const usdc = (n: bigint | number) => BigInt(n) * 1_000_000n;

export async function poolMeasurements(): Promise<GasMeasurement[]> {
  const [deployer, governor, guardian, alice, bob] = await ethers.getSigners();
  const foundation = await deployFoundation(deployer, devConfig([governor.address], guardian.address));
  const aggregator = await deployAggregator(foundation, deployer);
  const eth = ethers.encodeBytes32String("ETH-USD");
  const feeds = await listChainlinkMarket(aggregator, deployer, eth, 3_000n);

  const token = await new MockUSDC__factory(deployer).deploy();
  const { pool, accounts } = await deployPool(foundation, deployer, await token.getAddress());
  // A stand-in engine with an open position: every deposit and withdrawal prices it with the oracle.
  const engine = await new MockPoolEngine__factory(deployer).deploy(aggregator, eth, pool, accounts);
  await pool.addModule(engine, true);
  await accounts.addEngine(engine);
  await engine.setPosition(100n * WAD, 2_900n * WAD);
  await handOverToTimelock(foundation, deployer);

  for (const user of [alice, bob]) {
    await token.mint(user.address, usdc(10_000_000));
    await token.connect(user).approve(pool, ethers.MaxUint256);
    await token.connect(user).approve(accounts, ethers.MaxUint256);
  }
  // Steady state: the pool has an LP and a history of flows before the measured ones.
  await pool.connect(alice).deposit(usdc(1_000_000), alice.address);
  await accounts.connect(alice).deposit(alice.address, usdc(10_000));
  await accounts.connect(alice).withdraw(usdc(1_000), alice.address);

  return [
    {
      // What share pricing costs on its own: the engine's exposure read (its state plus the 3-source oracle
      // view), sent as a transaction so that every slot is cold, as it is inside a deposit.
      name: "pool_exposure_read",
      send: () => engine.connect(bob).poolExposure.send(),
    },
    {
      // A new LP's first deposit: its share balance and its holding lock are both fresh storage.
      name: "lp_deposit",
      budget: 200_000n,
      send: () => pool.connect(bob).deposit(usdc(50_000), bob.address),
    },
    {
      name: "lp_deposit_returning",
      budget: 200_000n,
      send: () => pool.connect(alice).deposit(usdc(50_000), alice.address),
    },
    {
      name: "lp_withdraw",
      budget: 200_000n,
      send: async () => {
        await time.increase(DAY);
        await setFeeds(feeds, 3_000n);
        return pool.connect(bob).redeem(usdc(10_000) * 10n ** 6n, bob.address, bob.address);
      },
    },
    {
      name: "margin_deposit",
      budget: 120_000n,
      send: () => accounts.connect(bob).deposit(bob.address, usdc(5_000)),
    },
    {
      name: "margin_withdraw",
      budget: 120_000n,
      send: () => accounts.connect(bob).withdraw(usdc(2_000), bob.address),
    },
  ];
}

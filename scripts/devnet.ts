/**
 * `npm run devnet` — the main job. Today it covers the foundation only (issue 2): it deploys the governance
 * and circuit-breaker spine on the in-process Hardhat chain exactly as the tests do, walks one incident through
 * it (guardian pause → lapse or confirmation → timelocked unpause → liquidation grace) and prints a report.
 * The full protocol devnet (markets, pool, keeper, scenario; SPEC OPS-1) replaces this in a later issue.
 */
import { ethers, network } from "hardhat";
import { checkFoundation } from "../deploy/checks";
import { deployFoundation, devConfig, handOverToTimelock, HOUR } from "../deploy/foundation";

const OPEN = 1n << 0n;
const LIQUIDATE = 1n << 4n;

async function advance(seconds: bigint): Promise<void> {
  await network.provider.send("evm_increaseTime", [Number(seconds)]);
  await network.provider.send("evm_mine", []);
}

async function now(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

async function main(): Promise<void> {
  const [deployer, governor, guardian] = await ethers.getSigners();
  const config = devConfig([governor.address], guardian.address);
  const foundation = await deployFoundation(deployer, config);
  await handOverToTimelock(foundation, deployer);
  const { timelock, accessManager, pauseRegistry } = foundation;
  const eth = ethers.encodeBytes32String("ETH-USD");
  const step = (msg: string) => console.log(`[devnet] ${msg}`);

  step(`timelock        ${await timelock.getAddress()} (delay ${config.timelockDelay}s, expiry 14 days)`);
  step(`access manager  ${await accessManager.getAddress()}`);
  step(`pause registry  ${await pauseRegistry.getAddress()}`);
  const problems = await checkFoundation(foundation, {
    deployer: deployer.address,
    governors: config.governors,
    guardian: guardian.address,
    timelockDelay: config.timelockDelay,
  });
  step(problems.length === 0 ? "post-deploy check: deployer holds nothing, roles wired" : problems.join("; "));
  if (problems.length > 0) throw new Error("post-deploy check failed");

  await (await pauseRegistry.connect(guardian).pause(eth, OPEN | LIQUIDATE, "devnet: oracle incident")).wait();
  step(`guardian paused ETH-USD open+liquidate; paused mask = ${await pauseRegistry.pausedActions(eth)}`);

  const data = pauseRegistry.interface.encodeFunctionData("unpause", [eth, OPEN | LIQUIDATE, "devnet: resolved"]);
  const target = await pauseRegistry.getAddress();
  const salt = ethers.id("devnet-unpause");
  await (
    await timelock.connect(governor).schedule(target, 0, data, ethers.ZeroHash, salt, config.timelockDelay)
  ).wait();
  step(`governor scheduled the unpause; it is ready in ${config.timelockDelay}s`);
  await advance(config.timelockDelay);
  await (await timelock.connect(governor).execute(target, 0, data, ethers.ZeroHash, salt)).wait();
  const graceEnd = await pauseRegistry.liquidationGraceEndsAt(eth);
  step(`timelock unpaused ETH-USD; liquidation grace until +${graceEnd - (await now())}s`);
  await advance(HOUR);
  step(
    `after 1 h: in grace = ${await pauseRegistry.inLiquidationGrace(eth)}, paused mask = ${await pauseRegistry.pausedActions(eth)}`,
  );

  console.log("\nBulwark devnet (foundation preview) finished: governance and breakers behaved as specified.");
  console.log("Markets, pool, keeper and the trading scenario arrive with the later issues (SPEC OPS-1).");
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

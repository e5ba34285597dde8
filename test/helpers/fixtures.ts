/** The foundation as deployed everywhere, handed over to the timelock, plus a test module on the same rails. */
import { ethers } from "hardhat";
import {
  DAY,
  deployFoundation,
  devConfig,
  GUARDIAN_FUNCTIONS,
  handOverToTimelock,
  setGuardianFunctions,
} from "../../deploy/foundation";
import { checkFoundation } from "../../deploy/checks";
import { MockRiskModule__factory } from "../../typechain-types";

export const ETH = ethers.encodeBytes32String("ETH-USD");
export const BTC = ethers.encodeBytes32String("BTC-USD");
export const GLOBAL = ethers.ZeroHash;
export const key = (name: string) => ethers.encodeBytes32String(name);

export async function foundationFixture() {
  const [deployer, governor, guardian, alice, bob] = await ethers.getSigners();
  const config = devConfig([governor.address], guardian.address);
  const foundation = await deployFoundation(deployer, config);
  const riskModule = await new MockRiskModule__factory(deployer).deploy(await foundation.accessManager.getAddress(), [
    ETH,
    BTC,
  ]);
  await setGuardianFunctions(foundation, riskModule, GUARDIAN_FUNCTIONS.boundedParameters);
  await handOverToTimelock(foundation, deployer);
  return { ...foundation, riskModule, config, deployer, governor, guardian, alice, bob };
}

/** The same, with token governance: `alice` holds the supply; the Governor is a proposer of the timelock. */
export async function tokenGovernanceFixture() {
  const [deployer, governor, guardian, alice, bob, carol] = await ethers.getSigners();
  const config = {
    ...devConfig([governor.address], guardian.address),
    tokenGovernance: {
      holder: alice.address,
      supply: ethers.parseEther("1000000"),
      votingDelay: DAY,
      votingPeriod: 3n * DAY,
      proposalThreshold: ethers.parseEther("1000"),
      quorumPercent: 4n,
    },
  };
  const foundation = await deployFoundation(deployer, config);
  await handOverToTimelock(foundation, deployer);
  return {
    ...foundation,
    token: foundation.token!,
    governorContract: foundation.tokenGovernor!,
    config,
    deployer,
    governor,
    guardian,
    alice,
    bob,
    carol,
  };
}

/** The post-deploy check of a fixture: the list of wiring problems, empty when all is well. */
export function fixtureProblems(f: Awaited<ReturnType<typeof foundationFixture | typeof tokenGovernanceFixture>>) {
  return checkFoundation(f, {
    deployer: f.deployer.address,
    governors: [f.governor.address],
    guardian: f.guardian.address,
    timelockDelay: f.config.timelockDelay,
  });
}

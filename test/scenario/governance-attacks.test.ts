/**
 * SPEC §14, governance attacks: each one is tried and must fail with its own custom error, leaving the
 * state exactly as it was.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY } from "../../deploy/foundation";
import { foundationFixture, tokenGovernanceFixture, ETH, key } from "../helpers/fixtures";
import { execute, schedule, waitDelay } from "../helpers/timelock";
import { Action, mask } from "../helpers/actions";

const WAD = 10n ** 18n;

describe("Scenario: governance attacks (SPEC §14)", function () {
  async function snapshotState(f: Awaited<ReturnType<typeof foundationFixture>>) {
    return {
      leverage: await f.riskModule.parameter(ETH, key("maxLeverage")),
      paused: await f.pauseRegistry.pausedActions(ETH),
      scope: (await f.pauseRegistry.scopeState(ETH)).toString(),
      delay: await f.timelock.getMinDelay(),
    };
  }

  it("GOV-4/CB-2: a compromised guardian tries to unpause what it paused", async function () {
    const f = await loadFixture(foundationFixture);
    await f.pauseRegistry.connect(f.guardian).pause(ETH, mask(Action.Open), "incident");
    const before = await snapshotState(f);
    await expect(f.pauseRegistry.connect(f.guardian).unpause(ETH, mask(Action.Open), "oops"))
      .to.be.revertedWithCustomError(f.pauseRegistry, "AccessManagedUnauthorized")
      .withArgs(f.guardian.address);
    expect(await snapshotState(f)).to.deep.equal(before);
  });

  it("GOV-4/CB-6: a compromised guardian tries to loosen max leverage", async function () {
    const f = await loadFixture(foundationFixture);
    const before = await snapshotState(f);
    await expect(f.riskModule.connect(f.guardian).tightenParameter(ETH, key("maxLeverage"), 50n * WAD, "loosen"))
      .to.be.revertedWithCustomError(f.riskModule, "ParameterNotTightening")
      .withArgs(key("maxLeverage"), 20n * WAD, 50n * WAD);
    expect(await snapshotState(f)).to.deep.equal(before);
  });

  it("GOV-2: anyone, even a governor, executes a parameter change early", async function () {
    const f = await loadFixture(foundationFixture);
    const data = f.riskModule.interface.encodeFunctionData("setParameter", [ETH, key("maxLeverage"), 50n * WAD]);
    const op = await schedule(f.timelock, f.governor, [{ target: await f.riskModule.getAddress(), data }]);
    const before = await snapshotState(f);
    await expect(execute(f.timelock, f.bob, op)).to.be.revertedWithCustomError(
      f.timelock,
      "AccessControlUnauthorizedAccount",
    );
    await expect(execute(f.timelock, f.governor, op)).to.be.revertedWithCustomError(
      f.timelock,
      "TimelockUnexpectedOperationState",
    );
    expect(await snapshotState(f)).to.deep.equal(before);
  });

  it("GOV-3: out-of-order execution of chained steps", async function () {
    const f = await loadFixture(foundationFixture);
    const target = await f.riskModule.getAddress();
    const encode = (v: bigint) =>
      f.riskModule.interface.encodeFunctionData("setParameter", [ETH, key("maxLeverage"), v]);
    const first = await schedule(f.timelock, f.governor, [{ target, data: encode(10n * WAD) }]);
    const second = await schedule(f.timelock, f.governor, [{ target, data: encode(40n * WAD) }], {
      predecessor: first.id,
    });
    await waitDelay(f.timelock);
    const before = await snapshotState(f);
    await expect(execute(f.timelock, f.governor, second))
      .to.be.revertedWithCustomError(f.timelock, "TimelockUnexecutedPredecessor")
      .withArgs(first.id);
    expect(await snapshotState(f)).to.deep.equal(before);
  });

  it("GOV-3: an operation approved long ago is executed after it expired", async function () {
    const f = await loadFixture(foundationFixture);
    const data = f.riskModule.interface.encodeFunctionData("setParameter", [ETH, key("maxLeverage"), 50n * WAD]);
    const op = await schedule(f.timelock, f.governor, [{ target: await f.riskModule.getAddress(), data }]);
    await time.increase((await f.timelock.getMinDelay()) + 15n * DAY);
    const before = await snapshotState(f);
    await expect(execute(f.timelock, f.governor, op)).to.be.revertedWithCustomError(
      f.timelock,
      "BulwarkTimelockOperationExpired",
    );
    expect(await snapshotState(f)).to.deep.equal(before);
  });

  it("GOV-6: a flash-loaned vote after the snapshot has no weight", async function () {
    const f = await loadFixture(tokenGovernanceFixture);
    await f.token.connect(f.alice).delegate(f.alice.address);
    const target = await f.pauseRegistry.getAddress();
    const data = f.pauseRegistry.interface.encodeFunctionData("unpause", [ETH, mask(Action.Open), "attack"]);
    await f.token.connect(f.alice).transfer(f.carol.address, ethers.parseEther("1000"));
    await f.token.connect(f.carol).delegate(f.carol.address);
    await f.governorContract.connect(f.carol).propose([target], [0n], [data], "attack");
    const id = await f.governorContract.hashProposal([target], [0n], [data], ethers.id("attack"));
    await time.increase(DAY + 1n);
    // The attacker borrows the rest of the supply inside the voting period.
    await f.token.connect(f.alice).transfer(f.bob.address, ethers.parseEther("999000"));
    await f.token.connect(f.bob).delegate(f.bob.address);
    await expect(f.governorContract.connect(f.bob).castVote(id, 1))
      .to.be.revertedWithCustomError(f.governorContract, "BulwarkGovernorNoVotingWeight")
      .withArgs(f.bob.address, await f.governorContract.proposalSnapshot(id));
    const [, forVotes] = await f.governorContract.proposalVotes(id);
    expect(forVotes).to.equal(0n);
  });

  it("GOV-1: the deployer tries to keep power after deployment", async function () {
    const f = await loadFixture(foundationFixture);
    const before = await snapshotState(f);
    await expect(f.accessManager.connect(f.deployer).grantRole(1, f.deployer.address, 0))
      .to.be.revertedWithCustomError(f.accessManager, "AccessManagerUnauthorizedAccount")
      .withArgs(f.deployer.address, 0);
    await expect(f.pauseRegistry.connect(f.deployer).pause(ETH, mask(Action.Open), "x"))
      .to.be.revertedWithCustomError(f.pauseRegistry, "AccessManagedUnauthorized")
      .withArgs(f.deployer.address);
    await expect(
      f.timelock
        .connect(f.deployer)
        .schedule(await f.riskModule.getAddress(), 0, "0x", ethers.ZeroHash, ethers.ZeroHash, DAY),
    )
      .to.be.revertedWithCustomError(f.timelock, "AccessControlUnauthorizedAccount")
      .withArgs(f.deployer.address, await f.timelock.PROPOSER_ROLE());
    expect(await snapshotState(f)).to.deep.equal(before);
  });
});

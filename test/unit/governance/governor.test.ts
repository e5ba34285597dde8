import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY } from "../../../deploy/foundation";
import { fixtureProblems, tokenGovernanceFixture, GLOBAL, key } from "../../helpers/fixtures";

const FOR = 1;

describe("BulwarkGovernor (GOV-6)", function () {
  async function proposalFixture() {
    const f = await loadFixture(tokenGovernanceFixture);
    await f.token.connect(f.alice).delegate(f.alice.address);
    const target = await f.pauseRegistry.getAddress();
    const data = f.pauseRegistry.interface.encodeFunctionData("setParameter", [
      GLOBAL,
      key("liquidationGracePeriod"),
      7200n,
    ]);
    const description = "Lengthen the liquidation grace period to 2 h";
    const descriptionHash = ethers.id(description);
    await f.governorContract.connect(f.alice).propose([target], [0n], [data], description);
    const id = await f.governorContract.hashProposal([target], [0n], [data], descriptionHash);
    const args: [string[], bigint[], string[], string] = [[target], [0n], [data], descriptionHash];
    return { ...f, id, args };
  }

  it("GOV-6: a proposal passes by token vote, queues in the timelock and executes after its delay", async function () {
    const { governorContract, timelock, pauseRegistry, alice, id, args } = await proposalFixture();
    await time.increase(DAY + 1n);
    await governorContract.connect(alice).castVote(id, FOR);
    await time.increase(3n * DAY);
    await governorContract.queue(...args);
    await expect(governorContract.execute(...args)).to.be.revertedWithCustomError(
      timelock,
      "TimelockUnexpectedOperationState",
    );
    await time.increase(await timelock.getMinDelay());
    await expect(governorContract.execute(...args))
      .to.emit(pauseRegistry, "ParameterChanged")
      .withArgs(GLOBAL, key("liquidationGracePeriod"), 3600n, 7200n, await timelock.getAddress());
  });

  it("GOV-6: votes are counted at the snapshot: a balance acquired after it has zero weight (Beanstalk)", async function () {
    const { governorContract, token, alice, bob, id } = await proposalFixture();
    const snapshot = await governorContract.proposalSnapshot(id);
    await time.increase(DAY + 1n);
    // Bob "flash-borrows" most of the supply after the snapshot and delegates to himself.
    await token.connect(alice).transfer(bob.address, ethers.parseEther("900000"));
    await token.connect(bob).delegate(bob.address);
    expect(await token.getVotes(bob.address)).to.equal(ethers.parseEther("900000"));
    await expect(governorContract.connect(bob).castVote(id, FOR))
      .to.be.revertedWithCustomError(governorContract, "BulwarkGovernorNoVotingWeight")
      .withArgs(bob.address, snapshot);
    expect(await governorContract.hasVoted(id, bob.address)).to.equal(false);
    const [against, forVotes] = await governorContract.proposalVotes(id);
    expect([against, forVotes]).to.deep.equal([0n, 0n]);
    // Alice still votes with her weight at the snapshot, not her balance now.
    await governorContract.connect(alice).castVote(id, FOR);
    const [, forAfter] = await governorContract.proposalVotes(id);
    expect(forAfter).to.equal(ethers.parseEther("1000000"));
  });

  it("GOV-6: with token governance the deployer still holds nothing and the Governor proposes", async function () {
    expect(await fixtureProblems(await loadFixture(tokenGovernanceFixture))).to.deep.equal([]);
  });

  it("GOV-6: the token's clock is the timestamp", async function () {
    const { token, governorContract } = await loadFixture(tokenGovernanceFixture);
    expect(await token.CLOCK_MODE()).to.equal("mode=timestamp");
    expect(await governorContract.CLOCK_MODE()).to.equal("mode=timestamp");
  });

  it("GOV-6: governance settings keep hard bounds", async function () {
    const { governorContract, token, alice } = await loadFixture(tokenGovernanceFixture);
    await token.connect(alice).delegate(alice.address);
    const target = await governorContract.getAddress();
    const data = governorContract.interface.encodeFunctionData("setVotingPeriod", [3600]);
    const description = "Shorten voting to an hour";
    await governorContract.connect(alice).propose([target], [0n], [data], description);
    const id = await governorContract.hashProposal([target], [0n], [data], ethers.id(description));
    await time.increase(DAY + 1n);
    await governorContract.connect(alice).castVote(id, FOR);
    await time.increase(3n * DAY);
    await governorContract.queue([target], [0n], [data], ethers.id(description));
    await time.increase(3600n);
    await expect(governorContract.execute([target], [0n], [data], ethers.id(description)))
      .to.be.revertedWithCustomError(governorContract, "BulwarkGovernorSettingOutOfBounds")
      .withArgs(ethers.encodeBytes32String("votingPeriod"), 3600n, DAY, 30n * DAY);
    expect(await governorContract.votingPeriod()).to.equal(3n * DAY);
  });

  it("GOV-6: the Governor cannot be bypassed: only it and the governors may schedule", async function () {
    const { timelock, governorContract, carol } = await loadFixture(tokenGovernanceFixture);
    expect(await timelock.hasRole(await timelock.PROPOSER_ROLE(), await governorContract.getAddress())).to.equal(true);
    const target = await timelock.getAddress();
    await expect(timelock.connect(carol).schedule(target, 0, "0x", ethers.ZeroHash, ethers.ZeroHash, DAY))
      .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
      .withArgs(carol.address, await timelock.PROPOSER_ROLE());
  });
});

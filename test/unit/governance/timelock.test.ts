import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { BulwarkTimelock__factory } from "../../../typechain-types";
import { DAY, HOUR } from "../../../deploy/foundation";
import { foundationFixture, ETH, key } from "../../helpers/fixtures";
import { execute, schedule, waitDelay } from "../../helpers/timelock";

const WAD = 10n ** 18n;

describe("BulwarkTimelock (GOV-2, GOV-3)", function () {
  async function setLeverageCall(value: bigint) {
    const f = await loadFixture(foundationFixture);
    const data = f.riskModule.interface.encodeFunctionData("setParameter", [ETH, key("maxLeverage"), value]);
    return { ...f, call: { target: await f.riskModule.getAddress(), data } };
  }

  it("GOV-2: scheduling below the minimum delay reverts", async function () {
    const { timelock, governor, call } = await setLeverageCall(10n * WAD);
    const delay = await timelock.getMinDelay();
    await expect(schedule(timelock, governor, [call], { delay: delay - 1n }))
      .to.be.revertedWithCustomError(timelock, "TimelockInsufficientDelay")
      .withArgs(delay - 1n, delay);
  });

  it("GOV-2: executing before the delay has passed reverts and changes nothing", async function () {
    const { timelock, governor, riskModule, call } = await setLeverageCall(10n * WAD);
    const op = await schedule(timelock, governor, [call]);
    await time.increase((await timelock.getMinDelay()) - 5n);
    await expect(execute(timelock, governor, op)).to.be.revertedWithCustomError(
      timelock,
      "TimelockUnexpectedOperationState",
    );
    expect(await riskModule.parameter(ETH, key("maxLeverage"))).to.equal(20n * WAD);
    await time.increase(5n);
    await execute(timelock, governor, op);
    expect(await riskModule.parameter(ETH, key("maxLeverage"))).to.equal(10n * WAD);
  });

  it("GOV-2: a stranger cannot execute even a ready operation (execution is not open)", async function () {
    const { timelock, governor, bob, call } = await setLeverageCall(10n * WAD);
    const op = await schedule(timelock, governor, [call]);
    await waitDelay(timelock);
    await expect(execute(timelock, bob, op))
      .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
      .withArgs(bob.address, await timelock.EXECUTOR_ROLE());
  });

  it("GOV-2: the delay is configurable per deployment and cannot be lowered below it", async function () {
    const { timelock, governor } = await loadFixture(foundationFixture);
    expect(await timelock.getMinDelay()).to.equal(HOUR);
    expect(await timelock.delayFloor()).to.equal(HOUR);
    const target = await timelock.getAddress();
    const lower = timelock.interface.encodeFunctionData("updateDelay", [HOUR - 1n]);
    const op = await schedule(timelock, governor, [{ target, data: lower }]);
    await waitDelay(timelock);
    await expect(execute(timelock, governor, op))
      .to.be.revertedWithCustomError(timelock, "BulwarkTimelockDelayOutOfBounds")
      .withArgs(HOUR - 1n, HOUR, 30n * DAY);

    const raise = timelock.interface.encodeFunctionData("updateDelay", [2n * DAY]);
    const op2 = await schedule(timelock, governor, [{ target, data: raise }]);
    await waitDelay(timelock);
    await expect(execute(timelock, governor, op2))
      .to.emit(timelock, "MinDelayChange")
      .withArgs(HOUR, 2n * DAY);
    expect(await timelock.getMinDelay()).to.equal(2n * DAY);
  });

  it("GOV-2: the delay cannot be raised above 30 days, and only the timelock may change it", async function () {
    const { timelock, governor } = await loadFixture(foundationFixture);
    const data = timelock.interface.encodeFunctionData("updateDelay", [31n * DAY]);
    const op = await schedule(timelock, governor, [{ target: await timelock.getAddress(), data }]);
    await waitDelay(timelock);
    await expect(execute(timelock, governor, op))
      .to.be.revertedWithCustomError(timelock, "BulwarkTimelockDelayOutOfBounds")
      .withArgs(31n * DAY, HOUR, 30n * DAY);
    await expect(timelock.connect(governor).updateDelay(2n * HOUR))
      .to.be.revertedWithCustomError(timelock, "TimelockUnauthorizedCaller")
      .withArgs(governor.address);
  });

  it("GOV-2: construction rejects a delay or an expiry window out of bounds", async function () {
    const [deployer] = await ethers.getSigners();
    const factory = new BulwarkTimelock__factory(deployer);
    await expect(factory.deploy(31n * DAY, 14n * DAY, [], [], deployer.address))
      .to.be.revertedWithCustomError(factory, "BulwarkTimelockDelayOutOfBounds")
      .withArgs(31n * DAY, 0, 30n * DAY);
    await expect(factory.deploy(HOUR, HOUR, [], [], deployer.address))
      .to.be.revertedWithCustomError(factory, "BulwarkTimelockGracePeriodOutOfBounds")
      .withArgs(HOUR, DAY, 30n * DAY);
  });

  it("GOV-3: a ready operation expires after 14 days and can then only be cancelled", async function () {
    const { timelock, governor, guardian, riskModule, call } = await setLeverageCall(10n * WAD);
    const op = await schedule(timelock, governor, [call]);
    const readyAt = await timelock.getTimestamp(op.id);
    expect(await timelock.gracePeriod()).to.equal(14n * DAY);
    expect(await timelock.expiresAt(op.id)).to.equal(readyAt + 14n * DAY);

    await time.increaseTo(readyAt + 14n * DAY - 10n);
    expect(await timelock.isOperationExpired(op.id)).to.equal(false);
    await time.increaseTo(readyAt + 14n * DAY);
    expect(await timelock.isOperationExpired(op.id)).to.equal(true);
    await expect(execute(timelock, governor, op))
      .to.be.revertedWithCustomError(timelock, "BulwarkTimelockOperationExpired")
      .withArgs(op.id, readyAt, readyAt + 14n * DAY);
    expect(await riskModule.parameter(ETH, key("maxLeverage"))).to.equal(20n * WAD);

    await expect(timelock.connect(guardian).cancel(op.id)).to.emit(timelock, "Cancelled").withArgs(op.id);
    expect(await timelock.isOperation(op.id)).to.equal(false);
    expect(await timelock.expiresAt(op.id)).to.equal(0n);
  });

  it("GOV-3: the last executable second is readyAt + 14 days - 1; at readyAt + 14 days it has expired", async function () {
    const { timelock, governor, riskModule, call } = await setLeverageCall(10n * WAD);
    const op = await schedule(timelock, governor, [call]);
    const expiry = (await timelock.getTimestamp(op.id)) + 14n * DAY;
    await time.setNextBlockTimestamp(expiry);
    await expect(execute(timelock, governor, op)).to.be.revertedWithCustomError(
      timelock,
      "BulwarkTimelockOperationExpired",
    );
    const op2 = await schedule(timelock, governor, [call]);
    const expiry2 = (await timelock.getTimestamp(op2.id)) + 14n * DAY;
    await time.setNextBlockTimestamp(expiry2 - 1n);
    await execute(timelock, governor, op2);
    expect(await riskModule.parameter(ETH, key("maxLeverage"))).to.equal(10n * WAD);
  });

  it("GOV-2: the delay may be set back to exactly its floor", async function () {
    const { timelock, governor } = await loadFixture(foundationFixture);
    const target = await timelock.getAddress();
    const raise = timelock.interface.encodeFunctionData("updateDelay", [2n * HOUR]);
    let op = await schedule(timelock, governor, [{ target, data: raise }]);
    await waitDelay(timelock);
    await execute(timelock, governor, op);
    const back = timelock.interface.encodeFunctionData("updateDelay", [HOUR]);
    op = await schedule(timelock, governor, [{ target, data: back }]);
    await waitDelay(timelock);
    await execute(timelock, governor, op);
    expect(await timelock.getMinDelay()).to.equal(HOUR);
  });

  it("GOV-3: an expired batch cannot be executed either", async function () {
    const { timelock, governor, riskModule } = await loadFixture(foundationFixture);
    const target = await riskModule.getAddress();
    const calls = [
      { target, data: riskModule.interface.encodeFunctionData("setParameter", [ETH, key("maxLeverage"), 10n * WAD]) },
      { target, data: riskModule.interface.encodeFunctionData("setParameter", [ETH, key("takerFeeBps"), 7n]) },
    ];
    const op = await schedule(timelock, governor, calls);
    await time.increase((await timelock.getMinDelay()) + 14n * DAY);
    await expect(execute(timelock, governor, op)).to.be.revertedWithCustomError(
      timelock,
      "BulwarkTimelockOperationExpired",
    );
  });

  it("GOV-3: order-dependent steps run as one batch, atomically", async function () {
    const { timelock, governor, riskModule } = await loadFixture(foundationFixture);
    const target = await riskModule.getAddress();
    const good = riskModule.interface.encodeFunctionData("setParameter", [ETH, key("maxLeverage"), 10n * WAD]);
    const bad = riskModule.interface.encodeFunctionData("setParameter", [ETH, key("takerFeeBps"), 101n]);
    const op = await schedule(timelock, governor, [
      { target, data: good },
      { target, data: bad },
    ]);
    await waitDelay(timelock);
    await expect(execute(timelock, governor, op)).to.be.revertedWithCustomError(riskModule, "ParameterOutOfBounds");
    expect(await riskModule.parameter(ETH, key("maxLeverage"))).to.equal(20n * WAD);

    const fixed = riskModule.interface.encodeFunctionData("setParameter", [ETH, key("takerFeeBps"), 9n]);
    const op2 = await schedule(timelock, governor, [
      { target, data: good },
      { target, data: fixed },
    ]);
    await waitDelay(timelock);
    await execute(timelock, governor, op2);
    expect(await riskModule.parameter(ETH, key("maxLeverage"))).to.equal(10n * WAD);
    expect(await riskModule.parameter(ETH, key("takerFeeBps"))).to.equal(9n);
  });

  it("GOV-3: a step chained with `predecessor` cannot run before its predecessor", async function () {
    const { timelock, governor, riskModule } = await loadFixture(foundationFixture);
    const target = await riskModule.getAddress();
    const first = await schedule(timelock, governor, [
      { target, data: riskModule.interface.encodeFunctionData("setParameter", [ETH, key("maxLeverage"), 10n * WAD]) },
    ]);
    const second = await schedule(
      timelock,
      governor,
      [{ target, data: riskModule.interface.encodeFunctionData("setParameter", [ETH, key("maxLeverage"), 5n * WAD]) }],
      { predecessor: first.id },
    );
    await waitDelay(timelock);
    await expect(execute(timelock, governor, second))
      .to.be.revertedWithCustomError(timelock, "TimelockUnexecutedPredecessor")
      .withArgs(first.id);
    expect(await riskModule.parameter(ETH, key("maxLeverage"))).to.equal(20n * WAD);
    await execute(timelock, governor, first);
    await execute(timelock, governor, second);
    expect(await riskModule.parameter(ETH, key("maxLeverage"))).to.equal(5n * WAD);
  });
});

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { BaseContract, FunctionFragment, Interface, ParamType } from "ethers";
import { checkFoundation } from "../../../deploy/checks";
import { deployFoundation, devConfig } from "../../../deploy/foundation";
import { fixtureProblems, foundationFixture, ETH, key } from "../../helpers/fixtures";
import { govern } from "../../helpers/timelock";

/** A plausible argument for each ABI type, so every function can be called without knowing it. */
function sampleArg(param: ParamType): unknown {
  if (param.baseType === "array") return [];
  if (param.type === "bytes32") return ETH;
  if (param.type === "string") return "test";
  if (param.type === "address") return ethers.ZeroAddress;
  if (param.type === "bool") return true;
  if (param.type.startsWith("uint")) return 1n;
  if (param.type.startsWith("bytes")) return "0x";
  throw new Error(`no sample for ${param.type}`);
}

function mutatingFunctions(contract: BaseContract): FunctionFragment[] {
  return contract.interface.fragments.filter(
    (f): f is FunctionFragment => f.type === "function" && !(f as FunctionFragment).constant,
  );
}

/** Functions that anyone may call by design; everything else must be restricted. */
const PERMISSIONLESS = new Set(["recordExpiry(bytes32)"]);

describe("Access layer (GOV-1, GOV-4)", function () {
  it("GOV-1: after deployment the deployer holds no role anywhere (post-deploy check is empty)", async function () {
    expect(await fixtureProblems(await loadFixture(foundationFixture))).to.deep.equal([]);
  });

  it("GOV-1: the post-deploy check reports a deployer that kept a role", async function () {
    const [deployer, governor, guardian] = await ethers.getSigners();
    const config = devConfig([governor.address], guardian.address);
    const unfinished = await deployFoundation(deployer, config);
    const problems = await checkFoundation(unfinished, {
      deployer: deployer.address,
      governors: [governor.address],
      guardian: guardian.address,
      timelockDelay: config.timelockDelay,
    });
    expect(problems).to.include(`timelock DEFAULT_ADMIN_ROLE: ${deployer.address} holds it`);
    expect(problems).to.include(`access manager ADMIN_ROLE: ${deployer.address} holds it`);
  });

  it("GOV-1: the deployer's privileged calls revert after deployment and change nothing", async function () {
    const { pauseRegistry, riskModule, accessManager, timelock, deployer } = await loadFixture(foundationFixture);
    await expect(pauseRegistry.connect(deployer).pause(ETH, 1, "deployer"))
      .to.be.revertedWithCustomError(pauseRegistry, "AccessManagedUnauthorized")
      .withArgs(deployer.address);
    await expect(riskModule.connect(deployer).setParameter(ETH, key("maxLeverage"), 50n * 10n ** 18n))
      .to.be.revertedWithCustomError(riskModule, "AccessManagedUnauthorized")
      .withArgs(deployer.address);
    await expect(accessManager.connect(deployer).grantRole(0, deployer.address, 0))
      .to.be.revertedWithCustomError(accessManager, "AccessManagerUnauthorizedAccount")
      .withArgs(deployer.address, 0);
    await expect(timelock.connect(deployer).grantRole(await timelock.PROPOSER_ROLE(), deployer.address))
      .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
      .withArgs(deployer.address, await timelock.DEFAULT_ADMIN_ROLE());
    expect(await pauseRegistry.pausedActions(ETH)).to.equal(0n);
    expect(await riskModule.parameter(ETH, key("maxLeverage"))).to.equal(20n * 10n ** 18n);
  });

  it("GOV-1: every state-changing function of every module refuses a stranger", async function () {
    const { pauseRegistry, riskModule, bob } = await loadFixture(foundationFixture);
    let checked = 0;
    for (const module of [pauseRegistry, riskModule]) {
      for (const fn of mutatingFunctions(module)) {
        if (PERMISSIONLESS.has(fn.format("sighash"))) continue;
        const args = fn.inputs.map(sampleArg);
        const data = (module.interface as Interface).encodeFunctionData(fn, args);
        await expect(bob.sendTransaction({ to: await module.getAddress(), data }), fn.format("sighash"))
          .to.be.revertedWithCustomError(module, "AccessManagedUnauthorized")
          .withArgs(bob.address);
        checked += 1;
      }
    }
    expect(checked).to.be.greaterThanOrEqual(5);
  });

  it("GOV-1: the same privileged call succeeds through the timelock", async function () {
    const { riskModule, timelock, governor } = await loadFixture(foundationFixture);
    const data = riskModule.interface.encodeFunctionData("setParameter", [ETH, key("maxLeverage"), 10n * 10n ** 18n]);
    await expect(govern(timelock, governor, [{ target: await riskModule.getAddress(), data }])).to.emit(
      riskModule,
      "ParameterChanged",
    );
    expect(await riskModule.parameter(ETH, key("maxLeverage"))).to.equal(10n * 10n ** 18n);
  });

  it("GOV-4: the guardian cannot grant itself a role or re-map a function", async function () {
    const { accessManager, pauseRegistry, guardian } = await loadFixture(foundationFixture);
    await expect(accessManager.connect(guardian).grantRole(0, guardian.address, 0))
      .to.be.revertedWithCustomError(accessManager, "AccessManagerUnauthorizedAccount")
      .withArgs(guardian.address, 0);
    const unpause = pauseRegistry.interface.getFunction("unpause").selector;
    await expect(accessManager.connect(guardian).setTargetFunctionRole(await pauseRegistry.getAddress(), [unpause], 1))
      .to.be.revertedWithCustomError(accessManager, "AccessManagerUnauthorizedAccount")
      .withArgs(guardian.address, 0);
    expect(await accessManager.getTargetFunctionRole(await pauseRegistry.getAddress(), unpause)).to.equal(0n);
  });

  it("GOV-4: the guardian cannot schedule or execute timelock operations", async function () {
    const { timelock, riskModule, guardian, governor } = await loadFixture(foundationFixture);
    const target = await riskModule.getAddress();
    const data = riskModule.interface.encodeFunctionData("setParameter", [ETH, key("maxLeverage"), 50n * 10n ** 18n]);
    const salt = ethers.ZeroHash;
    await expect(
      timelock.connect(guardian).schedule(target, 0, data, ethers.ZeroHash, salt, await timelock.getMinDelay()),
    )
      .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
      .withArgs(guardian.address, await timelock.PROPOSER_ROLE());

    await timelock.connect(governor).schedule(target, 0, data, ethers.ZeroHash, salt, await timelock.getMinDelay());
    await time.increase(await timelock.getMinDelay());
    await expect(timelock.connect(guardian).execute(target, 0, data, ethers.ZeroHash, salt))
      .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
      .withArgs(guardian.address, await timelock.EXECUTOR_ROLE());
    expect(await riskModule.parameter(ETH, key("maxLeverage"))).to.equal(20n * 10n ** 18n);
  });

  it("GOV-4: the guardian can cancel a queued operation", async function () {
    const { timelock, riskModule, guardian, governor } = await loadFixture(foundationFixture);
    const target = await riskModule.getAddress();
    const data = riskModule.interface.encodeFunctionData("setParameter", [ETH, key("maxLeverage"), 50n * 10n ** 18n]);
    await timelock
      .connect(governor)
      .schedule(target, 0, data, ethers.ZeroHash, ethers.ZeroHash, await timelock.getMinDelay());
    const id = await timelock.hashOperation(target, 0, data, ethers.ZeroHash, ethers.ZeroHash);
    await expect(timelock.connect(guardian).cancel(id)).to.emit(timelock, "Cancelled").withArgs(id);
    expect(await timelock.isOperation(id)).to.equal(false);
  });

  it("GOV-4: the guardian has no function that moves funds or unpauses", async function () {
    const { accessManager, pauseRegistry, riskModule } = await loadFixture(foundationFixture);
    const guardianRole = await accessManager.GUARDIAN_ROLE();
    const guardianFunctions: string[] = [];
    for (const module of [pauseRegistry, riskModule]) {
      for (const fn of mutatingFunctions(module)) {
        const role = await accessManager.getTargetFunctionRole(await module.getAddress(), fn.selector);
        if (role === guardianRole) guardianFunctions.push(fn.name);
      }
    }
    expect(guardianFunctions.sort()).to.deep.equal(["pause", "tightenParameter", "tightenParameter"]);
  });
});

import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { foundationFixture, ETH, BTC, GLOBAL, key } from "../../helpers/fixtures";
import { govern } from "../../helpers/timelock";

const WAD = 10n ** 18n;
const LEVERAGE = key("maxLeverage");
const MAINTENANCE = key("maintenanceMarginBps");
const FEE = key("takerFeeBps");

describe("BoundedParameters (GOV-5, GOV-7, CB-6)", function () {
  async function setParameter(value: bigint, param = LEVERAGE, scope = ETH) {
    const f = await loadFixture(foundationFixture);
    const data = f.riskModule.interface.encodeFunctionData("setParameter", [scope, param, value]);
    return { f, tx: govern(f.timelock, f.governor, [{ target: await f.riskModule.getAddress(), data }]) };
  }

  it("GOV-5: governance cannot set a value above the hard maximum", async function () {
    const { f, tx } = await setParameter(50n * WAD + 1n);
    await expect(tx)
      .to.be.revertedWithCustomError(f.riskModule, "ParameterOutOfBounds")
      .withArgs(LEVERAGE, 50n * WAD + 1n, WAD, 50n * WAD);
    expect(await f.riskModule.parameter(ETH, LEVERAGE)).to.equal(20n * WAD);
  });

  it("GOV-5: governance cannot set a value below the hard minimum", async function () {
    const { f, tx } = await setParameter(49n, MAINTENANCE);
    await expect(tx)
      .to.be.revertedWithCustomError(f.riskModule, "ParameterOutOfBounds")
      .withArgs(MAINTENANCE, 49n, 50n, 5000n);
    expect(await f.riskModule.parameter(ETH, MAINTENANCE)).to.equal(250n);
  });

  it("GOV-5: the bounds are readable and the edges themselves are accepted", async function () {
    const { f, tx } = await setParameter(50n * WAD);
    await tx;
    expect(await f.riskModule.parameter(ETH, LEVERAGE)).to.equal(50n * WAD);
    const spec = await f.riskModule.parameterSpec(LEVERAGE);
    expect([spec.min, spec.max, spec.tightening]).to.deep.equal([WAD, 50n * WAD, 1n]);
  });

  it("GOV-5: an unknown parameter or market is refused", async function () {
    const f = await loadFixture(foundationFixture);
    await expect(f.riskModule.parameter(ETH, key("maxLeverag")))
      .to.be.revertedWithCustomError(f.riskModule, "ParameterUnknown")
      .withArgs(key("maxLeverag"));
    const data = f.riskModule.interface.encodeFunctionData("setParameter", [GLOBAL, LEVERAGE, 10n * WAD]);
    await expect(govern(f.timelock, f.governor, [{ target: await f.riskModule.getAddress(), data }]))
      .to.be.revertedWithCustomError(f.riskModule, "MockRiskModuleUnknownMarket")
      .withArgs(GLOBAL);
  });

  it("GOV-7: every change emits the old and the new value, per market", async function () {
    const { f, tx } = await setParameter(7n * WAD, LEVERAGE, BTC);
    await expect(tx)
      .to.emit(f.riskModule, "ParameterChanged")
      .withArgs(BTC, LEVERAGE, 20n * WAD, 7n * WAD, await f.timelock.getAddress());
    expect(await f.riskModule.parameter(BTC, LEVERAGE)).to.equal(7n * WAD);
    expect(await f.riskModule.parameter(ETH, LEVERAGE)).to.equal(20n * WAD);
  });

  it("CB-6: the guardian lowers max leverage at once, with an event naming actor and reason", async function () {
    const { riskModule, guardian } = await loadFixture(foundationFixture);
    await expect(riskModule.connect(guardian).tightenParameter(ETH, LEVERAGE, 5n * WAD, "oracle incident"))
      .to.emit(riskModule, "ParameterTightened")
      .withArgs(ETH, LEVERAGE, 20n * WAD, 5n * WAD, guardian.address, "oracle incident");
    expect(await riskModule.parameter(ETH, LEVERAGE)).to.equal(5n * WAD);
  });

  it("CB-6: the guardian raises a margin requirement at once", async function () {
    const { riskModule, guardian } = await loadFixture(foundationFixture);
    await riskModule.connect(guardian).tightenParameter(ETH, MAINTENANCE, 1000n, "volatility");
    expect(await riskModule.parameter(ETH, MAINTENANCE)).to.equal(1000n);
  });

  it("CB-6: any loosening by the guardian reverts and changes nothing", async function () {
    const { riskModule, guardian } = await loadFixture(foundationFixture);
    await expect(riskModule.connect(guardian).tightenParameter(ETH, LEVERAGE, 25n * WAD, "loosen"))
      .to.be.revertedWithCustomError(riskModule, "ParameterNotTightening")
      .withArgs(LEVERAGE, 20n * WAD, 25n * WAD);
    await expect(riskModule.connect(guardian).tightenParameter(ETH, MAINTENANCE, 200n, "loosen"))
      .to.be.revertedWithCustomError(riskModule, "ParameterNotTightening")
      .withArgs(MAINTENANCE, 250n, 200n);
    await expect(riskModule.connect(guardian).tightenParameter(ETH, LEVERAGE, 20n * WAD, "same"))
      .to.be.revertedWithCustomError(riskModule, "ParameterNotTightening")
      .withArgs(LEVERAGE, 20n * WAD, 20n * WAD);
    expect(await riskModule.parameter(ETH, LEVERAGE)).to.equal(20n * WAD);
    expect(await riskModule.parameter(ETH, MAINTENANCE)).to.equal(250n);
  });

  it("CB-6: tightening stays within the hard bounds", async function () {
    const { riskModule, guardian } = await loadFixture(foundationFixture);
    await expect(riskModule.connect(guardian).tightenParameter(ETH, LEVERAGE, WAD - 1n, "too far"))
      .to.be.revertedWithCustomError(riskModule, "ParameterOutOfBounds")
      .withArgs(LEVERAGE, WAD - 1n, WAD, 50n * WAD);
    await expect(riskModule.connect(guardian).tightenParameter(ETH, MAINTENANCE, 5001n, "too far"))
      .to.be.revertedWithCustomError(riskModule, "ParameterOutOfBounds")
      .withArgs(MAINTENANCE, 5001n, 50n, 5000n);
  });

  it("CB-6: a parameter without a safer direction is closed to the guardian", async function () {
    const { riskModule, pauseRegistry, guardian } = await loadFixture(foundationFixture);
    await expect(riskModule.connect(guardian).tightenParameter(ETH, FEE, 1n, "fee"))
      .to.be.revertedWithCustomError(riskModule, "ParameterNotGuardianAdjustable")
      .withArgs(FEE);
    await expect(pauseRegistry.connect(guardian).tightenParameter(GLOBAL, key("maxGuardianPause"), 3600n, "shorter"))
      .to.be.revertedWithCustomError(pauseRegistry, "ParameterNotGuardianAdjustable")
      .withArgs(key("maxGuardianPause"));
  });

  it("CB-6: an emergency change must give a reason", async function () {
    const { riskModule, guardian } = await loadFixture(foundationFixture);
    await expect(
      riskModule.connect(guardian).tightenParameter(ETH, LEVERAGE, 5n * WAD, ""),
    ).to.be.revertedWithCustomError(riskModule, "ParameterEmptyReason");
  });

  it("CB-6: the guardian cannot use the governance setter, even to tighten", async function () {
    const { riskModule, guardian } = await loadFixture(foundationFixture);
    await expect(riskModule.connect(guardian).setParameter(ETH, LEVERAGE, 5n * WAD))
      .to.be.revertedWithCustomError(riskModule, "AccessManagedUnauthorized")
      .withArgs(guardian.address);
  });
});

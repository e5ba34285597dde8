import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, HOUR } from "../../../deploy/foundation";
import { foundationFixture, ETH, BTC, GLOBAL, key } from "../../helpers/fixtures";
import { governCall } from "../../helpers/timelock";
import { Action, ACTION_COUNT, ALL_ACTIONS, DERISKING, GUARDIAN_PAUSABLE, mask } from "../../helpers/actions";

describe("PauseRegistry (CB-1, CB-2, CB-3, CB-7)", function () {
  const governRegistry = (f: Awaited<ReturnType<typeof foundationFixture>>, fn: string, args: unknown[]) =>
    governCall(f, f.pauseRegistry, fn, args);

  describe("CB-1 granular pauses", function () {
    it("CB-1: each action pauses on its own, per market", async function () {
      const { pauseRegistry, guardian } = await loadFixture(foundationFixture);
      for (let a = 0; a < ACTION_COUNT; a++) {
        expect(await pauseRegistry.isPaused(ETH, a)).to.equal(false);
      }
      await pauseRegistry.connect(guardian).pause(ETH, mask(Action.Open, Action.BuyOption), "test");
      for (let a = 0; a < ACTION_COUNT; a++) {
        const expected = a === Action.Open || a === Action.BuyOption;
        expect(await pauseRegistry.isPaused(ETH, a), Action[a]).to.equal(expected);
        expect(await pauseRegistry.isPaused(BTC, a), Action[a]).to.equal(false);
      }
      expect(await pauseRegistry.pausedActions(ETH)).to.equal(mask(Action.Open, Action.BuyOption));
    });

    it("CB-1: a global pause applies to every market", async function () {
      const { pauseRegistry, guardian } = await loadFixture(foundationFixture);
      await pauseRegistry.connect(guardian).pause(GLOBAL, GUARDIAN_PAUSABLE, "stop the world");
      for (const market of [ETH, BTC, key("SOL-USD")]) {
        expect(await pauseRegistry.pausedActions(market)).to.equal(GUARDIAN_PAUSABLE);
      }
    });

    it("CB-1: pausing every risk-increasing action never blocks reducing or closing", async function () {
      const { pauseRegistry, guardian } = await loadFixture(foundationFixture);
      await pauseRegistry.connect(guardian).pause(GLOBAL, GUARDIAN_PAUSABLE, "global");
      await pauseRegistry.connect(guardian).pause(ETH, GUARDIAN_PAUSABLE, "market");
      expect(await pauseRegistry.isPaused(ETH, Action.Reduce)).to.equal(false);
      expect(await pauseRegistry.isPaused(ETH, Action.Close)).to.equal(false);
    });

    it("CB-1: the guardian cannot pause reducing or closing; governance can, for a bug in the close path", async function () {
      const f = await loadFixture(foundationFixture);
      const { pauseRegistry, guardian } = f;
      await expect(pauseRegistry.connect(guardian).pause(ETH, mask(Action.Open, Action.Close), "trap"))
        .to.be.revertedWithCustomError(pauseRegistry, "PauseRegistryGuardianCannotPause")
        .withArgs(mask(Action.Close));
      expect(await pauseRegistry.pausedActions(ETH)).to.equal(0n);
      await governRegistry(f, "confirmPause", [ETH, DERISKING, "close path bug"]);
      expect(await pauseRegistry.isPaused(ETH, Action.Close)).to.equal(true);
      expect(await pauseRegistry.isPaused(ETH, Action.Reduce)).to.equal(true);
    });

    it("CB-1: bad action masks and empty reasons are refused", async function () {
      const { pauseRegistry, guardian } = await loadFixture(foundationFixture);
      await expect(pauseRegistry.connect(guardian).pause(ETH, 0, "nothing"))
        .to.be.revertedWithCustomError(pauseRegistry, "PauseRegistryInvalidActions")
        .withArgs(0);
      await expect(pauseRegistry.connect(guardian).pause(ETH, ALL_ACTIONS + 1n, "unknown bit"))
        .to.be.revertedWithCustomError(pauseRegistry, "PauseRegistryInvalidActions")
        .withArgs(ALL_ACTIONS + 1n);
      await expect(pauseRegistry.connect(guardian).pause(ETH, 1, "")).to.be.revertedWithCustomError(
        pauseRegistry,
        "PauseRegistryEmptyReason",
      );
    });
  });

  describe("CB-2 guardian pauses expire; only the timelock unpauses", function () {
    it("CB-2: the guardian pauses in one transaction for maxGuardianPause (72 h)", async function () {
      const { pauseRegistry, guardian } = await loadFixture(foundationFixture);
      const tx = await pauseRegistry.connect(guardian).pause(ETH, mask(Action.Open), "incident");
      const now = BigInt((await tx.getBlock())!.timestamp);
      const state = await pauseRegistry.scopeState(ETH);
      expect(state.guardianUntil).to.equal(now + 72n * HOUR);
      await time.increaseTo(now + 72n * HOUR - 1n);
      expect(await pauseRegistry.isPaused(ETH, Action.Open)).to.equal(true);
      await time.increaseTo(now + 72n * HOUR);
      expect(await pauseRegistry.isPaused(ETH, Action.Open)).to.equal(false);
    });

    it("CB-2: a guardian pause confirmed by governance does not expire", async function () {
      const f = await loadFixture(foundationFixture);
      await f.pauseRegistry.connect(f.guardian).pause(ETH, mask(Action.Open, Action.Increase), "incident");
      await governRegistry(f, "confirmPause", [ETH, mask(Action.Open), "confirmed"]);
      await time.increase(30n * DAY);
      expect(await f.pauseRegistry.isPaused(ETH, Action.Open)).to.equal(true);
      expect(await f.pauseRegistry.isPaused(ETH, Action.Increase)).to.equal(false);
    });

    it("CB-2: the guardian cannot unpause, and the pause stays", async function () {
      const { pauseRegistry, guardian } = await loadFixture(foundationFixture);
      await pauseRegistry.connect(guardian).pause(ETH, mask(Action.Open), "incident");
      await expect(pauseRegistry.connect(guardian).unpause(ETH, mask(Action.Open), "undo"))
        .to.be.revertedWithCustomError(pauseRegistry, "AccessManagedUnauthorized")
        .withArgs(guardian.address);
      await expect(pauseRegistry.connect(guardian).confirmPause(ETH, mask(Action.Open), "extend"))
        .to.be.revertedWithCustomError(pauseRegistry, "AccessManagedUnauthorized")
        .withArgs(guardian.address);
      expect(await pauseRegistry.isPaused(ETH, Action.Open)).to.equal(true);
    });

    it("CB-2: governance unpauses through the timelock", async function () {
      const f = await loadFixture(foundationFixture);
      await f.pauseRegistry.connect(f.guardian).pause(ETH, mask(Action.Open, Action.Deposit), "incident");
      await expect(governRegistry(f, "unpause", [ETH, mask(Action.Open), "resolved"]))
        .to.emit(f.pauseRegistry, "Unpaused")
        .withArgs(ETH, mask(Action.Open), await f.timelock.getAddress(), "resolved");
      expect(await f.pauseRegistry.pausedActions(ETH)).to.equal(mask(Action.Deposit));
    });

    it("CB-2: unpausing what is not paused reverts", async function () {
      const f = await loadFixture(foundationFixture);
      await expect(governRegistry(f, "unpause", [ETH, mask(Action.Open), "nothing"]))
        .to.be.revertedWithCustomError(f.pauseRegistry, "PauseRegistryNotPaused")
        .withArgs(ETH, mask(Action.Open));
    });

    it("CB-2: pausing what governance already paused reverts", async function () {
      const f = await loadFixture(foundationFixture);
      await governRegistry(f, "confirmPause", [ETH, mask(Action.Open), "confirmed"]);
      await expect(f.pauseRegistry.connect(f.guardian).pause(ETH, mask(Action.Open), "again"))
        .to.be.revertedWithCustomError(f.pauseRegistry, "PauseRegistryAlreadyPaused")
        .withArgs(ETH, mask(Action.Open));
    });

    it("CB-2: maxGuardianPause is a bounded parameter set through the timelock", async function () {
      const f = await loadFixture(foundationFixture);
      const MAX = key("maxGuardianPause");
      for (const bad of [3n * DAY - 1n, 14n * DAY + 1n]) {
        await expect(governRegistry(f, "setParameter", [GLOBAL, MAX, bad]))
          .to.be.revertedWithCustomError(f.pauseRegistry, "ParameterOutOfBounds")
          .withArgs(MAX, bad, 3n * DAY, 14n * DAY);
      }
      await expect(governRegistry(f, "setParameter", [ETH, MAX, 4n * DAY]))
        .to.be.revertedWithCustomError(f.pauseRegistry, "PauseRegistryScopeNotGlobal")
        .withArgs(ETH);
      await governRegistry(f, "setParameter", [GLOBAL, MAX, 4n * DAY]);
      const tx = await f.pauseRegistry.connect(f.guardian).pause(ETH, mask(Action.Open), "longer");
      const now = BigInt((await tx.getBlock())!.timestamp);
      expect((await f.pauseRegistry.scopeState(ETH)).guardianUntil).to.equal(now + 4n * DAY);
    });

    it("CB-2: pausing more actions never extends a guardian pause already running", async function () {
      const { pauseRegistry, guardian } = await loadFixture(foundationFixture);
      const tx = await pauseRegistry.connect(guardian).pause(ETH, mask(Action.Open), "first");
      const until = BigInt((await tx.getBlock())!.timestamp) + 72n * HOUR;
      await time.increase(70n * HOUR);
      await expect(pauseRegistry.connect(guardian).pause(ETH, mask(Action.Deposit), "second"))
        .to.emit(pauseRegistry, "Paused")
        .withArgs(ETH, mask(Action.Deposit), until, guardian.address, "second");
      await expect(pauseRegistry.connect(guardian).pause(ETH, mask(Action.Open), "again"))
        .to.be.revertedWithCustomError(pauseRegistry, "PauseRegistryAlreadyPaused")
        .withArgs(ETH, mask(Action.Open));
      await time.increaseTo(until);
      expect(await pauseRegistry.pausedActions(ETH)).to.equal(0n);
    });
  });

  describe("CB-3 liquidation grace after an unpause", function () {
    it("CB-3: while reducing or closing is paused, liquidating is paused too", async function () {
      const f = await loadFixture(foundationFixture);
      await governRegistry(f, "confirmPause", [ETH, mask(Action.Close), "close path bug"]);
      expect(await f.pauseRegistry.isPaused(ETH, Action.Liquidate)).to.equal(true);
      expect(await f.pauseRegistry.isPaused(BTC, Action.Liquidate)).to.equal(false);
      await governRegistry(f, "unpause", [ETH, mask(Action.Close), "fixed"]);
      expect(await f.pauseRegistry.isPaused(ETH, Action.Liquidate)).to.equal(false);
      expect(await f.pauseRegistry.inLiquidationGrace(ETH)).to.equal(true);
    });

    it("CB-3: resuming an action traders do not need to defend (buying options) starts no grace", async function () {
      const f = await loadFixture(foundationFixture);
      await f.pauseRegistry.connect(f.guardian).pause(GLOBAL, mask(Action.BuyOption, Action.Open), "incident");
      await governRegistry(f, "unpause", [GLOBAL, mask(Action.BuyOption, Action.Open), "resolved"]);
      expect(await f.pauseRegistry.inLiquidationGrace(ETH)).to.equal(false);
      await f.pauseRegistry.connect(f.guardian).pause(ETH, mask(Action.Deposit), "incident");
      await governRegistry(f, "unpause", [ETH, mask(Action.Deposit), "resolved"]);
      expect(await f.pauseRegistry.inLiquidationGrace(ETH)).to.equal(true);
    });

    it("CB-3: liquidations wait 1 h after an unpause by governance", async function () {
      const f = await loadFixture(foundationFixture);
      expect(await f.pauseRegistry.inLiquidationGrace(ETH)).to.equal(false);
      expect(await f.pauseRegistry.liquidationGraceEndsAt(ETH)).to.equal(0n);
      await f.pauseRegistry.connect(f.guardian).pause(ETH, mask(Action.Liquidate, Action.Open), "incident");
      const tx = await governRegistry(f, "unpause", [ETH, mask(Action.Liquidate, Action.Open), "resolved"]);
      const unpausedAt = BigInt((await tx.getBlock())!.timestamp);
      expect(await f.pauseRegistry.liquidationGraceEndsAt(ETH)).to.equal(unpausedAt + HOUR);
      expect(await f.pauseRegistry.inLiquidationGrace(ETH)).to.equal(true);
      expect(await f.pauseRegistry.inLiquidationGrace(BTC)).to.equal(false);
      await time.increaseTo(unpausedAt + HOUR);
      expect(await f.pauseRegistry.inLiquidationGrace(ETH)).to.equal(false);
    });

    it("CB-3: a lapsed guardian pause also starts the grace period, measured from the lapse", async function () {
      const { pauseRegistry, guardian } = await loadFixture(foundationFixture);
      const tx = await pauseRegistry.connect(guardian).pause(ETH, mask(Action.Liquidate), "incident");
      const lapse = BigInt((await tx.getBlock())!.timestamp) + 72n * HOUR;
      await time.increaseTo(lapse + 10n);
      expect(await pauseRegistry.isPaused(ETH, Action.Liquidate)).to.equal(false);
      expect(await pauseRegistry.liquidationGraceEndsAt(ETH)).to.equal(lapse + HOUR);
      expect(await pauseRegistry.inLiquidationGrace(ETH)).to.equal(true);
    });

    it("CB-3: a global unpause starts the grace period in every market", async function () {
      const f = await loadFixture(foundationFixture);
      await f.pauseRegistry.connect(f.guardian).pause(GLOBAL, mask(Action.Liquidate), "incident");
      await governRegistry(f, "unpause", [GLOBAL, mask(Action.Liquidate), "resolved"]);
      expect(await f.pauseRegistry.inLiquidationGrace(ETH)).to.equal(true);
      expect(await f.pauseRegistry.inLiquidationGrace(BTC)).to.equal(true);
    });

    it("CB-3: the grace period is bounded at 4 h and can be set to 0", async function () {
      const f = await loadFixture(foundationFixture);
      const GRACE = key("liquidationGracePeriod");
      await expect(governRegistry(f, "setParameter", [GLOBAL, GRACE, 4n * HOUR + 1n]))
        .to.be.revertedWithCustomError(f.pauseRegistry, "ParameterOutOfBounds")
        .withArgs(GRACE, 4n * HOUR + 1n, 0n, 4n * HOUR);
      await governRegistry(f, "setParameter", [GLOBAL, GRACE, 4n * HOUR]);
      expect(await f.pauseRegistry.parameter(GLOBAL, GRACE)).to.equal(4n * HOUR);
      await governRegistry(f, "setParameter", [GLOBAL, GRACE, 0n]);
      await f.pauseRegistry.connect(f.guardian).pause(ETH, mask(Action.Liquidate), "incident");
      await governRegistry(f, "unpause", [ETH, mask(Action.Liquidate), "resolved"]);
      expect(await f.pauseRegistry.inLiquidationGrace(ETH)).to.equal(false);
    });
  });

  describe("CB-7 events and views", function () {
    it("CB-7: a pause emits the actions, expiry, actor and reason", async function () {
      const { pauseRegistry, guardian } = await loadFixture(foundationFixture);
      const next = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(next);
      await expect(pauseRegistry.connect(guardian).pause(BTC, mask(Action.Open, Action.Settle), "oracle spike"))
        .to.emit(pauseRegistry, "Paused")
        .withArgs(BTC, mask(Action.Open, Action.Settle), next + 72n * HOUR, guardian.address, "oracle spike");
    });

    it("CB-7: a confirmation emits the actor and reason", async function () {
      const f = await loadFixture(foundationFixture);
      await expect(governRegistry(f, "confirmPause", [BTC, mask(Action.Open), "keep it"]))
        .to.emit(f.pauseRegistry, "PauseConfirmed")
        .withArgs(BTC, mask(Action.Open), await f.timelock.getAddress(), "keep it");
    });

    it("CB-7: anyone records a lapsed pause, with an event; nothing lapsed reverts", async function () {
      const { pauseRegistry, guardian, bob } = await loadFixture(foundationFixture);
      await expect(pauseRegistry.connect(bob).recordExpiry(ETH))
        .to.be.revertedWithCustomError(pauseRegistry, "PauseRegistryNothingExpired")
        .withArgs(ETH);
      const tx = await pauseRegistry.connect(guardian).pause(ETH, mask(Action.Open, Action.Deposit), "incident");
      const lapse = BigInt((await tx.getBlock())!.timestamp) + 72n * HOUR;
      await time.increaseTo(lapse + 5n);
      await expect(pauseRegistry.connect(bob).recordExpiry(ETH))
        .to.emit(pauseRegistry, "PauseExpired")
        .withArgs(ETH, mask(Action.Open, Action.Deposit), lapse, bob.address);
      const state = await pauseRegistry.scopeState(ETH);
      expect(state.guardianMask).to.equal(0n);
      expect(state.resumedAt).to.equal(lapse);
      expect(await pauseRegistry.liquidationGraceEndsAt(ETH)).to.equal(lapse + HOUR);
    });

    it("CB-7: a new guardian pause after a lapse records the lapse first and does not revive old actions", async function () {
      const { pauseRegistry, guardian } = await loadFixture(foundationFixture);
      await pauseRegistry.connect(guardian).pause(ETH, mask(Action.Open), "first");
      await time.increase(73n * HOUR);
      await expect(pauseRegistry.connect(guardian).pause(ETH, mask(Action.Deposit), "second"))
        .to.emit(pauseRegistry, "PauseExpired")
        .and.to.emit(pauseRegistry, "Paused");
      expect(await pauseRegistry.pausedActions(ETH)).to.equal(mask(Action.Deposit));
    });

    it("CB-7: isPaused and pausedActions agree for every action and scope", async function () {
      const { pauseRegistry, guardian } = await loadFixture(foundationFixture);
      await pauseRegistry.connect(guardian).pause(GLOBAL, mask(Action.Settle), "global");
      await pauseRegistry.connect(guardian).pause(ETH, mask(Action.Withdraw), "market");
      const m = await pauseRegistry.pausedActions(ETH);
      expect(m).to.equal(mask(Action.Settle, Action.Withdraw));
      for (let a = 0; a < ACTION_COUNT; a++) {
        expect(await pauseRegistry.isPaused(ETH, a)).to.equal((m & (1n << BigInt(a))) !== 0n);
      }
    });
  });

  it("CB-1: the registry's constants match the action list", async function () {
    const { pauseRegistry } = await loadFixture(foundationFixture);
    expect(await pauseRegistry.ALL_ACTIONS()).to.equal(ALL_ACTIONS);
    expect(await pauseRegistry.DERISKING_ACTIONS()).to.equal(DERISKING);
    expect(await pauseRegistry.GRACE_ACTIONS()).to.equal(DERISKING | mask(Action.Deposit, Action.Liquidate));
  });
});

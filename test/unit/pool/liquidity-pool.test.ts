import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, HOUR } from "../../../deploy/foundation";
import { GLOBAL, key } from "../../helpers/fixtures";
import { Action, mask } from "../../helpers/actions";
import { governCall } from "../../helpers/timelock";
import { WAD } from "../../helpers/oracle";
import { BPS, poolFixture, type PoolFixture, SHARE_OFFSET, usdc } from "../../helpers/pool";

const MIN_HOLDING_TIME = key("minHoldingTime");
const WITHDRAW_FEE_BPS = key("withdrawFeeBps");
const FEE = 10n;

/** What redeeming `shares` pays at the pool's current NAV: value rounded down, minus the fee rounded up. */
async function expectedNet(f: PoolFixture, shares: bigint) {
  const gross = await f.pool.convertToAssets(shares);
  return gross - (gross * FEE + FEE + BPS - 1n) / (FEE + BPS);
}

const governPool = (f: PoolFixture, fn: string, args: unknown[]) => governCall(f, f.pool, fn, args);

/** Waits out the holding time; the oracle's sources publish again (at `usd`), as they would over a day. */
async function afterHoldingTime(f: PoolFixture, usd = 3_000n) {
  await time.increase(DAY);
  await f.setAll(usd);
}

/** Alice seeds the pool with 1,000,000 USDC and waits out the holding time. */
async function seededFixture() {
  const f = await poolFixture();
  await f.pool.connect(f.alice).deposit(usdc(1_000_000), f.alice.address);
  await afterHoldingTime(f);
  return f;
}

describe("LiquidityPool", () => {
  describe("POOL-1: an ERC-4626 vault with an offset and a separate insurance fund", () => {
    it("POOL-1: the pool is an ERC-4626 vault over the collateral with six more share decimals", async () => {
      const f = await loadFixture(poolFixture);
      expect(await f.pool.asset()).to.equal(await f.usdc.getAddress());
      expect(await f.pool.decimals()).to.equal(12);
      await expect(f.pool.connect(f.alice).deposit(usdc(1_000), f.bob.address))
        .to.emit(f.pool, "Deposit")
        .withArgs(f.alice.address, f.bob.address, usdc(1_000), usdc(1_000) * SHARE_OFFSET);
      expect(await f.pool.totalAssets()).to.equal(usdc(1_000));
      expect((await f.pool.poolState()).cash).to.equal(usdc(1_000));
    });

    it("POOL-1: the insurance fund is a separate balance that share prices ignore", async () => {
      const f = await loadFixture(seededFixture);
      const price = await f.pool.convertToAssets(SHARE_OFFSET * usdc(1));
      await expect(f.pool.connect(f.bob).fundInsurance(usdc(50_000)))
        .to.emit(f.pool, "InsuranceFunded")
        .withArgs(f.bob.address, usdc(50_000), usdc(50_000));
      const s = await f.pool.poolState();
      expect(s.insurance).to.equal(usdc(50_000));
      expect(s.cash).to.equal(usdc(1_000_000));
      expect(await f.pool.totalAssets()).to.equal(usdc(1_000_000));
      expect(await f.pool.convertToAssets(SHARE_OFFSET * usdc(1))).to.equal(price);
    });

    it("POOL-1: collateral sent by mistake moves no share price and can be swept into the insurance fund", async () => {
      const f = await loadFixture(seededFixture);
      await f.usdc.connect(f.bob).transfer(f.pool, usdc(7_000));
      expect(await f.pool.totalAssets()).to.equal(usdc(1_000_000));
      await expect(f.pool.connect(f.carol).sweepSurplus())
        .to.emit(f.pool, "SurplusSwept")
        .withArgs(usdc(7_000), f.carol.address);
      expect((await f.pool.poolState()).insurance).to.equal(usdc(7_000));
      expect(await f.pool.sweepSurplus.staticCall()).to.equal(0n);
    });

    it("POOL-1: zero deposits and deposits too small to mint a share revert", async () => {
      const f = await loadFixture(seededFixture);
      await expect(f.pool.connect(f.bob).deposit(0n, f.bob.address)).to.be.revertedWithCustomError(
        f.pool,
        "LiquidityPoolZeroAmount",
      );
      await expect(f.pool.connect(f.bob).mint(0n, f.bob.address)).to.be.revertedWithCustomError(
        f.pool,
        "LiquidityPoolZeroAmount",
      );
    });
  });

  describe("POOL-2: share price counts the traders' side; frozen prices stop deposits and withdrawals", () => {
    it("POOL-2: unrealised trader profit lowers the share price, trader loss raises it", async () => {
      const f = await loadFixture(seededFixture);
      await f.engine.setPosition(100n * WAD, 3_000n * WAD); // traders are long 100 ETH from 3,000
      expect(await f.pool.totalAssets()).to.equal(usdc(1_000_000));
      await f.setAll(3_300n);
      expect(await f.pool.totalAssets()).to.equal(usdc(1_000_000 - 30_000));
      await f.setAll(2_700n);
      expect(await f.pool.totalAssets()).to.equal(usdc(1_000_000 + 30_000));
      // A depositor buys at that price: fewer shares for the same assets.
      const shares = await f.pool.previewDeposit(usdc(1_030));
      expect(shares).to.equal((usdc(1_030) * (usdc(1_000_000) * SHARE_OFFSET + SHARE_OFFSET)) / (usdc(1_030_000) + 1n));
      await expect(f.pool.connect(f.bob).deposit(usdc(1_030), f.bob.address))
        .to.emit(f.pool, "Deposit")
        .withArgs(f.bob.address, f.bob.address, usdc(1_030), shares);
    });

    it("POOL-2: with the oracle frozen, deposits and withdrawals revert and every max is 0", async () => {
      const f = await loadFixture(seededFixture);
      await f.engine.setPosition(100n * WAD, 3_000n * WAD);
      await f.feed18.updateAnswer(3_600n * WAD); // one of three sources spikes 20 %: divergence freeze
      expect((await f.aggregator.status(await f.engine.market())).state).to.equal(1n);

      await expect(f.pool.connect(f.bob).deposit(usdc(1_000), f.bob.address)).to.be.revertedWithCustomError(
        f.pool,
        "LiquidityPoolPricesUntrusted",
      );
      await expect(
        f.pool.connect(f.alice).redeem(SHARE_OFFSET, f.alice.address, f.alice.address),
      ).to.be.revertedWithCustomError(f.pool, "LiquidityPoolPricesUntrusted");
      await expect(f.pool.previewDeposit(usdc(1))).to.be.revertedWithCustomError(
        f.pool,
        "LiquidityPoolPricesUntrusted",
      );
      expect(await f.pool.maxDeposit(f.bob.address)).to.equal(0n);
      expect(await f.pool.maxMint(f.bob.address)).to.equal(0n);
      expect(await f.pool.maxWithdraw(f.alice.address)).to.equal(0n);
      expect(await f.pool.maxRedeem(f.alice.address)).to.equal(0n);
      expect((await f.pool.poolState()).trusted).to.equal(false);
      // The views the standard forbids to revert still answer, conservatively: the traders are long, so their
      // PnL is taken at the highest price known (the last good price, 3,000, not lower).
      expect(await f.pool.totalAssets()).to.equal(usdc(1_000_000));
      expect(await f.pool.convertToShares(usdc(1))).to.be.greaterThan(0n);

      await f.feed18.updateAnswer(3_000n * WAD); // the source heals
      await f.pool.connect(f.bob).deposit(usdc(1_000), f.bob.address);
    });

    it("POOL-2: with no open exposure the pool needs no price and stays open while the oracle is frozen", async () => {
      const f = await loadFixture(seededFixture);
      await f.feed18.updateAnswer(3_600n * WAD);
      expect((await f.pool.poolState()).trusted).to.equal(true);
      await f.pool.connect(f.bob).deposit(usdc(1_000), f.bob.address);
    });
  });

  describe("POOL-3: locked and reserved collateral stays; what cannot be served is queued", () => {
    it("POOL-3: collateral locked for options and reserved for trader profit cannot be withdrawn", async () => {
      const f = await loadFixture(seededFixture);
      await f.engine.lock(usdc(900_000));
      await f.engine.reserve(usdc(50_000));
      const s = await f.pool.poolState();
      expect(s.locked).to.equal(usdc(900_000));
      expect(s.withdrawable).to.equal(usdc(50_000));
      expect(await f.pool.maxWithdraw(f.alice.address)).to.equal(usdc(50_000));
      await expect(f.pool.connect(f.alice).withdraw(usdc(50_000) + 1n, f.alice.address, f.alice.address))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolInsufficientLiquidity")
        .withArgs(usdc(50_000) + 1n, usdc(50_000));
      await f.pool.connect(f.alice).withdraw(usdc(50_000), f.alice.address, f.alice.address);
      expect((await f.pool.poolState()).withdrawable).to.equal(0n);
    });

    it("POOL-3: what one engine reserved for its traders cannot be locked or paid by another, so closes still pay", async () => {
      const f = await loadFixture(seededFixture);
      const other = await (
        await ethers.getContractFactory("MockPoolEngine")
      ).deploy(f.aggregator, await f.engine.market(), f.pool, f.accounts);
      await governPool(f, "addModule", [await other.getAddress(), true]);
      await f.engine.reserve(usdc(200_000));
      expect((await f.pool.poolState()).reserved).to.equal(usdc(200_000));
      await expect(other.lock(usdc(1_000_000)))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolInsufficientLiquidity")
        .withArgs(usdc(1_000_000), usdc(800_000));
      await other.lock(usdc(800_000));
      await expect(other.pay(f.bob.address, 1n)).to.be.revertedWithCustomError(
        f.pool,
        "LiquidityPoolInsufficientLiquidity",
      );
      await expect(other.reserve(1n)).to.be.revertedWithCustomError(f.pool, "LiquidityPoolInsufficientLiquidity");
      // The reserving engine's trader closes in profit: paid from the reservation.
      await f.engine.settle(f.bob.address, usdc(200_000));
      expect(await f.accounts.collateralOf(f.bob.address)).to.equal(usdc(200_000));
      expect((await f.pool.poolState()).withdrawable).to.equal(0n);
    });

    it("POOL-3: a positive liability counts as reserved even when the engine reserved less", async () => {
      const f = await loadFixture(seededFixture);
      await f.engine.setPosition(1_000n * WAD, 3_000n * WAD);
      await f.setAll(3_500n); // traders are up 500,000
      const s = await f.pool.poolState();
      expect(s.totalAssets).to.equal(usdc(500_000));
      expect(s.withdrawable).to.equal(usdc(500_000));
    });

    it("POOL-3: a redemption that cannot be served now is queued, served in order when liquidity frees, never lost", async () => {
      const f = await loadFixture(seededFixture);
      await f.pool.connect(f.bob).deposit(usdc(100_000), f.bob.address);
      await afterHoldingTime(f);
      await f.engine.lock(usdc(1_050_000)); // options lock all but 50,000
      const aliceShares = await f.pool.balanceOf(f.alice.address);
      const bobShares = await f.pool.balanceOf(f.bob.address);
      expect(await f.pool.maxRedeem(f.alice.address)).to.be.lessThan(aliceShares);

      // Alice's request is served in part at once (what is free), Bob's waits behind it.
      const aliceRequest = await f.pool.connect(f.alice).requestRedeem.staticCall(aliceShares, f.alice.address);
      await expect(f.pool.connect(f.alice).requestRedeem(aliceShares, f.alice.address))
        .to.emit(f.pool, "RedeemRequested")
        .withArgs(aliceRequest, f.alice.address, f.alice.address, aliceShares)
        .and.to.emit(f.pool, "RedeemRequestServed");
      const left = (await f.pool.redeemRequest(aliceRequest)).shares;
      expect(left).to.be.greaterThan(0n).and.lessThan(aliceShares);
      await f.pool.connect(f.bob).requestRedeem(bobShares, f.bob.address);
      expect((await f.pool.poolState()).queuedShares).to.equal(left + bobShares);

      // Nobody overtakes the queue with a direct redemption.
      await f.pool.connect(f.carol).deposit(usdc(10), f.carol.address);
      await afterHoldingTime(f);
      expect(await f.pool.maxRedeem(f.carol.address)).to.equal(0n);
      await expect(f.pool.connect(f.carol).redeem(SHARE_OFFSET, f.carol.address, f.carol.address))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolRedeemQueueWaiting")
        .withArgs(left + bobShares);

      // Options expire: the collateral is released, anyone serves the queue, in order.
      await f.engine.release(usdc(1_050_000));
      const aliceBefore = await f.usdc.balanceOf(f.alice.address);
      await expect(f.pool.connect(f.carol).serveRedeemRequests(10)).to.emit(f.pool, "RedeemRequestServed");
      expect((await f.pool.poolState()).queuedShares).to.equal(0n);
      expect(await f.pool.balanceOf(f.alice.address)).to.equal(0n);
      expect(await f.pool.balanceOf(f.bob.address)).to.equal(0n);

      // What the limiter held back is paid as its window frees capacity, and all of it once the claims have
      // waited `maxClaimDelay` (3 days): nothing is lost.
      const claims = await f.limiter.queryFilter(f.limiter.filters.OutflowLimited());
      await time.increase(3n * DAY);
      for (const c of claims) await f.limiter.connect(f.carol).claim(c.args.claimId);
      const aliceReceived = (await f.usdc.balanceOf(f.alice.address)) - aliceBefore;
      expect(aliceReceived).to.be.greaterThan(usdc(1_000_000 - 50_000 - 1_100)); // all of it bar the 0.1 % fee
      expect(await f.usdc.balanceOf(f.limiter)).to.equal(0n);
    });

    it("POOL-3: the owner can cancel a queued redemption and gets its shares back; nobody else can", async () => {
      const f = await loadFixture(seededFixture);
      await f.engine.lock(usdc(1_000_000));
      const shares = await f.pool.balanceOf(f.alice.address);
      await f.pool.connect(f.alice).requestRedeem(shares, f.alice.address);
      expect(await f.pool.balanceOf(f.alice.address)).to.equal(0n);
      await expect(f.pool.connect(f.bob).cancelRedeemRequest(1n))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolNotRequestOwner")
        .withArgs(1n, f.bob.address);
      await expect(f.pool.connect(f.alice).cancelRedeemRequest(1n))
        .to.emit(f.pool, "RedeemRequestCancelled")
        .withArgs(1n, shares);
      expect(await f.pool.balanceOf(f.alice.address)).to.equal(shares);
      await expect(f.pool.connect(f.alice).cancelRedeemRequest(1n))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolUnknownRequest")
        .withArgs(1n);
      // With the cancelled request gone, the next one is first in line and served at once when it can be.
      await f.engine.release(usdc(1_000_000));
      await expect(f.pool.connect(f.alice).requestRedeem(shares / 100n, f.alice.address))
        .to.emit(f.pool, "RedeemRequestServed")
        .withArgs(2n, shares / 100n, await f.pool.previewRedeem(shares / 100n), anyValue, 0n, true);
      expect((await f.pool.poolState()).queuedShares).to.equal(0n);
    });

    it("POOL-3: a request the token refuses to pay goes back to its owner and the queue moves on", async () => {
      const f = await loadFixture(seededFixture);
      await f.pool.connect(f.bob).deposit(usdc(10_000), f.bob.address);
      await afterHoldingTime(f);
      await f.pauseRegistry.connect(f.guardian).pause(GLOBAL, mask(Action.Withdraw), "incident");
      const [, , , , , , , blocked] = await ethers.getSigners();
      const bobShares = await f.pool.balanceOf(f.bob.address);
      await f.pool.connect(f.bob).requestRedeem(bobShares, blocked.address);
      await f.pool.connect(f.alice).requestRedeem(SHARE_OFFSET * usdc(1_000), f.alice.address);
      await f.usdc.setBlocked(blocked.address, true); // e.g. the token issuer's blocklist
      await time.increase(3n * DAY); // the guardian's pause lapses
      await f.setAll(3_000n);

      await expect(f.pool.serveRedeemRequests(10))
        .to.emit(f.pool, "RedeemRequestReturned")
        .withArgs(1n, f.bob.address, bobShares)
        .and.to.emit(f.pool, "RedeemRequestServed");
      expect(await f.pool.balanceOf(f.bob.address)).to.equal(bobShares);
      expect((await f.pool.poolState()).queuedShares).to.equal(0n);
      expect(await f.pool.maxRedeem(f.alice.address)).to.be.greaterThan(0n);
    });
  });

  describe("POOL-4: holding time and withdrawal fee", () => {
    it("POOL-4: new shares are locked for the holding time: transfer, withdraw and redeem revert until then", async () => {
      const f = await loadFixture(seededFixture);
      await f.pool.connect(f.bob).deposit(usdc(1_000), f.bob.address);
      const unlockAt = BigInt(await time.latest()) + DAY;
      const shares = usdc(1_000) * SHARE_OFFSET;
      expect(await f.pool.lockedShares(f.bob.address)).to.deep.equal([shares, unlockAt]);
      expect(await f.pool.maxRedeem(f.bob.address)).to.equal(0n);
      await expect(f.pool.connect(f.bob).transfer(f.carol.address, 1n))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolSharesLocked")
        .withArgs(f.bob.address, 1n, 0n, unlockAt);
      await expect(f.pool.connect(f.bob).redeem(shares, f.bob.address, f.bob.address)).to.be.revertedWithCustomError(
        f.pool,
        "LiquidityPoolSharesLocked",
      );
      await expect(f.pool.connect(f.bob).requestRedeem(shares, f.bob.address)).to.be.revertedWithCustomError(
        f.pool,
        "LiquidityPoolSharesLocked",
      );
      await time.increaseTo(unlockAt);
      await f.pool.connect(f.bob).transfer(f.carol.address, 1n);
      expect(await f.pool.lockedShares(f.bob.address)).to.deep.equal([0n, 0n]);
    });

    it("POOL-4: nobody can keep another LP's shares locked: adding to a receiver's locked shares is the receiver's alone", async () => {
      const f = await loadFixture(poolFixture);
      await f.pool.connect(f.alice).deposit(usdc(1_000), f.alice.address);
      const unlockAt = BigInt(await time.latest()) + DAY;
      await expect(f.pool.connect(f.mallory).deposit(1n, f.alice.address))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolReceiverLocked")
        .withArgs(f.alice.address, unlockAt);
      await expect(f.pool.connect(f.mallory).mint(SHARE_OFFSET, f.alice.address))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolReceiverLocked")
        .withArgs(f.alice.address, unlockAt);
      await f.pool.connect(f.alice).deposit(usdc(1), f.alice.address); // her own top-up may extend her lock
      expect((await f.pool.lockedShares(f.alice.address))[1]).to.be.greaterThan(unlockAt);
    });

    it("POOL-4: a deposit made for someone else locks only the new shares, never the receiver's free ones", async () => {
      const f = await loadFixture(seededFixture);
      const free = await f.pool.balanceOf(f.alice.address);
      await f.pool.connect(f.mallory).deposit(usdc(1), f.alice.address);
      expect(await f.pool.freeShares(f.alice.address)).to.equal(free);
      await f.pool.connect(f.alice).transfer(f.bob.address, free);
    });

    it("POOL-4: every withdrawal pays the fee to the remaining LPs, and the previews include it", async () => {
      const f = await loadFixture(seededFixture);
      await f.pool.connect(f.bob).deposit(usdc(100_000), f.bob.address);
      await afterHoldingTime(f);
      const shares = usdc(20_000) * SHARE_OFFSET;
      const net = await expectedNet(f, shares);
      expect(net).to.equal(usdc(20_000) - 19_980_020n); // fee = ceil(20,000 × 10 / 10,010)
      expect(await f.pool.previewRedeem(shares)).to.equal(net);
      const aliceValue = await f.pool.convertToAssets(await f.pool.balanceOf(f.alice.address));
      await expect(f.pool.connect(f.bob).redeem(shares, f.bob.address, f.bob.address))
        .to.emit(f.pool, "Withdraw")
        .withArgs(f.bob.address, f.bob.address, f.bob.address, net, shares);
      expect(await f.pool.convertToAssets(await f.pool.balanceOf(f.alice.address))).to.be.greaterThan(aliceValue);
      // withdraw(assets) burns the shares that cover the assets plus the fee on them.
      const sharesFor = await f.pool.previewWithdraw(usdc(10_000));
      await expect(f.pool.connect(f.bob).withdraw(usdc(10_000), f.bob.address, f.bob.address))
        .to.emit(f.pool, "Withdraw")
        .withArgs(f.bob.address, f.bob.address, f.bob.address, usdc(10_000), sharesFor);
      expect(sharesFor).to.be.greaterThan((await f.pool.convertToShares(usdc(10_010))) - 1n);
    });

    it("POOL-4: parameters are bounded; the guardian may lengthen the holding time but not touch the fee", async () => {
      const f = await loadFixture(poolFixture);
      await expect(governPool(f, "setParameter", [GLOBAL, MIN_HOLDING_TIME, HOUR - 1n]))
        .to.be.revertedWithCustomError(f.pool, "ParameterOutOfBounds")
        .withArgs(MIN_HOLDING_TIME, HOUR - 1n, HOUR, 7n * DAY);
      await expect(governPool(f, "setParameter", [GLOBAL, WITHDRAW_FEE_BPS, 101n]))
        .to.be.revertedWithCustomError(f.pool, "ParameterOutOfBounds")
        .withArgs(WITHDRAW_FEE_BPS, 101n, 0n, 100n);
      await governPool(f, "setParameter", [GLOBAL, WITHDRAW_FEE_BPS, 100n]);
      expect(await f.pool.parameter(GLOBAL, WITHDRAW_FEE_BPS)).to.equal(100n);
      await expect(f.pool.connect(f.guardian).tightenParameter(GLOBAL, WITHDRAW_FEE_BPS, 50n, "cheaper"))
        .to.be.revertedWithCustomError(f.pool, "ParameterNotGuardianAdjustable")
        .withArgs(WITHDRAW_FEE_BPS);
      await expect(f.pool.connect(f.guardian).tightenParameter(GLOBAL, MIN_HOLDING_TIME, 2n * DAY, "incident"))
        .to.emit(f.pool, "ParameterTightened")
        .withArgs(GLOBAL, MIN_HOLDING_TIME, DAY, 2n * DAY, f.guardian.address, "incident");
      await expect(
        f.pool.connect(f.guardian).tightenParameter(GLOBAL, MIN_HOLDING_TIME, DAY, "loosen"),
      ).to.be.revertedWithCustomError(f.pool, "ParameterNotTightening");
      await expect(f.pool.parameter(key("other"), MIN_HOLDING_TIME))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolScopeNotGlobal")
        .withArgs(key("other"));
    });
  });

  describe("POOL-1: ERC-4626 to the letter", () => {
    /** A pool whose share price is not a round number, so every rounding direction shows. */
    async function oddPriceFixture() {
      const f = await seededFixture();
      await f.pool.connect(f.bob).deposit(usdc(333_333), f.bob.address);
      await f.engine.setPosition(7n * WAD, 3_000n * WAD);
      await afterHoldingTime(f, 2_999n); // traders lose 7 USDC: the pool's NAV is up by a non-round amount
      return f;
    }

    it("POOL-1: previews round in the vault's favour and match what the calls do", async () => {
      const f = await loadFixture(oddPriceFixture);
      const ta = await f.pool.totalAssets();
      const ts = await f.pool.totalSupply();
      const assets = 123_456_789n;
      const shares = 987_654_321_987n;
      // Exact values as rationals: preview ≤ exact when the user receives, ≥ exact when the user pays.
      const sharesExact = (assets * (ts + SHARE_OFFSET)) / (ta + 1n);
      expect(await f.pool.previewDeposit(assets)).to.equal(sharesExact);
      const mintCost = await f.pool.previewMint(shares);
      expect(mintCost * (ts + SHARE_OFFSET)).to.be.gte(shares * (ta + 1n));
      expect(await f.pool.previewRedeem(shares)).to.be.lessThan(await f.pool.convertToAssets(shares));
      expect(await f.pool.previewWithdraw(assets)).to.be.greaterThan(await f.pool.convertToShares(assets));

      const depositShares = await f.pool.previewDeposit(assets);
      await expect(f.pool.connect(f.carol).deposit(assets, f.carol.address))
        .to.emit(f.pool, "Deposit")
        .withArgs(f.carol.address, f.carol.address, assets, depositShares);
      const mintAssets = await f.pool.previewMint(shares);
      await expect(f.pool.connect(f.carol).mint(shares, f.carol.address))
        .to.emit(f.pool, "Deposit")
        .withArgs(f.carol.address, f.carol.address, mintAssets, shares);
      const redeemAssets = await f.pool.previewRedeem(shares);
      await expect(f.pool.connect(f.bob).redeem(shares, f.bob.address, f.bob.address))
        .to.emit(f.pool, "Withdraw")
        .withArgs(f.bob.address, f.bob.address, f.bob.address, redeemAssets, shares);
      const withdrawShares = await f.pool.previewWithdraw(assets);
      await expect(f.pool.connect(f.bob).withdraw(assets, f.bob.address, f.bob.address))
        .to.emit(f.pool, "Withdraw")
        .withArgs(f.bob.address, f.bob.address, f.bob.address, assets, withdrawShares);
    });

    it("POOL-1: maxWithdraw and maxRedeem tell the truth: the maximum succeeds, one unit more reverts", async () => {
      const f = await loadFixture(oddPriceFixture);
      // The outflow limiter binds: 10 % of the TVL per day.
      const maxW = await f.pool.maxWithdraw(f.alice.address);
      expect(maxW).to.equal((await f.limiter.limits()).available);
      await expect(
        f.pool.connect(f.alice).withdraw(maxW + 1n, f.alice.address, f.alice.address),
      ).to.be.revertedWithCustomError(f.limiter, "OutflowLimiterExceeded");
      // maxRedeem may underestimate (EIP-4626) but never overestimate; ours is within one unit of assets.
      const maxR = await f.pool.maxRedeem(f.alice.address);
      const atMax = await f.pool.previewRedeem(maxR);
      expect(atMax).to.be.lte(maxW);
      expect(maxW - atMax).to.be.lte(1n);
      const tooMany = await f.pool.previewWithdraw(maxW + 1n);
      await expect(
        f.pool.connect(f.alice).redeem(tooMany, f.alice.address, f.alice.address),
      ).to.be.revertedWithCustomError(f.limiter, "OutflowLimiterExceeded");
      await f.pool.connect(f.alice).redeem(maxR, f.alice.address, f.alice.address);

      // For a small LP its own shares bind, not the limiter: withdrawing the maximum empties the position.
      await f.pool.connect(f.carol).deposit(usdc(5_000), f.carol.address);
      await afterHoldingTime(f, 2_999n);
      const carolShares = await f.pool.balanceOf(f.carol.address);
      expect(await f.pool.maxRedeem(f.carol.address)).to.equal(carolShares);
      const carolMax = await f.pool.maxWithdraw(f.carol.address);
      expect(carolMax).to.equal(await f.pool.previewRedeem(carolShares));
      await f.pool.connect(f.carol).withdraw(carolMax, f.carol.address, f.carol.address);
      // What stays is rounding dust worth less than one unit, kept by the vault.
      expect(await f.pool.convertToAssets(await f.pool.balanceOf(f.carol.address))).to.be.lte(1n);
    });

    it("POOL-1: every max is 0 while its action is paused, and the calls revert with the action", async () => {
      const f = await loadFixture(seededFixture);
      await f.pauseRegistry.connect(f.guardian).pause(GLOBAL, mask(Action.Deposit, Action.Withdraw), "incident");
      expect(await f.pool.maxDeposit(f.bob.address)).to.equal(0n);
      expect(await f.pool.maxMint(f.bob.address)).to.equal(0n);
      expect(await f.pool.maxWithdraw(f.alice.address)).to.equal(0n);
      expect(await f.pool.maxRedeem(f.alice.address)).to.equal(0n);
      await expect(f.pool.connect(f.bob).deposit(usdc(1), f.bob.address))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolPaused")
        .withArgs(Action.Deposit);
      await expect(f.pool.connect(f.alice).withdraw(usdc(1), f.alice.address, f.alice.address))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolPaused")
        .withArgs(Action.Withdraw);
      await expect(f.pool.serveRedeemRequests(1))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolPaused")
        .withArgs(Action.Withdraw);
      // A request made while paused is kept, not refused, and served after the unpause.
      await f.pool.connect(f.alice).requestRedeem(SHARE_OFFSET * usdc(1), f.alice.address);
      expect((await f.pool.poolState()).queuedShares).to.equal(SHARE_OFFSET * usdc(1));
    });

    it("POOL-1: withdrawing for an owner spends the caller's allowance", async () => {
      const f = await loadFixture(seededFixture);
      const shares = SHARE_OFFSET * usdc(1);
      await expect(f.pool.connect(f.bob).redeem(shares, f.bob.address, f.alice.address))
        .to.be.revertedWithCustomError(f.pool, "ERC20InsufficientAllowance")
        .withArgs(f.bob.address, 0n, shares);
      await f.pool.connect(f.alice).approve(f.bob.address, shares);
      await f.pool.connect(f.bob).redeem(shares, f.bob.address, f.alice.address);
      expect(await f.pool.allowance(f.alice.address, f.bob.address)).to.equal(0n);
    });
  });

  describe("edge cases of the standard", () => {
    it("POOL-1: maxRedeem is 0 for shares worth nothing after the fee, rather than an amount that reverts", async () => {
      const f = await loadFixture(seededFixture);
      await f.pool.connect(f.alice).transfer(f.bob.address, 5n);
      expect(await f.pool.maxRedeem(f.bob.address)).to.equal(0n);
      expect(await f.pool.maxWithdraw(f.bob.address)).to.equal(0n);
    });

    it("POOL-1: when the traders' liability exceeds the cash, shares are worth nothing and deposits are refused", async () => {
      const f = await loadFixture(seededFixture);
      await f.engine.setPosition(10_000n * WAD, 3_000n * WAD);
      await f.setAll(3_110n); // traders are up 1,100,000 on 1,000,000 of cash
      expect(await f.pool.totalAssets()).to.equal(0n);
      expect(await f.pool.maxDeposit(f.bob.address)).to.equal(0n);
      await expect(f.pool.connect(f.bob).deposit(usdc(1_000), f.bob.address)).to.be.revertedWithCustomError(
        f.pool,
        "LiquidityPoolNoAssets",
      );
    });

    it("POOL-1: only the pool itself may run a step of serving the queue", async () => {
      const f = await loadFixture(seededFixture);
      await expect(f.pool.connect(f.mallory).serveOne(1n, 0n, 0n))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolNotSelf")
        .withArgs(f.mallory.address);
    });
  });

  describe("the module interface engines plug into", () => {
    it("POOL-1: only registered modules move the pool's collateral", async () => {
      const f = await loadFixture(seededFixture);
      const pool = f.pool.connect(f.mallory);
      for (const call of [
        () => pool.pay(f.mallory.address, 1n),
        () => pool.collect(1n),
        () => pool.lock(1n),
        () => pool.release(1n),
        () => pool.payLocked(f.mallory.address, 1n),
        () => pool.coverShortfall(1n),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(f.pool, "LiquidityPoolNotModule")
          .withArgs(f.mallory.address);
      }
      await expect(f.pool.connect(f.mallory).addModule(f.mallory.address, true)).to.be.revertedWithCustomError(
        f.pool,
        "AccessManagedUnauthorized",
      );
    });

    it("POOL-1: payments to outsiders go through the outflow limiter; payments to modules stay inside", async () => {
      const f = await loadFixture(seededFixture);
      const limits = await f.limiter.limits();
      await expect(f.engine.pay(f.bob.address, usdc(150_000)))
        .to.emit(f.pool, "PaidOut")
        .withArgs(await f.engine.getAddress(), f.bob.address, usdc(150_000), false)
        .and.to.emit(f.limiter, "OutflowLimited");
      expect(await f.usdc.balanceOf(f.limiter)).to.equal(usdc(150_000) - limits.available);
      const accountsBefore = await f.usdc.balanceOf(f.accounts);
      await f.engine.pay(await f.accounts.getAddress(), usdc(10_000));
      expect((await f.usdc.balanceOf(f.accounts)) - accountsBefore).to.equal(usdc(10_000));
    });

    it("POOL-1: locking needs free cash, releasing and paying locked needs the module's own lock", async () => {
      const f = await loadFixture(seededFixture);
      await expect(f.engine.lock(usdc(1_000_000) + 1n))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolInsufficientLiquidity")
        .withArgs(usdc(1_000_000) + 1n, usdc(1_000_000));
      await f.engine.lock(usdc(600_000));
      await expect(f.engine.pay(f.bob.address, usdc(400_000) + 1n))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolInsufficientLiquidity")
        .withArgs(usdc(400_000) + 1n, usdc(400_000));
      await expect(f.engine.release(usdc(600_000) + 1n))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolInsufficientLocked")
        .withArgs(await f.engine.getAddress(), usdc(600_000) + 1n, usdc(600_000));
      await expect(f.engine.payLocked(await f.accounts.getAddress(), usdc(100_000)))
        .to.emit(f.pool, "PaidOut")
        .withArgs(await f.engine.getAddress(), await f.accounts.getAddress(), usdc(100_000), true);
      const s = await f.pool.poolState();
      expect(s.locked).to.equal(usdc(500_000));
      expect(s.cash).to.equal(usdc(900_000));
      expect((await f.pool.moduleOf(f.engine)).locked).to.equal(usdc(500_000));
    });

    it("POOL-1: a shortfall is covered by the insurance fund first, then borne by the LPs (the waterfall)", async () => {
      const f = await loadFixture(seededFixture);
      await f.pool.connect(f.bob).fundInsurance(usdc(30_000));
      await expect(f.engine.coverShortfall(usdc(20_000)))
        .to.emit(f.pool, "ShortfallCovered")
        .withArgs(await f.engine.getAddress(), usdc(20_000), usdc(20_000), 0n);
      await expect(f.engine.coverShortfall(usdc(25_000)))
        .to.emit(f.pool, "ShortfallCovered")
        .withArgs(await f.engine.getAddress(), usdc(25_000), usdc(10_000), usdc(15_000));
      const s = await f.pool.poolState();
      expect(s.insurance).to.equal(0n);
      expect(s.cash).to.equal(usdc(1_030_000));
    });

    it("POOL-1: governance registers at most four engines, each once, and only contracts", async () => {
      const f = await loadFixture(poolFixture);
      await expect(governPool(f, "addModule", [await f.engine.getAddress(), true]))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolModuleExists")
        .withArgs(await f.engine.getAddress());
      await expect(governPool(f, "addModule", [f.bob.address, false]))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolInvalidModule")
        .withArgs(f.bob.address);
      const factory = await ethers.getContractFactory("MockPoolEngine");
      const more = [];
      for (let i = 0; i < 4; i++) {
        more.push(await factory.deploy(f.aggregator, await f.engine.market(), f.pool, f.accounts));
      }
      for (const e of more.slice(0, 3)) await governPool(f, "addModule", [await e.getAddress(), true]);
      expect(await f.pool.engines()).to.have.length(4);
      await expect(governPool(f, "addModule", [await more[3].getAddress(), true]))
        .to.be.revertedWithCustomError(f.pool, "LiquidityPoolTooManyEngines")
        .withArgs(4n);
      // A module that reports no exposure (the margin accounts) does not count against the four.
      await governPool(f, "addModule", [await more[3].getAddress(), false]);
    });
  });
});

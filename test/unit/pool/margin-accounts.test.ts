import { expect } from "chai";
import { ethers } from "hardhat";
import { impersonateAccount, loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployFoundation, devConfig, handOverToTimelock } from "../../../deploy/foundation";
import { deployPool } from "../../../deploy/pool";
import { MockFeeToken__factory } from "../../../typechain-types";
import { GLOBAL } from "../../helpers/fixtures";
import { Action, mask } from "../../helpers/actions";
import { governCall } from "../../helpers/timelock";
import { WAD } from "../../helpers/oracle";
import { poolFixture, usdc } from "../../helpers/pool";
import { signPermit } from "../../helpers/permit";

const USD = (n: bigint) => n * WAD;

/** Alice has 10,000 USDC of margin; the pool holds 1,000,000 of LP cash. */
async function fundedFixture() {
  const f = await poolFixture();
  await f.pool.connect(f.bob).deposit(usdc(1_000_000), f.bob.address);
  await f.accounts.connect(f.alice).deposit(f.alice.address, usdc(10_000));
  await time.increase(1);
  return f;
}

/** The pool side over a token that takes 1 % of every transfer. */
async function feeTokenFixture() {
  const [deployer, governor, guardian, alice] = await ethers.getSigners();
  const foundation = await deployFoundation(deployer, devConfig([governor.address], guardian.address));
  const token = await new MockFeeToken__factory(deployer).deploy();
  const { pool, accounts } = await deployPool(foundation, deployer, await token.getAddress());
  await handOverToTimelock(foundation, deployer);
  await token.mint(alice.address, usdc(1_000_000));
  await token.connect(alice).approve(pool, ethers.MaxUint256);
  await token.connect(alice).approve(accounts, ethers.MaxUint256);
  return { token, pool, accounts, alice };
}

describe("MarginAccounts", () => {
  describe("ACC-1: one cross-margin account per address; equity in 18-decimal USD", () => {
    it("ACC-1: equity is collateral plus the engines' PnL; what may be withdrawn keeps the initial margin", async () => {
      const f = await loadFixture(fundedFixture);
      await f.engine.setRequirement(f.alice.address, -USD(200n), USD(300n), USD(150n));
      const s = await f.accounts.accountState(f.alice.address);
      expect(s.collateral).to.equal(USD(10_000n));
      expect(s.pnl).to.equal(-USD(200n));
      expect(s.equity).to.equal(USD(9_800n));
      expect(s.initialMargin).to.equal(USD(300n));
      expect(s.maintenanceMargin).to.equal(USD(150n));
      expect(s.withdrawable).to.equal(usdc(9_500));
      expect(await f.accounts.usdScale()).to.equal(10n ** 12n);
    });

    it("ACC-1: a deposit may be made for another account and is booked there", async () => {
      const f = await loadFixture(fundedFixture);
      await expect(f.accounts.connect(f.bob).deposit(f.carol.address, usdc(5)))
        .to.emit(f.accounts, "MarginDeposited")
        .withArgs(f.carol.address, f.bob.address, usdc(5));
      expect(await f.accounts.collateralOf(f.carol.address)).to.equal(usdc(5));
      expect(await f.accounts.totalCollateral()).to.equal(usdc(10_005));
    });

    it("ACC-1: engines settle PnL against the pool; a loss beyond the collateral comes back as the shortfall", async () => {
      const f = await loadFixture(fundedFixture);
      const engine = await f.engine.getAddress();
      await expect(f.engine.settle(f.alice.address, usdc(1_000)))
        .to.emit(f.accounts, "MarginSettled")
        .withArgs(f.alice.address, engine, usdc(1_000), 0n);
      expect(await f.accounts.collateralOf(f.alice.address)).to.equal(usdc(11_000));
      expect((await f.pool.poolState()).cash).to.equal(usdc(999_000));

      expect(await f.engine.settle.staticCall(f.alice.address, -usdc(11_400))).to.equal(usdc(400));
      await expect(f.engine.settle(f.alice.address, -usdc(11_400)))
        .to.emit(f.accounts, "MarginSettled")
        .withArgs(f.alice.address, engine, -usdc(11_400), usdc(400));
      expect(await f.accounts.collateralOf(f.alice.address)).to.equal(0n);
      expect((await f.pool.poolState()).cash).to.equal(usdc(1_010_000));
      // The books match the tokens on both sides.
      expect(await f.usdc.balanceOf(f.accounts)).to.equal(await f.accounts.totalCollateral());
      expect(await f.usdc.balanceOf(f.pool)).to.equal(usdc(1_010_000));
    });

    it("ACC-1: a profit is booked only once the engine has paid it in", async () => {
      const f = await loadFixture(fundedFixture);
      // The engine calls settle without paying the profit in first: refused, nothing booked.
      const engine = await f.engine.getAddress();
      await impersonateAccount(engine);
      await setBalance(engine, 10n ** 18n);
      const asEngine = await ethers.getSigner(engine);
      await expect(f.accounts.connect(asEngine).settle(f.alice.address, usdc(1)))
        .to.be.revertedWithCustomError(f.accounts, "MarginAccountsProfitNotPaidIn")
        .withArgs(usdc(1), 0n);
      expect(await f.accounts.collateralOf(f.alice.address)).to.equal(usdc(10_000));
    });

    it("ACC-1: engines move margin between accounts (a keeper reward) but never more than there is", async () => {
      const f = await loadFixture(fundedFixture);
      await expect(f.engine.transferMargin(f.alice.address, f.carol.address, usdc(25)))
        .to.emit(f.accounts, "MarginTransferred")
        .withArgs(f.alice.address, f.carol.address, await f.engine.getAddress(), usdc(25));
      expect(await f.accounts.collateralOf(f.carol.address)).to.equal(usdc(25));
      await expect(f.engine.transferMargin(f.carol.address, f.alice.address, usdc(26)))
        .to.be.revertedWithCustomError(f.accounts, "MarginAccountsInsufficientCollateral")
        .withArgs(f.carol.address, usdc(26), usdc(25));
    });

    it("ACC-1: only registered engines settle or move margin; only governance registers them", async () => {
      const f = await loadFixture(fundedFixture);
      await expect(f.accounts.connect(f.mallory).settle(f.mallory.address, usdc(1)))
        .to.be.revertedWithCustomError(f.accounts, "MarginAccountsNotEngine")
        .withArgs(f.mallory.address);
      await expect(f.accounts.connect(f.mallory).transferMargin(f.alice.address, f.mallory.address, 1n))
        .to.be.revertedWithCustomError(f.accounts, "MarginAccountsNotEngine")
        .withArgs(f.mallory.address);
      await expect(f.accounts.connect(f.mallory).addEngine(f.mallory.address)).to.be.revertedWithCustomError(
        f.accounts,
        "AccessManagedUnauthorized",
      );
      await expect(governCall(f, f.accounts, "addEngine", [await f.engine.getAddress()]))
        .to.be.revertedWithCustomError(f.accounts, "MarginAccountsInvalidEngine")
        .withArgs(await f.engine.getAddress());
    });
  });

  describe("ACC-2: deposits measure what arrived; withdrawals keep the initial margin", () => {
    it("ACC-2: a withdrawal that would leave equity below the initial margin reverts and changes nothing", async () => {
      const f = await loadFixture(fundedFixture);
      await f.engine.setRequirement(f.alice.address, -USD(200n), USD(300n), USD(150n));
      await expect(f.accounts.connect(f.alice).withdraw(usdc(9_500) + 1n, f.alice.address))
        .to.be.revertedWithCustomError(f.accounts, "MarginAccountsBelowInitialMargin")
        .withArgs(f.alice.address, USD(300n) - 10n ** 12n, USD(300n));
      expect(await f.accounts.collateralOf(f.alice.address)).to.equal(usdc(10_000));
      await expect(f.accounts.connect(f.alice).withdraw(usdc(9_500), f.alice.address))
        .to.emit(f.accounts, "MarginWithdrawn")
        .withArgs(f.alice.address, f.alice.address, usdc(9_500), usdc(9_500), 0n);
      expect(await f.accounts.collateralOf(f.alice.address)).to.equal(usdc(500));
    });

    it("ACC-2: an account without positions withdraws everything; bad input reverts with a clear error", async () => {
      const f = await loadFixture(fundedFixture);
      await expect(f.accounts.connect(f.alice).withdraw(usdc(10_000) + 1n, f.alice.address))
        .to.be.revertedWithCustomError(f.accounts, "MarginAccountsInsufficientCollateral")
        .withArgs(f.alice.address, usdc(10_000) + 1n, usdc(10_000));
      await expect(f.accounts.connect(f.alice).withdraw(0n, f.alice.address)).to.be.revertedWithCustomError(
        f.accounts,
        "MarginAccountsInvalidInput",
      );
      await expect(f.accounts.connect(f.alice).withdraw(1n, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        f.accounts,
        "MarginAccountsInvalidInput",
      );
      await expect(f.accounts.connect(f.alice).deposit(ethers.ZeroAddress, 1n)).to.be.revertedWithCustomError(
        f.accounts,
        "MarginAccountsInvalidInput",
      );
      const before = await f.usdc.balanceOf(f.alice.address);
      await f.accounts.connect(f.alice).withdraw(usdc(10_000), f.alice.address);
      expect((await f.usdc.balanceOf(f.alice.address)) - before).to.equal(usdc(10_000));
    });

    it("ACC-2: a deposit with an EIP-2612 permit needs no prior approval, and survives a front-run permit", async () => {
      const f = await loadFixture(fundedFixture);
      const [, , , , , , , dave] = await ethers.getSigners();
      await f.usdc.mint(dave.address, usdc(1_000));
      const deadline = BigInt(await time.latest()) + 3_600n;
      const accountsAddress = await f.accounts.getAddress();
      const sig = await signPermit(f.usdc, dave, accountsAddress, usdc(600), deadline);
      await f.accounts.connect(dave).depositWithPermit(dave.address, usdc(600), deadline, sig.v, sig.r, sig.s);
      expect(await f.accounts.collateralOf(dave.address)).to.equal(usdc(600));

      // Someone submits Dave's next permit first: the deposit still goes through on the allowance it set.
      const sig2 = await signPermit(f.usdc, dave, accountsAddress, usdc(400), deadline);
      await f.usdc.permit(dave.address, accountsAddress, usdc(400), deadline, sig2.v, sig2.r, sig2.s);
      await f.accounts.connect(dave).depositWithPermit(dave.address, usdc(400), deadline, sig2.v, sig2.r, sig2.s);
      expect(await f.accounts.collateralOf(dave.address)).to.equal(usdc(1_000));
    });

    it("ACC-2: a token that takes a fee on transfer is refused by the accounts and the pool", async () => {
      const { token, pool, accounts, alice } = await loadFixture(feeTokenFixture);
      await token.setFeeBps(100);
      await expect(accounts.connect(alice).deposit(alice.address, usdc(1_000)))
        .to.be.revertedWithCustomError(accounts, "CollateralTransferMismatch")
        .withArgs(usdc(1_000), usdc(990));
      await expect(pool.connect(alice).deposit(usdc(1_000), alice.address))
        .to.be.revertedWithCustomError(pool, "CollateralTransferMismatch")
        .withArgs(usdc(1_000), usdc(990));
      expect(await accounts.totalCollateral()).to.equal(0n);
    });

    it("ACC-2: a token whose balances shrink on their own (negative rebase) is refused at the next deposit", async () => {
      const { token, accounts, alice } = await loadFixture(feeTokenFixture);
      await accounts.connect(alice).deposit(alice.address, usdc(1_000));
      await token.slash(await accounts.getAddress(), usdc(1));
      await expect(accounts.connect(alice).deposit(alice.address, usdc(1)))
        .to.be.revertedWithCustomError(accounts, "CollateralBalanceShortfall")
        .withArgs(usdc(999), usdc(1_000));
    });
  });

  describe("CB-1: adding margin is never paused", () => {
    it("CB-1: with deposits and withdrawals paused, margin can still be added but not withdrawn", async () => {
      const f = await loadFixture(fundedFixture);
      await f.pauseRegistry.connect(f.guardian).pause(GLOBAL, mask(Action.Deposit, Action.Withdraw), "incident");
      await f.accounts.connect(f.alice).deposit(f.alice.address, usdc(1_000));
      expect(await f.accounts.collateralOf(f.alice.address)).to.equal(usdc(11_000));
      await expect(f.accounts.connect(f.alice).withdraw(usdc(1), f.alice.address)).to.be.revertedWithCustomError(
        f.accounts,
        "MarginAccountsWithdrawPaused",
      );
    });
  });
});

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { MockUSDC__factory } from "../../../typechain-types";
import { signPermit } from "../../helpers/permit";

describe("MockUSDC test collateral (SPEC §2)", function () {
  async function usdcFixture() {
    const [deployer, owner, spender] = await ethers.getSigners();
    const usdc = await new MockUSDC__factory(deployer).deploy();
    return { usdc, owner, spender };
  }

  it("SPEC-2: the test collateral has 6 decimals", async function () {
    const { usdc } = await loadFixture(usdcFixture);
    expect(await usdc.decimals()).to.equal(6n);
  });

  it("SPEC-2: an EIP-2612 permit sets an allowance from a signature, once", async function () {
    const { usdc, owner, spender } = await loadFixture(usdcFixture);
    const value = 1_000n * 10n ** 6n;
    const deadline = BigInt(await time.latest()) + 3600n;
    const { v, r, s } = await signPermit(usdc, owner, spender.address, value, deadline);
    await usdc.permit(owner.address, spender.address, value, deadline, v, r, s);
    expect(await usdc.allowance(owner.address, spender.address)).to.equal(value);
    await expect(usdc.permit(owner.address, spender.address, value, deadline, v, r, s)).to.be.revertedWithCustomError(
      usdc,
      "ERC2612InvalidSigner",
    );
  });
});

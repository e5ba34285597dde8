/** EIP-2612 permits signed the way a wallet signs them, for the test collateral. */
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import type { MockUSDC } from "../../typechain-types";

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** A permit by `owner` for `spender` to spend `value` until `deadline`, at the owner's current nonce. */
export async function signPermit(token: MockUSDC, owner: Signer, spender: string, value: bigint, deadline: bigint) {
  const { chainId } = await ethers.provider.getNetwork();
  const domain = { name: await token.name(), version: "1", chainId, verifyingContract: await token.getAddress() };
  const message = { owner: await owner.getAddress(), spender, value, nonce: await token.nonces(owner), deadline };
  return ethers.Signature.from(await owner.signTypedData(domain, PERMIT_TYPES, message));
}

/**
 * Deployment of the pool side (SPEC §6 and CB-4): the outflow limiter, the ERC-4626 liquidity pool and the margin
 * accounts, wired together. Runs before `handOverToTimelock`, while the deployer still administers the access
 * manager; afterwards registering an engine (`pool.addModule`, `accounts.addEngine`) is a timelock operation.
 */
import type { AddressLike, Signer } from "ethers";
import {
  LiquidityPool,
  LiquidityPool__factory,
  MarginAccounts,
  MarginAccounts__factory,
  OutflowLimiter,
  OutflowLimiter__factory,
} from "../typechain-types";
import { type Foundation, GUARDIAN_FUNCTIONS, mined, setGuardianFunctions } from "./foundation";

export interface PoolDeployment {
  limiter: OutflowLimiter;
  pool: LiquidityPool;
  accounts: MarginAccounts;
}

export async function deployPool(
  foundation: Foundation,
  deployer: Signer,
  collateral: AddressLike,
): Promise<PoolDeployment> {
  const authority = await foundation.accessManager.getAddress();
  const registry = await foundation.pauseRegistry.getAddress();
  const limiter = await new OutflowLimiter__factory(deployer).deploy(authority, collateral, registry);
  await limiter.waitForDeployment();
  const pool = await new LiquidityPool__factory(deployer).deploy(authority, collateral, limiter, registry);
  await pool.waitForDeployment();
  const accounts = await new MarginAccounts__factory(deployer).deploy(authority, pool, limiter, registry);
  await accounts.waitForDeployment();

  // Both hold collateral that can leave the protocol; the accounts settle PnL with the pool.
  await mined(limiter.setExit(pool, true));
  await mined(limiter.setExit(accounts, true));
  await mined(pool.addModule(accounts, false));
  await setGuardianFunctions(foundation, limiter, GUARDIAN_FUNCTIONS.boundedParameters);
  await setGuardianFunctions(foundation, pool, GUARDIAN_FUNCTIONS.boundedParameters);
  return { limiter, pool, accounts };
}

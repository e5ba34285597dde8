/**
 * Deployment of Bulwark's foundation: the timelock, the access manager, the pause registry and the optional
 * token governance (SPEC §3 and §5). Used by the tests, the bench and (later) the devnet and the Ignition
 * modules, so that every environment is wired the same way.
 *
 * The order matters: the deployer is a temporary admin that wires every role, then `handOverToTimelock`
 * gives the admin role to the timelock and renounces everything the deployer held (GOV-1).
 */
import type { Signer, AddressLike, BaseContract } from "ethers";
import {
  BulwarkAccessManager,
  BulwarkAccessManager__factory,
  BulwarkGovernor,
  BulwarkGovernor__factory,
  BulwarkTimelock,
  BulwarkTimelock__factory,
  BulwarkToken,
  BulwarkToken__factory,
  PauseRegistry,
  PauseRegistry__factory,
} from "../typechain-types";

export interface TokenGovernanceConfig {
  /** Receives the whole fixed supply. */
  holder: string;
  /** 18-decimal units. */
  supply: bigint;
  /** Seconds (the token's clock is the timestamp). */
  votingDelay: bigint;
  votingPeriod: bigint;
  proposalThreshold: bigint;
  quorumPercent: bigint;
}

export interface FoundationConfig {
  /** The network's timelock delay in seconds (48 h on public networks); also its floor. */
  timelockDelay: bigint;
  /** How long a ready operation stays executable (14 days by default). */
  timelockGracePeriod: bigint;
  /** Addresses (a multisig in production) that propose, execute and cancel timelock operations. */
  governors: string[];
  /** The guardian: pauses and tightens at once, cancels queued operations. */
  guardian: string;
  /** When set, a Governor over BulwarkToken is also a proposer and executor of the timelock. */
  tokenGovernance?: TokenGovernanceConfig;
}

export interface Foundation {
  timelock: BulwarkTimelock;
  accessManager: BulwarkAccessManager;
  pauseRegistry: PauseRegistry;
  token?: BulwarkToken;
  tokenGovernor?: BulwarkGovernor;
}

export const DAY = 24n * 60n * 60n;
export const HOUR = 60n * 60n;

/** The functions of each module that the guardian may call; everything else stays with the timelock. */
export const GUARDIAN_FUNCTIONS = {
  pauseRegistry: ["pause", "tightenParameter"],
  boundedParameters: ["tightenParameter"],
  priceAggregator: ["tightenParameter", "removeSource"],
} as const;

/** Defaults for the in-process network and the devnet: short delay, standard expiry. */
export function devConfig(governors: string[], guardian: string): FoundationConfig {
  return { timelockDelay: HOUR, timelockGracePeriod: 14n * DAY, governors, guardian };
}

/** Sends `tx` and waits for it to be mined. */
export async function mined<T extends { wait(): Promise<unknown> }>(tx: Promise<T>): Promise<void> {
  await (await tx).wait();
}

export async function deployFoundation(deployer: Signer, config: FoundationConfig): Promise<Foundation> {
  if (config.governors.length === 0) throw new Error("deployFoundation: at least one governor address is required");
  const deployerAddress = await deployer.getAddress();

  // The deployer is the timelock's temporary admin so that the Governor (whose address is not known yet)
  // can be added as proposer; it renounces in handOverToTimelock.
  const timelock = await new BulwarkTimelock__factory(deployer).deploy(
    config.timelockDelay,
    config.timelockGracePeriod,
    config.governors,
    config.governors,
    deployerAddress,
  );
  await timelock.waitForDeployment();
  await mined(timelock.grantRole(await timelock.CANCELLER_ROLE(), config.guardian));

  let token: BulwarkToken | undefined;
  let tokenGovernor: BulwarkGovernor | undefined;
  if (config.tokenGovernance) {
    const t = config.tokenGovernance;
    token = await new BulwarkToken__factory(deployer).deploy(t.holder, t.supply);
    tokenGovernor = await new BulwarkGovernor__factory(deployer).deploy(
      await token.getAddress(),
      await timelock.getAddress(),
      t.votingDelay,
      t.votingPeriod,
      t.proposalThreshold,
      t.quorumPercent,
    );
    const governorAddress = await tokenGovernor.getAddress();
    for (const role of [
      await timelock.PROPOSER_ROLE(),
      await timelock.EXECUTOR_ROLE(),
      await timelock.CANCELLER_ROLE(),
    ]) {
      await mined(timelock.grantRole(role, governorAddress));
    }
  }

  const accessManager = await new BulwarkAccessManager__factory(deployer).deploy(deployerAddress);
  await accessManager.waitForDeployment();
  const guardianRole = await accessManager.GUARDIAN_ROLE();
  await mined(accessManager.labelRole(guardianRole, "GUARDIAN"));
  await mined(accessManager.grantRole(guardianRole, config.guardian, 0));

  const pauseRegistry = await new PauseRegistry__factory(deployer).deploy(await accessManager.getAddress());
  await pauseRegistry.waitForDeployment();
  const foundation: Foundation = { timelock, accessManager, pauseRegistry, token, tokenGovernor };
  await setGuardianFunctions(foundation, pauseRegistry, GUARDIAN_FUNCTIONS.pauseRegistry);
  return foundation;
}

/**
 * Maps `functions` of `target` to the guardian role. Must run before `handOverToTimelock`; afterwards the same
 * change is a timelock operation.
 */
export async function setGuardianFunctions(
  foundation: Foundation,
  target: BaseContract,
  functions: readonly string[],
): Promise<void> {
  const selectors = functions.map((name) => {
    const fragment = target.interface.getFunction(name);
    if (!fragment) throw new Error(`setGuardianFunctions: the target has no function ${name}`);
    return fragment.selector;
  });
  const { accessManager } = foundation;
  await mined(
    accessManager.setTargetFunctionRole(target as AddressLike, selectors, await accessManager.GUARDIAN_ROLE()),
  );
}

/**
 * Gives the access manager's admin role to the timelock and renounces every role the deployer held (GOV-1). The
 * timelock also gets the guardian role, so that governance can do whatever the guardian can (remove a source,
 * tighten), only slower; the guardian never gets anything of governance's.
 */
export async function handOverToTimelock(foundation: Foundation, deployer: Signer): Promise<void> {
  const { accessManager, timelock } = foundation;
  const deployerAddress = await deployer.getAddress();
  const adminRole = await accessManager.ADMIN_ROLE();
  await mined(accessManager.grantRole(adminRole, await timelock.getAddress(), 0));
  await mined(accessManager.grantRole(await accessManager.GUARDIAN_ROLE(), await timelock.getAddress(), 0));
  await mined(accessManager.renounceRole(adminRole, deployerAddress));
  await mined(timelock.renounceRole(await timelock.DEFAULT_ADMIN_ROLE(), deployerAddress));
}

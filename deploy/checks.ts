/**
 * Post-deployment checks of the governance wiring (GOV-1, GOV-4): returns every problem found, so a test or
 * a deploy script can assert that the list is empty and print it otherwise.
 */
import type { Foundation } from "./foundation";

export interface ExpectedRoles {
  deployer: string;
  governors: string[];
  guardian: string;
  timelockDelay: bigint;
}

export async function checkFoundation(foundation: Foundation, expected: ExpectedRoles): Promise<string[]> {
  const problems: string[] = [];
  const { timelock, accessManager, pauseRegistry, tokenGovernor } = foundation;
  const timelockAddress = await timelock.getAddress();
  const managerAddress = await accessManager.getAddress();
  const [adminRole, guardianRole] = [await accessManager.ADMIN_ROLE(), await accessManager.GUARDIAN_ROLE()];
  const roles = {
    DEFAULT_ADMIN_ROLE: await timelock.DEFAULT_ADMIN_ROLE(),
    PROPOSER_ROLE: await timelock.PROPOSER_ROLE(),
    EXECUTOR_ROLE: await timelock.EXECUTOR_ROLE(),
    CANCELLER_ROLE: await timelock.CANCELLER_ROLE(),
  };
  const expectRole = (label: string, who: string, held: boolean, want: boolean) => {
    if (held !== want) problems.push(`${label}: ${who} ${want ? "lacks" : "holds"} it`);
  };

  // The deployer holds nothing.
  for (const [name, role] of Object.entries(roles)) {
    expectRole(`timelock ${name}`, expected.deployer, await timelock.hasRole(role, expected.deployer), false);
  }
  const [deployerIsAdmin] = await accessManager.hasRole(adminRole, expected.deployer);
  expectRole("access manager ADMIN_ROLE", expected.deployer, deployerIsAdmin, false);
  const [deployerIsGuardian] = await accessManager.hasRole(guardianRole, expected.deployer);
  expectRole(
    "access manager GUARDIAN_ROLE",
    expected.deployer,
    deployerIsGuardian,
    expected.deployer === expected.guardian,
  );

  // The timelock administers itself and the access manager; nobody may execute without the role.
  expectRole(
    "timelock DEFAULT_ADMIN_ROLE",
    "the timelock",
    await timelock.hasRole(roles.DEFAULT_ADMIN_ROLE, timelockAddress),
    true,
  );
  const [timelockIsAdmin, adminDelay] = await accessManager.hasRole(adminRole, timelockAddress);
  expectRole("access manager ADMIN_ROLE", "the timelock", timelockIsAdmin, true);
  if (adminDelay !== 0n)
    problems.push(`access manager ADMIN_ROLE: the timelock has an execution delay of ${adminDelay}`);
  expectRole(
    "timelock EXECUTOR_ROLE",
    "address(0) (open execution)",
    await timelock.hasRole(roles.EXECUTOR_ROLE, "0x0000000000000000000000000000000000000000"),
    false,
  );

  // Governors propose, execute and cancel; the guardian only cancels (and pauses through the manager).
  const proposers = [...expected.governors, ...(tokenGovernor ? [await tokenGovernor.getAddress()] : [])];
  for (const who of proposers) {
    for (const name of ["PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE"] as const) {
      expectRole(`timelock ${name}`, who, await timelock.hasRole(roles[name], who), true);
    }
  }
  expectRole(
    "timelock CANCELLER_ROLE",
    "the guardian",
    await timelock.hasRole(roles.CANCELLER_ROLE, expected.guardian),
    true,
  );
  for (const name of ["DEFAULT_ADMIN_ROLE", "PROPOSER_ROLE", "EXECUTOR_ROLE"] as const) {
    expectRole(`timelock ${name}`, "the guardian", await timelock.hasRole(roles[name], expected.guardian), false);
  }
  const [guardianIsGuardian] = await accessManager.hasRole(guardianRole, expected.guardian);
  expectRole("access manager GUARDIAN_ROLE", "the guardian", guardianIsGuardian, true);
  const [guardianIsAdmin] = await accessManager.hasRole(adminRole, expected.guardian);
  expectRole("access manager ADMIN_ROLE", "the guardian", guardianIsAdmin, false);

  const delay = await timelock.getMinDelay();
  if (delay !== expected.timelockDelay) problems.push(`timelock delay is ${delay}, expected ${expected.timelockDelay}`);
  if ((await pauseRegistry.authority()) !== managerAddress)
    problems.push("pause registry: authority is not the access manager");
  return problems;
}

/**
 * Post-deployment checks of the governance wiring (GOV-1, GOV-4): returns every problem found, so a test or
 * a deploy script can assert that the list is empty and print it otherwise.
 */
import { type BaseContract, type FunctionFragment, ethers } from "ethers";
import {
  type LiquidityPool,
  type MarginAccounts,
  type OptionsEngine,
  type OutflowLimiter,
  type PerpsEngine,
  type PerpsLens,
  type PerpsMarkets,
  type PriceAggregator,
  PythAdapter__factory,
} from "../typechain-types";
import { type Foundation, GUARDIAN_FUNCTIONS } from "./foundation";

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

/** Every contract of a deployment, as the check reads it. */
export interface ProtocolContracts extends Foundation {
  aggregator: PriceAggregator;
  limiter: OutflowLimiter;
  pool: LiquidityPool;
  accounts: MarginAccounts;
  markets: PerpsMarkets;
  engine: PerpsEngine;
  lens: PerpsLens;
  options: OptionsEngine;
}

export interface ExpectedProtocol extends ExpectedRoles {
  /** The collateral token, when known in advance (not a mock deployed with the rest). */
  collateral?: string;
  /** The sequencer uptime feed, when known in advance; zero for none. */
  sequencerFeed?: string;
  /** Market ids (bytes32) listed for perps, in order, and those listed for options. */
  perpsMarkets: string[];
  optionMarkets: string[];
  /** Per market id, the number of oracle sources. */
  sourceCount: Record<string, number>;
}

/**
 * The post-deploy check of a whole deployment (OPS-2): the foundation's roles (`checkFoundation`), every module
 * administered by the access manager, exactly the guardian's functions mapped to the guardian on each module (so the
 * guardian can only pause and tighten), and every wire between the modules. Returns every problem found.
 */
export async function checkProtocol(p: ProtocolContracts, expected: ExpectedProtocol): Promise<string[]> {
  const problems = await checkFoundation(p, expected);
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const want = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  const manager = await p.accessManager.getAddress();
  const at = async (c: BaseContract) => c.getAddress();

  // Administered by the access manager, with exactly the guardian's functions mapped to the guardian.
  const guardianRole = await p.accessManager.GUARDIAN_ROLE();
  const managed: [string, BaseContract & { authority(): Promise<string> }, readonly string[]][] = [
    ["PauseRegistry", p.pauseRegistry, GUARDIAN_FUNCTIONS.pauseRegistry],
    ["PriceAggregator", p.aggregator, GUARDIAN_FUNCTIONS.priceAggregator],
    ["OutflowLimiter", p.limiter, GUARDIAN_FUNCTIONS.boundedParameters],
    ["LiquidityPool", p.pool, GUARDIAN_FUNCTIONS.boundedParameters],
    ["MarginAccounts", p.accounts, []],
    ["PerpsMarkets", p.markets, GUARDIAN_FUNCTIONS.boundedParameters],
    ["OptionsEngine", p.options, GUARDIAN_FUNCTIONS.boundedParameters],
  ];
  for (const market of expected.perpsMarkets) {
    for (const reading of await p.aggregator.readings(market)) {
      const source = PythAdapter__factory.connect(reading.source, p.aggregator.runner);
      // A Pyth adapter is administered (its confidence limit); a Chainlink adapter has nothing to administer.
      const pyth = await source.priceId().then(
        () => true,
        () => false,
      );
      if (pyth) managed.push([`PythAdapter ${reading.source}`, source, GUARDIAN_FUNCTIONS.boundedParameters]);
    }
  }
  for (const [name, contract, guardianFunctions] of managed) {
    want(same(await contract.authority(), manager), `${name}: its authority is not the access manager`);
    const target = await at(contract);
    for (const fragment of contract.interface.fragments) {
      if (fragment.type !== "function") continue;
      const fn = fragment as FunctionFragment;
      if (fn.stateMutability === "view" || fn.stateMutability === "pure") continue;
      const role = await p.accessManager.getTargetFunctionRole(target, fn.selector);
      const isGuardian = role === guardianRole;
      const shouldBe = guardianFunctions.includes(fn.name);
      if (isGuardian !== shouldBe) {
        problems.push(`${name}.${fn.name}: ${shouldBe ? "not mapped to" : "mapped to"} the guardian role`);
      }
    }
  }

  // Wires.
  const [pool, accounts, engine, options, markets, aggregator, registry, limiter] = await Promise.all(
    [p.pool, p.accounts, p.engine, p.options, p.markets, p.aggregator, p.pauseRegistry, p.limiter].map(at),
  );
  if (expected.collateral) want(same(await p.pool.asset(), expected.collateral), "pool: asset is not the collateral");
  const collateral = await p.pool.asset();
  for (const [name, c] of [
    ["margin accounts", await p.accounts.collateral()],
    ["outflow limiter", await p.limiter.collateral()],
    ["options", await p.options.collateral()],
  ] as const) {
    want(same(c, collateral), `${name}: collateral is not the pool's asset`);
  }
  want(await p.limiter.isExit(pool), "outflow limiter: the pool is not an exit");
  want(await p.limiter.isExit(accounts), "outflow limiter: the margin accounts are not an exit");
  want(same(await p.pool.limiter(), limiter), "pool: not wired to the outflow limiter");
  want(same(await p.accounts.limiter(), limiter), "margin accounts: not wired to the outflow limiter");
  for (const [name, module, exposure] of [
    ["margin accounts", accounts, false],
    ["perps engine", engine, true],
    ["options engine", options, true],
  ] as const) {
    const m = await p.pool.moduleOf(module);
    want(
      m.registered && m.reportsExposure === exposure,
      `pool: the ${name} are not a module${exposure ? " reporting exposure" : ""}`,
    );
  }
  want(same(await p.accounts.pool(), pool), "margin accounts: not wired to the pool");
  const engines = await p.accounts.engines();
  want(engines.length === 1 && same(engines[0], engine), "margin accounts: the perps engine is not their one engine");
  want(same(await p.engine.perpsMarkets(), markets), "perps engine: not wired to the markets");
  want(same(await p.engine.aggregator(), aggregator), "perps engine: not wired to the aggregator");
  want(same(await p.engine.accounts(), accounts), "perps engine: not wired to the margin accounts");
  want(same(await p.engine.pool(), pool), "perps engine: not wired to the pool");
  want(same(await p.markets.aggregator(), aggregator), "perps markets: not wired to the aggregator");
  want(same(await p.lens.engine(), engine), "perps lens: not reading the engine");
  want(same(await p.options.aggregator(), aggregator), "options: not wired to the aggregator");
  want(same(await p.options.pool(), pool), "options: not wired to the pool");
  for (const [name, c] of [
    ["pool", p.pool],
    ["margin accounts", p.accounts],
    ["outflow limiter", p.limiter],
    ["perps engine", p.engine],
    ["options", p.options],
  ] as const) {
    want(same(await c.pauseRegistry(), registry), `${name}: not wired to the pause registry`);
  }
  if (expected.sequencerFeed !== undefined) {
    want(
      same(await p.aggregator.sequencerFeed(), expected.sequencerFeed),
      "aggregator: not the expected sequencer feed",
    );
  }

  // Markets.
  const name = (id: string) => ethers.decodeBytes32String(id);
  const listed = await p.markets.markets();
  want(
    listed.length === expected.perpsMarkets.length && listed.every((m, i) => m === expected.perpsMarkets[i]),
    `perps markets: listed ${listed.map(name).join(", ")}, expected ${expected.perpsMarkets.map(name).join(", ")}`,
  );
  for (const market of expected.perpsMarkets) {
    const readings = await p.aggregator.readings(market);
    want(readings.length === expected.sourceCount[market], `aggregator: ${market} has ${readings.length} sources`);
  }
  for (const market of expected.optionMarkets) {
    const config = await p.options.marketConfig(market);
    want(config.impliedVol > 0n, `options: ${market} is not listed`);
  }
  return problems;
}

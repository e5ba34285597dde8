/**
 * Where the operator tasks find Bulwark's contracts: a JSON file of addresses, by default the one Hardhat Ignition
 * writes (`<paths.ignition>/deployments/bulwark-<network>/deployed_addresses.json`), else `--deployment <file>` or
 * `BULWARK_DEPLOYMENT`. Keys are Ignition's `"<Module>#<Name>"` or a plain `"<Name>"`.
 *
 * Only types are imported from `typechain-types` (erased at compile time): hardhat.config.ts loads this file
 * before anything is compiled.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type {
  BulwarkAccessManager,
  BulwarkTimelock,
  IERC20Metadata,
  LiquidityPool,
  MarginAccounts,
  OptionsEngine,
  OutflowLimiter,
  PauseRegistry,
  PerpsEngine,
  PerpsLens,
  PerpsMarkets,
  PriceAggregator,
} from "../../typechain-types";
import { OpsError } from "./errors";

/** The environment variable naming a deployment file. */
export const DEPLOYMENT_ENV = "BULWARK_DEPLOYMENT";

/** The contracts a deployment file names, by their contract name. */
export interface Contracts {
  BulwarkTimelock: BulwarkTimelock;
  BulwarkAccessManager: BulwarkAccessManager;
  PauseRegistry: PauseRegistry;
  PriceAggregator: PriceAggregator;
  OutflowLimiter: OutflowLimiter;
  LiquidityPool: LiquidityPool;
  MarginAccounts: MarginAccounts;
  PerpsMarkets: PerpsMarkets;
  PerpsEngine: PerpsEngine;
  PerpsLens: PerpsLens;
  OptionsEngine: OptionsEngine;
}

export type ContractName = keyof Contracts;

/** The handles' runner: the first account, as `getContractAt` picks it (none: it falls back to the provider). */
type Runner = HardhatEthersSigner | undefined;

type Loader<K extends ContractName> = (
  hre: HardhatRuntimeEnvironment,
  address: string,
  r: Runner,
) => Promise<Contracts[K]>;

/** One typed `getContractAt` per contract (the overloads need the literal name). */
const LOADERS: { [K in ContractName]: Loader<K> } = {
  BulwarkTimelock: (hre, a, r) => hre.ethers.getContractAt("BulwarkTimelock", a, r),
  BulwarkAccessManager: (hre, a, r) => hre.ethers.getContractAt("BulwarkAccessManager", a, r),
  PauseRegistry: (hre, a, r) => hre.ethers.getContractAt("PauseRegistry", a, r),
  PriceAggregator: (hre, a, r) => hre.ethers.getContractAt("PriceAggregator", a, r),
  OutflowLimiter: (hre, a, r) => hre.ethers.getContractAt("OutflowLimiter", a, r),
  LiquidityPool: (hre, a, r) => hre.ethers.getContractAt("LiquidityPool", a, r),
  MarginAccounts: (hre, a, r) => hre.ethers.getContractAt("MarginAccounts", a, r),
  PerpsMarkets: (hre, a, r) => hre.ethers.getContractAt("PerpsMarkets", a, r),
  PerpsEngine: (hre, a, r) => hre.ethers.getContractAt("PerpsEngine", a, r),
  PerpsLens: (hre, a, r) => hre.ethers.getContractAt("PerpsLens", a, r),
  OptionsEngine: (hre, a, r) => hre.ethers.getContractAt("OptionsEngine", a, r),
};

export const CONTRACT_NAMES = Object.keys(LOADERS) as ContractName[];

/** The deployed contracts, typed; a contract the file does not name throws a clear error when first used. */
export class Deployment {
  private token?: Promise<IERC20Metadata>;
  private poolDecimals?: Promise<number>;

  constructor(
    private readonly hre: HardhatRuntimeEnvironment,
    readonly file: string,
    readonly chainId: bigint,
    readonly addresses: Partial<Record<ContractName, string>>,
    private readonly handles: Partial<Contracts>,
    private readonly runner: Runner,
  ) {}

  get timelock(): BulwarkTimelock {
    return this.need("BulwarkTimelock");
  }
  get accessManager(): BulwarkAccessManager {
    return this.need("BulwarkAccessManager");
  }
  get pauseRegistry(): PauseRegistry {
    return this.need("PauseRegistry");
  }
  get aggregator(): PriceAggregator {
    return this.need("PriceAggregator");
  }
  get limiter(): OutflowLimiter {
    return this.need("OutflowLimiter");
  }
  get pool(): LiquidityPool {
    return this.need("LiquidityPool");
  }
  get accounts(): MarginAccounts {
    return this.need("MarginAccounts");
  }
  get markets(): PerpsMarkets {
    return this.need("PerpsMarkets");
  }
  get engine(): PerpsEngine {
    return this.need("PerpsEngine");
  }
  get lens(): PerpsLens {
    return this.need("PerpsLens");
  }
  get options(): OptionsEngine {
    return this.need("OptionsEngine");
  }

  /** Whether the file names `name`. */
  has(name: ContractName): boolean {
    return this.handles[name] !== undefined;
  }

  /** The contract `name`, or a clear error when the deployment file does not name it. */
  need<K extends ContractName>(name: K): Contracts[K] {
    const handle = this.handles[name];
    if (handle === undefined) {
      throw new OpsError(`${this.file} names no ${name} (chain ${this.chainId}). ${HOW_TO_DEPLOY}`);
    }
    return handle as Contracts[K];
  }

  /** The collateral token, `pool.asset()`. */
  collateral(): Promise<IERC20Metadata> {
    this.token ??= this.pool.asset().then((a) => this.hre.ethers.getContractAt("IERC20Metadata", a, this.runner));
    return this.token;
  }

  /** The decimals of the pool's shares, `pool.decimals()`. */
  shareDecimals(): Promise<number> {
    this.poolDecimals ??= this.pool.decimals().then(Number);
    return this.poolDecimals;
  }
}

const HOW_TO_DEPLOY =
  "Deploy first: `npm run devnet -- --forever` writes the localhost file; on a testnet, `npx hardhat bulwark:deploy " +
  "--network <name>`; or point --deployment (or BULWARK_DEPLOYMENT) at a JSON file of addresses.";

/** The id of a network's Ignition deployment of Bulwark (`bulwark:deploy`): its folder under `deployments/`. */
export const deploymentId = (network: string) => `bulwark-${network}`;

/** The default file: the `deployed_addresses.json` of the network's Ignition deployment. */
export function defaultDeploymentFile(hre: HardhatRuntimeEnvironment): string {
  return path.join(hre.config.paths.ignition, "deployments", deploymentId(hre.network.name), "deployed_addresses.json");
}

/**
 * Reads a deployment file's addresses by contract name: `"<Module>#<Name>"` keys lose everything up to `#`; names
 * that are not Bulwark contracts are ignored; one name with two different addresses is an error.
 */
export function parseAddresses(text: string, file: string): Partial<Record<ContractName, string>> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new OpsError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new OpsError(`${file} must be a JSON object of "<Name>": "<address>"`);
  }
  const out: Partial<Record<ContractName, string>> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = key.slice(key.lastIndexOf("#") + 1) as ContractName;
    if (!CONTRACT_NAMES.includes(name)) continue;
    if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
      throw new OpsError(`${file}: "${key}" is not an address (${JSON.stringify(value)})`);
    }
    const previous = out[name];
    if (previous !== undefined && previous.toLowerCase() !== value.toLowerCase()) {
      throw new OpsError(`${file} names ${name} twice, at ${previous} and ${value}`);
    }
    out[name] = value;
  }
  return out;
}

/**
 * Loads the deployment for the connected network: `file`, else `BULWARK_DEPLOYMENT`, else Ignition's file for the
 * chain. Checks that every named contract has code on this chain.
 */
export async function loadDeployment(hre: HardhatRuntimeEnvironment, file?: string): Promise<Deployment> {
  const { chainId } = await hre.ethers.provider.getNetwork();
  const chosen = file ?? process.env[DEPLOYMENT_ENV] ?? defaultDeploymentFile(hre);
  const resolved = path.resolve(hre.config.paths.root, chosen);
  if (!existsSync(resolved)) {
    throw new OpsError(
      `No deployment file at ${resolved} (network ${hre.network.name}, chain ${chainId}). ${HOW_TO_DEPLOY}`,
    );
  }
  const addresses = parseAddresses(readFileSync(resolved, "utf8"), resolved);
  if (Object.keys(addresses).length === 0) {
    throw new OpsError(`${resolved} names none of ${CONTRACT_NAMES.join(", ")}. ${HOW_TO_DEPLOY}`);
  }
  if (!(await hre.artifacts.artifactExists("PerpsEngine"))) {
    throw new OpsError("The contracts are not compiled: run `npx hardhat compile` first");
  }
  // Once here, not once per contract: `getContractAt` without a signer asks the node for its accounts each time.
  const [runner] = await hre.ethers.getSigners();
  const handles: Partial<Contracts> = {};
  await Promise.all(
    (Object.entries(addresses) as [ContractName, string][]).map(async ([name, address]) => {
      if ((await hre.ethers.provider.getCode(address)) === "0x") {
        throw new OpsError(
          `${resolved}: no contract at ${address} (${name}) on chain ${chainId}; was the node restarted since the ` +
            `deployment? ${HOW_TO_DEPLOY}`,
        );
      }
      setHandle(handles, name, await LOADERS[name](hre, address, runner));
    }),
  );
  return new Deployment(hre, resolved, chainId, addresses, handles, runner);
}

function setHandle<K extends ContractName>(handles: Partial<Contracts>, name: K, handle: Contracts[K]): void {
  handles[name] = handle;
}

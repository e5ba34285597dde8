/** The protocol on a real hardhat node, traders, and keepers built in-process for the integration tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { NonceManager, Wallet, type Signer, ethers } from "ethers";
import pino from "pino";
import { deployDevStack, type DevStack } from "../../../deploy/devstack";
import { parseConfig, type KeeperConfig } from "../../src/config";
import { Keeper } from "../../src/keeper";
import { KeeperMetrics } from "../../src/metrics";
import { RpcPool } from "../../src/rpc";
import { IndexStore } from "../../src/store";
import type { NodeProcess } from "./node";

export const ETH = ethers.encodeBytes32String("ETH-USD");
export const usdc = (n: bigint | number) => BigInt(n) * 10n ** 6n;
export const units = (n: bigint | number) => BigInt(n) * 10n ** 18n;

export interface Harness {
  node: NodeProcess;
  stack: DevStack;
  deployer: Signer;
  lp: Signer;
  /** Advances chain time by `seconds` and mines a block. */
  advance(seconds: number): Promise<void>;
  chainTime(): Promise<bigint>;
}

export async function deployOnNode(node: NodeProcess, opts: { seriesExpiry?: bigint } = {}): Promise<Harness> {
  const [deployer, governor, guardian, lp] = await Promise.all([0, 1, 2, 3].map((i) => node.provider.getSigner(i)));
  const now = BigInt((await node.provider.getBlock("latest"))!.timestamp);
  const expiry = opts.seriesExpiry ?? ((now + 3n * 3600n) / 3600n + 1n) * 3600n;
  const stack = await deployDevStack(
    { deployer, governor, guardian },
    {
      markets: [{ id: ETH, usd: 3_000n }],
      series: [
        { market: ETH, strike: units(3_000), expiry, isCall: true },
        { market: ETH, strike: units(3_000), expiry, isCall: false },
      ],
    },
  );
  await (await stack.usdc.mint(await lp.getAddress(), usdc(2_000_000))).wait();
  await (await stack.usdc.connect(lp).approve(stack.pool, ethers.MaxUint256)).wait();
  await (await stack.pool.connect(lp).deposit(usdc(2_000_000), await lp.getAddress())).wait();
  const advance = async (seconds: number) => {
    await node.rpc("evm_increaseTime", [seconds]);
    await node.rpc("evm_mine", []);
  };
  const chainTime = async () => BigInt((await node.provider.getBlock("latest"))!.timestamp);
  return { node, stack, deployer, lp, advance, chainTime };
}

/** A funded wallet on the node. */
export async function fundedWallet(node: NodeProcess): Promise<Wallet> {
  const wallet = Wallet.createRandom().connect(node.provider) as unknown as Wallet;
  await node.rpc("hardhat_setBalance", [wallet.address, "0x56BC75E2D63100000"]); // 100 ETH
  return wallet;
}

/**
 * `count` traders, each with `margin` USDC deposited and an order committed for `size` ETH (positive: long) — to
 * be executed by a keeper once the delay passed and a newer price is published.
 */
export async function commitTraders(h: Harness, count: number, margin: bigint, size: bigint): Promise<Wallet[]> {
  const { stack } = h;
  const traders: Wallet[] = [];
  for (let i = 0; i < count; i++) {
    const t = await fundedWallet(h.node);
    // ethers caches identical reads for a moment, so quick successive sends need a local nonce count.
    const signer = new NonceManager(t);
    await (await stack.usdc.mint(t.address, margin)).wait();
    await (await stack.usdc.connect(signer).approve(stack.accounts, ethers.MaxUint256)).wait();
    await (await stack.accounts.connect(signer).deposit(t.address, margin)).wait();
    const acceptable = size > 0n ? ethers.MaxUint256 >> 129n : 1n;
    await (await stack.engine.connect(signer).commitOrder(ETH, size, acceptable, usdc(1))).wait();
    traders.push(t);
  }
  return traders;
}

export interface KeeperUnderTest {
  keeper: Keeper;
  metrics: KeeperMetrics;
  store: IndexStore;
  rpc: RpcPool;
  wallet: Wallet;
  config: KeeperConfig;
  close(): void;
}

/** The configuration file of a keeper for `h`'s deployment, signing as `signer`, before defaults. */
export async function rawConfig(h: Harness, signer: string) {
  return {
    chainId: 31337,
    rpcUrls: [h.node.url],
    contracts: {
      engine: await h.stack.engine.getAddress(),
      lens: await h.stack.lens.getAddress(),
      markets: await h.stack.markets.getAddress(),
      options: await h.stack.options.getAddress(),
    },
    startBlock: h.stack.startBlock,
    expectedSigner: signer,
    confirmations: 0,
  };
}

/** A keeper in this process against `urls`, with its own funded key and an in-memory (or `dbPath`) index. */
export async function makeKeeper(
  h: Harness,
  overrides: Partial<Record<keyof KeeperConfig, unknown>> & {
    urls?: string[];
    wallet?: Wallet;
    now?: () => number;
  } = {},
): Promise<KeeperUnderTest> {
  const { urls, wallet: given, now, ...rest } = overrides;
  const wallet = given ?? (await fundedWallet(h.node));
  const config = parseConfig({
    ...(await rawConfig(h, wallet.address)),
    rpcUrls: urls ?? [h.node.url],
    dbPath: ":memory:",
    pollIntervalMs: 100,
    logLevel: "silent",
    fees: { replaceAfterMs: 2_000 },
    rpc: { cooldownMs: 60_000, timeoutMs: 3_000 },
    ...rest,
  });
  const metrics = new KeeperMetrics();
  const rpc = new RpcPool(
    config.rpcUrls,
    { chainId: config.chainId, ...config.rpc },
    {
      onRequest: (url) => metrics.rpcRequests.inc({ endpoint: url }),
      onDrop: (url) => metrics.rpcDrops.inc({ endpoint: url }),
    },
  );
  const store = new IndexStore(config.dbPath);
  const keeper = new Keeper(config, rpc, store, new Wallet(wallet.privateKey), metrics, pino({ level: "silent" }), now);
  await keeper.checkStartup();
  return {
    keeper,
    metrics,
    store,
    rpc,
    wallet,
    config,
    close: () => {
      rpc.destroy();
      store.close();
    },
  };
}

/** Ticks `k` (and waits for what it sent) until `done` or `maxTicks`; returns the ticks used. */
export async function tickUntil(k: Keeper, done: () => Promise<boolean>, maxTicks = 20): Promise<number> {
  for (let i = 1; i <= maxTicks; i++) {
    await k.tick();
    await k.drain();
    if (await done()) return i;
  }
  throw new Error(`not done after ${maxTicks} ticks`);
}

export async function metricValue(metrics: KeeperMetrics, name: string, labels: Record<string, string> = {}) {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const values = (m?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
  return values
    .filter((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * The keeper as operators run it (`keeper/src/main.ts`), in its own process, signing as `wallet`, with its index
 * at `dbPath`; its configuration file is written to `dir`.
 */
export async function spawnKeeper(
  h: Harness,
  wallet: Wallet,
  dir: string,
  overrides: Record<string, unknown> = {},
): Promise<() => ChildProcess> {
  const file = path.join(dir, "config.json");
  writeFileSync(file, JSON.stringify({ ...(await rawConfig(h, wallet.address)), logLevel: "warn", ...overrides }));
  const root = path.resolve(__dirname, "../../..");
  return () =>
    spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "keeper/src/main.ts", "--config", file], {
      cwd: root,
      env: { ...process.env, KEEPER_PRIVATE_KEY: wallet.privateKey, TS_NODE_TRANSPILE_ONLY: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
}

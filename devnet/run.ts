/**
 * The devnet (OPS-1): a Hardhat JSON-RPC node on the in-process chain, the whole protocol deployed on mock feeds,
 * a funded pool and traders, the keeper running against the node over HTTP as operators run it, and a scenario in
 * chain time: a random walk with trading and option buying, a crash that makes accounts liquidatable, an oracle
 * incident (a source printing off-market freezes a market, the guardian pauses it, governance unpauses it through
 * the timelock; meanwhile another source goes silent and the quorum holds), and options expiring and settling.
 */
import { createServer } from "node:net";
import { Wallet, ethers } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names";
import pino from "pino";
import { checkProtocol, type ProtocolContracts } from "../deploy/checks";
import { loadDeployment } from "../deploy/config";
import { deployWithIgnition, expectations, type MockSource } from "../deploy/ignition";
import type { MockPyth, MockUSDC } from "../typechain-types";
import { seriesId } from "../deploy/options";
import { parseConfig } from "../keeper/src/config";
import { Keeper } from "../keeper/src/keeper";
import { KeeperMetrics, serveMetrics } from "../keeper/src/metrics";
import { RpcPool } from "../keeper/src/rpc";
import { IndexStore } from "../keeper/src/store";
import { Random } from "./random";
import {
  clock,
  money,
  emptyTally,
  formatSummary,
  marketName,
  readSnapshot,
  type Snapshot,
  tallyEvents,
  type Tally,
} from "./summary";
import { act, decide, type DecisionContext, type Phase, readViews, type Style, type Trader } from "./traders";

const ETH = ethers.encodeBytes32String("ETH-USD");
const BTC = ethers.encodeBytes32String("BTC-USD");
const USDC = 1e6;
const usdc = (n: number) => BigInt(Math.round(n * USDC));
const WAD = 10n ** 18n;
const HOUR = 3_600;
/** PauseRegistry actions (IPauseRegistry.Action): Open, Increase. */
const OPEN_AND_INCREASE = (1n << 0n) | (1n << 1n);

/** How long the scenario runs in chain time, and how finely. */
export interface Profile {
  name: string;
  /** Chain seconds per step while trading, and while waiting for the timelock and the expiry. */
  stepSeconds: number;
  slowStepSeconds: number;
  walkSteps: number;
  /** Per-step volatility of the random walk (a fraction). */
  volatility: number;
  crashLegs: number;
  /** A summary every this many steps (and at each phase). */
  summaryEvery: number;
}

export const PROFILES: Record<string, Profile> = {
  full: {
    name: "full",
    stepSeconds: 120,
    slowStepSeconds: 300,
    walkSteps: 40,
    volatility: 0.003,
    crashLegs: 14,
    summaryEvery: 8,
  },
  short: {
    name: "short",
    stepSeconds: 300,
    slowStepSeconds: 900,
    walkSteps: 6,
    volatility: 0.003,
    crashLegs: 14,
    summaryEvery: 6,
  },
};

const TRADERS: { style: Style; margin: number }[] = [
  { style: "leveraged", margin: 20_000 },
  { style: "leveraged", margin: 15_000 },
  { style: "leveraged", margin: 25_000 },
  { style: "swing", margin: 30_000 },
  { style: "swing", margin: 40_000 },
  { style: "swing", margin: 25_000 },
  { style: "swing", margin: 35_000 },
  { style: "short", margin: 30_000 },
  { style: "short", margin: 20_000 },
  { style: "options", margin: 5_000 },
  { style: "options", margin: 5_000 },
];

/** The deployed contracts, with the mock collateral and the mock Pyth the devnet drives. */
export type Protocol = ProtocolContracts & { usdc: MockUSDC; pyth?: MockPyth };

export interface DevnetOptions {
  profile: Profile;
  seed: number;
  /** The JSON-RPC port to try first (a free one is used when it is taken); 0 for any. */
  port: number;
  /** The keeper's metrics port (0: any free port). */
  metricsPort: number;
  print: (line: string) => void;
}

export interface DevnetReport {
  seed: number;
  profile: string;
  url: string;
  metricsUrl: string;
  chainStart: number;
  chainEnd: number;
  wallSeconds: number;
  start: Snapshot;
  end: Snapshot;
  tally: Tally;
  series: number;
  /** What the keeper sent, by action; and what it simulated and did not send, by action and reason. */
  keeper: { address: string; actionsSent: Record<string, number>; notSent: Record<string, number> };
  traders: { name: string; style: Style; address: string; margin: number; equity: number; liquidated: boolean }[];
  addresses: Record<string, string>;
}

/** A running devnet: the report of its scenario, and `stop` to end the keeper and the node. */
export interface Devnet {
  report: DevnetReport;
  stack: Protocol;
  /** Publishes the current prices again (for `--forever`: keeps the sources fresh). */
  tickPrices(): Promise<void>;
  stop(): Promise<void>;
}

export async function runDevnet(hre: HardhatRuntimeEnvironment, opts: DevnetOptions): Promise<Devnet> {
  const started = Date.now();
  const { profile, print } = opts;
  const rng = new Random(opts.seed);
  const provider = hre.ethers.provider;
  const send = (method: string, params: unknown[] = []) => hre.network.provider.send(method, params);

  // The scenario's clock starts on the hour, so that series expire on the options' hourly grid.
  const now = (await provider.getBlock("latest"))!.timestamp;
  const t0 = Math.ceil((now + 60) / HOUR) * HOUR;
  await send("evm_setNextBlockTimestamp", [t0]);
  await send("evm_mine");

  // What `stop` undoes, last first; on a failure, undone before the error propagates (nothing keeps the process up).
  const cleanups: (() => unknown)[] = [];
  const stop = async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  };
  try {
    const node = await startNode(hre, opts.port);
    cleanups.push(() => node.close());
    print(`JSON-RPC node on ${node.url} (chain id 31337)`);

    const signers = await hre.ethers.getSigners();
    const [deployer, governor, guardian, lp1, lp2] = signers;
    const expiry = BigInt(t0 + 3 * HOUR);
    const listing = [
      { market: "ETH-USD", strike: 2_700n, isCall: false },
      { market: "ETH-USD", strike: 3_000n, isCall: false },
      { market: "ETH-USD", strike: 3_000n, isCall: true },
      { market: "ETH-USD", strike: 3_300n, isCall: true },
      { market: "BTC-USD", strike: 57_000n, isCall: false },
      { market: "BTC-USD", strike: 63_000n, isCall: true },
    ].map((s) => ({
      ...s,
      expiry,
      id: seriesId(ethers.encodeBytes32String(s.market), s.strike * WAD, expiry, s.isCall),
    }));

    // The same Ignition module and post-deploy check as the testnets, with the in-process chain's parameters (mocks).
    const parameters = loadDeployment("hardhat", {});
    if (parameters.governors[0] !== governor.address || parameters.guardian !== guardian.address) {
      throw new Error("deploy/parameters/hardhat.json: the governor and guardian must be accounts #1 and #2");
    }
    const deployed = await deployWithIgnition(hre, parameters, { series: listing });
    const stack: Protocol = { ...deployed.contracts, usdc: deployed.usdc!, pyth: deployed.pyth };
    const marketIds = [ETH, BTC];
    const addresses = deployed.addresses;
    const problems = await checkProtocol(stack, expectations(parameters, deployer.address, addresses));
    if (problems.length > 0) throw new Error(`post-deploy check failed:\n  ${problems.join("\n  ")}`);
    print(
      `deployed the protocol through the Ignition module in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
        `(${describe(addresses)}); post-deploy check passed: the deployer holds nothing, the guardian can only ` +
        "pause and tighten, the timelock administers, every wire in place",
    );

    // Liquidity: two LPs, and an insurance fund.
    for (const [lp, amount] of [
      [lp1, 3_000_000],
      [lp2, 2_000_000],
    ] as const) {
      await (await stack.usdc.mint(lp.address, usdc(amount + 100_000))).wait();
      await (await stack.usdc.connect(lp).approve(stack.pool, ethers.MaxUint256)).wait();
      await (await stack.pool.connect(lp).deposit(usdc(amount), lp.address)).wait();
    }
    await (await stack.pool.connect(lp1).fundInsurance(usdc(50_000))).wait();

    const traders: Trader[] = [];
    for (const [i, t] of TRADERS.entries()) {
      const signer = signers[5 + i];
      await (await stack.usdc.mint(signer.address, usdc(t.margin + (t.style === "options" ? 100_000 : 0)))).wait();
      await (await stack.usdc.connect(signer).approve(stack.accounts, ethers.MaxUint256)).wait();
      await (await stack.usdc.connect(signer).approve(stack.options, ethers.MaxUint256)).wait();
      await (await stack.accounts.connect(signer).deposit(signer.address, usdc(t.margin))).wait();
      traders.push({ name: `${t.style}-${i + 1}`, signer, address: signer.address, style: t.style });
    }
    print(`pool funded with $5,000,000 and a $50,000 insurance fund; ${traders.length} traders hold margin`);

    // The keeper, as an operator runs it: its own key, over HTTP, with metrics.
    const keeperWallet = Wallet.createRandom();
    await send("hardhat_setBalance", [keeperWallet.address, "0x56BC75E2D63100000"]);
    const config = parseConfig({
      chainId: 31337,
      rpcUrls: [node.url],
      contracts: {
        engine: addresses.PerpsEngine,
        lens: addresses.PerpsLens,
        markets: addresses.PerpsMarkets,
        options: addresses.OptionsEngine,
      },
      startBlock: deployed.startBlock,
      expectedSigner: keeperWallet.address,
      dbPath: ":memory:",
      confirmations: 0,
      pollIntervalMs: 200,
      logLevel: "error",
    });
    const metrics = new KeeperMetrics();
    const rpc = new RpcPool(config.rpcUrls, { chainId: config.chainId, ...config.rpc });
    const store = new IndexStore(config.dbPath);
    cleanups.push(
      () => store.close(),
      () => rpc.destroy(),
    );
    const log = pino({ level: config.logLevel, base: { service: "bulwark-keeper" } });
    const keeper = new Keeper(config, rpc, store, new Wallet(keeperWallet.privateKey), metrics, log);
    await keeper.checkStartup();
    const served = await serveMetrics(metrics, keeper, "127.0.0.1", opts.metricsPort);
    cleanups.push(() => served.server.close());
    const metricsUrl = `http://127.0.0.1:${served.port}`;
    const keeperRun = keeper.run();
    cleanups.push(() => {
      keeper.stop();
      return keeperRun;
    });
    print(`keeper ${keeperWallet.address} running against ${node.url}; metrics on ${metricsUrl}/metrics`);

    const prices = new PriceDriver(
      stack,
      deployed.sources,
      deployer,
      new Map([
        [ETH, 3_000],
        [BTC, 60_000],
      ]),
    );
    const tally = emptyTally();
    let lastBlock = await provider.getBlockNumber();
    const start = await readSnapshot(stack, marketIds, USDC);
    // The engine's smallest keeper fee, from 18-decimal USD to collateral units, rounded up as the engine does.
    const [minKeeperFee, usdScale] = [
      (await stack.markets.globalConfig()).minKeeperFee,
      await stack.accounts.usdScale(),
    ];
    const keeperFee = (minKeeperFee + usdScale - 1n) / usdScale;
    let steps = 0;

    const tradingEnds = Number(expiry) - Number((await stack.options.globalConfig()).tradingCutoff);
    const series = listing.map((s) => ({
      ...s,
      market: ethers.encodeBytes32String(s.market),
      strike: Number(s.strike),
    }));

    /** One step: time passes, prices move and are published, traders act, the keeper catches up, events shown. */
    const step = async (phase: Phase, seconds: number, move: () => void) => {
      steps++;
      move();
      // The prices' block is mined at `chainTime`; the traders act after it.
      const chainTime = (await provider.getBlock("latest"))!.timestamp + seconds;
      await prices.publish(chainTime);
      const ctx: DecisionContext = {
        phase,
        markets: marketIds.map((id) => ({ id, price: prices.price(id) })),
        openSeries: phase === "walk" && chainTime < tradingEnds ? series : [],
      };
      const views = await readViews(stack, traders, marketIds);
      for (const trader of traders) {
        const intent = decide(rng, trader, views.get(trader.address)!, ctx);
        if (intent.kind === "none") continue;
        const refused = await act(stack, trader, intent, ctx, keeperFee);
        if (refused)
          print(`${clock(chainTime, t0)} ${trader.name}: ${intent.kind} ${marketOf(intent)} refused: ${refused}`);
      }
      await catchUp(metrics, keeper);
      const head = await provider.getBlockNumber();
      const lines = await tallyEvents(stack, tally, { from: lastBlock + 1, to: head }, keeperWallet.address, USDC);
      lastBlock = head;
      const at = (await provider.getBlock("latest"))!.timestamp;
      for (const line of lines) print(`${clock(at, t0)} ${line}`);
      if (steps % profile.summaryEvery === 0) await summary(phase);
    };
    let summarisedAt = -1;
    const summary = async (phase: string) => {
      if (summarisedAt === steps) return;
      summarisedAt = steps;
      const s = await readSnapshot(stack, marketIds, USDC);
      print(`${clock(s.chainTime, t0)} [${phase}] ${formatSummary(s, tally, listing.length)}`);
    };
    const walk =
      (markets: readonly string[] = marketIds) =>
      () => {
        for (const m of markets) prices.move(m, Math.exp(profile.volatility * rng.normal()));
      };

    // 1. A random walk with trading and option buying.
    print(`— walk: ${profile.walkSteps} steps of ${profile.stepSeconds / 60} min; traders open, close and buy options`);
    for (let i = 0; i < profile.walkSteps; i++) await step("walk", profile.stepSeconds, walk());
    await summary("walk");

    // 2. The crash: ETH falls 1.5 % a minute (so the keeper can liquidate before equity runs out), BTC 0.5 %.
    print(`— crash: ETH −1.5 % and BTC −0.5 % a minute for ${profile.crashLegs} minutes`);
    for (let i = 0; i < profile.crashLegs; i++) {
      await step("crash", 60, () => {
        prices.move(ETH, 0.985);
        prices.move(BTC, 0.995);
      });
    }
    for (let i = 0; i < 3; i++) await step("aftermath", 60, walk());
    // Anyone may move what the liquidations left with the engine (fees, losses, margin for the fund) into the pool.
    const [swept, toInsurance] = await stack.engine.sweepPending.staticCall();
    await (await stack.engine.connect(deployer).sweepPending()).wait();
    print(
      `swept ${money(Number(swept) / USDC)} into the pool and ${money(Number(toInsurance) / USDC)} into the insurance fund`,
    );
    await summary("crash");

    // 3. The oracle incident.
    print("— incident: a BTC-USD source prints 8 % off-market; the guardian pauses BTC-USD opening");
    prices.fault(BTC, 2, 0.92);
    await step("incident", profile.stepSeconds, walk());
    await (
      await stack.pauseRegistry
        .connect(guardian)
        .pause(BTC, OPEN_AND_INCREASE, "devnet: a BTC-USD source is printing off-market")
    ).wait();
    print(`guardian paused opening and increasing on BTC-USD (mask ${await stack.pauseRegistry.pausedActions(BTC)})`);
    for (let i = 0; i < 2; i++) await step("incident", profile.stepSeconds, walk());
    prices.fault(BTC, 2, undefined);
    print("— the BTC-USD source is repaired; an ETH-USD source goes silent (stale after an hour; two keep the quorum)");
    prices.silence(ETH, 0, true);
    await step("incident", profile.stepSeconds, walk());
    const delay = Number(await stack.timelock.getMinDelay());
    const data = stack.pauseRegistry.interface.encodeFunctionData("unpause", [
      BTC,
      OPEN_AND_INCREASE,
      "devnet: the BTC-USD source is repaired",
    ]);
    const target = addresses.PauseRegistry;
    const salt = ethers.id(`devnet-unpause-${opts.seed}`);
    await (await stack.timelock.connect(governor).schedule(target, 0, data, ethers.ZeroHash, salt, delay)).wait();
    print(`governor scheduled the BTC-USD unpause through the timelock; ready in ${delay / 60} min`);
    const readyAt = (await provider.getBlock("latest"))!.timestamp + delay;
    while ((await provider.getBlock("latest"))!.timestamp < readyAt) {
      await step("incident", profile.slowStepSeconds, walk());
    }
    await (await stack.timelock.connect(governor).execute(target, 0, data, ethers.ZeroHash, salt)).wait();
    print(`timelock executed the unpause: BTC-USD paused mask ${await stack.pauseRegistry.pausedActions(BTC)}`);
    await summary("incident");
    prices.silence(ETH, 0, false);
    print("the silent ETH-USD source publishes again");

    // 4. Expiry: the keeper reads the price at expiry, settles every series and redeems for the holders.
    print(`— expiry: ${listing.length} series expire at ${clock(Number(expiry), t0)}`);
    while ((await provider.getBlock("latest"))!.timestamp < Number(expiry)) {
      await step("expiry", profile.slowStepSeconds, walk());
    }
    for (
      let i = 0;
      i < 10 &&
      !(await allRedeemed(
        stack,
        traders,
        listing.map((s) => s.id),
        tally,
      ));
      i++
    ) {
      await step("expiry", 60, walk());
    }
    await summary("expiry");

    const end = await readSnapshot(stack, marketIds, USDC);
    const healths = await stack.lens.healthOf(traders.map((t) => t.address));
    const report: DevnetReport = {
      seed: opts.seed,
      profile: profile.name,
      url: node.url,
      metricsUrl,
      chainStart: t0,
      chainEnd: end.chainTime,
      wallSeconds: (Date.now() - started) / 1000,
      start,
      end,
      tally,
      series: listing.length,
      keeper: {
        address: keeperWallet.address,
        actionsSent: await byLabel(metrics, "keeper_actions_sent_total"),
        notSent: await byLabel(metrics, "keeper_actions_failed_total"),
      },
      traders: traders.map((t, i) => ({
        name: t.name,
        style: t.style,
        address: t.address,
        margin: TRADERS[i].margin,
        equity: Number(healths[i].health.equity) / 1e18,
        liquidated: tally.liquidatedAccounts.includes(t.address),
      })),
      addresses,
    };

    return {
      report,
      stack,
      tickPrices: async () => prices.publish((await provider.getBlock("latest"))!.timestamp + 10),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Publishes each market's mock sources at its price: the Chainlink feeds (each a unit apart) and Pyth; a source in a
 * fault at its factor, a silent one not at all. All in one block at the time given, with a read of each market
 * after them, so that no read sees half an update.
 */
class PriceDriver {
  private readonly faults = new Map<string, number>();
  private readonly silent = new Set<string>();
  private pythFee?: bigint;

  constructor(
    private readonly stack: Protocol,
    private readonly sources: Map<string, MockSource[]>,
    private readonly publisher: ethers.Signer,
    private readonly prices: Map<string, number>,
  ) {}

  price(market: string): number {
    return this.prices.get(market)!;
  }

  move(market: string, factor: number): void {
    this.prices.set(market, this.price(market) * factor);
  }

  fault(market: string, source: number, factor: number | undefined): void {
    if (factor === undefined) this.faults.delete(`${market}:${source}`);
    else this.faults.set(`${market}:${source}`, factor);
  }

  silence(market: string, source: number, on: boolean): void {
    if (on) this.silent.add(`${market}:${source}`);
    else this.silent.delete(`${market}:${source}`);
  }

  /** Publishes in one block mined at `at` (chain seconds). */
  async publish(at: number): Promise<void> {
    const provider = this.publisher.provider as ethers.JsonRpcApiProvider;
    const pyth = this.stack.pyth?.connect(this.publisher);
    // The mock's fee per update is fixed at deployment: read once.
    this.pythFee ??= pyth ? await pyth.getUpdateFee(["0x"]) : 0n;
    const fee = this.pythFee;
    await provider.send("evm_setAutomine", [false]);
    const sent: ethers.ContractTransactionResponse[] = [];
    try {
      for (const [market, sources] of this.sources) {
        for (const [i, source] of sources.entries()) {
          const key = `${market}:${i}`;
          if (this.silent.has(key)) continue;
          const price = BigInt(Math.round(this.price(market) * (this.faults.get(key) ?? 1) * 1e8));
          if (source.kind === "chainlink") {
            sent.push(await source.feed.connect(this.publisher).updateAnswer(price + BigInt(i)));
          } else if (pyth) {
            // Eight decimals, a confidence of a basis point, published at the block's time.
            const conf = price / 10_000n;
            const data = await pyth.createPriceFeedUpdateData(source.priceId, price, conf, -8, price, conf, at, 0);
            sent.push(await pyth.updatePriceFeeds([data], { value: fee }));
          }
        }
        sent.push(await this.stack.aggregator.connect(this.publisher).poke(market));
      }
      await provider.send("evm_setNextBlockTimestamp", [at]);
      await provider.send("evm_mine", []);
    } finally {
      await provider.send("evm_setAutomine", [true]);
    }
    await Promise.all(sent.map((tx) => tx.wait()));
  }
}

/** Starts a JSON-RPC server on the in-process chain: on `port` if it is free, else on any free port. */
async function startNode(
  hre: HardhatRuntimeEnvironment,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const free = port !== 0 && (await portFree(port));
  const server = await hre.run(TASK_NODE_CREATE_SERVER, {
    hostname: "127.0.0.1",
    port: free ? port : 0,
    provider: hre.network.provider,
  });
  const listening = (await server.listen()) as { port: number };
  return { url: `http://127.0.0.1:${listening.port}`, close: () => server.close() };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** Waits until the keeper has finished two ticks that began after now, and the transactions they sent. */
async function catchUp(metrics: KeeperMetrics, keeper: Keeper): Promise<void> {
  const ticks = async () => (await metrics.ticks.get()).values.reduce((sum, v) => sum + v.value, 0);
  const target = (await ticks()) + 2;
  const deadline = Date.now() + 60_000;
  while ((await ticks()) < target) {
    if (Date.now() > deadline) throw new Error("the keeper made no progress for 60 s");
    await new Promise((r) => setTimeout(r, 20));
  }
  await keeper.drain();
}

async function byLabel(metrics: KeeperMetrics, name: string): Promise<Record<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const out: Record<string, number> = {};
  for (const v of (metric?.values ?? []) as { value: number; labels: Record<string, string | number> }[]) {
    const label = [v.labels.action, v.labels.reason].filter((x) => x !== undefined).join(" ");
    out[label] = (out[label] ?? 0) + v.value;
  }
  return out;
}

/** Every series settled, and no trader holds an option of any left. */
async function allRedeemed(stack: Protocol, traders: readonly Trader[], ids: readonly bigint[], tally: Tally) {
  if (tally.seriesSettled < ids.length) return false;
  const holders = traders.flatMap((t) => ids.map(() => t.address));
  const balances = await stack.options.balanceOfBatch(
    holders,
    traders.flatMap(() => ids),
  );
  return balances.every((b) => b === 0n);
}

function describe(addresses: Record<string, string>): string {
  return `engine ${addresses.PerpsEngine}, pool ${addresses.LiquidityPool}`;
}

function marketOf(intent: { kind: string; market?: string }): string {
  return intent.market ? marketName(intent.market) : "";
}

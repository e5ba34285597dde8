/**
 * The keeper (KPR-1): each tick refreshes the endpoints, indexes new events (rolling back reorgs), reads the health
 * of every tracked account through the lens in batches, and sends what the pure planners in `decide.ts` chose:
 * liquidations (most underwater first, `liquidateMany` batches), order executions and cancellations, price reads
 * at option expiries, settlements and redemptions. Sends run in the background, one in flight per action key;
 * `drain` waits for them (graceful shutdown).
 */
import { Interface, type Wallet } from "ethers";
import type { Logger } from "pino";
import {
  OptionsEngine__factory,
  PerpsEngine__factory,
  PerpsLens__factory,
  PerpsMarkets__factory,
  PriceAggregator__factory,
} from "../../typechain-types";
import type { KeeperConfig } from "./config";
import {
  type AccountHealth,
  actionKey,
  chunk,
  ownsAccount,
  planLiquidations,
  planOrders,
  planPokes,
  planRedemptions,
  planSettlements,
} from "./decide";
import { isGasLimitError } from "./errors";
import { Indexer } from "./indexer";
import type { KeeperMetrics } from "./metrics";
import type { RpcPool } from "./rpc";
import { type Action, type Outcome, Sender, TOO_LARGE } from "./sender";
import type { IndexStore } from "./store";

const engineInterface: Interface = PerpsEngine__factory.createInterface();
const optionsInterface: Interface = OptionsEngine__factory.createInterface();
const aggregatorInterface: Interface = PriceAggregator__factory.createInterface();

export interface TickReport {
  head: number;
  cursor: number;
  rolledBackTo?: number;
  accounts: number;
  liquidatable: number;
  sent: number;
}

export class Keeper {
  readonly sender: Sender;
  private readonly indexer: Indexer;
  private readonly inFlight = new Map<string, Promise<Outcome>>();
  /** When each account was first seen liquidatable in its current episode (ms). */
  private readonly eligibleSince = new Map<string, number>();
  private lastResync = Number.NEGATIVE_INFINITY;
  /** `liquidationBatchSize`, halved each time a batch was too large for the node's gas cap. */
  private liquidationBatchSize: number;
  private lastTickOk = 0;
  /** How long the signer's lowest pending nonce had waited at the last tick (`Sender.nonces`). */
  private nonceStalledForMs = 0;
  /** When a leftover nonce was last tried with `cancelNonce`. */
  private readonly unstickTried = new Map<number, number>();
  private aggregator = "";
  private stopping = false;

  constructor(
    private readonly config: KeeperConfig,
    private readonly rpc: RpcPool,
    private readonly store: IndexStore,
    wallet: Wallet,
    private readonly metrics: KeeperMetrics,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.liquidationBatchSize = config.liquidationBatchSize;
    this.sender = new Sender(rpc, wallet, config.chainId, config.fees, config.dryRun, {
      onBroadcast: (a, hash, nonce) => {
        metrics.actionsSent.inc({ action: a.kind });
        log.info({ action: a.kind, key: a.key, hash, nonce }, "sent");
      },
      onReplaced: (a, hash, nonce, fee) => {
        metrics.replacements.inc();
        log.warn(
          { action: a.kind, key: a.key, hash, nonce, maxFeePerGas: fee.toString() },
          "replaced a stuck transaction",
        );
      },
    });
    this.indexer = new Indexer(rpc, store, {
      engine: config.contracts.engine,
      lens: config.contracts.lens,
      options: config.contracts.options,
      startBlock: config.startBlock,
      confirmations: config.confirmations,
      logRange: config.logRange,
    });
  }

  /**
   * Start-up checks (KPR-5): every endpoint serves the configured chain, every configured address holds code, the
   * key controls the expected address, and the lens reads the configured engine. Throws listing what is wrong.
   */
  async checkStartup(): Promise<void> {
    const problems: string[] = [];
    let reachable = 0;
    for (const { url, provider } of this.rpc.all()) {
      try {
        const chainId = Number(await provider.send("eth_chainId", []));
        reachable++;
        if (chainId !== this.config.chainId)
          problems.push(`${url} serves chain ${chainId}, not ${this.config.chainId}`);
      } catch (error) {
        this.log.warn({ url, error: (error as Error).message }, "endpoint unreachable at start-up");
      }
    }
    if (reachable === 0) problems.push("no RPC endpoint is reachable");
    if (this.sender.address.toLowerCase() !== this.config.expectedSigner.toLowerCase()) {
      problems.push(`the key controls ${this.sender.address}, not the expected ${this.config.expectedSigner}`);
    }
    if (problems.length === 0) {
      for (const [name, address] of Object.entries(this.config.contracts)) {
        if (!address) continue;
        const code = await this.rpc.run((p) => p.getCode(address));
        if (code === "0x") problems.push(`${name} (${address}) has no code`);
      }
    }
    if (problems.length === 0) {
      const lensEngine = await this.rpc.run((p) => PerpsLens__factory.connect(this.config.contracts.lens, p).engine());
      if (lensEngine.toLowerCase() !== this.config.contracts.engine.toLowerCase()) {
        problems.push(`the lens reads engine ${lensEngine}, not ${this.config.contracts.engine}`);
      }
      this.aggregator = await this.rpc.run((p) =>
        PerpsEngine__factory.connect(this.config.contracts.engine, p).aggregator(),
      );
    }
    if (problems.length > 0) throw new Error(`start-up checks failed:\n  ${problems.join("\n  ")}`);
    this.store.bind(`${this.config.chainId}:${this.config.contracts.engine.toLowerCase()}`);
  }

  /** One pass: index, read, decide, send (sends continue in the background). */
  async tick(): Promise<TickReport> {
    try {
      const report = await this.tickInner();
      this.lastTickOk = this.now();
      this.metrics.ticks.inc({ result: "ok" });
      return report;
    } catch (error) {
      this.metrics.ticks.inc({ result: "error" });
      throw error;
    }
  }

  /** Waits for every action in flight. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Ticks every `pollIntervalMs` until `stop`; then waits for the actions in flight. */
  async run(): Promise<void> {
    while (!this.stopping) {
      const started = this.now();
      try {
        await this.tick();
      } catch (error) {
        this.log.error({ error: (error as Error).message }, "tick failed");
      }
      const wait = this.config.pollIntervalMs - (this.now() - started);
      if (wait > 0 && !this.stopping) await new Promise((r) => setTimeout(r, wait));
    }
    await this.drain();
  }

  stop(): void {
    this.stopping = true;
  }

  /** Why the keeper is not healthy, if it is not (for `/health`). */
  unhealthy(): string | undefined {
    const limit = Math.max(10 * this.config.pollIntervalMs, 30_000);
    if (this.lastTickOk === 0) return "no successful tick yet";
    if (this.now() - this.lastTickOk > limit) return `no successful tick for ${this.now() - this.lastTickOk} ms`;
    if (this.nonceStalledForMs > limit)
      return `the signer's next nonce has not been mined for ${this.nonceStalledForMs} ms`;
    return undefined;
  }

  private async tickInner(): Promise<TickReport> {
    const head = await this.rpc.refresh();
    this.metrics.head.set(head);
    const sync = await this.indexer.sync(head);
    if (sync.rolledBackTo !== undefined) {
      this.metrics.reorgs.inc();
      this.log.warn({ ancestor: sync.rolledBackTo }, "reorg: index rolled back");
    }
    if (this.now() - this.lastResync >= this.config.resyncIntervalMs) {
      const found = await this.indexer.resync();
      this.lastResync = this.now();
      if (found.accounts + found.series > 0) this.log.info(found, "full resync found entries the events had not");
    }
    this.metrics.blockLag.set(head - sync.cursor);

    // The signer's nonces are read alongside (one round trip): stuck ones are freed before anything new is sent.
    const [[block, balance], unstuck] = await Promise.all([
      this.rpc.run((p) => Promise.all([p.getBlock("latest"), p.getBalance(this.sender.address)])),
      this.config.dryRun ? 0 : this.unstick(),
    ]);
    this.metrics.signerBalance.set(Number(balance));
    const chainTime = BigInt(block?.timestamp ?? 0);
    const shard = this.config.shard;
    const accounts = this.store.accounts().filter((a) => ownsAccount(a, shard));
    this.metrics.accountsTracked.set(accounts.length);

    let sent = unstuck;
    const liquidatable = await this.health(accounts);
    this.trackEligibility(liquidatable);
    const inFlight = new Set(this.inFlight.keys());
    for (const batch of planLiquidations(liquidatable, {
      batchSize: this.liquidationBatchSize,
      minReward: this.config.minLiquidationReward,
      shard,
      inFlight,
    })) {
      sent += this.liquidate(batch);
    }

    const timing = await this.rpc.run((p) =>
      PerpsMarkets__factory.connect(this.config.contracts.markets, p).globalConfig(),
    );
    const orders = planOrders(this.store.pendingOrders(), chainTime, timing, { shard, inFlight });
    for (const o of orders.execute)
      sent += this.dispatch(this.call("execute", actionKey.execute(o), "executeOrder", [o.account]));
    for (const o of orders.cancel)
      sent += this.dispatch(this.call("cancel", actionKey.cancel(o), "cancelOrder", [o.account]));

    if (this.config.contracts.options) sent += await this.options(chainTime, inFlight);
    return {
      head,
      cursor: sync.cursor,
      rolledBackTo: sync.rolledBackTo,
      accounts: accounts.length,
      liquidatable: liquidatable.length,
      sent,
    };
  }

  /**
   * Health (KPR-3): the liquidatable accounts among `accounts`, as the lens values them (`liquidatableAmong`),
   * `healthBatchSize` per call; a page over the node's per-call gas cap is halved. Pages go one after another: a
   * node runs calls one at a time anyway, and sent together they would share one HTTP batch and its timeout.
   */
  async health(accounts: readonly string[]): Promise<AccountHealth[]> {
    const lens = this.config.contracts.lens;
    const found = [];
    for (const page of chunk(accounts, this.config.healthBatchSize)) {
      found.push(
        ...(await halving(page, (part) =>
          this.rpc.run((p) => PerpsLens__factory.connect(lens, p).liquidatableAmong([...part])),
        )),
      );
    }
    return found.map((c) => ({
      account: c.account.toLowerCase(),
      equity: c.equity,
      maintenanceMargin: c.maintenanceMargin,
      liquidatable: true,
      expectedReward: c.expectedReward,
    }));
  }

  private async options(chainTime: bigint, inFlight: ReadonlySet<string>): Promise<number> {
    const options = this.config.contracts.options!;
    let sent = 0;
    const series = this.store.series();
    const expired = series.filter((s) => !s.settled && s.expiry <= chainTime);
    const checkpoints = new Map<string, boolean>();
    await Promise.all(
      [...new Map(expired.map((s) => [`${s.market}:${s.expiry}`, s])).values()].map(async (s) => {
        const [price] = await this.rpc.run((p) =>
          PriceAggregator__factory.connect(this.aggregator, p).firstTrustedPrice(s.market, s.expiry, chainTime),
        );
        checkpoints.set(`${s.market}:${s.expiry}`, price !== 0n);
      }),
    );
    for (const { market, expiry } of planPokes(series, chainTime, (m, e) => checkpoints.get(`${m}:${e}`) ?? false)) {
      const key = actionKey.poke(market, expiry);
      if (inFlight.has(key)) continue;
      sent += this.dispatch({
        key,
        kind: "poke",
        to: this.aggregator,
        data: aggregatorInterface.encodeFunctionData("poke", [market]),
        // Only a trusted read fixes the expiry's price; a frozen one would spend gas every tick for nothing.
        wouldAct: (ret) => Number(aggregatorInterface.decodeFunctionResult("poke", ret)[0].state) === 0,
      });
    }
    for (const s of planSettlements(series, chainTime, inFlight)) {
      sent += this.dispatch({
        key: actionKey.settle(s.id),
        kind: "settle",
        to: options,
        data: optionsInterface.encodeFunctionData("settle", [s.id]),
        // False: the price is not trusted yet, or settlement is paused; nothing to pay for.
        wouldAct: (ret) => optionsInterface.decodeFunctionResult("settle", ret)[0] === true,
      });
    }
    for (const id of this.store.seriesToRedeem()) {
      const key = actionKey.redeem(id);
      if (inFlight.has(key)) continue;
      const holders = this.store.holders(id);
      const balances =
        holders.length === 0
          ? []
          : await this.rpc.run((p) =>
              OptionsEngine__factory.connect(options, p).balanceOfBatch(
                holders,
                holders.map(() => id),
              ),
            );
      const batches = planRedemptions(
        holders.map((holder, i) => ({ holder, balance: balances[i] })),
        this.config.redeemBatchSize,
      );
      if (batches.length === 0) {
        this.store.markRedeemed(id, this.indexer.cursor());
        continue;
      }
      // One batch per series per tick: the next tick sends the next.
      sent += this.dispatch({
        key,
        kind: "redeem",
        to: options,
        data: optionsInterface.encodeFunctionData("redeemFor", [id, batches[0]]),
        wouldAct: (ret) => (optionsInterface.decodeFunctionResult("redeemFor", ret)[0] as bigint) > 0n,
      });
    }
    return sent;
  }

  /**
   * Frees the signer's nonces held in the pool by transactions nothing here pursues (KPR-4): once the mined count
   * has stood still for `replaceAfterMs`, each is replaced by a transfer to ourselves; one that cannot be (its fees
   * are at the cap) is tried again after ten periods. A stall is reported on `/health` and as a metric.
   */
  private async unstick(): Promise<number> {
    const now = this.now();
    const nonces = await this.sender.nonces(now);
    this.nonceStalledForMs = nonces.stalledForMs;
    this.metrics.pendingNonces.set(nonces.pending - nonces.mined);
    const period = this.config.fees.replaceAfterMs;
    for (const n of this.unstickTried.keys()) if (n < nonces.mined) this.unstickTried.delete(n);
    if (nonces.stalledForMs < period) return 0;
    let sent = 0;
    for (const nonce of nonces.leftovers) {
      if (now - (this.unstickTried.get(nonce) ?? -Infinity) < 10 * period) continue;
      this.unstickTried.set(nonce, now);
      this.log.warn({ nonce, mined: nonces.mined, stalledForMs: nonces.stalledForMs }, "freeing a stuck nonce");
      sent += this.dispatch(this.sender.noop(nonce), { send: () => this.sender.cancelNonce(nonce) });
    }
    return sent;
  }

  /**
   * Sends `batch` as one `liquidateMany`; a batch too large to estimate (the node's gas cap) is split in two and
   * the halves sent, and later batches are kept to the half (KPR-4).
   */
  private liquidate(batch: readonly string[]): number {
    const then = (outcome: Outcome) => {
      if (outcome.status !== "failed" || outcome.reason !== TOO_LARGE || batch.length < 2) return;
      const half = Math.ceil(batch.length / 2);
      this.liquidationBatchSize = Math.max(1, Math.min(this.liquidationBatchSize, half));
      this.log.warn({ accounts: batch.length, batchSize: this.liquidationBatchSize }, "liquidation batch split");
      this.liquidate(batch.slice(0, half));
      this.liquidate(batch.slice(half));
    };
    return this.dispatch(this.liquidation(batch), { alsoKeys: batch.map(actionKey.liquidate), then });
  }

  private liquidation(batch: readonly string[]): Action {
    return {
      key: batch.length === 1 ? actionKey.liquidate(batch[0]) : `liquidateMany:${batch.join(",")}`,
      kind: "liquidate",
      to: this.config.contracts.engine,
      data: engineInterface.encodeFunctionData("liquidateMany", [batch]),
      wouldAct: (ret) => (engineInterface.decodeFunctionResult("liquidateMany", ret)[0] as bigint) > 0n,
    };
  }

  private call(kind: Action["kind"], key: string, fn: "executeOrder" | "cancelOrder", args: unknown[]): Action {
    return { key, kind, to: this.config.contracts.engine, data: engineInterface.encodeFunctionData(fn, args) };
  }

  /**
   * Starts `action` in the background (through `send`, by default the sender's `submit`) under its key and
   * `alsoKeys` (e.g. each account of a batch); `then` runs with its outcome once the keys are released.
   */
  private dispatch(
    action: Action,
    opts: { alsoKeys?: readonly string[]; then?: (outcome: Outcome) => void; send?: () => Promise<Outcome> } = {},
  ): number {
    const { alsoKeys = [], then, send = () => this.sender.submit(action) } = opts;
    const keys = [action.key, ...alsoKeys];
    if (keys.some((k) => this.inFlight.has(k))) return 0;
    const run = send()
      .then((outcome) => {
        this.record(action, outcome);
        return outcome;
      })
      .catch((error) => {
        const outcome: Outcome = { status: "failed", reason: `error: ${(error as Error).message?.slice(0, 80)}` };
        this.record(action, outcome);
        return outcome;
      })
      .finally(() => {
        for (const k of keys) this.inFlight.delete(k);
      });
    for (const k of keys) this.inFlight.set(k, run);
    if (then) {
      // Registered under no key: `drain` waits for it through the loop over `inFlight` it may refill.
      void run.then((outcome) => then(outcome));
    }
    return 1;
  }

  private record(action: Action, outcome: Outcome): void {
    const labels = { action: action.kind };
    switch (outcome.status) {
      case "included":
        this.metrics.actionsSucceeded.inc(labels);
        this.account(action, outcome.receipt.logs);
        this.log.info(
          { action: action.kind, key: action.key, hash: outcome.hash, gas: outcome.receipt.gasUsed.toString() },
          "included",
        );
        break;
      case "reverted":
        this.metrics.actionsFailed.inc({ ...labels, reason: "reverted" });
        this.log.warn({ action: action.kind, key: action.key, hash: outcome.hash }, "reverted on chain");
        break;
      case "skipped":
        this.metrics.actionsFailed.inc({ ...labels, reason: outcome.reason });
        this.log.debug(
          { action: action.kind, key: action.key, reason: outcome.reason, verdict: outcome.verdict },
          "skipped",
        );
        break;
      case "failed":
        this.metrics.actionsFailed.inc({ ...labels, reason: outcome.reason });
        this.log.error({ action: action.kind, key: action.key, reason: outcome.reason }, "failed");
        break;
      case "dry-run":
        this.log.info({ action: action.kind, key: action.key }, "dry run: would send");
        break;
    }
  }

  /** Rewards and eligibility-to-inclusion times from an included transaction's logs. */
  private account(action: Action, logs: readonly { topics: readonly string[]; data: string; address: string }[]): void {
    const me = this.sender.address.toLowerCase();
    for (const log of logs) {
      if (log.address.toLowerCase() !== this.config.contracts.engine.toLowerCase()) continue;
      const e = safeParse(engineInterface, log);
      if (!e) continue;
      if (e.name === "PositionLiquidated" && (e.args.liquidator as string).toLowerCase() === me) {
        this.metrics.rewards.inc({ action: "liquidate" }, Number(e.args.reward as bigint));
        const account = (e.args.account as string).toLowerCase();
        const since = this.eligibleSince.get(account);
        if (since !== undefined) this.metrics.eligibilityToInclusion.observe((this.now() - since) / 1000);
        this.eligibleSince.delete(account);
      } else if (e.name === "OrderExecuted" && (e.args.keeper as string).toLowerCase() === me) {
        this.metrics.rewards.inc({ action: "execute" }, Number(e.args.keeperFee as bigint));
      }
    }
  }

  private trackEligibility(liquidatable: readonly AccountHealth[]): void {
    const now = this.now();
    const current = new Set(liquidatable.map((h) => h.account));
    for (const account of current) {
      if (!this.eligibleSince.has(account)) {
        this.eligibleSince.set(account, now);
        this.metrics.liquidatableFound.inc();
      }
    }
    for (const account of [...this.eligibleSince.keys()]) {
      // A liquidation in flight keeps its start time until its receipt is accounted.
      if (!current.has(account) && !this.inFlight.has(actionKey.liquidate(account))) this.eligibleSince.delete(account);
    }
    this.metrics.liquidatable.set(current.size);
  }
}

function safeParse(iface: Interface, log: { topics: readonly string[]; data: string }) {
  try {
    return iface.parseLog(log);
  } catch {
    return null;
  }
}

/**
 * `fn` over `items`; when the call fails for its gas (`isGasLimitError`), over each half instead, recursively. A
 * page of the lens that one node serves whole may need halves on a node with a lower per-call gas cap.
 */
export async function halving<T, R>(
  items: readonly T[],
  fn: (part: readonly T[]) => Promise<readonly R[]>,
): Promise<R[]> {
  if (items.length === 0) return [];
  try {
    return [...(await fn(items))];
  } catch (error) {
    if (items.length < 2 || !isGasLimitError(error)) throw error;
    const half = Math.ceil(items.length / 2);
    const [a, b] = await Promise.all([halving(items.slice(0, half), fn), halving(items.slice(half), fn)]);
    return [...a, ...b];
  }
}

/**
 * The keeper against a real `hardhat node` process on 127.0.0.1 (KPR-1 … KPR-7): orders executed, a crash
 * liquidated, options settled and redeemed, restarts, reorgs, a dying endpoint and two keepers racing.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { NonceManager, ethers } from "ethers";
import { serveMetrics } from "../src/metrics";
import { IndexStore } from "../src/store";
import {
  commitTraders,
  deployOnNode,
  fundedWallet,
  ETH,
  type Harness,
  makeKeeper,
  metricValue,
  spawnKeeper,
  tickUntil,
  units,
  usdc,
} from "./helpers/harness";
import { freePort, startNode, type NodeProcess } from "./helpers/node";

describe("keeper against a hardhat node (KPR-1 … KPR-7)", function () {
  this.timeout(600_000);
  let node: NodeProcess;
  let h: Harness;
  let base: string;

  before(async () => {
    node = await startNode();
    h = await deployOnNode(node);
    base = await node.rpc<string>("evm_snapshot");
  });

  afterEach(async () => {
    await node.rpc("evm_revert", [base]);
    base = await node.rpc<string>("evm_snapshot");
  });

  after(async () => {
    await node?.stop();
  });

  async function positionSize(account: string): Promise<bigint> {
    return (await h.stack.engine.positionOf(account, ETH)).size;
  }

  it("KPR-1, KPR-3: the keeper executes pending orders, then liquidates every account a crash made unhealthy, most underwater first", async () => {
    const k = await makeKeeper(h);
    try {
      // Twelve traders at 20× and 22× leverage (1,000 USDC each; 6.6 ETH and 7.3 ETH at $3,000).
      const bold = await commitTraders(h, 6, usdc(1_000), (units(73) / 10n) as bigint);
      const calm = await commitTraders(h, 6, usdc(1_000), (units(66) / 10n) as bigint);
      const traders = [...bold, ...calm];
      // Not ready yet: the minimum delay has not passed and no newer price exists.
      await k.keeper.tick();
      await k.keeper.drain();
      expect(await positionSize(traders[0].address)).to.equal(0n);
      await h.advance(3);
      await h.stack.setPrice(ETH, 3_000n);
      await tickUntil(k.keeper, async () => {
        for (const t of traders) if ((await positionSize(t.address)) === 0n) return false;
        return true;
      });
      expect(await metricValue(k.metrics, "keeper_actions_succeeded_total", { action: "execute" })).to.equal(12);
      expect(await metricValue(k.metrics, "keeper_rewards_earned_total", { action: "execute" })).to.equal(12 * 1e6);

      // Healthy: nothing is liquidated.
      await k.keeper.tick();
      await k.keeper.drain();
      expect(await metricValue(k.metrics, "keeper_actions_sent_total", { action: "liquidate" })).to.equal(0);

      // A 4.3 % drop: below maintenance for all twelve.
      await h.stack.setPrice(ETH, 2_870n);
      const health = await h.stack.lens.healthOf(traders.map((t) => t.address));
      expect(health.every((x) => x.health.liquidatable)).to.equal(true);
      const ticks = await tickUntil(k.keeper, async () => {
        for (const t of traders) if ((await positionSize(t.address)) !== 0n) return false;
        return true;
      });
      expect(ticks).to.equal(1);
      // One liquidateMany transaction, most underwater (the bolder six) first.
      const logs = await h.stack.engine.queryFilter(h.stack.engine.filters.PositionLiquidated());
      const order = logs.map((l) => l.args.account.toLowerCase());
      expect(new Set(order.slice(0, 6))).to.deep.equal(new Set(bold.map((t) => t.address.toLowerCase())));
      expect(new Set(logs.map((l) => l.transactionHash)).size).to.equal(1);
      expect(await metricValue(k.metrics, "keeper_liquidatable_found_total")).to.equal(12);
      expect(await metricValue(k.metrics, "keeper_rewards_earned_total", { action: "liquidate" })).to.be.greaterThan(0);
      const latency = await k.metrics.eligibilityToInclusion.get();
      expect(latency.values.find((v) => v.metricName?.endsWith("_count"))?.value).to.equal(12);
    } finally {
      k.close();
    }
  });

  /** Twelve traders with open 20×-22× longs at $3,000, their orders executed by `k`; then a crash to $2,870. */
  async function openedThenCrashed(k: Awaited<ReturnType<typeof makeKeeper>>, count = 12) {
    const traders = await commitTraders(h, count, usdc(1_000), units(7));
    await h.advance(3);
    await h.stack.setPrice(ETH, 3_000n);
    await tickUntil(k.keeper, async () => (await positionSize(traders[count - 1].address)) !== 0n);
    await h.stack.setPrice(ETH, 2_870n);
    return traders;
  }

  /** Waits until `check` holds (30 s unless `ms` says: a wait on an event, not a set time, so a slow machine cannot fail it). */
  async function eventually(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const until = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function allOpen(traders: { address: string }[]) {
    for (const t of traders) if ((await positionSize(t.address)) === 0n) return false;
    return true;
  }

  async function allClosed(traders: { address: string }[]) {
    for (const t of traders) if ((await positionSize(t.address)) !== 0n) return false;
    return true;
  }

  it("KPR-1, OPT-6: at expiry the keeper reads the price, settles every series of the expiry and redeems for the holders", async () => {
    const k = await makeKeeper(h);
    try {
      const [call, put] = h.stack.series;
      const holder = await fundedWallet(node);
      const signer = new NonceManager(holder);
      await (await h.stack.usdc.mint(holder.address, usdc(10_000))).wait();
      await (await h.stack.usdc.connect(signer).approve(h.stack.options, ethers.MaxUint256)).wait();
      await (await h.stack.options.connect(signer).buy(call, units(2), usdc(10_000))).wait();
      const expiry = (await h.stack.options.seriesOf(call)).expiry;
      await node.rpc("evm_setNextBlockTimestamp", [Number(expiry)]);
      await h.stack.setPrice(ETH, 3_100n);
      const before = await h.stack.usdc.balanceOf(holder.address);
      await tickUntil(k.keeper, async () => (await h.stack.usdc.balanceOf(holder.address)) > before, 5);
      expect((await h.stack.options.seriesOf(call)).settled).to.equal(true);
      expect((await h.stack.options.seriesOf(put)).settled).to.equal(true);
      // $100 a unit for two units, paid to the holder's wallet by the keeper's redeemFor.
      expect((await h.stack.usdc.balanceOf(holder.address)) - before).to.equal(usdc(200));
      // The median of the three feeds (each a unit of 1e-8 apart), in 18 decimals.
      expect((await h.stack.options.expiryPrice(ETH, expiry)).price).to.equal(units(3_100) + 10n ** 10n);
      expect(await metricValue(k.metrics, "keeper_actions_succeeded_total", { action: "redeem" })).to.equal(1);
      // Nothing left to do: a further tick sends nothing.
      expect((await k.keeper.tick()).sent).to.equal(0);
    } finally {
      k.close();
    }
  });

  it("KPR-2: a reorg rolls the index back: a commit that is no longer on the chain is no longer pending", async () => {
    const k = await makeKeeper(h);
    try {
      await k.keeper.tick();
      const fork = await node.rpc<string>("evm_snapshot");
      const [trader] = await commitTraders(h, 1, usdc(1_000), units(1));
      await k.keeper.tick();
      expect(k.store.pendingOrders().map((o) => o.account)).to.deep.equal([trader.address.toLowerCase()]);
      const blockNumber = async () => Number(await node.rpc<string>("eth_blockNumber"));
      const height = await blockNumber();
      await node.rpc("evm_revert", [fork]);
      // The other branch: empty blocks, one more than the first branch had.
      while ((await blockNumber()) <= height) await node.rpc("evm_mine", []);
      const report = await k.keeper.tick();
      expect(report.rolledBackTo).to.be.a("number");
      expect(report.rolledBackTo!).to.be.lessThan(height);
      expect(k.store.pendingOrders()).to.deep.equal([]);
      expect(await metricValue(k.metrics, "keeper_reorgs_total")).to.equal(1);
    } finally {
      k.close();
    }
  });

  it("KPR-5: when one of two endpoints dies the keeper fails over and still liquidates", async () => {
    // The first endpoint is a proxy to the node that the test shuts down.
    const port = await freePort();
    const proxy: Server = createServer((req, res) => {
      const upstream = request(`${node.url}${req.url ?? "/"}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(port, "127.0.0.1", r));
    const proxyUrl = `http://127.0.0.1:${port}`;
    const k = await makeKeeper(h, { urls: [proxyUrl, node.url] });
    try {
      const traders = await openedThenCrashed(k, 4);
      await new Promise<void>((r) => {
        proxy.close(() => r());
        proxy.closeAllConnections();
      });
      await tickUntil(k.keeper, () => allClosed(traders), 5);
      expect(await metricValue(k.metrics, "keeper_rpc_endpoint_drops_total", { endpoint: proxyUrl })).to.be.greaterThan(
        0,
      );
    } finally {
      k.close();
      proxy.close();
    }
  });

  it("KPR-7: two keepers at once stay safe: sharded, each liquidates its own accounts and no simulation fails; unsharded, each account is liquidated once and nothing reverts", async () => {
    const a = await makeKeeper(h, { shard: { index: 0, count: 2 } });
    const b = await makeKeeper(h, { shard: { index: 1, count: 2 } });
    try {
      const traders = await commitTraders(h, 10, usdc(1_000), units(7));
      await h.advance(3);
      await h.stack.setPrice(ETH, 3_000n);
      // Each shard executes only its own orders; together, all of them.
      for (let i = 0; i < 5 && !(await allOpen(traders)); i++) {
        await Promise.all([a.keeper.tick(), b.keeper.tick()]);
        await Promise.all([a.keeper.drain(), b.keeper.drain()]);
      }
      expect(await allOpen(traders)).to.equal(true);
      await h.stack.setPrice(ETH, 2_870n);
      await Promise.all([a.keeper.tick(), b.keeper.tick()]);
      await Promise.all([a.keeper.drain(), b.keeper.drain()]);
      expect(await allClosed(traders)).to.equal(true);
      const liquidated = await h.stack.engine.queryFilter(h.stack.engine.filters.PositionLiquidated());
      const byKeeper = new Map<string, string[]>();
      for (const l of liquidated)
        byKeeper.set(l.args.liquidator, [...(byKeeper.get(l.args.liquidator) ?? []), l.args.account]);
      expect(byKeeper.size).to.equal(2);
      for (const k of [a, b]) {
        expect(await metricValue(k.metrics, "keeper_actions_failed_total")).to.equal(0);
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it("KPR-7: unsharded keepers racing liquidate each account once, and a lost race never reverts", async () => {
    const a = await makeKeeper(h);
    const b = await makeKeeper(h);
    try {
      const traders = await openedThenCrashed(a, 8);
      await Promise.all([a.keeper.tick(), b.keeper.tick()]);
      await Promise.all([a.keeper.drain(), b.keeper.drain()]);
      await tickUntil(b.keeper, () => allClosed(traders), 3);
      const liquidated = await h.stack.engine.queryFilter(h.stack.engine.filters.PositionLiquidated());
      expect(liquidated.map((l) => l.args.account).sort()).to.deep.equal(traders.map((t) => t.address).sort());
      for (const k of [a, b]) {
        expect(await metricValue(k.metrics, "keeper_actions_failed_total", { reason: "reverted" })).to.equal(0);
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it("KPR-4: a transaction stuck past the timeout is replaced at the same nonce with a higher fee", async () => {
    const k = await makeKeeper(h, { fees: { replaceAfterMs: 400, bumpPercent: 20 } });
    try {
      const traders = await openedThenCrashed(k, 2);
      await node.rpc("evm_setAutomine", [false]);
      const nonce = await node.provider.getTransactionCount(k.wallet.address);
      await k.keeper.tick();
      // Nothing is mined; after 400 ms the keeper sends the replacement.
      await eventually(async () => (await metricValue(k.metrics, "keeper_tx_replacements_total")) > 0);
      expect(await metricValue(k.metrics, "keeper_tx_replacements_total")).to.be.greaterThan(0);
      await node.rpc("evm_mine", []);
      await k.keeper.drain();
      await node.rpc("evm_setAutomine", [true]);
      expect(await allClosed(traders)).to.equal(true);
      // One transaction of that nonce was mined: the replacement, at a higher fee.
      expect(await node.provider.getTransactionCount(k.wallet.address)).to.equal(nonce + 1);
      expect(await metricValue(k.metrics, "keeper_actions_succeeded_total", { action: "liquidate" })).to.equal(1);
    } finally {
      await node.rpc("evm_setAutomine", [true]);
      k.close();
    }
  });

  it("KPR-4, KPR-6: a transaction of a killed run left in the pool is replaced by a transfer to ourselves once the nonce stalls, and /health reports the stall", async () => {
    let clock = Date.now();
    const k = await makeKeeper(h, { fees: { replaceAfterMs: 1_000 }, now: () => clock });
    try {
      await node.rpc("evm_setAutomine", [false]);
      // What a previous run sent and never saw mined: a liquidation attempt, now at this nonce in the pool.
      const nonce = await node.provider.getTransactionCount(k.wallet.address);
      const base = (await node.provider.getBlock("latest"))!.baseFeePerGas!;
      const left = await k.wallet.sendTransaction({
        to: await h.stack.engine.getAddress(),
        data: h.stack.engine.interface.encodeFunctionData("liquidateMany", [[k.wallet.address]]),
        nonce,
        gasLimit: 200_000n,
        maxFeePerGas: 2n * base + 10n ** 9n,
        maxPriorityFeePerGas: 10n ** 9n,
      });
      await k.keeper.tick();
      expect(await metricValue(k.metrics, "keeper_signer_pending_transactions")).to.equal(1);
      expect(await metricValue(k.metrics, "keeper_actions_sent_total")).to.equal(0); // not stalled for long yet
      clock += 31_000;
      await k.keeper.tick();
      expect(k.keeper.unhealthy()).to.match(/next nonce has not been mined for 31000 ms/);
      await eventually(async () => (await metricValue(k.metrics, "keeper_tx_replacements_total")) > 0);
      await node.rpc("evm_mine", []);
      await k.keeper.drain();
      await node.rpc("evm_setAutomine", [true]);
      expect(await node.provider.getTransactionReceipt(left.hash)).to.equal(null);
      const mined = (await node.provider.getBlock("latest", true))!.prefetchedTransactions;
      const freed = mined.find((t) => t.from === k.wallet.address && t.nonce === nonce)!;
      expect([freed.to, freed.data, freed.value]).to.deep.equal([k.wallet.address, "0x", 0n]);
      expect(await metricValue(k.metrics, "keeper_actions_succeeded_total", { action: "unstick" })).to.equal(1);
      await k.keeper.tick();
      expect(await metricValue(k.metrics, "keeper_signer_pending_transactions")).to.equal(0);
      expect(k.keeper.unhealthy()).to.equal(undefined);
    } finally {
      await node.rpc("evm_setAutomine", [true]);
      k.close();
    }
  });

  it("KPR-4, KPR-7: a stuck liquidation whose race was lost meanwhile is replaced by a transfer to ourselves, not a call that does nothing", async () => {
    const k = await makeKeeper(h, { fees: { replaceAfterMs: 400, maxFeePerGas: "50000000000" } });
    try {
      const [trader] = await openedThenCrashed(k, 1);
      await node.rpc("evm_setAutomine", [false]);
      const nonce = await node.provider.getTransactionCount(k.wallet.address);
      await k.keeper.tick();
      const sent = () => metricValue(k.metrics, "keeper_actions_sent_total", { action: "liquidate" });
      await eventually(async () => (await sent()) > 0);
      // A rival pays more than the keeper's cap: its liquidation is mined in a block the keeper's cannot enter.
      await node.rpc("hardhat_setNextBlockBaseFeePerGas", [ethers.toQuantity(60n * 10n ** 9n)]);
      const rival = await h.stack.engine.connect(h.deployer).liquidateMany([trader.address], {
        // An estimate would be too tight: the inner liquidation would run out of gas inside `liquidateMany`'s try.
        gasLimit: 1_000_000n,
        maxFeePerGas: 100n * 10n ** 9n,
        maxPriorityFeePerGas: 10n ** 9n,
      });
      await node.rpc("evm_mine", []);
      expect((await node.provider.getTransactionReceipt(rival.hash))?.status).to.equal(1);
      expect(await positionSize(trader.address)).to.equal(0n);
      // The keeper's next replacement simulates first, finds nothing left to do, and frees its nonce instead.
      const replaced = await metricValue(k.metrics, "keeper_tx_replacements_total");
      await eventually(async () => (await metricValue(k.metrics, "keeper_tx_replacements_total")) > replaced);
      await node.rpc("hardhat_setNextBlockBaseFeePerGas", [ethers.toQuantity(10n ** 9n)]);
      await node.rpc("evm_mine", []);
      await k.keeper.drain();
      await node.rpc("evm_setAutomine", [true]);
      const mined = (await node.provider.getBlock("latest", true))!.prefetchedTransactions;
      const freed = mined.find((t) => t.from === k.wallet.address && t.nonce === nonce)!;
      expect([freed.to, freed.data]).to.deep.equal([k.wallet.address, "0x"]);
      expect(
        await metricValue(k.metrics, "keeper_actions_failed_total", { action: "liquidate", reason: "no-op" }),
      ).to.equal(1);
      expect(await metricValue(k.metrics, "keeper_actions_succeeded_total", { action: "liquidate" })).to.equal(0);
    } finally {
      await node.rpc("evm_setAutomine", [true]);
      k.close();
    }
  });

  it("KPR-6: /metrics serves the keeper's metrics and /health turns healthy after a successful tick", async () => {
    const k = await makeKeeper(h);
    const { server, port } = await serveMetrics(k.metrics, k.keeper, "127.0.0.1", 0);
    try {
      const get = async (p: string) => {
        const res = await fetch(`http://127.0.0.1:${port}${p}`);
        return { status: res.status, body: await res.text() };
      };
      expect((await get("/health")).status).to.equal(503);
      await k.keeper.tick();
      expect(await get("/health")).to.deep.equal({ status: 200, body: JSON.stringify({ status: "ok" }) });
      const metrics = (await get("/metrics")).body;
      for (const name of [
        "keeper_accounts_tracked",
        "keeper_liquidatable_accounts",
        "keeper_actions_sent_total",
        "keeper_block_lag",
        "keeper_eligibility_to_inclusion_seconds",
        "keeper_signer_balance_wei",
        "keeper_rewards_earned_total",
      ]) {
        expect(metrics).to.include(name);
      }
    } finally {
      server.close();
      k.close();
    }
  });

  it("KPR-2, KPR-6: the keeper process killed with SIGKILL and restarted resumes from its index and misses nothing", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "keeper-"));
    const wallet = await fundedWallet(node);
    const dbPath = path.join(dir, "index.sqlite");
    const start = await spawnKeeper(h, wallet, dir, { dbPath, pollIntervalMs: 200 });
    const cursor = () => {
      const s = new IndexStore(dbPath);
      try {
        return s.cursor() ?? -1;
      } finally {
        s.close();
      }
    };
    let child = start();
    try {
      const head = await node.provider.getBlockNumber();
      await eventually(async () => cursor() >= head, 60_000);
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      const indexed = cursor();
      // While it is down: orders committed and ready, then a crash.
      const traders = await commitTraders(h, 5, usdc(1_000), units(7));
      await h.advance(3);
      await h.stack.setPrice(ETH, 3_000n);
      child = start();
      await eventually(async () => (await positionSize(traders[4].address)) !== 0n, 60_000);
      expect(cursor()).to.be.greaterThan(indexed);
      await h.stack.setPrice(ETH, 2_870n);
      await eventually(() => allClosed(traders), 60_000);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The keeper against a real `hardhat node` process on 127.0.0.1 (KPR-1 … KPR-7): orders executed, a crash
 * liquidated, options settled and redeemed, restarts, reorgs, a dying endpoint and two keepers racing.
 */
import { expect } from "chai";
import {
  commitTraders,
  deployOnNode,
  ETH,
  type Harness,
  makeKeeper,
  metricValue,
  tickUntil,
  units,
  usdc,
} from "./helpers/harness";
import { startNode, type NodeProcess } from "./helpers/node";

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
});

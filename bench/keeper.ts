/**
 * The keeper's numbers (SPEC §13, KPR-3, KPR-4, KPR-2): on a `hardhat node` process with 1-second blocks and a 30 M
 * block gas limit, the time and RPC calls to health-check 10,000 accounts with open positions, the blocks to
 * liquidate 1,000 accounts after one price move, and the liquidations missed across a `kill -9` restart.
 *
 * Accounts are real: each is a clone contract (`TraderSwarm`) that deposits its own margin and commits its own
 * order, executed through the engine. The set-up mines blocks on demand; the measured part runs on interval mining.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ethers } from "ethers";
import { TraderSwarm__factory } from "../typechain-types";
import {
  ETH,
  deployOnNode,
  fundedWallet,
  type Harness,
  makeKeeper,
  metricValue,
  spawnKeeper,
  units,
  usdc,
} from "../keeper/test/helpers/harness";
import { type NodeProcess, startNode } from "../keeper/test/helpers/node";

/** Accounts spawned, and orders executed, per set-up transaction (each well under the 16.7 M transaction cap). */
const SPAWN_PER_TX = 50;
const EXECUTE_PER_TX = 40;
const SETUP_GAS = 16_000_000n;

export interface Swarm {
  h: Harness;
  accounts: string[];
}

/**
 * `count` accounts on `node`'s fresh deployment, each with `margin` USDC and a `size` ETH position (longs and
 * shorts alternating when `alternate`), opened at $3,000.
 */
export async function openAccounts(
  node: NodeProcess,
  count: number,
  opts: { margin: bigint; size: bigint; alternate: boolean; lpUsdc?: bigint },
): Promise<Swarm> {
  const h = await deployOnNode(node);
  const deployer = h.deployer;
  const { stack } = h;
  const swarm = await new TraderSwarm__factory(deployer).deploy(stack.engine, stack.accounts, stack.usdc);
  await swarm.waitForDeployment();
  await (await stack.usdc.mint(swarm, opts.margin * BigInt(count))).wait();
  if (opts.lpUsdc) {
    await (await stack.usdc.mint(await h.lp.getAddress(), opts.lpUsdc)).wait();
    await (await stack.pool.connect(h.lp).deposit(opts.lpUsdc, await h.lp.getAddress())).wait();
  }
  // A round commits and then executes up to 1,000 orders, well inside the order window.
  const round = 1_000;
  for (let from = 0; from < count; from += round) {
    const to = Math.min(count, from + round);
    const sends = [];
    for (let i = from; i < to; i += SPAWN_PER_TX) {
      const n = Math.min(SPAWN_PER_TX, to - i);
      sends.push(await swarm.spawn(n, opts.margin, ETH, opts.size, opts.alternate, usdc(1), { gasLimit: SETUP_GAS }));
    }
    await Promise.all(sends.map((t) => t.wait()));
    await h.advance(3);
    await stack.setPrice(ETH, 3_000n);
    const executes = [];
    for (let i = from; i < to; i += EXECUTE_PER_TX) {
      executes.push(await swarm.executeAll(i, Math.min(to, i + EXECUTE_PER_TX), { gasLimit: SETUP_GAS }));
    }
    for (const t of executes) {
      const receipt = await t.wait();
      if (receipt?.status !== 1) throw new Error("bench: an executeAll failed");
    }
  }
  const accounts: string[] = [];
  for (let i = 0; i < count; i += 1_000) {
    const [page] = await stack.lens.accountList(i, 1_000);
    accounts.push(...page.map((a) => a.toLowerCase()));
  }
  return { h, accounts };
}

/** Switches `node` to what SPEC §13 measures on: 1-second blocks (interval mining, no automine), 30 M gas each. */
export async function oneSecondBlocks(node: NodeProcess): Promise<void> {
  await node.rpc("evm_setBlockGasLimit", [ethers.toQuantity(30_000_000)]);
  await node.rpc("evm_mine", []);
  const block = await node.provider.getBlock("latest");
  if (block?.gasLimit !== 30_000_000n) throw new Error(`bench: block gas limit ${block?.gasLimit}, not 30 M`);
  await node.rpc("evm_setAutomine", [false]);
  await node.rpc("evm_setIntervalMining", [1_000]);
}

interface HealthResults {
  health_10k_ms: number;
  health_10k_rpc_calls: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `keeper.health_10k_*`: 10,000 accounts with open positions (longs and shorts) health-checked by the keeper. */
async function healthBench(): Promise<HealthResults> {
  const node = await startNode();
  try {
    const s = await openAccounts(node, 10_000, { margin: usdc(100), size: units(1) / 10n, alternate: true });
    await oneSecondBlocks(node);
    const k = await makeKeeper(s.h, { rpc: { timeoutMs: 10_000 } });
    try {
      const times: number[] = [];
      const calls: number[] = [];
      for (let run = 0; run < 3; run++) {
        const before = await metricValue(k.metrics, "keeper_rpc_requests_total");
        const started = performance.now();
        const found = await k.keeper.health(s.accounts);
        times.push(performance.now() - started);
        calls.push((await metricValue(k.metrics, "keeper_rpc_requests_total")) - before);
        if (found.length !== 0) throw new Error(`bench: ${found.length} accounts liquidatable, expected none`);
      }
      console.log(`  health of 10,000 accounts: ${times.map((t) => t.toFixed(0)).join(", ")} ms; ${calls} calls`);
      return { health_10k_ms: Math.round(median(times)), health_10k_rpc_calls: median(calls) };
    } finally {
      k.close();
    }
  } finally {
    await node.stop();
  }
}

/** How many of `accounts` hold a position (read through the lens, a page per call). */
async function stillOpen(s: Swarm, accounts: readonly string[]): Promise<number> {
  let open = 0;
  for (let i = 0; i < accounts.length; i += 250) {
    const health = await s.h.stack.lens.healthOf(accounts.slice(i, i + 250));
    open += health.filter((x) => x.health.maintenanceMargin > 0n).length;
  }
  return open;
}

/**
 * Pages and batches for the keeper of the liquidation and restart parts: a fifth and a quarter of the defaults
 * (500, 100), whose calls of 12–14 M gas each the hardhat node answers with as large execution traces, held in
 * memory outside V8's heap. With an idle keeper over 1,000 accounts the node stayed at ~6 GB against ~10 GB with the
 * defaults (throwaway runs on this machine).
 */
const SMALL_CALLS = { healthBatchSize: 100, liquidationBatchSize: 25 };

/** Long 1 ETH at $3,000 with $150 of margin: a drop to $2,900 puts each below maintenance, not into bad debt. */
const CRASHABLE = { margin: usdc(150), size: units(1), alternate: false, lpUsdc: usdc(3_000_000) };

/** `keeper.liquidate_1000_blocks`: blocks from the price move's block to the last liquidation's, keeper running. */
async function liquidationBench(): Promise<number> {
  const node = await startNode();
  try {
    const s = await openAccounts(node, 1_000, CRASHABLE);
    await oneSecondBlocks(node);
    const k = await makeKeeper(s.h, { pollIntervalMs: 1_000, ...SMALL_CALLS, rpc: { timeoutMs: 10_000 } });
    const running = k.keeper.run();
    try {
      await new Promise((r) => setTimeout(r, 3_000)); // a few ticks: every account indexed
      const moves = await Promise.all(
        s.h.stack.feeds.get(ETH)!.map((f, i) => f.updateAnswer(2_900n * 10n ** 8n + BigInt(i))),
      );
      const moved = Math.max(...(await Promise.all(moves.map(async (m) => (await m.wait())!.blockNumber))));
      const until = Date.now() + 300_000;
      while ((await stillOpen(s, s.accounts)) > 0) {
        if (Date.now() > until) throw new Error("bench: not every account was liquidated within 5 minutes");
        await new Promise((r) => setTimeout(r, 1_000));
      }
      const events = await s.h.stack.engine.queryFilter(s.h.stack.engine.filters.PositionLiquidated(), moved);
      const last = Math.max(...events.map((e) => e.blockNumber));
      const blocks = new Set(events.map((e) => e.blockNumber)).size;
      console.log(
        `  1,000 liquidations: price moved in block ${moved}, last liquidation in ${last} (${blocks} blocks held one)`,
      );
      return last - moved;
    } finally {
      k.keeper.stop();
      await running;
      k.close();
    }
  } finally {
    await node.stop();
  }
}

/**
 * `keeper.missed_after_restart`: the keeper process killed with SIGKILL while liquidating 300 accounts after a
 * crash, and started again on its index: how many accounts are still liquidatable once it has caught up.
 */
async function restartBench(): Promise<number> {
  const node = await startNode();
  const dir = mkdtempSync(path.join(tmpdir(), "keeper-bench-"));
  let child: ChildProcess | undefined;
  try {
    const s = await openAccounts(node, 300, CRASHABLE);
    await oneSecondBlocks(node);
    const wallet = await fundedWallet(node);
    const start = await spawnKeeper(s.h, wallet, dir, {
      dbPath: path.join(dir, "index.sqlite"),
      ...SMALL_CALLS,
      liquidationBatchSize: 20,
    });
    child = start();
    await new Promise((r) => setTimeout(r, 5_000));
    await s.h.stack.setPrice(ETH, 2_900n);
    // Killed once the first liquidations landed, with more in flight.
    const until = Date.now() + 120_000;
    while ((await stillOpen(s, s.accounts)) === s.accounts.length) {
      if (Date.now() > until) throw new Error("bench: the keeper liquidated nothing in 2 minutes");
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill("SIGKILL");
    await new Promise((r) => child!.once("exit", r));
    const left = await stillOpen(s, s.accounts);
    child = start();
    const deadline = Date.now() + 180_000;
    let missed = left;
    while (Date.now() < deadline && missed > 0) {
      await new Promise((r) => setTimeout(r, 1_000));
      missed = await stillOpen(s, s.accounts);
    }
    console.log(
      `  restart: ${s.accounts.length - left} liquidated before SIGKILL, ${left} after the restart, ${missed} missed`,
    );
    return missed;
  } finally {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    await node.stop();
  }
}

/** What a measurement gave: its figures, or why it could not be taken (reported, never hidden). */
type Measured<T> = T | { error: string };

async function attempt<T>(name: string, run: () => Promise<T>): Promise<Measured<T>> {
  try {
    return await run();
  } catch (error) {
    const message = ((error as Error).message ?? String(error)).split("\n")[0].slice(0, 200);
    console.log(`  ${name}: not measured: ${message}`);
    return { error: message };
  }
}

/** Every keeper row of bench/results.json (SPEC §13); a row that failed carries its error instead. */
export async function keeperMeasurements(only?: readonly string[]): Promise<Record<string, unknown>> {
  const want = (name: string) => !only || only.includes(name);
  return {
    ...(want("health") ? { health_10k: await attempt("health_10k", healthBench) } : {}),
    ...(want("liquidate") ? { liquidate_1000_blocks: await attempt("liquidate_1000_blocks", liquidationBench) } : {}),
    ...(want("restart") ? { missed_after_restart: await attempt("missed_after_restart", restartBench) } : {}),
  };
}

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers } from "ethers";
import type { DevnetReport } from "../../devnet/run";
import { Random } from "../../devnet/random";
import { decide, type DecisionContext, type Trader, type TraderView } from "../../devnet/traders";

const ROOT = path.resolve(__dirname, "../..");
const ETH = ethers.encodeBytes32String("ETH-USD");
const BTC = ethers.encodeBytes32String("BTC-USD");

/** `hardhat devnet …` as `npm run devnet -- …` runs it, collecting its output. */
function devnet(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [require.resolve("hardhat/internal/cli/cli"), "devnet", ...args], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(done: () => boolean, what: string, ms: number, exited: Promise<unknown>): Promise<void> {
  let over = false;
  void exited.then(() => (over = true));
  const deadline = Date.now() + ms;
  while (!done()) {
    if (over) throw new Error(`the devnet exited before ${what}`);
    if (Date.now() > deadline) throw new Error(`no ${what} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("OPS-1: the devnet", function () {
  this.timeout(400_000);

  it("OPS-1: the short scenario runs end to end behind a JSON-RPC node; the keeper liquidates the crash, settles and redeems; --forever keeps node and keeper serving until Ctrl-C", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "bulwark-devnet-"));
    const reportFile = path.join(dir, "report.json");
    const addressFile = path.join(dir, "addresses.json");
    const run = devnet([
      "--profile",
      "short",
      "--port",
      "0",
      "--forever",
      "--report",
      reportFile,
      "--addresses",
      addressFile,
    ]);
    try {
      await waitFor(() => run.output().includes("Ctrl-C stops"), "manual-play prompt", 300_000, run.exited);
      const out = run.output();
      for (const phase of ["— walk", "— crash", "— incident", "— expiry", "Bulwark devnet report"]) {
        expect(out, phase).to.include(phase);
      }
      expect(out).to.match(/keeper liquidated 0x[0-9a-fA-F]{6}…: [\d.]+ ETH-USD long/);
      expect(out).to.include("BTC-USD oracle FROZEN (divergence)");
      expect(out).to.include("BTC-USD oracle trusted again");
      expect(out).to.match(/refused: PerpsPaused\(BTC-USD, Open\)|timelock executed the unpause/);

      const report = JSON.parse(readFileSync(reportFile, "utf8")) as DevnetReport;
      const t = report.tally;
      expect(t.byKeeper.liquidations, "liquidations by the keeper").to.be.greaterThan(0);
      expect(t.liquidatedAccounts.length).to.be.greaterThan(0);
      expect(t.ordersExecuted).to.equal(t.byKeeper.executions);
      expect(t.ordersExecuted).to.be.greaterThan(0);
      expect(t.seriesSettled).to.equal(report.series);
      expect(t.byKeeper.settlements).to.equal(report.series);
      expect(t.optionsBought).to.be.greaterThan(0);
      expect(t.redemptions).to.be.greaterThan(0);
      expect(t.oracleFreezes).to.be.greaterThan(0);
      expect(t.oracleRecoveries).to.be.greaterThan(0);
      expect(report.end.markets.every((m) => m.trusted)).to.equal(true);
      expect(report.end.nav).to.be.greaterThan(0);
      // Liquidated traders are the leveraged longs, and every position left is sound.
      for (const trader of report.traders) {
        if (trader.liquidated) expect(trader.style).to.equal("leveraged");
      }

      // The node and the keeper still serve, and the addresses were written where the tasks look.
      const provider = new ethers.JsonRpcProvider(report.url, undefined, { staticNetwork: true });
      expect((await provider.getNetwork()).chainId).to.equal(31337n);
      const addresses = JSON.parse(readFileSync(addressFile, "utf8")) as Record<string, string>;
      expect(addresses).to.deep.equal(report.addresses);
      expect(await provider.getCode(addresses.PerpsEngine)).to.not.equal("0x");
      const health = await fetch(`${report.metricsUrl}/health`);
      expect(health.status).to.equal(200);
      expect(await (await fetch(`${report.metricsUrl}/metrics`)).text()).to.include("keeper_ticks_total");
      provider.destroy();

      run.child.kill("SIGINT");
      expect(await run.exited).to.equal(0);
    } finally {
      run.child.kill("SIGKILL");
    }
  });

  describe("OPS-1: the traders' decisions", () => {
    const trader = (style: Trader["style"]): Trader => ({
      name: style,
      signer: undefined as never,
      address: "0x" + "1".repeat(40),
      style,
    });
    const view = (positions: [string, number][] = [], pendingOrder = false): TraderView => ({
      equity: 10_000,
      positions: new Map(positions),
      pendingOrder,
    });
    const ctx = (phase: DecisionContext["phase"]): DecisionContext => ({
      phase,
      markets: [
        { id: ETH, price: 3_000 },
        { id: BTC, price: 60_000 },
      ],
      openSeries: [{ id: 7n, market: ETH, strike: 3_000, isCall: false }],
    });

    it("OPS-1: a leveraged trader opens a 12–20× ETH long while the walk lasts, and then holds", () => {
      for (let seed = 1; seed <= 50; seed++) {
        const intent = decide(new Random(seed), trader("leveraged"), view(), ctx("walk"));
        expect(intent.kind).to.equal("open");
        if (intent.kind !== "open") continue;
        expect(intent.market).to.equal(ETH);
        const notional = (Number(intent.size) / 1e18) * 3_000;
        expect(notional).to.be.within(12 * 10_000 - 1, 20 * 10_000);
      }
      expect(decide(new Random(1), trader("leveraged"), view([[ETH, 50]]), ctx("walk")).kind).to.equal("none");
      expect(decide(new Random(1), trader("leveraged"), view(), ctx("crash")).kind).to.equal("none");
    });

    it("OPS-1: nobody acts with an order pending; a short takes profit only after the crash", () => {
      for (const style of ["leveraged", "swing", "short", "options"] as const) {
        for (let seed = 1; seed <= 20; seed++) {
          expect(decide(new Random(seed), trader(style), view([], true), ctx("walk")).kind).to.equal("none");
        }
      }
      const closes = (phase: DecisionContext["phase"]) =>
        Array.from({ length: 50 }, (_, seed) =>
          decide(new Random(seed), trader("short"), view([[ETH, -10]]), ctx(phase)),
        ).filter((i) => i.kind === "close").length;
      expect(closes("crash")).to.equal(0);
      expect(closes("aftermath")).to.be.greaterThan(0);
    });

    it("OPS-1: the same seed makes the same choices", () => {
      const run = (seed: number) => {
        const rng = new Random(seed);
        return Array.from({ length: 30 }, () => decide(rng, trader("swing"), view([[BTC, 1]]), ctx("walk")));
      };
      expect(run(42)).to.deep.equal(run(42));
      expect(run(42)).to.not.deep.equal(run(43));
    });
  });
});

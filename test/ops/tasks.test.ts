/**
 * The operator tasks of SPEC OPS-3 (`tasks/ops/`), run through `hre.run` against the whole protocol deployed by
 * `deployDevStack` on the in-process network, with the addresses in a temporary plain-name JSON file. Each test
 * starts from one snapshot.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import chai, { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployDevStack } from "../../deploy/devstack";
import { KeeperMetrics, serveMetrics } from "../../keeper/src/metrics";
import { parseAddresses } from "../../tasks/ops/deployment";
import { parseActions, parseParameterValue, withSlippage } from "../../tasks/ops/parse";

chai.config.truncateThreshold = 0;

const ETH = ethers.encodeBytes32String("ETH-USD");
const WAD = 10n ** 18n;
const usdc = (n: bigint | number) => BigInt(n) * 10n ** 6n;
const key = (name: string) => ethers.encodeBytes32String(name);

/** Signer indexes as `--from` takes them. */
const GOVERNOR = "1";
const GUARDIAN = "2";
const LP = "3";
const ALICE = "4";
const BOB = "5";

async function opsFixture() {
  const [deployer, governor, guardian, lp, alice, bob] = await ethers.getSigners();
  const now = BigInt(await time.latest());
  const expiry = ((now + 3n * 3600n) / 3600n + 1n) * 3600n;
  const stack = await deployDevStack(
    { deployer, governor, guardian },
    {
      markets: [{ id: ETH, usd: 3_000n }],
      series: [{ market: ETH, strike: 3_000n * WAD, expiry, isCall: true }],
    },
  );
  for (const user of [deployer, lp, alice, bob]) await stack.usdc.mint(user.address, usdc(2_000_000));
  await stack.usdc.connect(deployer).approve(stack.pool, ethers.MaxUint256);
  await stack.pool.connect(deployer).deposit(usdc(1_000_000), deployer.address);
  const addresses = {
    BulwarkTimelock: stack.timelock,
    BulwarkAccessManager: stack.accessManager,
    PauseRegistry: stack.pauseRegistry,
    PriceAggregator: stack.aggregator,
    OutflowLimiter: stack.limiter,
    LiquidityPool: stack.pool,
    MarginAccounts: stack.accounts,
    PerpsMarkets: stack.markets,
    PerpsEngine: stack.engine,
    PerpsLens: stack.lens,
    OptionsEngine: stack.options,
  };
  const dir = mkdtempSync(path.join(tmpdir(), "bulwark-ops-"));
  const file = path.join(dir, "addresses.json");
  const plain: Record<string, string> = {};
  for (const [name, contract] of Object.entries(addresses)) plain[name] = await contract.getAddress();
  writeFileSync(file, JSON.stringify(plain, null, 2));
  return { stack, file, dir, plain, expiry, series: stack.series[0], deployer, governor, guardian, lp, alice, bob };
}

type Fixture = Awaited<ReturnType<typeof opsFixture>>;

describe("OPS-3: operator tasks", function () {
  let f: Fixture;

  beforeEach(async () => {
    f = await loadFixture(opsFixture);
  });

  after(() => {
    if (f) rmSync(f.dir, { recursive: true, force: true });
  });

  /** Runs `task` with the fixture's deployment file and returns what it printed. */
  async function run(task: string, args: Record<string, unknown> = {}): Promise<string> {
    const lines: string[] = [];
    const original = console.log;
    console.log = (...parts: unknown[]) => void lines.push(parts.map(String).join(" "));
    try {
      await hre.run(task, { deployment: f.file, ...args });
    } finally {
      console.log = original;
    }
    return lines.join("\n");
  }

  /** Publishes a fresh ETH price (whole dollars) on every source. */
  const setEth = (usd: bigint) => f.stack.setPrice(ETH, usd);

  it("OPS-3: loadDeployment reads Ignition's and plain keys, and a missing file or name says how to deploy", async () => {
    const parsed = parseAddresses(
      JSON.stringify({ "Bulwark#PerpsEngine": f.plain.PerpsEngine, PerpsLens: f.plain.PerpsLens, "X#Other": "1" }),
      "x.json",
    );
    expect(parsed).to.deep.equal({ PerpsEngine: f.plain.PerpsEngine, PerpsLens: f.plain.PerpsLens });
    expect(() => parseAddresses('{"A#PerpsEngine": "0x12"}', "x.json")).to.throw(/not an address/);

    await expect(run("oracle:status", { deployment: path.join(f.dir, "none.json") })).to.be.rejectedWith(
      /No deployment file .*none\.json.*npm run devnet -- --forever/,
    );
    const partial = path.join(f.dir, "partial.json");
    writeFileSync(partial, JSON.stringify({ "Bulwark#PerpsEngine": f.plain.PerpsEngine }));
    await expect(run("trader:status", { deployment: partial })).to.be.rejectedWith(
      /names no LiquidityPool \(chain 31337\)\. Deploy first: `npm run devnet -- --forever`/,
    );
    const wrong = path.join(f.dir, "wrong.json");
    writeFileSync(wrong, JSON.stringify({ PerpsEngine: ethers.Wallet.createRandom().address }));
    await expect(run("oracle:status", { deployment: wrong })).to.be.rejectedWith(/no contract at/);

    process.env.BULWARK_DEPLOYMENT = f.file;
    try {
      expect(await run("oracle:status", { deployment: undefined })).to.contain("ETH-USD");
    } finally {
      delete process.env.BULWARK_DEPLOYMENT;
    }
    await expect(run("oracle:status", { from: "99" })).to.be.rejectedWith(/only 20 accounts/);
  });

  it("OPS-3: trader:deposit credits margin and rejects a bad amount; trader:withdraw pays free margin", async () => {
    await run("trader:deposit", { amount: "1000", from: ALICE });
    expect(await f.stack.accounts.collateralOf(f.alice.address)).to.equal(usdc(1_000));

    const nonce = await ethers.provider.getTransactionCount(f.alice.address);
    for (const [amount, error] of [
      ["abc", /--amount must be a decimal number/],
      ["-5", /--amount must be a decimal number/],
      ["1.1234567", /more than 6 decimals/],
      ["0", /more than zero/],
      ["3000000", /not enough mUSDC for the deposit: .* holds 1999000, needs 3000000/],
    ] as const) {
      await expect(run("trader:deposit", { amount, from: ALICE })).to.be.rejectedWith(error);
    }
    expect(await ethers.provider.getTransactionCount(f.alice.address)).to.equal(nonce, "no transaction was sent");

    const before = await f.stack.usdc.balanceOf(f.alice.address);
    await run("trader:withdraw", { amount: "100.5", from: ALICE });
    expect(await f.stack.usdc.balanceOf(f.alice.address)).to.equal(before + usdc(100) + usdc(1) / 2n);
    await expect(run("trader:withdraw", { amount: "5000", from: ALICE })).to.be.rejectedWith(/at most 899\.5 mUSDC/);
    expect(await run("trader:claim", { from: ALICE })).to.contain("nothing claimable");
  });

  it("OPS-3: trader:commit, a price update and trader:execute open a position; trader:status shows it; trader:close closes it", async () => {
    await run("trader:deposit", { amount: "10000", from: ALICE });
    const { median } = await f.stack.aggregator.status(ETH);
    const out = await run("trader:commit", { market: "ETH-USD", size: "2", slippage: 100, from: ALICE });
    expect(out).to.contain("ETH-USD long +2");
    const order = await f.stack.engine.orderOf(f.alice.address);
    expect(order.sizeDelta).to.equal(2n * WAD);
    // A buyer's limit: the median plus 1 %, rounded up.
    expect(order.acceptablePrice).to.equal((median * 10_100n + 9_999n) / 10_000n);
    expect(order.keeperFee).to.equal(usdc(1) / 2n, "the engine's minKeeperFee, $0.50");
    await expect(run("trader:execute", { account: f.alice.address, from: BOB })).to.be.rejectedWith(/executable from/);

    await time.increase(5);
    await setEth(3_000n);
    await run("trader:execute", { account: f.alice.address, from: BOB });
    expect((await f.stack.engine.positionOf(f.alice.address, ETH)).size).to.equal(2n * WAD);

    const status = await run("trader:status", { from: ALICE });
    expect(status).to.match(/ETH-USD long \+2 entry \$3000(\.\d+)? price \$3000/);
    expect(status).to.match(/liquidatable\s+no/);
    expect(status).to.contain("pending order: none");
    expect(status).to.contain(`${f.series}: ETH-USD call $3000`);

    await run("trader:close", { market: "ETH-USD", from: ALICE });
    expect((await f.stack.engine.positionOf(f.alice.address, ETH)).size).to.equal(0n);

    await expect(run("trader:commit", { market: "DOGE-USD", size: "1", from: ALICE })).to.be.rejectedWith(
      /unknown market "DOGE-USD"; the listed markets are: ETH-USD/,
    );
    await expect(run("trader:commit", { market: "ETH-USD", size: "1x", from: ALICE })).to.be.rejectedWith(
      /--size must be a decimal number/,
    );
    await expect(
      run("trader:commit", { market: "ETH-USD", size: "1", slippage: 10_000, from: ALICE }),
    ).to.be.rejectedWith(/--slippage must be a whole number of basis points from 0 to 9999/);
    await expect(run("trader:execute", { from: ALICE })).to.be.rejectedWith(/has no pending order/);
    await expect(run("trader:close", { market: "ETH-USD", from: ALICE })).to.be.rejectedWith(/has no ETH-USD position/);
  });

  it("OPS-3: a revert is reported by its custom error's name and arguments (a fill beyond the acceptable price)", async () => {
    await run("trader:deposit", { amount: "10000", from: ALICE });
    await run("trader:commit", { market: "ETH-USD", size: "1", slippage: 0, from: ALICE });
    await time.increase(5);
    await setEth(3_100n);
    await expect(run("trader:execute", { account: f.alice.address, from: BOB })).to.be.rejectedWith(
      /executeOrder reverted: PerpsSlippage\(fillPrice=31\d{20}, acceptablePrice=30\d{20}\): .*--slippage/,
    );
  });

  it("OPS-3: trader:buy, trader:sell and trader:redeem take an option through its life", async () => {
    const id = f.series.toString();
    const wallet0 = await f.stack.usdc.balanceOf(f.alice.address);
    const { premium, fee } = await f.stack.options.quote(f.series, 2n * WAD, true);
    await run("trader:buy", { series: id, amount: "2", from: ALICE });
    expect(await f.stack.options.balanceOf(f.alice.address, f.series)).to.equal(2n * WAD);
    // Quoted a block earlier: the carry to expiry is a second shorter at the trade.
    expect(wallet0 - (await f.stack.usdc.balanceOf(f.alice.address))).to.be.closeTo(premium + fee, usdc(1) / 10n);
    await run("trader:sell", { series: id, amount: "1", from: ALICE });
    expect(await f.stack.options.balanceOf(f.alice.address, f.series)).to.equal(WAD);

    await expect(run("trader:sell", { series: id, amount: "5", from: ALICE })).to.be.rejectedWith(/holds 1 options/);
    await expect(run("trader:buy", { series: "12345", amount: "1", from: ALICE })).to.be.rejectedWith(
      /no option series has the id 12345/,
    );
    await expect(run("trader:redeem", { series: id, from: ALICE })).to.be.rejectedWith(/expires .*once settled/);

    await time.increaseTo(f.expiry + 60n);
    await setEth(3_200n);
    await expect(run("trader:redeem", { series: id, from: ALICE })).to.be.rejectedWith(/pass --settle/);
    const wallet1 = await f.stack.usdc.balanceOf(f.alice.address);
    const out = await run("trader:redeem", { series: id, settle: true, from: ALICE });
    expect(out).to.match(/paid 200(\.\d+)? mUSDC/);
    const paid = (await f.stack.usdc.balanceOf(f.alice.address)) - wallet1;
    expect(paid).to.be.closeTo(usdc(200), usdc(1) / 100n);
    expect(await f.stack.options.balanceOf(f.alice.address, f.series)).to.equal(0n);
  });

  it("OPS-3: lp:deposit; lp:withdraw refuses locked shares and what the limiter cannot pay; lp:request queues while withdrawals are paused, then lp:claim serves the queue and collects the limiter claim", async () => {
    await run("lp:deposit", { amount: "1000000", from: LP });
    const shares = await f.stack.pool.balanceOf(f.lp.address);
    expect(shares).to.be.greaterThan(0n);
    await expect(run("lp:withdraw", { all: true, from: LP })).to.be.rejectedWith(/no shares past their holding time/);
    await expect(run("lp:withdraw", { shares: "1", from: LP })).to.be.rejectedWith(
      /past their holding time; the rest unlock/,
    );

    await time.increase(24 * 3600 + 1);
    await setEth(3_000n);
    await expect(run("lp:withdraw", { all: true, from: LP })).to.be.rejectedWith(
      /cannot pay this now: the outflow limiter lets 100000 mUSDC leave now\. Queue it: lp:request/,
    );
    // Withdrawals paused: the request queues in the pool, and the queue waits for governance.
    await run("guardian:pause", { scope: "GLOBAL", actions: "withdraw", reason: "drill", from: GUARDIAN });
    const wallet0 = await f.stack.usdc.balanceOf(f.lp.address);
    expect(await run("lp:request", { all: true, from: LP })).to.match(/request #1 for 1000000 shares\n\s+queued/);
    expect(await run("lp:claim", { from: LP })).to.match(/cannot be served now: pool withdrawals are paused/);
    expect(await run("lp:status", { from: LP })).to.contain("request #1: 1000000 shares");
    const unpause = { module: "pauses", function: "unpause", args: '["GLOBAL", "withdraw", "drill over"]' };
    await run("gov:schedule", { ...unpause, from: GOVERNOR });
    await time.increase(3600);
    await setEth(3_000n);
    await run("gov:execute", { ...unpause, from: GOVERNOR });

    // lp:claim serves the queue: the limiter pays what fits now and queues the rest as a claim.
    const served = await run("lp:claim", { from: LP });
    expect(served).to.contain("serveRedeemRequests: tx");
    const claim = await f.stack.limiter.claimOf(1n);
    expect(claim.recipient).to.equal(f.lp.address);
    const owed = claim.end - claim.next;
    const paidNow = (await f.stack.usdc.balanceOf(f.lp.address)) - wallet0;
    expect(paidNow).to.be.greaterThan(0n);
    expect(served).to.match(/limiter claim #1: \d+(\.\d+)? mUSDC owed, 0 claimable now/);
    expect(await f.stack.pool.balanceOf(f.stack.pool)).to.equal(0n, "no shares left in the queue");

    await time.increase(3 * 24 * 3600);
    const claimed = await run("lp:claim", { from: LP });
    expect(claimed).to.match(/paid \d+(\.\d+)? mUSDC/);
    expect(await f.stack.usdc.balanceOf(f.lp.address)).to.equal(wallet0 + paidNow + owed);
    expect((await f.stack.limiter.claimOf(1n)).recipient).to.equal(ethers.ZeroAddress);
    const status = await run("lp:status", { from: LP });
    expect(status).to.match(/shares\s+0 shares/);
    expect(status).to.contain("outflow-limiter claims: none");
  });

  it("OPS-3: gov:schedule, gov:queue and gov:execute change a parameter through the timelock; early, unknown, out-of-bounds and unauthorised changes are refused", async () => {
    const change = { module: "markets", scope: "ETH-USD", key: "maxLeverage", value: "20" };
    const scheduled = await run("gov:schedule", { ...change, from: GOVERNOR });
    const id = /operation (0x[0-9a-f]{64})/.exec(scheduled)![1];
    expect(scheduled).to.contain("PerpsMarkets.maxLeverage[ETH-USD]: 25 → 20 (bounds 1 … 50)");
    let queue = await run("gov:queue");
    expect(queue).to.contain(`${id} PENDING`);
    expect(queue).to.contain("PerpsMarkets.setParameter(ETH-USD, maxLeverage, 20)");
    await expect(run("gov:execute", { id, from: GOVERNOR })).to.be.rejectedWith(/is not ready: ready .*in 1h/);

    await time.increase(3600);
    expect(await run("gov:queue")).to.contain(`${id} READY`);
    await run("gov:execute", { id, from: GOVERNOR });
    expect(await f.stack.markets.parameter(ETH, key("maxLeverage"))).to.equal(20n);
    expect(await run("gov:queue")).to.contain(`${id} DONE`);

    for (const [args, error] of [
      [{ ...change, module: "accounts" }, /MarginAccounts has no bounded parameters/],
      [{ ...change, module: "nope" }, /unknown module "nope"/],
      [{ ...change, key: "nope" }, /parameterSpec\("nope"\) reverted: ParameterUnknown\(key="nope"\)/],
      [{ ...change, value: "51" }, /maxLeverage = 51 is outside its hard bounds \[1, 50\]/],
      [{ ...change, value: "twenty" }, /--value must be a whole number/],
      [{ ...change, scope: "DOGE-USD" }, /PerpsUnknownMarket\(market="DOGE-USD"\)/],
      [{ ...change, from: ALICE }, /is not a proposer of the timelock/],
      [{ ...change, from: GOVERNOR }, /exists already \(done\); pass --salt/],
    ] as const) {
      await expect(run("gov:schedule", { from: GOVERNOR, ...args })).to.be.rejectedWith(error);
    }

    // Cancelled by the same arguments (the guardian cancels), and an operation left to expire.
    const again = { ...change, value: "10", salt: "second" };
    await run("gov:schedule", { ...again, from: GOVERNOR });
    await run("gov:cancel", { ...again, from: GUARDIAN });
    const late = await run("gov:schedule", { ...change, value: "15", from: GOVERNOR });
    const lateId = /operation (0x[0-9a-f]{64})/.exec(late)![1];
    await time.increase(3600 + 14 * 24 * 3600);
    queue = await run("gov:queue");
    expect(queue).to.match(/CANCELLED\n\s+PerpsMarkets\.setParameter\(ETH-USD, maxLeverage, 10\)/);
    expect(queue).to.contain(`${lateId} EXPIRED`);
    await expect(run("gov:execute", { id: lateId, from: GOVERNOR })).to.be.rejectedWith(/expired .*only be cancelled/);
  });

  it("OPS-3: guardian:pause pauses a market's opens and a commit then reverts; guardian:tighten only tightens; governance unpauses", async () => {
    await run("trader:deposit", { amount: "1000", from: ALICE });
    const out = await run("guardian:pause", {
      scope: "ETH-USD",
      actions: "open,buy-option",
      reason: "incident",
      from: GUARDIAN,
    });
    expect(out).to.contain("ETH-USD paused: open, buyOption");
    expect(await f.stack.pauseRegistry.isPaused(ETH, 0)).to.equal(true);
    expect(await f.stack.pauseRegistry.isPaused(ETH, 7)).to.equal(true);
    await expect(run("trader:commit", { market: "ETH-USD", size: "1", from: ALICE })).to.be.rejectedWith(
      /commitOrder reverted: PerpsPaused\(market="ETH-USD", action=0\)/,
    );

    for (const [args, error] of [
      [{ actions: "open,jump" }, /unknown action "jump"; the actions are: open, increase/],
      [{ actions: "close" }, /may not pause close \(CB-1/],
      [{ reason: " " }, /--reason must say why/],
      [{ scope: "DOGE-USD" }, /PriceAggregatorUnknownMarket\(market="DOGE-USD"\)/],
      [{ from: ALICE }, /may not call pause \(it needs the guardian role\)/],
    ] as const) {
      const base = { scope: "ETH-USD", actions: "liquidate", reason: "r", from: GUARDIAN };
      await expect(run("guardian:pause", { ...base, ...args })).to.be.rejectedWith(error);
    }

    const tighten = { module: "markets", scope: "ETH-USD", key: "maxLeverage", reason: "volatile", from: GUARDIAN };
    await run("guardian:tighten", { ...tighten, value: "10" });
    expect(await f.stack.markets.parameter(ETH, key("maxLeverage"))).to.equal(10n);
    await expect(run("guardian:tighten", { ...tighten, value: "30" })).to.be.rejectedWith(/may only go down/);
    await expect(run("guardian:tighten", { ...tighten, key: "makerFeeBps", value: "1" })).to.be.rejectedWith(
      /may not change makerFeeBps at all/,
    );

    const unpause = { module: "pauses", function: "unpause", args: '["ETH-USD", "open,buyOption", "resolved"]' };
    const scheduled = await run("gov:schedule", { ...unpause, from: GOVERNOR });
    expect(scheduled).to.contain('PauseRegistry.unpause(ETH-USD, 129, "resolved")');
    await time.increase(3600);
    await run("gov:execute", { ...unpause, from: GOVERNOR });
    expect(await f.stack.pauseRegistry.pausedActions(ETH)).to.equal(0n);
  });

  it("OPS-3: oracle:status reports every source and, after one source moves away, the divergence freeze and why", async () => {
    const active = await run("oracle:status");
    expect(active).to.match(/oracle:status ETH-USD: ACTIVE, median \$3000(\.\d+)? from 3 valid of 3 sources/);
    expect(active.match(/source \d 0x[0-9a-fA-F]{40} ".*": \$3000(\.\d+)?, updated .*, Valid/g)).to.have.length(3);

    const [feed] = f.stack.feeds.get(ETH)!;
    await feed.updateAnswer(3_300n * 10n ** 8n);
    const frozen = await run("oracle:status", { market: "ETH-USD" });
    expect(frozen).to.contain("ETH-USD: FROZEN");
    expect(frozen).to.contain("frozen: Divergence (the valid sources disagree by more than maxDeviationBps)");
    expect(frozen).to.match(/source 0 .*: \$3300(\.\d+)?,/);
  });

  it("OPS-3: keeper:status reports a liquidatable account after a price drop, pending orders, expired series and the keeper's metrics", async () => {
    await run("trader:deposit", { amount: "1000", from: ALICE });
    await run("trader:commit", { market: "ETH-USD", size: "7", from: ALICE });
    await time.increase(5);
    await setEth(3_000n);
    await run("trader:execute", { from: ALICE });
    await run("trader:deposit", { amount: "1000", from: BOB });
    await run("trader:commit", { market: "ETH-USD", size: "-1", from: BOB });

    await setEth(2_880n);
    const metrics = new KeeperMetrics();
    metrics.accountsTracked.set(2);
    const { server, port } = await serveMetrics(metrics, { unhealthy: () => undefined }, "127.0.0.1", 0);
    let out: string;
    try {
      out = await run("keeper:status", { metricsUrl: `http://127.0.0.1:${port}`, batch: 1 });
    } finally {
      server.close();
    }
    expect(out).to.contain("2 account(s) tracked by the engine");
    expect(out).to.match(new RegExp(`liquidatable: 1\\n\\s+${f.alice.address}: equity \\$\\d+`));
    expect(out).to.match(new RegExp(`committed orders: 1\\n\\s+${f.bob.address}: ETH-USD -1 committed .* — ready`));
    expect(out).to.contain('keeper /health: 200 {"status":"ok"}');
    expect(out).to.contain("keeper_accounts_tracked 2");
    expect(out).to.contain("series to settle: 0 (of 1 live)");

    await time.increaseTo(f.expiry + 1n);
    const later = await run("keeper:status");
    expect(later).to.match(/series to settle: 1 \(of 1 live\)/);
    expect(later).to.match(/ETH-USD price NOT TRUSTED \(NoQuorum \(fewer valid sources than minSources\)\)/);
    expect(later).to.match(/— expired: cancel/);
  });

  it("OPS-3: the argument parsers map names to the contracts' encodings and round limits in the protocol's favour", () => {
    expect(parseActions("open, Liquidate,buy_option")).to.equal((1n << 0n) | (1n << 4n) | (1n << 7n));
    expect(parseActions("all")).to.equal(0b1111110011n);
    expect(parseParameterValue("20e18")).to.equal(20n * WAD);
    expect(parseParameterValue("0.5e18")).to.equal(WAD / 2n);
    expect(parseParameterValue("3d")).to.equal(3n * 86_400n);
    expect(() => parseParameterValue("0.5")).to.throw(/--value must be/);
    expect(withSlippage(10_001n, 1n, true)).to.equal(10_003n); // 10,002.0001 up
    expect(withSlippage(10_001n, 1n, false)).to.equal(9_999n); // 9,999.9999 down
  });
});

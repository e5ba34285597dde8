import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { ETH } from "../helpers/fixtures";
import { type OptionsFixture, optionsFixture } from "../helpers/options";
import { usdc } from "../helpers/perps";

const WAD = 10n ** 18n;
const USD_SCALE = 10n ** 12n;
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

type Command =
  | { kind: "buy"; trader: number; series: number; amount: bigint }
  | { kind: "sell"; trader: number; series: number; share: number }
  | { kind: "transfer"; from: number; to: number; series: number; share: number }
  | { kind: "move"; pct: number }
  | { kind: "wait"; seconds: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant("buy" as const),
    trader: fc.nat(2),
    series: fc.nat(1),
    // From one wei of an option to 20 units.
    amount: fc.bigInt({ min: 1n, max: 20n * WAD }),
  }),
  fc.record({
    kind: fc.constant("sell" as const),
    trader: fc.nat(2),
    series: fc.nat(1),
    share: fc.double({ min: 0.01, max: 1, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant("transfer" as const),
    from: fc.nat(2),
    to: fc.nat(2),
    series: fc.nat(1),
    share: fc.double({ min: 0.01, max: 1, noNaN: true }),
  }),
  fc.record({ kind: fc.constant("move" as const), pct: fc.integer({ min: -8, max: 8 }) }),
  fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 6 * 3_600 }) }),
);

/** Locked collateral equals Σ ceil(openInterest × maxPayoff) per series (the payoff once settled), the pool agrees, and
 * the holders' balances add up to each series' open interest. */
async function checkCollateral(f: OptionsFixture, traders: Signer[]) {
  let required = 0n;
  for (const id of [f.call, f.put]) {
    const s = await f.options.seriesOf(id);
    let held = 0n;
    for (const t of traders) held += await f.options.balanceOf(await t.getAddress(), id);
    expect(held, "Σ balances == open interest").to.equal(s.openInterest);
    const perUnit = s.settled ? s.payoff : s.maxPayoff;
    required += ceilDiv(ceilDiv(s.openInterest * perUnit, WAD), USD_SCALE);
  }
  const locked = await f.options.lockedAssets();
  expect(locked, "locked == Σ max payoff").to.equal(required);
  expect((await f.pool.moduleOf(f.options)).locked, "the pool agrees").to.equal(locked);
  const [liability, trusted] = await f.options.poolExposure();
  if (trusted) expect(liability, "the options' value never exceeds what is locked").to.be.at.most(locked);
}

describe("Options properties", () => {
  it("OPT-2: locked collateral ≥ the maximum payoff after every action, over random sequences", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), async (commands) => {
        const f = await loadFixture(optionsFixture);
        const traders = [f.alice, f.bob, f.carol];
        const ids = [f.call, f.put];
        let price = 3_000n;
        for (const c of commands) {
          const now = BigInt(await time.latest());
          const open = now + 2n < f.expiry - 3_600n;
          if (c.kind === "buy" && open) {
            await f.options.connect(traders[c.trader]).buy(ids[c.series], c.amount, usdc(10_000_000));
          } else if (c.kind === "sell" && open) {
            const who = traders[c.trader];
            const balance = await f.options.balanceOf(await who.getAddress(), ids[c.series]);
            const amount = (balance * BigInt(Math.round(c.share * 1e6))) / 1_000_000n;
            if (amount > 0n) await f.options.connect(who).sell(ids[c.series], amount, 0n);
          } else if (c.kind === "transfer") {
            const from = await traders[c.from].getAddress();
            const balance = await f.options.balanceOf(from, ids[c.series]);
            const amount = (balance * BigInt(Math.round(c.share * 1e6))) / 1_000_000n;
            await f.options
              .connect(traders[c.from])
              .safeTransferFrom(from, await traders[c.to].getAddress(), ids[c.series], amount, "0x");
          } else if (c.kind === "move") {
            price = (price * BigInt(100 + c.pct)) / 100n;
            await f.setPrices(price);
            await f.aggregator.poke(ETH); // each move within the jump breaker's limit of the last
          } else if (c.kind === "wait") {
            await time.increase(c.seconds);
            await f.setPrices(price);
          }
          await checkCollateral(f, traders);
        }
        // Expiry, settlement, and every holder redeemed: nothing stays locked.
        if (BigInt(await time.latest()) < f.expiry) await time.increaseTo(f.expiry);
        await f.setPrices(price);
        for (const id of ids) await f.options.settle(id);
        await checkCollateral(f, traders);
        // Settled series have left the live list; the pool still counts exactly what they owe.
        expect(await f.options.liveSeries()).to.deep.equal([]);
        expect((await f.options.poolExposure())[0]).to.equal(await f.options.lockedAssets());
        for (const id of ids) await f.options.redeemFor(id, await Promise.all(traders.map((t) => t.getAddress())));
        await checkCollateral(f, traders);
        expect(await f.options.lockedAssets()).to.equal(0n);
      }),
      { numRuns: 12, seed: 20261121 },
    );
  });
});

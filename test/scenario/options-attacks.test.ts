/**
 * Attack stories against the options (SPEC §14, §9): front-running a known oracle update, locking the pool's
 * collateral for next to nothing, and pushing a series past its settlement tolerance with a pause.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import { ETH } from "../helpers/fixtures";
import { DAY, HOUR, hourAfter, optionsFixture, seriesId } from "../helpers/options";
import { units, usd, usdc } from "../helpers/perps";
import { timelockSigner } from "../helpers/timelock";

/** The options fixture plus a short-dated ATM call and put (about three hours out), where a move is worth most. */
async function shortDatedFixture() {
  const f = await optionsFixture();
  const tl = await timelockSigner(f.timelock);
  const expiry = await hourAfter(3n * HOUR);
  await f.options.connect(tl).listSeries(ETH, usd(3_000), expiry, true, usd(3_000));
  await f.options.connect(tl).listSeries(ETH, usd(3_000), expiry, false, 0n);
  return {
    ...f,
    tl,
    shortCall: seriesId(ETH, usd(3_000), expiry, true),
    shortPut: seriesId(ETH, usd(3_000), expiry, false),
  };
}

/** What `trader` gains (collateral units) by buying `amount` of `id`, letting the oracle publish `after` (whole
 * dollars) `seconds` later, and selling everything back. */
async function roundTripAround(
  f: Awaited<ReturnType<typeof shortDatedFixture>>,
  id: bigint,
  amount: bigint,
  after: bigint,
  seconds = 1,
) {
  const trader = f.mallory;
  const before = await f.usdc.balanceOf(trader.address);
  await f.options.connect(trader).buy(id, amount, usdc(10_000_000));
  await time.increase(seconds);
  await f.setPrices(after);
  await f.options.connect(trader).sell(id, amount, 0n);
  return (await f.usdc.balanceOf(trader.address)) - before;
}

describe("Scenario: attacks on the options", () => {
  it("OPT-3, SPEC §14: buying before a known +0.5 % oracle update and selling after it loses (price band)", async () => {
    const f = await loadFixture(shortDatedFixture);
    // Without the band this made +401 USDC on 100 calls: the bid after the update exceeded the ask before it.
    const callGain = await roundTripAround(f, f.shortCall, units(100), 3_015n);
    expect(callGain).to.be.lessThan(0n);
    const g = await f.options.globalConfig();
    const q = await f.options.quote(f.shortCall, units(100), false);
    expect(q.valuedAt).to.equal((usd(3_015) * (10_000n - g.priceBandBps)) / 10_000n);
  });

  it("OPT-3, SPEC §14: a known −0.5 % update cannot be traded with puts either", async () => {
    const f = await loadFixture(shortDatedFixture);
    expect(await roundTripAround(f, f.shortPut, units(100), 2_985n)).to.be.lessThan(0n);
  });

  it("OPT-3, OPT-4, INV-RT-2: no round trip around a known update within the price band profits (fast-check)", async () => {
    // Moves of up to $15 on $3,000 (the 0.5 % band), either way, on short- and long-dated calls and puts.
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          series: fc.nat(3),
          amount: fc.bigInt({ min: 10n ** 12n, max: 150n * 10n ** 18n }), // within the utilisation limit
          move: fc.integer({ min: -15, max: 15 }),
          seconds: fc.integer({ min: 1, max: 300 }),
        }),
        async ({ series, amount, move, seconds }) => {
          const f = await loadFixture(shortDatedFixture);
          const id = [f.shortCall, f.shortPut, f.call, f.put][series];
          const gain = await roundTripAround(f, id, amount, 3_000n + BigInt(move), seconds);
          expect(gain).to.be.lessThan(0n);
        },
      ),
      { numRuns: 30, seed: 20261122 },
    );
  });

  it("OPT-5: locking the pool's collateral is never free: a far out-of-the-money call pays the carry on its lock", async () => {
    const f = await loadFixture(shortDatedFixture);
    // On the grid: strike 2× the spot, cap 5× the strike, about a week out. Its model value is almost nothing.
    await f.options.connect(f.tl).listSeries(ETH, usd(6_000), f.expiry, true, usd(30_000));
    const otm = seriesId(ETH, usd(6_000), f.expiry, true);
    const amount = (units(1) * 166n) / 10n; // locks about $498,000
    const q = await f.options.quote(otm, amount, true);
    expect(q.fairPerUnit * amount).to.be.lessThan(usd(5) * units(1));
    const before = await f.usdc.balanceOf(f.mallory.address);
    await f.options.connect(f.mallory).buy(otm, amount, usdc(1_000_000));
    const cost = before - (await f.usdc.balanceOf(f.mallory.address));
    // The carry: 5 % a year of what is locked, for the time to expiry (before the fix it paid 24.90 USDC).
    const g = await f.options.globalConfig();
    const left = f.expiry - BigInt(await time.latest());
    const carry = (q.lockDelta * g.carryBps * left) / (10_000n * 365n * DAY);
    expect(carry).to.be.greaterThan(usdc(500));
    expect(cost).to.be.at.least(carry);
    // Selling back refunds none of it.
    const after = await f.usdc.balanceOf(f.mallory.address);
    await f.options.connect(f.mallory).sell(otm, amount, 0n);
    expect((await f.usdc.balanceOf(f.mallory.address)) - after).to.be.lessThan(usdc(30));
  });

  it("OPT-6, CB-2: a guardian pause of settlement neither strands a series nor moves its price", async () => {
    const f = await loadFixture(shortDatedFixture);
    await f.options.connect(f.alice).buy(f.put, units(10), usdc(1_000_000));
    await time.increaseTo(f.expiry);
    await f.setPrices(2_900n); // the price at expiry
    await f.aggregator.poke(ETH);
    await f.pauseRegistry.connect(f.guardian).pause(ETH, 1n << 9n, "incident"); // Settle
    // A holder hoping for a lower price settles during the pause: the price at expiry is recorded all the same.
    await time.increase(10n * 60n);
    await f.setPrices(2_800n);
    await expect(f.options.connect(f.mallory).settle(f.put)).to.emit(f.options, "SettlementDeferred");
    expect((await f.options.expiryPrice(ETH, f.expiry)).price).to.equal(usd(2_900));
    // The longest guardian pause (72 h) lapses; the price has fallen further, the settlement price has not.
    await time.increase(72n * HOUR + 1n);
    await f.setPrices(2_500n);
    await f.options.settle(f.put);
    expect((await f.options.seriesOf(f.put)).payoff).to.equal(usd(100));
    const before = await f.usdc.balanceOf(f.alice.address);
    await f.options.connect(f.alice).redeem(f.put, units(10));
    expect((await f.usdc.balanceOf(f.alice.address)) - before).to.equal(usdc(1_000));
  });

  it("OPT-6, ORC-2: an under-gassed settle cannot pass for an untrusted price and defer the series", async () => {
    const f = await loadFixture(shortDatedFixture);
    // A settle that reads an untrusted price records nothing and returns false. With a quorum of all three sources,
    // starving one source of gas would pass a trusted price off as a freeze, if a caller could.
    await f.aggregator
      .connect(f.guardian)
      .tightenParameter(ETH, ethers.encodeBytes32String("minSources"), 3n, "all sources required");
    await f.options.connect(f.alice).buy(f.put, units(1), usdc(1_000_000));
    await time.increaseTo(f.expiry);
    await f.proxy.setGasToBurn(1_000_000);
    await f.setPrices(2_900n);
    const probe = await takeSnapshot();
    const full = (await (await f.options.settle(f.put)).wait())!.gasUsed + 50_000n;
    await probe.restore();
    let attempts = 0;
    for (let gas = full - 300_000n; gas <= full; gas += 50_000n) {
      attempts += 1;
      const snapshot = await takeSnapshot();
      try {
        await (await f.options.settle(f.put, { gasLimit: gas })).wait();
        // It went through: then it settled at the trusted price.
        expect((await f.options.seriesOf(f.put)).settled, `gas ${gas}`).to.equal(true);
        expect((await f.options.expiryPrice(ETH, f.expiry)).price, `gas ${gas}`).to.equal(usd(2_900));
      } catch (error) {
        // Reverted, recording nothing: the aggregator's guard, or the aggregator itself out of gas (an empty revert,
        // re-thrown as FailedCall).
        expect(String(error), `gas ${gas}`).to.match(/PriceAggregatorInsufficientGas|FailedCall|out of gas|ran out/i);
      }
      await snapshot.restore();
    }
    expect(attempts).to.be.greaterThan(5);
  });
});

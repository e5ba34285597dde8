/**
 * Properties of the perps engine (PERP-4 … PERP-6, LIQ-3):
 *
 * - the TypeScript mirror of the margin math (test/helpers/perps-math.ts) agrees exactly with `PerpsMath` over
 *   fuzzed inputs;
 * - over random sequences of orders, atomic reductions and closes, price moves and time, after every command the
 *   sum of the positions equals each market's open interest per side, and funding is conserved: what the positions
 *   owe, each rounded against its trader, is at least the market's aggregate (longs pay what shorts receive, the
 *   pool keeping the skew's share) and exceeds it by at most one unit of rounding per position.
 *
 * Seeds are fixed so a run replays exactly; FUZZ_SEED and PERPS_PROPERTY_RUNS override.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { PerpsMathHarness__factory } from "../../typechain-types";
import { BTC, ETH } from "../helpers/fixtures";
import * as M from "../helpers/perps-math";
import { perpsFixture, type PerpsFixture, units } from "../helpers/perps";

const seed = Number(process.env.FUZZ_SEED ?? 20261121);
const numRuns = Number(process.env.PERPS_PROPERTY_RUNS ?? 12);
const WAD = 10n ** 18n;

async function harnessFixture() {
  const [deployer] = await ethers.getSigners();
  return new PerpsMathHarness__factory(deployer).deploy();
}

const price = fc.bigInt({ min: 1n * WAD, max: 200_000n * WAD });
const signedSize = fc.bigInt({ min: -(10n ** 26n), max: 10n ** 26n });
const scale = fc.bigInt({ min: WAD, max: 10n ** 30n });

describe("perps properties", function () {
  it("PERP-4, PERP-5, PERP-6, LIQ-3: the TypeScript mirror of the margin math agrees with the contract", async function () {
    const h = await loadFixture(harnessFixture);
    await fc.assert(
      fc.asyncProperty(
        price,
        signedSize,
        signedSize.filter((d) => d !== 0n),
        scale,
        fc.bigInt({ min: 0n, max: 100n }),
        fc.bigInt({ min: 0n, max: 100n }),
        async (p, skew, delta, skewScale, maker, taker) => {
          const fill = await h.fillPrice(p, skew, delta, skewScale);
          expect(fill).to.equal(M.fillPrice(p, skew, delta, skewScale));
          expect(await h.tradeFee(skew, delta, fill, maker, taker)).to.equal(
            M.tradeFee(skew, delta, fill, maker, taker),
          );
        },
      ),
      { seed, numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(
        signedSize,
        scale,
        fc.bigInt({ min: 0n, max: 10n * WAD }),
        fc.bigInt({ min: -WAD, max: WAD }),
        fc.bigInt({ min: 0n, max: 400n * 86_400n }),
        fc.bigInt({ min: 10n ** 14n, max: WAD }),
        price,
        async (skew, skewScale, maxVelocity, rate, elapsed, maxRate, p) => {
          const v = await h.fundingVelocity(skew, skewScale, maxVelocity);
          expect(v).to.equal(M.fundingVelocity(skew, skewScale, maxVelocity));
          const [r, d] = await h.accrueFunding(rate, v, elapsed, maxRate, p);
          expect([r, d]).to.deep.equal(M.accrueFunding(rate, v, elapsed, maxRate, p));
        },
      ),
      { seed, numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(
        signedSize,
        price,
        price,
        fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }),
        fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }),
        fc.bigInt({ min: 1n, max: 50n }),
        fc.bigInt({ min: 1000n, max: 9000n }),
        fc.bigInt({ min: 0n, max: 1000n * WAD }),
        async (size, entry, exit, i0, i1, lev, mmBps, minMargin) => {
          expect(await h.pnl(size, entry, exit)).to.equal(M.pnl(size, entry, exit));
          expect(await h.fundingOwed(size, i0, i1)).to.equal(M.fundingOwed(size, i0, i1));
          const notional = (size < 0n ? -size : size) * (entry / WAD);
          expect(await h.margins(notional, lev, mmBps, minMargin)).to.deep.equal(
            M.margins(notional, lev, mmBps, minMargin),
          );
          expect(await h.liquidationReward(notional, minMargin, mmBps / 100n, i0 < 0n ? 0n : i0, WAD * 1000n)).to.equal(
            M.liquidationReward(notional, minMargin, mmBps / 100n, i0 < 0n ? 0n : i0, WAD * 1000n),
          );
        },
      ),
      { seed, numRuns: 60 },
    );
  });

  type Cmd =
    | { kind: "order"; trader: number; market: number; size: bigint }
    | { kind: "reduce"; trader: number; market: number; fraction: number }
    | { kind: "close"; trader: number; market: number }
    | { kind: "price"; eth: bigint; btc: bigint }
    | { kind: "wait"; seconds: number };

  const command: fc.Arbitrary<Cmd> = fc.oneof(
    fc.record({
      kind: fc.constant("order" as const),
      trader: fc.nat(3),
      market: fc.nat(1),
      size: fc.bigInt({ min: -200n, max: 200n }).filter((x) => x !== 0n),
    }),
    fc.record({
      kind: fc.constant("reduce" as const),
      trader: fc.nat(3),
      market: fc.nat(1),
      fraction: fc.integer({ min: 1, max: 99 }),
    }),
    fc.record({ kind: fc.constant("close" as const), trader: fc.nat(3), market: fc.nat(1) }),
    fc.record({
      kind: fc.constant("price" as const),
      eth: fc.bigInt({ min: 2_900n, max: 3_100n }),
      btc: fc.bigInt({ min: 58_000n, max: 62_000n }),
    }),
    fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 60, max: 3_000 }) }),
  );

  async function checkMarkets(f: PerpsFixture, traders: string[]) {
    for (const market of [ETH, BTC]) {
      const s = await f.engine.marketState(market);
      let long = 0n;
      let short = 0n;
      let owedByPositions = 0n;
      for (const t of traders) {
        const p = await f.engine.positionOf(t, market);
        if (p.size > 0n) long += p.size;
        else short -= p.size;
        owedByPositions += M.fundingOwed(p.size, p.entryFundingIndex, s.fundingIndex);
      }
      // INV-OI: Σ positions equals open interest per side.
      expect([long, short]).to.deep.equal([s.longOpenInterest, s.shortOpenInterest]);
      // Funding conservation: Σ size × (index − entryIndex) exactly, from the market's aggregates.
      const skew = long - short;
      const sumSizeEntryIndex = traders.length === 0 ? 0n : await sumSizeIndex(f, traders, market);
      const aggregate = skew * s.fundingIndex - sumSizeEntryIndex;
      // Each position rounds up (against its trader) by less than one unit of 1e-18 USD.
      expect(owedByPositions * WAD >= aggregate).to.equal(true);
      expect(owedByPositions * WAD - aggregate < BigInt(traders.length) * WAD).to.equal(true);
    }
  }

  async function sumSizeIndex(f: PerpsFixture, traders: string[], market: string) {
    let sum = 0n;
    for (const t of traders) {
      const p = await f.engine.positionOf(t, market);
      sum += p.size * p.entryFundingIndex;
    }
    return sum;
  }

  it("PERP-5, PERP-7: Σ positions equals open interest per side, and funding is conserved, over random trades", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 25 }), async (cmds) => {
        const f = await loadFixture(perpsFixture);
        const signers = [f.alice, f.bob, f.carol, f.mallory];
        const traders = signers.map((s) => s.address);
        let eth = 3_000n;
        let btc = 60_000n;
        for (const c of cmds) {
          if (c.kind === "price") {
            eth = c.eth;
            btc = c.btc;
            await f.setPrices(eth, btc);
          } else if (c.kind === "wait") {
            await time.increase(c.seconds);
            await f.setPrices(eth, btc);
          } else {
            const market = c.market === 0 ? ETH : BTC;
            const signer = signers[c.trader];
            const size = (await f.engine.positionOf(traders[c.trader], market)).size;
            if (c.kind === "order") {
              const delta = c.market === 0 ? units(c.size) / 10n : units(c.size) / 200n;
              await f.trade(signer, market, delta, { eth, btc });
            } else if (size !== 0n && c.kind === "close") {
              await f.engine.connect(signer).closePosition(market, 0);
            } else if (size !== 0n && c.kind === "reduce") {
              const delta = (-size * BigInt(c.fraction)) / 100n;
              if (delta !== 0n) await f.engine.connect(signer).reducePosition(market, delta, 0);
            }
          }
          await checkMarkets(f, traders);
        }
      }),
      { seed, numRuns },
    );
  });
});

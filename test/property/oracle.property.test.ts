/**
 * Properties of the oracle's arithmetic (AGG-1, ORC-3), checked on the deployed contracts against a TypeScript
 * reference. Seeds are fixed so a run can be replayed; FUZZ_SEED overrides.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployAggregator } from "../../deploy/oracle";
import { deployFoundation, devConfig, HOUR } from "../../deploy/foundation";
import {
  ChainlinkAdapter,
  ChainlinkAdapter__factory,
  MockPriceSource__factory,
  MockV3Aggregator,
  MockV3Aggregator__factory,
} from "../../typechain-types";
import { NO_FEED_BOUNDS } from "../../deploy/oracle";
import { ETH } from "../helpers/fixtures";
import { S, WAD } from "../helpers/oracle";

const seed = Number(process.env.FUZZ_SEED ?? 20261120);
const numRuns = Number(process.env.ORACLE_PROPERTY_RUNS ?? 40);

function referenceMedian(values: bigint[]): bigint {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2n;
}

describe("Property: oracle arithmetic (AGG-1, ORC-3)", function () {
  async function fiveSourcesFixture() {
    const [deployer, governor, guardian] = await ethers.getSigners();
    const foundation = await deployFoundation(deployer, devConfig([governor.address], guardian.address));
    const aggregator = await deployAggregator(foundation, deployer);
    // A wide deviation limit so that every permutation is judged on its median alone.
    await aggregator.listMarket(ETH, 1n, 10n ** 28n, 1n, 2_000n, 5_000n, 2n);
    const sources = [];
    for (let i = 0; i < 5; i++) {
      const source = await new MockPriceSource__factory(deployer).deploy();
      await aggregator.addSource(ETH, source, HOUR);
      sources.push(source);
    }
    return { aggregator, sources };
  }

  it("AGG-1: the median equals the middle value for every permutation and any subset of valid sources", async function () {
    const { aggregator, sources } = await loadFixture(fiveSourcesFixture);
    const now = BigInt(await time.latest());
    // Prices within ±9 % of 3000 so that the 20 % deviation limit never interferes.
    const price = fc.bigInt({ min: 2_730n * WAD, max: 3_270n * WAD });
    const scenario = fc.record({
      prices: fc.array(price, { minLength: 5, maxLength: 5 }),
      valid: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }).filter((v) => v.some(Boolean)),
      permutation: fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ prices, valid, permutation }) => {
        for (let i = 0; i < 5; i++) {
          const j = permutation[i];
          await sources[i].set(prices[j], now, valid[j] ? S.Valid : S.CallFailed);
        }
        const validPrices = prices.filter((_, j) => valid[j]);
        const s = await aggregator.status(ETH);
        expect(s.validSources).to.equal(BigInt(validPrices.length));
        expect(s.median).to.equal(referenceMedian(validPrices));
      }),
      { seed, numRuns },
    );
  });

  it("ORC-3: normalisation to 18 decimals is exact for every decimals value 0–18", async function () {
    const [deployer] = await ethers.getSigners();
    const adapters: { feed: MockV3Aggregator; adapter: ChainlinkAdapter }[] = [];
    for (let d = 0; d <= 18; d++) {
      const feed = await new MockV3Aggregator__factory(deployer).deploy(d, 1);
      const adapter = await new ChainlinkAdapter__factory(deployer).deploy(
        feed,
        NO_FEED_BOUNDS.minAnswer,
        NO_FEED_BOUNDS.maxAnswer,
      );
      adapters.push({ feed, adapter });
    }
    const answer = fc.bigInt({ min: 1n, max: 2n ** 180n });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 18 }), answer, async (d, a) => {
        const { feed, adapter } = adapters[d];
        await feed.updateAnswer(a);
        const [price, , status] = await adapter.observe();
        expect(status).to.equal(BigInt(S.Valid));
        expect(price).to.equal(a * 10n ** BigInt(18 - d));
      }),
      { seed, numRuns: numRuns * 2 },
    );
  });
});

/** The keeper's pure decisions (KPR-3, KPR-4, KPR-7), with fast-check properties and interleavings. */
import { expect } from "chai";
import fc from "fast-check";
import {
  type AccountHealth,
  actionKey,
  ownsAccount,
  planLiquidations,
  planOrders,
  planPokes,
  planRedemptions,
  planSettlements,
  shortfall,
} from "../src/decide";

const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => "0x" + Buffer.from(b).toString("hex"));
const health = fc.record({
  account: address,
  equity: fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }),
  maintenanceMargin: fc.bigInt({ min: 0n, max: 10n ** 24n }),
  liquidatable: fc.boolean(),
  expectedReward: fc.bigInt({ min: 0n, max: 10n ** 9n }),
});
const healths = fc.uniqueArray(health, { selector: (h) => h.account, maxLength: 60 });
const ONE = { index: 0, count: 1 };

describe("keeper decisions (pure)", () => {
  it("KPR-3, KPR-4: a liquidation plan holds only accounts the lens reports liquidatable, each once, most underwater first, in batches", () => {
    fc.assert(
      fc.property(healths, fc.integer({ min: 1, max: 7 }), (list, batchSize) => {
        const batches = planLiquidations(list, { batchSize, minReward: 0n, shard: ONE, inFlight: new Set() });
        const flat = batches.flat();
        const byAccount = new Map(list.map((h) => [h.account, h]));
        expect(flat.every((a) => byAccount.get(a)!.liquidatable)).to.equal(true);
        expect(new Set(flat).size).to.equal(flat.length);
        expect(flat.length).to.equal(list.filter((h) => h.liquidatable).length);
        expect(batches.every((b) => b.length >= 1 && b.length <= batchSize)).to.equal(true);
        for (let i = 1; i < flat.length; i++) {
          expect(shortfall(byAccount.get(flat[i - 1])!) >= shortfall(byAccount.get(flat[i])!)).to.equal(true);
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("KPR-4: accounts in flight and rewards below the floor are left out", () => {
    const h = (account: string, reward: bigint): AccountHealth => ({
      account,
      equity: 0n,
      maintenanceMargin: 1n,
      liquidatable: true,
      expectedReward: reward,
    });
    const list = [h("0x" + "a".repeat(40), 5n), h("0x" + "b".repeat(40), 50n), h("0x" + "c".repeat(40), 50n)];
    const inFlight = new Set([actionKey.liquidate("0x" + "C".repeat(40))]);
    expect(planLiquidations(list, { batchSize: 10, minReward: 10n, shard: ONE, inFlight })).to.deep.equal([
      ["0x" + "b".repeat(40)],
    ]);
  });

  it("KPR-7: shards partition the accounts: each belongs to exactly one instance", () => {
    fc.assert(
      fc.property(fc.array(address, { maxLength: 50 }), fc.integer({ min: 1, max: 8 }), (accounts, count) => {
        for (const a of accounts) {
          const owners = Array.from({ length: count }, (_, index) => ownsAccount(a, { index, count })).filter(Boolean);
          expect(owners.length).to.equal(1);
          expect(ownsAccount(a.toUpperCase().replace("0X", "0x"), { index: 0, count })).to.equal(
            ownsAccount(a, { index: 0, count }),
          );
        }
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it("KPR-1: orders are executed within their window and cancelled after it; series settle once expired; pokes once per expiry", () => {
    const timing = { minOrderDelay: 2n, orderWindow: 3600n };
    const o = (account: string, committedAt: bigint) => ({ account, committedAt });
    const plan = planOrders([o("0x01", 100n), o("0x02", 99n), o("0x03", 1n)], 3699n, timing, {
      shard: ONE,
      inFlight: new Set([actionKey.execute(o("0x02", 99n))]),
    });
    expect(plan.execute).to.deep.equal([o("0x01", 100n)]);
    expect(plan.cancel).to.deep.equal([o("0x03", 1n)]);
    expect(planOrders([o("0x01", 100n)], 101n, timing, { shard: ONE, inFlight: new Set() }).execute).to.deep.equal([]);

    const series = [
      { id: 1n, market: "m", expiry: 10n, settled: false },
      { id: 2n, market: "m", expiry: 10n, settled: false },
      { id: 3n, market: "m", expiry: 20n, settled: false },
      { id: 4n, market: "m", expiry: 5n, settled: true },
    ];
    expect(planSettlements(series, 10n, new Set([actionKey.settle(2n)])).map((s) => s.id)).to.deep.equal([1n]);
    expect(planPokes(series, 20n, (_m, e) => e === 20n)).to.deep.equal([{ market: "m", expiry: 10n }]);
    expect(
      planRedemptions(
        [
          { holder: "a", balance: 0n },
          { holder: "b", balance: 1n },
          { holder: "c", balance: 2n },
        ],
        1,
      ),
    ).to.deep.equal([["b"], ["c"]]);
  });

  it("KPR-4: under any interleaving of ticks, lens answers and receipts, the keeper never sends a liquidation for an account the lens reports healthy and never has one action in flight twice", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        async (s, rounds) => {
          const accounts = ["0x01", "0x02", "0x03", "0x04"].map((a) => a.padEnd(42, "0"));
          const inFlight = new Set<string>();
          const sent: { account: string; reportedLiquidatable: boolean }[] = [];
          let violations = 0;
          // Each tick reads the lens (scheduled), plans with the keys in flight, and sends (receipt scheduled).
          const tick = async (round: boolean[]) => {
            const report = await s.schedule(
              Promise.resolve(
                accounts.map((account, i) => ({
                  account,
                  equity: round[i] ? -1n : 1n,
                  maintenanceMargin: 0n,
                  liquidatable: round[i],
                  expectedReward: 1n,
                })),
              ),
              "lens",
            );
            const byAccount = new Map(report.map((h) => [h.account, h]));
            for (const batch of planLiquidations(report, { batchSize: 2, minReward: 0n, shard: ONE, inFlight })) {
              const keys = batch.map(actionKey.liquidate);
              if (keys.some((k) => inFlight.has(k))) violations++;
              keys.forEach((k) => inFlight.add(k));
              for (const account of batch)
                sent.push({ account, reportedLiquidatable: byAccount.get(account)!.liquidatable });
              s.schedule(Promise.resolve(), "receipt").then(() => keys.forEach((k) => inFlight.delete(k)));
            }
          };
          const ticks = rounds.map((r) => tick(r));
          await s.waitAll();
          await Promise.all(ticks);
          expect(violations).to.equal(0);
          expect(sent.every((x) => x.reportedLiquidatable)).to.equal(true);
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });
});

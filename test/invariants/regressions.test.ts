/**
 * Counterexamples the fuzz campaigns found, kept as plain tests (INV-3): each replays the shrunk command list through
 * the model-based suite, so every step is predicted, sent, compared and followed by every invariant check.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { BTC } from "../helpers/fixtures";
import { makeModel } from "./campaign";
import * as C from "./commands";
import { MARKETS } from "./model";
import { makeReal, ok, v } from "./real";
import { systemFixture } from "./system";

async function replay(commands: C.Command[]) {
  const real = await makeReal(await loadFixture(systemFixture));
  const model = await makeModel(real);
  for (const command of commands) await command.run(model, real);
  return { model, real };
}

const trade = (trader: number, market: number, long: boolean, bps: bigint) =>
  new C.Trade(new C.CommitOrder(trader, market, long, bps, false));

describe("invariants: regressions from fuzz campaigns", function () {
  it("INV-PRED-1: an open's margin check counts the closing fee at the maker rate when it is above the taker rate (seed 5)", async function () {
    // The model once budgeted only the taker rate for the fee equity counts to close the new position; with the
    // maker fee raised above it, an order it called safe failed the initial-margin check by $2.
    const makerFee = { module: "markets" as const, scope: BTC, key: "makerFeeBps" };
    const { model } = await replay([new C.GovernParameter(makerFee, 4_900n), trade(0, 1, false, 8_783n)]);
    expect(model.stats.outcomes.get("executeOrder: PerpsInsufficientMargin")).to.equal(1);
  });

  it("INV-HEALTH-1: a reduce while the market is untrusted fills at the worst valid price and may leave the account below maintenance, not liquidatable (seed 6)", async function () {
    // The account looked healthy only because an untrusted market is valued at its last good price (AGG-4); the
    // reduce realised the move at the worst valid price. INV-HEALTH-1 now compares trusted valuations only.
    const { model, real } = await replay([
      trade(0, 1, false, 6_000n),
      new C.BreakSource(1, 0, "off"),
      new C.MovePrice(1, 632n),
      new C.ReducePosition(0, 1, 4_752n),
    ]);
    const t = real.traders[0];
    expect(model.position(t, BTC)).to.be.lessThan(0n);
    const [health, status] = await real.chain.read(
      [v(real, "lens", "healthOf", [[t]]), v(real, "aggregator", "status", [MARKETS[1]])],
      "latest",
    );
    const h = ok<{ health: { equity: bigint; maintenanceMargin: bigint; liquidatable: boolean } }[]>(
      health,
      "healthOf",
    )[0].health;
    expect(ok<{ state: bigint }>(status, "status").state).to.not.equal(0n);
    expect(h.equity).to.be.lessThan(h.maintenanceMargin);
    expect(h.liquidatable).to.equal(false);
  });
});

/**
 * INV-1 … INV-3: the invariant catalogue and its tests name the same IDs; the model-based suite keeps every invariant
 * over a short fixed-seed profile; and a campaign that finds a counterexample reports the seed and path that replay it
 * exactly, with the shrunk command list.
 */
import { expect } from "chai";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { MARKETS } from "./model";
import { runCampaign } from "./campaign";

const seed = Number(process.env.FUZZ_SEED ?? 20261121);
const ROOT = path.join(__dirname, "..", "..");
const ID = /INV-[A-Z]+-\d+/g;

function testSources(): string {
  const dir = path.join(ROOT, "test");
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => readFileSync(path.join(dir, f), "utf8"))
    .join("\n");
}

describe("invariants (model-based)", function () {
  it("INV-1: every invariant in INVARIANTS.md is referenced by a test, and every ID a test names is listed", function () {
    const listed = new Set(readFileSync(path.join(ROOT, "INVARIANTS.md"), "utf8").match(ID));
    const referenced = new Set(testSources().match(ID));
    expect(listed.size).to.be.greaterThan(15);
    expect(
      [...listed].filter((id) => !referenced.has(id)),
      "listed but untested",
    ).to.deep.equal([]);
    expect(
      [...referenced].filter((id) => !listed.has(id)),
      "tested but not listed",
    ).to.deep.equal([]);
  });

  it("INV-2: random command sequences keep every invariant, and every revert is the one the model predicted", async function () {
    this.timeout(0);
    const result = await runCampaign({ runs: Number(process.env.INV_RUNS ?? 6), seed, maxCommands: 40 });
    if (result.failure) {
      throw new Error(
        `${result.failure.error}\nreplay: npm run fuzz -- --seed ${result.failure.seed} --path ${result.failure.path}\n${result.failure.commands}`,
      );
    }
    expect(result.commands).to.be.greaterThan(50);
    expect(result.invariantChecks).to.equal(result.commands);
  });

  it("INV-3: a counterexample is shrunk and its seed and path replay it exactly", async function () {
    this.timeout(0);
    // A planted property that random trading breaks: nobody ever holds a position.
    const planted = async (m: { position(a: string, mk: string): bigint }, r: { traders: string[] }) => {
      for (const t of r.traders) {
        for (const market of MARKETS)
          if (m.position(t, market) !== 0n) throw new Error(`planted: a position in ${market}`);
      }
    };
    const found = await runCampaign({ runs: 100, seed: 4, maxCommands: 40, invariant: planted });
    expect(found.failure, "the planted property was never broken").to.not.equal(undefined);
    const { seed: s, path: p, commands, error } = found.failure!;
    expect(error).to.contain("planted");
    // Shrunk to what opens a position: a trade, or a commit and its execution.
    expect(commands).to.match(/trade\(|executeOrder/);
    const replay = await runCampaign({ runs: 1, seed: s, path: p, maxCommands: 40, invariant: planted });
    expect(replay.failure?.commands).to.equal(commands);
    expect(replay.failure?.error).to.equal(error);
  });
});

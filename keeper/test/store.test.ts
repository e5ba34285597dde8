/** The SQLite index (KPR-2): resuming, rolling back a reorg, and the derived views. */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "../src/config";
import { decodeRevert } from "../src/errors";
import { IndexStore, type IndexBatch } from "../src/store";
import { PerpsEngine__factory } from "../../typechain-types";

const empty = (): IndexBatch => ({ accounts: [], orders: [], series: [], settlements: [], holders: [], blocks: [] });

describe("keeper index and configuration", () => {
  it("KPR-2: the index persists across a restart and resumes from its cursor", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "keeper-"));
    try {
      const file = path.join(dir, "index.sqlite");
      const a = new IndexStore(file);
      a.bind("31337:0xengine");
      a.apply({ ...empty(), accounts: [{ address: "0xAA", block: 5 }], blocks: [{ number: 5, hash: "0x05" }] }, 7);
      a.close();
      const b = new IndexStore(file);
      b.bind("31337:0xengine");
      expect(b.cursor()).to.equal(7);
      expect(b.accounts()).to.deep.equal(["0xaa"]);
      // Another deployment clears it.
      b.bind("31337:0xother");
      expect(b.cursor()).to.equal(undefined);
      expect(b.accounts()).to.deep.equal([]);
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("KPR-2: a rollback removes everything above the ancestor, so a commit undone by a reorg is pending no more and an execution undone is pending again", () => {
    const s = new IndexStore(":memory:");
    s.apply(
      {
        ...empty(),
        accounts: [{ address: "0x01", block: 10 }],
        orders: [
          { block: 10, logIndex: 0, account: "0x01", kind: "commit", committedAt: 100n },
          { block: 12, logIndex: 3, account: "0x01", kind: "done", committedAt: 0n },
          { block: 12, logIndex: 4, account: "0x02", kind: "commit", committedAt: 120n },
        ],
        series: [{ id: 9n, market: "0xm", expiry: 1_000n, block: 11 }],
        settlements: [{ id: 9n, block: 13 }],
        holders: [{ id: 9n, holder: "0x03", block: 11 }],
        blocks: [
          { number: 10, hash: "0x10" },
          { number: 12, hash: "0x12" },
          { number: 13, hash: "0x13" },
        ],
      },
      13,
    );
    expect(s.pendingOrders()).to.deep.equal([{ account: "0x02", committedAt: 120n }]);
    expect(s.series()).to.deep.equal([{ id: 9n, market: "0xm", expiry: 1_000n, settled: true }]);
    s.rollback(11);
    expect(s.cursor()).to.equal(11);
    expect(s.pendingOrders()).to.deep.equal([{ account: "0x01", committedAt: 100n }]);
    expect(s.series()).to.deep.equal([{ id: 9n, market: "0xm", expiry: 1_000n, settled: false }]);
    expect(s.holders(9n)).to.deep.equal(["0x03"]);
    expect(s.blockHashes(100, 10)).to.deep.equal([{ number: 10, hash: "0x10" }]);
    s.close();
  });

  it("KPR-4: custom errors are decoded by name; races and waits are told from failures", () => {
    const engine = PerpsEngine__factory.createInterface();
    const healthy = engine.encodeErrorResult("PerpsAccountHealthy", ["0x" + "1".repeat(40), 5n, 3n]);
    expect(decodeRevert(healthy)).to.deep.include({ name: "PerpsAccountHealthy", verdict: "race" });
    const older = engine.encodeErrorResult("PerpsPriceOlderThanOrder", [1n, 2n]);
    expect(decodeRevert(older)).to.deep.include({ name: "PerpsPriceOlderThanOrder", verdict: "wait" });
    const slip = engine.encodeErrorResult("PerpsSlippage", [1n, 2n]);
    expect(decodeRevert(slip)).to.deep.include({ name: "PerpsSlippage", verdict: "wait" });
    const invalid = engine.encodeErrorResult("PerpsInvalidInput", []);
    expect(decodeRevert(invalid)).to.deep.include({ name: "PerpsInvalidInput", verdict: "failure" });
    expect(decodeRevert("0x12345678").verdict).to.equal("failure");
    expect(decodeRevert(undefined).name).to.equal("unknown");
  });

  it("KPR-6: the configuration is validated at start, every problem listed", () => {
    expect(() =>
      parseConfig({ chainId: 0, rpcUrls: ["not a url"], contracts: { engine: "0x1" }, shard: { index: 2, count: 2 } }),
    ).to.throw(/chainId[\s\S]*rpcUrls[\s\S]*contracts\.engine[\s\S]*shard/);
    expect(() => parseConfig({ chainId: 1, surprise: true })).to.throw(/surprise|Unrecognized/);
  });
});

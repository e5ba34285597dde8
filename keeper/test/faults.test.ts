/**
 * Faults injected behind the keeper's chain interface (KPR-2, KPR-3, KPR-5): a fake chain that reorganises between
 * the reorg check and the log read, a node that refuses large log ranges, a node whose per-call gas cap a lens
 * page exceeds, and a rate-limiting endpoint.
 */
import { expect } from "chai";
import { ethers } from "ethers";
import { isGasLimitError, isTooManyLogs, isTransportError } from "../src/errors";
import { Indexer } from "../src/indexer";
import { halving } from "../src/keeper";
import type { RpcPool } from "../src/rpc";
import { IndexStore } from "../src/store";

interface FakeBlock {
  hash: string;
  parentHash: string;
}

/** A chain of `n` blocks whose hashes carry `tag` from block `forkAt` on. */
function chain(n: number, forkAt = n + 1, tag = "b"): FakeBlock[] {
  const blocks: FakeBlock[] = [];
  for (let i = 0; i <= n; i++) {
    const hash = ethers.id(`${i >= forkAt ? tag : "a"}:${i}`);
    blocks.push({ hash, parentHash: i === 0 ? ethers.ZeroHash : blocks[i - 1].hash });
  }
  return blocks;
}

/** An `RpcPool` over a fake provider: `blocks()` is read at each call, so a test can swap the chain mid-sync. */
function fakePool(blocks: () => FakeBlock[], getLogs: (from: number, to: number) => unknown[] = () => []) {
  const provider = {
    getBlock: async (n: number) => {
      const block = blocks()[n];
      return block ? { number: n, ...block } : null;
    },
    getLogs: async ({ fromBlock, toBlock }: { fromBlock: number; toBlock: number }) => getLogs(fromBlock, toBlock),
  };
  return { run: <T>(fn: (p: never) => Promise<T>) => fn(provider as never) } as unknown as RpcPool;
}

const options = {
  engine: "0x0000000000000000000000000000000000000001",
  lens: "0x0000000000000000000000000000000000000002",
  startBlock: 1,
  confirmations: 0,
  logRange: 4,
};

describe("keeper under injected faults", () => {
  it("KPR-2: a reorg that lands between the reorg check and the log read is still rolled back (block `from` must follow the stored hash)", async () => {
    const store = new IndexStore(":memory:");
    const indexer = new Indexer(
      fakePool(() => chain(10)),
      store,
      options,
    );
    await indexer.sync(10);
    expect(store.blockHashes(10, 1)[0].hash).to.equal(chain(10)[10].hash);

    // The chain is replaced from block 9 on, but only after the reorg check has read block 10 (the old one).
    const forked = chain(14, 9);
    let reads = 0;
    const racing = new Indexer(
      fakePool(() => (reads++ === 0 ? chain(10) : forked)),
      store,
      options,
    );
    const result = await racing.sync(14);
    expect(result.rolledBackTo).to.equal(8);
    expect(store.blockHashes(14, 1)[0].hash).to.equal(forked[14].hash);
    // Nothing of the old blocks 9 and 10 is left: the stored hash below 11 is the common ancestor's.
    expect(store.blockHashes(10, 1)[0]).to.deep.equal({ number: 8, hash: forked[8].hash });
    store.close();
  });

  it("KPR-2: a node that refuses a log range as too large gets halves of it until it answers", async () => {
    const store = new IndexStore(":memory:");
    const asked: [number, number][] = [];
    const pool = fakePool(
      () => chain(20),
      (from, to) => {
        asked.push([from, to]);
        if (to - from >= 1) throw new Error("query returned more than 10000 results");
        return [];
      },
    );
    const indexer = new Indexer(pool, store, options);
    const result = await indexer.sync(20);
    expect(result.cursor).to.equal(20);
    expect(asked.slice(0, 3)).to.deep.equal([
      [1, 4],
      [1, 2],
      [1, 1],
    ]);
    store.close();
  });

  it("KPR-3: a lens page over the node's per-call gas cap is halved until each part fits; other errors are not", async () => {
    const sizes: number[] = [];
    const items = Array.from({ length: 10 }, (_, i) => i);
    const out = await halving(items, async (part) => {
      sizes.push(part.length);
      if (part.length > 3)
        throw Object.assign(new Error("execution reverted"), {
          info: { error: { message: "Transaction ran out of gas" } },
        });
      return part.map((x) => x * 2);
    });
    expect(out).to.deep.equal(items.map((x) => x * 2));
    expect(Math.max(...sizes.slice(1).filter((n) => n <= 3))).to.equal(3);
    let calls = 0;
    await expect(
      halving(items, async () => {
        calls++;
        throw new Error("execution reverted: Panic");
      }),
    ).to.be.rejectedWith("Panic");
    expect(calls).to.equal(1);
  });

  it("KPR-5: a rate-limited endpoint is failed over; a too-large answer or an out-of-gas is not an endpoint fault", () => {
    const reply = (message: string, code = -32005) => ({ code: "UNKNOWN_ERROR", info: { error: { code, message } } });
    expect(isTransportError(reply("rate limit exceeded"))).to.equal(true);
    expect(isTransportError({ code: "SERVER_ERROR", message: "429 Too Many Requests" })).to.equal(true);
    expect(isTransportError(reply("query returned more than 10000 results"))).to.equal(false);
    expect(isTooManyLogs(reply("query returned more than 10000 results"))).to.equal(true);
    expect(isTooManyLogs(reply("rate limit exceeded"))).to.equal(false);
    expect(isGasLimitError(reply("Transaction ran out of gas", -32000))).to.equal(true);
    expect(isGasLimitError({ data: "0x12345678", message: "out of gas" })).to.equal(false);
  });
});

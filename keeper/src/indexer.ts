/**
 * Discovery from events (KPR-2): reads the engine's and the options engine's logs up to `confirmations` blocks
 * behind the head, in ranges, into the SQLite index. Before each sync it checks the hash of the last indexed block;
 * on a mismatch it walks back through the stored hashes to the common ancestor and rolls the index back to it
 * (a block's hash commits to all its ancestors, so the first stored hash that still matches is the ancestor). A
 * periodic full resync reads the engine's account list and the live series through the lens, so nothing the
 * events missed stays missed.
 */
import { type JsonRpcProvider, type Log } from "ethers";
import { OptionsEngine__factory, PerpsEngine__factory, PerpsLens__factory } from "../../typechain-types";
import { isTooManyLogs } from "./errors";
import type { RpcPool } from "./rpc";
import type { IndexBatch, IndexStore } from "./store";

const engineInterface = PerpsEngine__factory.createInterface();
const optionsInterface = OptionsEngine__factory.createInterface();

const ENGINE_EVENTS = ["OrderCommitted", "OrderExecuted", "OrderCancelled", "PositionModified"] as const;
const OPTIONS_EVENTS = ["SeriesListed", "SeriesSettled", "TransferSingle", "TransferBatch"] as const;
/** Stored block hashes kept for reorg checks. */
const KEEP_HASHES = 512;

export interface IndexerOptions {
  engine: string;
  lens: string;
  options?: string;
  startBlock: number;
  confirmations: number;
  logRange: number;
}

export interface SyncResult {
  /** The block rolled back to, when a reorg was found. */
  rolledBackTo?: number;
  /** The last block indexed. */
  cursor: number;
  logs: number;
}

export class Indexer {
  constructor(
    private readonly rpc: RpcPool,
    private readonly store: IndexStore,
    private readonly opts: IndexerOptions,
  ) {}

  /** Indexes up to `head − confirmations`, after rolling back any reorg of what was indexed. */
  async sync(head: number): Promise<SyncResult> {
    const result: SyncResult = { cursor: this.cursor(), logs: 0 };
    await this.rollBackReorg(result);
    const target = head - this.opts.confirmations;
    let range = this.opts.logRange;
    for (let from = this.cursor() + 1; from <= target; from = this.cursor() + 1) {
      const read = await this.indexRange(from, Math.min(target, from + range - 1));
      if (read === "reorg") {
        // The chain changed under the index after the check above: roll back again before reading on.
        await this.rollBackReorg(result);
      } else if (read === "too-many") {
        if (range === 1) throw new Error(`the node refuses the logs of block ${from} as too many`);
        range = Math.ceil(range / 2);
      } else {
        result.logs += read;
      }
    }
    this.store.pruneBlocks(KEEP_HASHES);
    result.cursor = this.cursor();
    return result;
  }

  /** Reads every account the engine lists and every live series (a full resync); returns how many were new. */
  async resync(pageSize = 2_000): Promise<{ accounts: number; series: number }> {
    const block = this.cursor();
    let added = 0;
    for (let offset = 0; ;) {
      const [list, next] = await this.rpc.run((p) =>
        PerpsLens__factory.connect(this.opts.lens, p).accountList(offset, pageSize),
      );
      added += this.store.addAccounts(list, block);
      if (list.length < pageSize) break;
      offset = Number(next);
    }
    let series = 0;
    if (this.opts.options) {
      const options = this.opts.options;
      const known = new Set(this.store.series().map((s) => s.id));
      const live = await this.rpc.run((p) => OptionsEngine__factory.connect(options, p).liveSeries());
      const missing = live.filter((id) => !known.has(id));
      const infos = await this.rpc.run((p) =>
        Promise.all(missing.map((id) => OptionsEngine__factory.connect(options, p).seriesOf(id))),
      );
      const batch = emptyBatch();
      missing.forEach((id, i) => batch.series.push({ id, market: infos[i].market, expiry: infos[i].expiry, block }));
      this.store.apply(batch, block);
      series = missing.length;
    }
    return { accounts: added, series };
  }

  cursor(): number {
    return this.store.cursor() ?? this.opts.startBlock - 1;
  }

  /** Rolls the index back to the common ancestor if the chain no longer holds its last block; notes it in `result`. */
  private async rollBackReorg(result: SyncResult): Promise<void> {
    const ancestor = await this.findReorg();
    if (ancestor === undefined) return;
    this.store.rollback(ancestor);
    result.rolledBackTo = Math.min(result.rolledBackTo ?? ancestor, ancestor);
  }

  /** The common ancestor when the chain no longer holds the last indexed block, else undefined. */
  private async findReorg(): Promise<number | undefined> {
    const stored = this.store.blockHashes(this.cursor(), KEEP_HASHES);
    if (stored.length === 0) return undefined;
    const hashOf = (n: number) => this.rpc.run((p) => blockHashOrNone(p, n));
    if ((await hashOf(stored[0].number)) === stored[0].hash) return undefined;
    for (const b of stored.slice(1)) {
      if ((await hashOf(b.number)) === b.hash) return b.number;
    }
    // Deeper than every stored hash: index again from the start.
    return this.opts.startBlock - 1;
  }

  /**
   * Indexes the logs of blocks `from` … `to`: their count; "reorg" when block `from` no longer follows the last
   * indexed block; "too-many" when the node refuses the range for its size (the caller halves it).
   */
  private async indexRange(from: number, to: number): Promise<number | "reorg" | "too-many"> {
    const parent = this.store.blockHashes(from - 1, 1).find((b) => b.number === from - 1);
    const addresses = [this.opts.engine, ...(this.opts.options ? [this.opts.options] : [])];
    const topics = [
      ...ENGINE_EVENTS.map((e) => engineInterface.getEvent(e)!.topicHash),
      ...OPTIONS_EVENTS.map((e) => optionsInterface.getEvent(e)!.topicHash),
    ];
    for (;;) {
      let read;
      try {
        read = await this.rpc.run(async (p) => {
          const before = await blockHash(p, to);
          const first = parent ? await p.getBlock(from) : null;
          const found = await p.getLogs({ address: addresses, fromBlock: from, toBlock: to, topics: [topics] });
          const after = await blockHash(p, to);
          return {
            logs: found,
            hash: after,
            again: before !== after,
            forked: !!parent && first?.parentHash !== parent.hash,
          };
        });
      } catch (error) {
        if (isTooManyLogs(error)) return "too-many";
        throw error;
      }
      const { logs, hash, again, forked } = read;
      if (forked) return "reorg";
      if (again) continue; // the range changed under the read: read it again
      const batch = this.parse(logs);
      batch.blocks.push({ number: to, hash });
      this.store.apply(batch, to);
      return logs.length;
    }
  }

  private parse(logs: readonly Log[]): IndexBatch {
    const batch = emptyBatch();
    const engine = this.opts.engine.toLowerCase();
    for (const log of logs) {
      batch.blocks.push({ number: log.blockNumber, hash: log.blockHash });
      const at = { block: log.blockNumber, logIndex: log.index };
      if (log.address.toLowerCase() === engine) {
        const e = engineInterface.parseLog(log);
        if (!e) continue;
        const account = e.args.account as string;
        if (e.name === "OrderCommitted") {
          batch.accounts.push({ address: account, block: log.blockNumber });
          batch.orders.push({ ...at, account, kind: "commit", committedAt: e.args.committedAt as bigint });
        } else if (e.name === "OrderExecuted" || e.name === "OrderCancelled") {
          batch.orders.push({ ...at, account, kind: "done", committedAt: 0n });
        } else if (e.name === "PositionModified") {
          batch.accounts.push({ address: account, block: log.blockNumber });
        }
        continue;
      }
      const e = optionsInterface.parseLog(log);
      if (!e) continue;
      if (e.name === "SeriesListed") {
        batch.series.push({
          id: e.args.id as bigint,
          market: e.args.market as string,
          expiry: e.args.expiry as bigint,
          block: log.blockNumber,
        });
      } else if (e.name === "SeriesSettled") {
        batch.settlements.push({ id: e.args.id as bigint, block: log.blockNumber });
      } else if (e.name === "TransferSingle") {
        if (BigInt(e.args.to as string) !== 0n)
          batch.holders.push({ id: e.args.id as bigint, holder: e.args.to as string, block: log.blockNumber });
      } else if (e.name === "TransferBatch") {
        if (BigInt(e.args.to as string) !== 0n)
          for (const id of e.args.ids as bigint[])
            batch.holders.push({ id, holder: e.args.to as string, block: log.blockNumber });
      }
    }
    return batch;
  }
}

/** The hash of block `n`; undefined when the node has no such block (a reorg to a shorter chain). */
async function blockHashOrNone(p: JsonRpcProvider, n: number): Promise<string | undefined> {
  return (await p.getBlock(n))?.hash ?? undefined;
}

async function blockHash(p: JsonRpcProvider, n: number): Promise<string> {
  const hash = await blockHashOrNone(p, n);
  if (!hash) throw Object.assign(new Error(`block ${n} not available`), { code: "SERVER_ERROR" });
  return hash;
}

function emptyBatch(): IndexBatch {
  return { accounts: [], orders: [], series: [], settlements: [], holders: [], blocks: [] };
}

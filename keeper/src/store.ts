/**
 * The keeper's index (KPR-2), in SQLite: accounts, pending orders, option series and their holders, each row
 * tagged with the block it came from, and the hashes of indexed blocks. A reorg deletes every row above the common
 * ancestor; a restart resumes from the stored cursor at once.
 */
import Database from "better-sqlite3";
import type { PendingOrder, SeriesInfo } from "./decide";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (address TEXT PRIMARY KEY, block INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS accounts_block ON accounts (block);
CREATE TABLE IF NOT EXISTS order_events (
  block INTEGER NOT NULL, log_index INTEGER NOT NULL, account TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('commit', 'done')), committed_at TEXT NOT NULL,
  PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS order_events_account ON order_events (account, block, log_index);
CREATE TABLE IF NOT EXISTS series (id TEXT PRIMARY KEY, market TEXT NOT NULL, expiry TEXT NOT NULL, block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS settlements (id TEXT PRIMARY KEY, block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS redeemed (id TEXT PRIMARY KEY, block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS holders (id TEXT NOT NULL, holder TEXT NOT NULL, block INTEGER NOT NULL,
  PRIMARY KEY (id, holder));
`;

/** What one batch of logs adds to the index. */
export interface IndexBatch {
  accounts: { address: string; block: number }[];
  orders: { block: number; logIndex: number; account: string; kind: "commit" | "done"; committedAt: bigint }[];
  series: { id: bigint; market: string; expiry: bigint; block: number }[];
  settlements: { id: bigint; block: number }[];
  holders: { id: bigint; holder: string; block: number }[];
  /** Hashes of blocks seen (the batch's last block at least), for reorg checks. */
  blocks: { number: number; hash: string }[];
}

export class IndexStore {
  readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /** Binds the index to one deployment: a different chain or engine clears it. */
  bind(identity: string): void {
    const current = this.meta("identity");
    if (current !== undefined && current !== identity) {
      this.db.exec("DELETE FROM blocks; DELETE FROM accounts; DELETE FROM order_events; DELETE FROM series;");
      this.db.exec("DELETE FROM settlements; DELETE FROM redeemed; DELETE FROM holders; DELETE FROM meta;");
    }
    this.setMeta("identity", identity);
  }

  /** The last block indexed, or undefined before the first sync. */
  cursor(): number | undefined {
    const v = this.meta("cursor");
    return v === undefined ? undefined : Number(v);
  }

  /** Applies `batch` and moves the cursor to `to`, atomically. */
  apply(batch: IndexBatch, to: number): void {
    const tx = this.db.transaction(() => {
      const acc = this.db.prepare("INSERT OR IGNORE INTO accounts (address, block) VALUES (?, ?)");
      for (const a of batch.accounts) acc.run(a.address.toLowerCase(), a.block);
      const ord = this.db.prepare(
        "INSERT OR REPLACE INTO order_events (block, log_index, account, kind, committed_at) VALUES (?, ?, ?, ?, ?)",
      );
      for (const o of batch.orders)
        ord.run(o.block, o.logIndex, o.account.toLowerCase(), o.kind, o.committedAt.toString());
      const ser = this.db.prepare("INSERT OR IGNORE INTO series (id, market, expiry, block) VALUES (?, ?, ?, ?)");
      for (const s of batch.series) ser.run(s.id.toString(), s.market, s.expiry.toString(), s.block);
      const set = this.db.prepare("INSERT OR IGNORE INTO settlements (id, block) VALUES (?, ?)");
      for (const s of batch.settlements) set.run(s.id.toString(), s.block);
      const hol = this.db.prepare("INSERT OR IGNORE INTO holders (id, holder, block) VALUES (?, ?, ?)");
      for (const h of batch.holders) hol.run(h.id.toString(), h.holder.toLowerCase(), h.block);
      const blk = this.db.prepare("INSERT OR REPLACE INTO blocks (number, hash) VALUES (?, ?)");
      for (const b of batch.blocks) blk.run(b.number, b.hash);
      this.setMeta("cursor", String(to));
    });
    tx();
  }

  /** Deletes everything above block `ancestor` and moves the cursor back to it. */
  rollback(ancestor: number): void {
    const tx = this.db.transaction(() => {
      for (const table of ["blocks", "accounts", "order_events", "series", "settlements", "redeemed", "holders"]) {
        const column = table === "blocks" ? "number" : "block";
        this.db.prepare(`DELETE FROM ${table} WHERE ${column} > ?`).run(ancestor);
      }
      this.setMeta("cursor", String(ancestor));
    });
    tx();
  }

  /** Stored block hashes at or below `at`, newest first (reorg search). */
  blockHashes(at: number, limit: number): { number: number; hash: string }[] {
    return this.db
      .prepare("SELECT number, hash FROM blocks WHERE number <= ? ORDER BY number DESC LIMIT ?")
      .all(at, limit) as { number: number; hash: string }[];
  }

  /** Keeps the newest `keep` block hashes (older ones are beyond any reorg the keeper handles). */
  pruneBlocks(keep: number): void {
    this.db
      .prepare(
        "DELETE FROM blocks WHERE number < (SELECT MIN(number) FROM (SELECT number FROM blocks ORDER BY number DESC LIMIT ?))",
      )
      .run(keep);
  }

  addAccounts(addresses: readonly string[], block: number): number {
    const stmt = this.db.prepare("INSERT OR IGNORE INTO accounts (address, block) VALUES (?, ?)");
    let added = 0;
    this.db.transaction(() => {
      for (const a of addresses) added += stmt.run(a.toLowerCase(), block).changes;
    })();
    return added;
  }

  accounts(): string[] {
    return (this.db.prepare("SELECT address FROM accounts ORDER BY address").all() as { address: string }[]).map(
      (r) => r.address,
    );
  }

  /** Orders whose latest event is a commit. */
  pendingOrders(): PendingOrder[] {
    const rows = this.db
      .prepare(
        `SELECT account, kind, committed_at FROM order_events o WHERE (block, log_index) = (
           SELECT block, log_index FROM order_events WHERE account = o.account ORDER BY block DESC, log_index DESC LIMIT 1)`,
      )
      .all() as { account: string; kind: string; committed_at: string }[];
    return rows
      .filter((r) => r.kind === "commit")
      .map((r) => ({ account: r.account, committedAt: BigInt(r.committed_at) }));
  }

  series(): SeriesInfo[] {
    const rows = this.db
      .prepare(
        "SELECT s.id, s.market, s.expiry, (t.id IS NOT NULL) AS settled FROM series s LEFT JOIN settlements t ON s.id = t.id",
      )
      .all() as { id: string; market: string; expiry: string; settled: number }[];
    return rows.map((r) => ({
      id: BigInt(r.id),
      market: r.market,
      expiry: BigInt(r.expiry),
      settled: r.settled === 1,
    }));
  }

  /** Settled series some of whose options may still be unredeemed. */
  seriesToRedeem(): bigint[] {
    return (
      this.db
        .prepare("SELECT t.id FROM settlements t LEFT JOIN redeemed r ON t.id = r.id WHERE r.id IS NULL")
        .all() as { id: string }[]
    ).map((r) => BigInt(r.id));
  }

  /** Every option of series `id` was redeemed (no holder has any left), as of `block`. */
  markRedeemed(id: bigint, block: number): void {
    this.db.prepare("INSERT OR IGNORE INTO redeemed (id, block) VALUES (?, ?)").run(id.toString(), block);
  }

  holders(id: bigint): string[] {
    return (
      this.db.prepare("SELECT holder FROM holders WHERE id = ? ORDER BY holder").all(id.toString()) as {
        holder: string;
      }[]
    ).map((r) => r.holder);
  }

  meta(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }
}

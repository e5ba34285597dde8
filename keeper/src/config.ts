/**
 * The keeper's configuration (KPR-6): a JSON file merged with the environment, validated once at start-up. Secrets
 * come only from the environment (`KEEPER_PRIVATE_KEY`); see `.env.example`.
 */
import { readFileSync } from "node:fs";
import { isAddress } from "ethers";
import { z } from "zod";

const address = z.string().refine((a) => isAddress(a), "not an address");
const bigintish = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    const b = BigInt(v);
    if (b < 0n) throw new Error("negative");
    return b;
  } catch {
    ctx.addIssue({ code: "custom", message: `not a non-negative integer: ${v}` });
    return z.NEVER;
  }
});

export const ConfigSchema = z
  .object({
    /** The chain the keeper must find at every endpoint. */
    chainId: z.number().int().positive(),
    /** JSON-RPC endpoints, in order of preference (KPR-5). */
    rpcUrls: z.array(z.url()).min(1),
    contracts: z.object({
      engine: address,
      lens: address,
      markets: address,
      options: address.optional(),
    }),
    /** The block the contracts were deployed in: the index starts there. */
    startBlock: z.number().int().nonnegative().default(0),
    /** The address the private key must control (checked at start-up). */
    expectedSigner: address,
    /** SQLite file of the index (`:memory:` for none). */
    dbPath: z.string().min(1).default("keeper.sqlite"),
    /** Blocks behind the head that the index waits for before reading events. */
    confirmations: z.number().int().nonnegative().default(2),
    /** Largest block range of one `eth_getLogs`. */
    logRange: z.number().int().positive().default(2_000),
    pollIntervalMs: z.number().int().positive().default(1_000),
    /** How often the account list is read afresh from the engine (a full resync). */
    resyncIntervalMs: z.number().int().positive().default(300_000),
    /** Accounts per lens `liquidatableAmong` call (a page over the node's per-call gas cap is halved). */
    healthBatchSize: z.number().int().positive().max(5_000).default(500),
    /** Accounts per `liquidateMany` transaction at most (a batch too large to estimate is split in two). */
    liquidationBatchSize: z.number().int().positive().max(500).default(100),
    /** Holders per `redeemFor` transaction. */
    redeemBatchSize: z.number().int().positive().max(500).default(100),
    /** The least expected reward (collateral units) worth a liquidation. */
    minLiquidationReward: bigintish.default(0n),
    fees: z
      .object({
        /** The most the keeper pays per gas, base fee included (wei). */
        maxFeePerGas: bigintish.default(200_000_000_000n),
        maxPriorityFeePerGas: bigintish.default(1_000_000_000n),
        /** A transaction not mined after this long is replaced at the same nonce with bumped fees. */
        replaceAfterMs: z.number().int().positive().default(30_000),
        /** The bump of each replacement, in percent (nodes refuse less than 10). */
        bumpPercent: z.number().int().min(10).max(100).default(15),
      })
      .prefault({}),
    rpc: z
      .object({
        /** An endpoint further than this many blocks behind the best one is dropped for `cooldownMs`. */
        maxLagBlocks: z.number().int().nonnegative().default(3),
        cooldownMs: z.number().int().positive().default(30_000),
        timeoutMs: z.number().int().positive().default(10_000),
      })
      .prefault({}),
    shard: z
      .object({ index: z.number().int().nonnegative(), count: z.number().int().positive() })
      .refine((s) => s.index < s.count, "shard index must be below the count")
      .default({ index: 0, count: 1 }),
    /** Decide and simulate, never send. */
    dryRun: z.boolean().default(false),
    metrics: z
      .object({ host: z.string().default("127.0.0.1"), port: z.number().int().nonnegative().default(9464) })
      .optional(),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict();

export type KeeperConfig = z.infer<typeof ConfigSchema>;

/** Reads `file` (JSON) and the environment; the environment wins. Throws a readable error listing every problem. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv): { config: KeeperConfig; key: string } {
  const raw: Record<string, unknown> = file ? JSON.parse(readFileSync(file, "utf8")) : {};
  if (env.KEEPER_RPC_URLS) raw.rpcUrls = env.KEEPER_RPC_URLS.split(",").map((s) => s.trim());
  if (env.KEEPER_DB_PATH) raw.dbPath = env.KEEPER_DB_PATH;
  if (env.KEEPER_DRY_RUN) raw.dryRun = env.KEEPER_DRY_RUN === "1" || env.KEEPER_DRY_RUN === "true";
  if (env.KEEPER_LOG_LEVEL) raw.logLevel = env.KEEPER_LOG_LEVEL;
  if (env.KEEPER_METRICS_PORT) raw.metrics = { ...(raw.metrics as object), port: Number(env.KEEPER_METRICS_PORT) };
  return { config: parseConfig(raw), key: parseKey(env.KEEPER_PRIVATE_KEY) };
}

export function parseConfig(raw: unknown): KeeperConfig {
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid keeper configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

function parseKey(key: string | undefined): string {
  if (!key) throw new Error("KEEPER_PRIVATE_KEY is not set (the signer's key comes only from the environment)");
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new Error("KEEPER_PRIVATE_KEY is not a 32-byte hex key");
  return key.startsWith("0x") ? key : `0x${key}`;
}

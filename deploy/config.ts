/**
 * A network's deployment parameters (OPS-2): `deploy/parameters/<network>.json`, validated once. Addresses of the
 * vendors' contracts carry the public source they were read from. Roles may come from the environment
 * (`BULWARK_GOVERNORS`, comma-separated, and `BULWARK_GUARDIAN`), so an operator need not edit the file; RPC URLs and
 * keys only ever come from the environment (`.env.example`).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { isAddress } from "ethers";
import { z } from "zod";

const address = z.string().refine((a) => isAddress(a), "not an address");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "not a 32-byte hex id");
/** A vendor's contract: its address and where the address was read. */
const vendor = z.object({ address, source: z.string().min(1) }).strict();
/** `"mock"`: deploy the vendor's own mock instead (the in-process chain, or `--mocks`). */
const mock = z.literal("mock");

const chainlinkSource = z
  .object({
    kind: z.literal("chainlink"),
    feed: z.union([vendor, mock]),
    /** Seconds; the feed's heartbeat plus a margin. */
    maxStaleness: z.number().int().positive(),
  })
  .strict();

const pythSource = z
  .object({
    kind: z.literal("pyth"),
    priceId: bytes32,
    priceIdSource: z.string().min(1),
    maxStaleness: z.number().int().positive(),
    /** The widest confidence interval accepted, in bps of the price. */
    maxConfBps: z.number().int().positive(),
  })
  .strict();

export const DeploymentSchema = z
  .object({
    $comment: z.string().optional(),
    chainId: z.number().int().positive(),
    timelock: z
      .object({
        /** Seconds: 48 hours on public networks (GOV-2); also the delay's floor. */
        delay: z.number().int().nonnegative(),
        gracePeriod: z.number().int().positive(),
      })
      .strict(),
    governors: z.array(address),
    guardian: z.union([address, z.literal("")]),
    collateral: z.union([vendor, mock]),
    pyth: z.union([vendor, mock]).optional(),
    /** The L2 sequencer uptime feed, or null where there is none (an L1, or a testnet without one). */
    sequencerUptimeFeed: z.union([vendor, mock, z.null()]),
    sequencerNote: z.string().optional(),
    markets: z
      .array(
        z
          .object({
            /** The market id, e.g. "ETH-USD" (bytes32 on chain). */
            id: z.string().min(3).max(31),
            /** Whole dollars: sizes the risk limits (`marketConfig`, `optionMarket`) and seeds the mocks. */
            referencePrice: z.number().int().positive(),
            oracle: z
              .object({
                /** Whole dollars: the band outside which a source is invalid. */
                minPrice: z.number().int().positive(),
                maxPrice: z.number().int().positive(),
                minSources: z.number().int().positive(),
                maxDeviationBps: z.number().int().positive(),
                maxJumpBps: z.number().int().positive(),
                recoveryReads: z.number().int().positive(),
              })
              .strict(),
            sources: z.array(z.discriminatedUnion("kind", [chainlinkSource, pythSource])).min(1),
            options: z.boolean(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const needsPyth = c.markets.some((m) => m.sources.some((s) => s.kind === "pyth"));
    if (needsPyth && !c.pyth)
      ctx.addIssue({ code: "custom", message: "a market has a Pyth source but pyth is not set" });
    for (const m of c.markets) {
      if (m.oracle.minSources > m.sources.length) {
        ctx.addIssue({
          code: "custom",
          message: `${m.id}: minSources ${m.oracle.minSources} > ${m.sources.length} sources`,
        });
      }
      if (m.oracle.minPrice >= m.oracle.maxPrice)
        ctx.addIssue({ code: "custom", message: `${m.id}: minPrice ≥ maxPrice` });
    }
  });

export type DeploymentConfig = z.infer<typeof DeploymentSchema>;
export type MarketParameters = DeploymentConfig["markets"][number];

export const NETWORKS = ["hardhat", "localhost", "sepolia", "arbitrum-sepolia", "base-sepolia"] as const;

export function parametersFile(network: string): string {
  return path.join(__dirname, "parameters", `${network}.json`);
}

/**
 * The parameters of `network`, with the roles from the environment when set. With `mocks`, every vendor contract is
 * replaced by its mock (the in-process chain standing in for a testnet). Throws a readable error listing every
 * problem, including roles still missing.
 */
export function loadDeployment(
  network: string,
  env: NodeJS.ProcessEnv,
  opts: { mocks?: boolean } = {},
): DeploymentConfig {
  const file = parametersFile(network);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`no deployment parameters for network "${network}" (${file}): ${(error as Error).message}`);
  }
  if (env.BULWARK_GOVERNORS) raw.governors = env.BULWARK_GOVERNORS.split(",").map((s) => s.trim());
  if (env.BULWARK_GUARDIAN) raw.guardian = env.BULWARK_GUARDIAN.trim();
  const parsed = DeploymentSchema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  if (parsed.success) {
    if (parsed.data.governors.length === 0) problems.push("governors: none (set BULWARK_GOVERNORS)");
    if (parsed.data.guardian === "") problems.push("guardian: not set (set BULWARK_GUARDIAN)");
  }
  if (problems.length > 0) throw new Error(`invalid deployment parameters in ${file}:\n  ${problems.join("\n  ")}`);
  return opts.mocks ? withMocks(parsed.data!) : parsed.data!;
}

/** `config` with every vendor contract replaced by its mock. */
export function withMocks(config: DeploymentConfig): DeploymentConfig {
  return {
    ...config,
    collateral: "mock",
    pyth: config.pyth ? "mock" : undefined,
    sequencerUptimeFeed: config.sequencerUptimeFeed === null ? null : "mock",
    markets: config.markets.map((m) => ({
      ...m,
      sources: m.sources.map((s) => (s.kind === "chainlink" ? { ...s, feed: "mock" as const } : s)),
    })),
  };
}

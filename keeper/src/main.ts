/**
 * `npm run keeper -- --config <file> [--dry-run] [--once]`: the operators' keeper (KPR-1 … KPR-7). Reads the
 * configuration file and the environment (`KEEPER_PRIVATE_KEY`, `KEEPER_RPC_URLS`, …; see `.env.example`), runs the
 * start-up checks, serves `/metrics` and `/health`, and ticks until SIGINT or SIGTERM, after which the transactions
 * in flight are seen through before it exits.
 */
import { Wallet } from "ethers";
import pino from "pino";
import { loadConfig } from "./config";
import { Keeper } from "./keeper";
import { KeeperMetrics, serveMetrics } from "./metrics";
import { RpcPool } from "./rpc";
import { IndexStore } from "./store";

const HELP = `Bulwark keeper: liquidates unhealthy accounts, executes and cancels orders, settles and redeems options.

Usage: npm run keeper -- --config <file.json> [--dry-run] [--once]

  --config <file>  JSON configuration (see keeper/config.example.json); the environment overrides it
  --dry-run        decide and simulate every action, send nothing
  --once           run one tick, wait for what it sent, and exit
  --help           this text

Environment: KEEPER_PRIVATE_KEY (required), KEEPER_RPC_URLS (comma-separated), KEEPER_DB_PATH, KEEPER_DRY_RUN,
KEEPER_LOG_LEVEL, KEEPER_METRICS_PORT. See .env.example.`;

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = [...argv];
  if (args.includes("--help") || args.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const at = args.indexOf("--config");
  const file = at >= 0 ? args[at + 1] : undefined;
  if (at >= 0 && !file) {
    console.error("--config needs a file\n\n" + HELP);
    return 2;
  }
  const known = new Set(["--config", "--dry-run", "--once", file]);
  const unknown = args.filter((a) => !known.has(a));
  if (unknown.length > 0) {
    console.error(`unknown argument(s): ${unknown.join(" ")}\n\n${HELP}`);
    return 2;
  }

  let loaded;
  try {
    loaded = loadConfig(file, { ...env, ...(args.includes("--dry-run") ? { KEEPER_DRY_RUN: "1" } : {}) });
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const { config, key } = loaded;
  const log = pino({ level: config.logLevel, base: { service: "bulwark-keeper" } });
  const metrics = new KeeperMetrics(true);
  const rpc = new RpcPool(
    config.rpcUrls,
    { chainId: config.chainId, ...config.rpc },
    {
      onRequest: (url) => metrics.rpcRequests.inc({ endpoint: url }),
      onDrop: (url, reason) => {
        metrics.rpcDrops.inc({ endpoint: url });
        log.warn({ url, reason }, "endpoint dropped");
      },
    },
  );
  const store = new IndexStore(config.dbPath);
  const keeper = new Keeper(config, rpc, store, new Wallet(key), metrics, log);
  let server: Awaited<ReturnType<typeof serveMetrics>>["server"] | undefined;
  try {
    await keeper.checkStartup();
    if (config.metrics) {
      const served = await serveMetrics(metrics, keeper, config.metrics.host, config.metrics.port);
      server = served.server;
      log.info({ port: served.port }, "metrics on /metrics, liveness on /health");
    }
    log.info({ signer: keeper.sender.address, dryRun: config.dryRun, shard: config.shard }, "keeper started");
    if (args.includes("--once")) {
      const report = await keeper.tick();
      await keeper.drain();
      log.info(report, "tick done");
    } else {
      const stop = (signal: string) => {
        log.info({ signal }, "stopping: finishing the transactions in flight");
        keeper.stop();
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
      await keeper.run();
    }
    log.info("keeper stopped");
    return 0;
  } catch (error) {
    log.fatal({ error: (error as Error).message }, "keeper failed");
    return 1;
  } finally {
    server?.close();
    rpc.destroy();
    store.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then((code) => {
    process.exitCode = code;
  });
}

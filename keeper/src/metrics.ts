/**
 * Operations (KPR-6): Prometheus metrics on `/metrics` and a liveness answer on `/health` (200 while the last
 * successful tick is recent, 503 otherwise, with the reason).
 */
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class KeeperMetrics {
  readonly registry = new Registry();
  readonly accountsTracked = new Gauge({
    name: "keeper_accounts_tracked",
    help: "Accounts in the index",
    registers: [this.registry],
  });
  readonly liquidatable = new Gauge({
    name: "keeper_liquidatable_accounts",
    help: "Accounts the lens reported liquidatable at the last tick",
    registers: [this.registry],
  });
  readonly liquidatableFound = new Counter({
    name: "keeper_liquidatable_found_total",
    help: "Liquidatable accounts found, counted once per account and episode",
    registers: [this.registry],
  });
  readonly actionsSent = new Counter({
    name: "keeper_actions_sent_total",
    help: "Transactions sent, by action",
    labelNames: ["action"],
    registers: [this.registry],
  });
  readonly actionsSucceeded = new Counter({
    name: "keeper_actions_succeeded_total",
    help: "Transactions mined successfully, by action",
    labelNames: ["action"],
    registers: [this.registry],
  });
  readonly actionsFailed = new Counter({
    name: "keeper_actions_failed_total",
    help: "Actions that failed or were skipped, by action and reason (a decoded custom error, no-op, reverted, ...)",
    labelNames: ["action", "reason"],
    registers: [this.registry],
  });
  readonly replacements = new Counter({
    name: "keeper_tx_replacements_total",
    help: "Stuck transactions replaced at the same nonce",
    registers: [this.registry],
  });
  readonly pendingNonces = new Gauge({
    name: "keeper_signer_pending_transactions",
    help: "The signer's transactions in the node's pool, not yet mined (pending minus mined nonce count)",
    registers: [this.registry],
  });
  readonly blockLag = new Gauge({
    name: "keeper_block_lag",
    help: "Chain head minus the last indexed block",
    registers: [this.registry],
  });
  readonly head = new Gauge({ name: "keeper_chain_head", help: "Best head seen", registers: [this.registry] });
  readonly reorgs = new Counter({
    name: "keeper_reorgs_total",
    help: "Reorgs rolled back",
    registers: [this.registry],
  });
  readonly eligibilityToInclusion = new Histogram({
    name: "keeper_eligibility_to_inclusion_seconds",
    help: "From the tick that first found an account liquidatable to the inclusion of its liquidation",
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly signerBalance = new Gauge({
    name: "keeper_signer_balance_wei",
    help: "Native balance of the keeper's signer",
    registers: [this.registry],
  });
  readonly rewards = new Counter({
    name: "keeper_rewards_earned_total",
    help: "Liquidation rewards and order fees earned, in collateral units",
    labelNames: ["action"],
    registers: [this.registry],
  });
  readonly rpcRequests = new Counter({
    name: "keeper_rpc_requests_total",
    help: "Requests per endpoint (one batch of calls counts once per call)",
    labelNames: ["endpoint"],
    registers: [this.registry],
  });
  readonly rpcDrops = new Counter({
    name: "keeper_rpc_endpoint_drops_total",
    help: "Times an endpoint was dropped, by endpoint",
    labelNames: ["endpoint"],
    registers: [this.registry],
  });
  readonly ticks = new Counter({
    name: "keeper_ticks_total",
    help: "Ticks by result",
    labelNames: ["result"],
    registers: [this.registry],
  });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}

export interface HealthSource {
  /** Undefined when healthy, else why not. */
  unhealthy(): string | undefined;
}

/** Serves `/metrics` and `/health` on `host:port` (port 0: any free port). Resolves to the bound port. */
export async function serveMetrics(
  metrics: KeeperMetrics,
  health: HealthSource,
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === "/metrics") {
      metrics.registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(body);
        })
        .catch((error) => {
          res.writeHead(500);
          res.end(String(error));
        });
      return;
    }
    if (req.url === "/health") {
      const problem = health.unhealthy();
      res.writeHead(problem ? 503 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(problem ? { status: "unhealthy", reason: problem } : { status: "ok" }));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return { server, port: typeof address === "object" && address ? address.port : port };
}

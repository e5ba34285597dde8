/**
 * Several JSON-RPC endpoints with failover (KPR-5). Every call goes to the best endpoint in service; one that
 * errors at the transport level, or lags more than `maxLagBlocks` behind the best head, is dropped for `cooldownMs`
 * and the call moves on to the next. A revert is the chain's answer, not an endpoint failure: it is passed on.
 */
import { FetchRequest, JsonRpcProvider, Network } from "ethers";
import { isTransportError } from "./errors";

export interface RpcOptions {
  chainId: number;
  maxLagBlocks: number;
  cooldownMs: number;
  timeoutMs: number;
}

interface Endpoint {
  url: string;
  provider: JsonRpcProvider;
  /** Out of service until this time (ms), after an error or a lag. */
  downUntil: number;
  head: number;
}

export interface RpcEvents {
  onRequest?(url: string): void;
  onDrop?(url: string, reason: string): void;
}

export class RpcPool {
  private readonly endpoints: Endpoint[];

  constructor(
    urls: readonly string[],
    private readonly opts: RpcOptions,
    private readonly events: RpcEvents = {},
    private readonly now: () => number = Date.now,
  ) {
    if (urls.length === 0) throw new Error("at least one RPC endpoint is needed");
    const network = Network.from(opts.chainId);
    this.endpoints = urls.map((url) => {
      const request = new FetchRequest(url);
      request.timeout = opts.timeoutMs;
      // A static network: a dead endpoint must not make the provider retry network detection forever. No read cache:
      // ethers shares identical reads for 250 ms by default, and a head, a log range or a block hash from before a
      // reorg would hide it; a nonce from before a send would repeat it.
      const provider = new JsonRpcProvider(request, network, {
        staticNetwork: network,
        batchMaxCount: 100,
        cacheTimeout: -1,
      });
      return { url, provider, downUntil: 0, head: 0 };
    });
  }

  /**
   * Reads every endpoint's head; drops those that fail or lag. Returns the best head. Throws when no endpoint
   * answers.
   */
  async refresh(): Promise<number> {
    const answered: Endpoint[] = [];
    // Endpoints in their cooldown are not asked: a hung one would make every tick wait out its timeout.
    const due = this.endpoints.filter((e) => e.downUntil <= this.now());
    await Promise.all(
      (due.length > 0 ? due : this.endpoints).map(async (e) => {
        try {
          this.events.onRequest?.(e.url);
          e.head = await e.provider.getBlockNumber();
          answered.push(e);
        } catch (error) {
          this.drop(e, `error: ${(error as Error).message?.slice(0, 80)}`);
        }
      }),
    );
    if (answered.length === 0) throw new Error("no RPC endpoint answered");
    const best = Math.max(...answered.map((e) => e.head));
    for (const e of answered) {
      if (best - e.head > this.opts.maxLagBlocks) this.drop(e, `lagging ${best - e.head} blocks`);
    }
    return best;
  }

  /**
   * Runs `fn` on the best endpoint in service; on a transport failure drops it and retries on the next. Reverts
   * and other answers of the chain are returned or thrown as they are.
   */
  async run<T>(fn: (provider: JsonRpcProvider) => Promise<T>): Promise<T> {
    let lastError: unknown = new Error("no RPC endpoint in service");
    for (const e of this.available()) {
      try {
        this.events.onRequest?.(e.url);
        return await fn(e.provider);
      } catch (error) {
        if (!isTransportError(error)) throw error;
        this.drop(e, `error: ${(error as Error).message?.slice(0, 80)}`);
        lastError = error;
      }
    }
    throw lastError;
  }

  /** Every endpoint's provider, for the start-up checks. */
  all(): { url: string; provider: JsonRpcProvider }[] {
    return this.endpoints.map(({ url, provider }) => ({ url, provider }));
  }

  destroy(): void {
    for (const e of this.endpoints) e.provider.destroy();
  }

  private available(): Endpoint[] {
    const t = this.now();
    const up = this.endpoints.filter((e) => e.downUntil <= t);
    // When every endpoint is down, try them all rather than none (the cooldown is a preference, not a ban).
    const pool = up.length > 0 ? up : [...this.endpoints];
    return pool.sort((a, b) => b.head - a.head);
  }

  private drop(e: Endpoint, reason: string): void {
    const wasUp = e.downUntil <= this.now();
    e.downUntil = this.now() + this.opts.cooldownMs;
    if (wasUp) this.events.onDrop?.(e.url, reason);
  }
}

/**
 * Sending (KPR-4): every action is simulated first (a revert is decoded: a race or a wait is skipped quietly, a
 * failure reported); then signed with the next nonce of the signer's own nonce manager (allocation and broadcast
 * are serialised, so a failed broadcast never leaves a gap), with EIP-1559 fees under a cap. A transaction not
 * mined within `replaceAfterMs` is sent again at the same nonce with fees bumped by `bumpPercent` (up to the cap);
 * whichever version is mined first ends the wait. Before a replacement the action is simulated again: one whose race
 * was lost meanwhile is replaced by a transfer to ourselves instead. A nonce held by a transaction nothing here
 * pursues (a killed run's, or one given up) is found by `nonces` and freed the same way by `cancelNonce`.
 */
import { type TransactionReceipt, type Wallet } from "ethers";
import { decodeRevert, isGasLimitError, revertData, type Verdict } from "./errors";
import type { RpcPool } from "./rpc";

/** `unstick`: a zero-value transfer to ourselves that frees a nonce held by a transaction not worth mining. */
export type ActionKind = "liquidate" | "execute" | "cancel" | "settle" | "redeem" | "poke" | "unstick";

export interface Action {
  /** Stops the same action from being in flight twice (`decide.actionKey`). */
  key: string;
  kind: ActionKind;
  to: string;
  data: string;
  /** From the simulated return data: whether the call would do anything (e.g. `liquidateMany` found someone). */
  wouldAct?: (returnData: string) => boolean;
}

export type Outcome =
  | { status: "included"; hash: string; receipt: TransactionReceipt; replacements: number }
  | { status: "reverted"; hash: string; receipt: TransactionReceipt }
  | { status: "skipped"; reason: string; verdict: Verdict }
  | { status: "failed"; reason: string }
  | { status: "dry-run" };

export interface FeeOptions {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  replaceAfterMs: number;
  bumpPercent: number;
}

export interface SenderHooks {
  onBroadcast?(action: Action, hash: string, nonce: number, maxFeePerGas: bigint): void;
  onReplaced?(action: Action, hash: string, nonce: number, maxFeePerGas: bigint): void;
}

export interface NonceState {
  /** Transactions of the signer mined. */
  mined: number;
  /** Mined plus those the node holds in its pool. */
  pending: number;
  /** How long `mined` has stayed below `pending` without moving (0 when nothing waits). */
  stalledForMs: number;
  /** Nonces waiting in the pool that no `submit` here pursues. */
  leftovers: number[];
}

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** The failure reason of an action too large for one transaction under the node's gas cap (split it). */
export const TOO_LARGE = "too-large";

const POLL_MS = 200;
/** The gas of a plain transfer. */
const NOOP_GAS = 21_000n;
/** A transaction still not mined after this many replacement periods is reported as failed (its nonce stays used). */
const GIVE_UP_PERIODS = 20;

export class Sender {
  private nextNonce: number | undefined;
  /** Nonces whose transactions a `submit` or `cancelNonce` here is sending or waiting on. */
  private readonly pursued = new Set<number>();
  /** Since when the mined count has stood at `mined` below the pending count. */
  private stall: { mined: number; since: number } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly rpc: RpcPool,
    private readonly wallet: Wallet,
    private readonly chainId: number,
    private readonly fees: FeeOptions,
    private readonly dryRun: boolean,
    private readonly hooks: SenderHooks = {},
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  get address(): string {
    return this.wallet.address;
  }

  /** Simulates, then (unless a dry run) sends `action` and waits for it to be mined. Never throws for a revert. */
  async submit(action: Action): Promise<Outcome> {
    const from = this.wallet.address;
    const why = await this.simulate(action);
    if (why?.verdict === "fault" || why?.verdict === "failure") return { status: "failed", reason: why.reason };
    if (why) return { status: "skipped", reason: why.reason, verdict: why.verdict };
    if (this.dryRun) return { status: "dry-run" };

    let gasLimit: bigint;
    try {
      gasLimit = ((await this.rpc.run((p) => p.estimateGas({ from, to: action.to, data: action.data }))) * 125n) / 100n;
    } catch (error) {
      if (isGasLimitError(error)) return { status: "failed", reason: TOO_LARGE };
      const decoded = decodeRevert(revertData(error));
      if (decoded.verdict !== "failure") return { status: "skipped", reason: decoded.name, verdict: decoded.verdict };
      return { status: "failed", reason: `estimate: ${decoded.name}` };
    }
    const fees = await this.currentFees();
    const first = await this.serial(() => this.broadcast(action, gasLimit, fees));
    if (typeof first === "string") return { status: "failed", reason: first };
    return this.pursue(action, first.nonce, gasLimit, fees, first);
  }

  /**
   * The signer's nonces (KPR-4): how long the mined count has stayed below the pending count without moving, and
   * which nonces in between no `submit` here is pursuing: a killed run's, or one given up as not mined. Those hold
   * up every later transaction until they are mined or replaced (`cancelNonce`).
   */
  async nonces(now: number): Promise<NonceState> {
    const address = this.wallet.address;
    const [mined, pending] = await this.rpc.run((p) =>
      Promise.all([p.getTransactionCount(address, "latest"), p.getTransactionCount(address, "pending")]),
    );
    if (mined >= pending) this.stall = undefined;
    else if (this.stall?.mined !== mined) this.stall = { mined, since: now };
    const leftovers: number[] = [];
    for (let n = mined; n < pending; n++) if (!this.pursued.has(n)) leftovers.push(n);
    return { mined, pending, stalledForMs: this.stall ? now - this.stall.since : 0, leftovers };
  }

  /**
   * Frees `nonce`, held in the pool by a transaction of ours that nothing here pursues, with a zero-value transfer
   * to ourselves. Its fees start from the current ones and step up by `bumpPercent` until the node accepts it as a
   * replacement (or the cap is reached: the old transaction pays more, and only waiting helps); then it is pursued
   * like any transaction.
   */
  async cancelNonce(nonce: number): Promise<Outcome> {
    if (this.dryRun) return { status: "dry-run" };
    const noop = this.noop(nonce);
    let fees = await this.currentFees();
    for (;;) {
      const signed = await this.sign(noop, nonce, NOOP_GAS, fees);
      try {
        const hash = await this.rpc.run((p) => p.send("eth_sendRawTransaction", [signed]));
        this.hooks.onReplaced?.(noop, hash, nonce, fees.maxFeePerGas);
        return await this.pursue(noop, nonce, NOOP_GAS, fees, { hash, signed });
      } catch (error) {
        const mined = await this.rpc.run((p) => p.getTransactionCount(this.wallet.address, "latest"));
        if (mined > nonce) return { status: "skipped", reason: "mined meanwhile", verdict: "race" };
        const bumped = this.bump(fees);
        if (sameFees(bumped, fees)) return { status: "failed", reason: `underpriced at the fee cap: ${short(error)}` };
        fees = bumped;
      }
    }
  }

  /**
   * Waits for the transaction at `nonce` to be mined, replacing it every `replaceAfterMs` at bumped fees (the same
   * one again at the cap, in case a node dropped it). Before each replacement the action is simulated again: one
   * that would no longer act (a race lost meanwhile) is replaced by a transfer to ourselves, which costs 21,000 gas
   * where a revert would cost the whole call.
   */
  private async pursue(
    action: Action,
    nonce: number,
    gasLimit: bigint,
    fees: Fees,
    first: { hash: string; signed: string },
  ): Promise<Outcome> {
    this.pursued.add(nonce);
    try {
      const hashes = [first.hash];
      let signed = first.signed;
      // Set once the action is stale: from then on the transfer to ourselves is what gets sent.
      let dropped: { hashes: Set<string>; reason: string; noop: Action } | undefined;
      for (let period = 0; period < GIVE_UP_PERIODS; period++) {
        const receipt = await this.waitAny(hashes, this.fees.replaceAfterMs);
        if (receipt) {
          if (dropped?.hashes.has(receipt.hash)) return { status: "skipped", reason: dropped.reason, verdict: "race" };
          if (receipt.status === 1)
            return { status: "included", hash: receipt.hash, receipt, replacements: hashes.length - 1 };
          return { status: "reverted", hash: receipt.hash, receipt };
        }
        if (!dropped && action.kind !== "unstick") {
          const reason = await this.stale(action);
          if (reason !== undefined) {
            dropped = { hashes: new Set(), reason, noop: this.noop(nonce) };
            gasLimit = NOOP_GAS;
          }
        }
        const current = dropped?.noop ?? action;
        const bumped = this.bump(fees);
        if (!sameFees(bumped, fees) || dropped) {
          fees = bumped;
          signed = await this.sign(current, nonce, gasLimit, fees);
        }
        try {
          // At the cap the same transaction is sent again, in case a node dropped it from its pool.
          const hash = await this.rpc.run((p) => p.send("eth_sendRawTransaction", [signed]));
          dropped?.hashes.add(hash);
          if (!hashes.includes(hash)) {
            hashes.push(hash);
            this.hooks.onReplaced?.(current, hash, nonce, fees.maxFeePerGas);
          }
        } catch {
          // Mined meanwhile (nonce too low), or already known: the wait finds out.
        }
      }
    } finally {
      this.pursued.delete(nonce);
    }
    // Given up: the nonce may be free again (the transaction dropped); the node's count decides the next one. If it
    // is still held, `nonces` reports it among the leftovers.
    await this.serial(async () => {
      this.nextNonce = undefined;
    });
    return { status: "failed", reason: "not mined" };
  }

  /**
   * Why `action` would not do anything now: a decoded revert (race, wait or failure), a no-op by its `wouldAct`, or
   * an endpoint fault (no answer); undefined when it would act.
   */
  private async simulate(action: Action): Promise<{ reason: string; verdict: Verdict | "fault" } | undefined> {
    const from = this.wallet.address;
    try {
      const returned = await this.rpc.run((p) => p.call({ from, to: action.to, data: action.data }));
      return action.wouldAct && !action.wouldAct(returned) ? { reason: "no-op", verdict: "race" } : undefined;
    } catch (error) {
      const data = revertData(error);
      if (data === undefined) return { reason: `simulation: ${short(error)}`, verdict: "fault" };
      const decoded = decodeRevert(data);
      return { reason: decoded.name, verdict: decoded.verdict };
    }
  }

  /** Why `action`, in flight, is no longer worth mining (a race lost, a wait); a fault or failure is no reason. */
  private async stale(action: Action): Promise<string | undefined> {
    const why = await this.simulate(action);
    return why?.verdict === "race" || why?.verdict === "wait" ? why.reason : undefined;
  }

  /** A zero-value transfer to ourselves: what frees a nonce. */
  noop(nonce: number): Action {
    return { key: `nonce:${nonce}`, kind: "unstick", to: this.wallet.address, data: "0x" };
  }

  /** The next nonce this signer will use. */
  private async pendingNonce(): Promise<number> {
    return this.nextNonce ?? this.rpc.run((p) => p.getTransactionCount(this.wallet.address, "pending"));
  }

  private async broadcast(
    action: Action,
    gasLimit: bigint,
    fees: Fees,
  ): Promise<{ nonce: number; hash: string; signed: string } | string> {
    const nonce = await this.pendingNonce();
    const signed = await this.sign(action, nonce, gasLimit, fees);
    // Pursued from now on, so `nonces` never takes a transaction being sent for a leftover.
    this.pursued.add(nonce);
    try {
      const hash = await this.rpc.run((p) => p.send("eth_sendRawTransaction", [signed]));
      this.nextNonce = nonce + 1;
      this.hooks.onBroadcast?.(action, hash, nonce, fees.maxFeePerGas);
      return { nonce, hash, signed };
    } catch (error) {
      // The node's view of our nonce differs (another process used this key, or a restart): read it again.
      this.pursued.delete(nonce);
      this.nextNonce = undefined;
      return `broadcast: ${short(error)}`;
    }
  }

  private sign(action: Action, nonce: number, gasLimit: bigint, fees: Fees): Promise<string> {
    return this.wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce,
      to: action.to,
      data: action.data,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
  }

  /** Twice the latest base fee plus the tip, under the cap. */
  private async currentFees(): Promise<Fees> {
    const block = await this.rpc.run((p) => p.getBlock("latest"));
    const base = block?.baseFeePerGas ?? 0n;
    const cap = this.fees.maxFeePerGas;
    const maxFeePerGas = min(cap, 2n * base + this.fees.maxPriorityFeePerGas);
    return { maxFeePerGas, maxPriorityFeePerGas: min(this.fees.maxPriorityFeePerGas, maxFeePerGas) };
  }

  private bump(f: Fees): Fees {
    const up = (v: bigint) => (v * BigInt(100 + this.fees.bumpPercent) + 99n) / 100n;
    const maxFeePerGas = min(this.fees.maxFeePerGas, up(f.maxFeePerGas));
    return { maxFeePerGas, maxPriorityFeePerGas: min(maxFeePerGas, up(f.maxPriorityFeePerGas)) };
  }

  private async waitAny(hashes: readonly string[], ms: number): Promise<TransactionReceipt | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      for (const hash of hashes) {
        const receipt = await this.rpc.run((p) => p.getTransactionReceipt(hash)).catch(() => null);
        if (receipt) return receipt;
      }
      if (Date.now() >= until) return undefined;
      await this.sleep(POLL_MS);
    }
  }

  /** Runs `fn` after every earlier call of `serial` finished. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function sameFees(a: Fees, b: Fees): boolean {
  return a.maxFeePerGas === b.maxFeePerGas && a.maxPriorityFeePerGas === b.maxPriorityFeePerGas;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function short(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split("\n")[0].slice(0, 120);
}

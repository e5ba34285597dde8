/**
 * Sending (KPR-4): every action is simulated first (a revert is decoded: a race or a wait is skipped quietly, a
 * failure reported); then signed with the next nonce of the signer's own nonce manager (allocation and broadcast
 * are serialised, so a failed broadcast never leaves a gap), with EIP-1559 fees under a cap. A transaction not
 * mined within `replaceAfterMs` is sent again at the same nonce with fees bumped by `bumpPercent` (up to the cap);
 * whichever version is mined first ends the wait.
 */
import { type TransactionReceipt, type Wallet } from "ethers";
import { decodeRevert, isGasLimitError, revertData, type Verdict } from "./errors";
import type { RpcPool } from "./rpc";

export type ActionKind = "liquidate" | "execute" | "cancel" | "settle" | "redeem" | "poke";

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

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** The failure reason of an action too large for one transaction under the node's gas cap (split it). */
export const TOO_LARGE = "too-large";

const POLL_MS = 200;
/** A transaction still not mined after this many replacement periods is reported as failed (its nonce stays used). */
const GIVE_UP_PERIODS = 20;

export class Sender {
  private nextNonce: number | undefined;
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
    let returned: string;
    try {
      returned = await this.rpc.run((p) => p.call({ from, to: action.to, data: action.data }));
    } catch (error) {
      const data = revertData(error);
      if (data === undefined) return { status: "failed", reason: `simulation: ${short(error)}` };
      const decoded = decodeRevert(data);
      if (decoded.verdict === "failure") return { status: "failed", reason: decoded.name };
      return { status: "skipped", reason: decoded.name, verdict: decoded.verdict };
    }
    if (action.wouldAct && !action.wouldAct(returned)) return { status: "skipped", reason: "no-op", verdict: "race" };
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
    let fees = await this.currentFees();
    const first = await this.serial(() => this.broadcast(action, gasLimit, fees));
    if (typeof first === "string") return { status: "failed", reason: first };
    const { nonce } = first;
    const hashes = [first.hash];
    let signed = first.signed;
    for (let period = 0; period < GIVE_UP_PERIODS; period++) {
      const receipt = await this.waitAny(hashes, this.fees.replaceAfterMs);
      if (receipt) {
        if (receipt.status === 1)
          return { status: "included", hash: receipt.hash, receipt, replacements: hashes.length - 1 };
        return { status: "reverted", hash: receipt.hash, receipt };
      }
      const bumped = this.bump(fees);
      const atCap =
        bumped.maxFeePerGas === fees.maxFeePerGas && bumped.maxPriorityFeePerGas === fees.maxPriorityFeePerGas;
      if (!atCap) {
        fees = bumped;
        signed = await this.sign(action, nonce, gasLimit, fees);
      }
      try {
        // At the cap the same transaction is sent again, in case a node dropped it from its pool.
        const hash = await this.rpc.run((p) => p.send("eth_sendRawTransaction", [signed]));
        if (!hashes.includes(hash)) {
          hashes.push(hash);
          this.hooks.onReplaced?.(action, hash, nonce, fees.maxFeePerGas);
        }
      } catch {
        // Mined meanwhile (nonce too low), or already known: the wait finds out.
      }
    }
    // Given up: the nonce may be free again (the transaction dropped); the node's count decides the next one.
    await this.serial(async () => {
      this.nextNonce = undefined;
    });
    return { status: "failed", reason: "not mined" };
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
    try {
      const hash = await this.rpc.run((p) => p.send("eth_sendRawTransaction", [signed]));
      this.nextNonce = nonce + 1;
      this.hooks.onBroadcast?.(action, hash, nonce, fees.maxFeePerGas);
      return { nonce, hash, signed };
    } catch (error) {
      // The node's view of our nonce differs (another process used this key, or a restart): read it again.
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

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function short(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split("\n")[0].slice(0, 120);
}

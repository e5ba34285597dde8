/**
 * The system the invariant suite drives: the whole protocol (perps on ETH-USD and BTC-USD, options with four series,
 * the pool, margin accounts, limiter, pause registry, governance), four traders, two LPs and a keeper, and a chain
 * driver that owns the clock.
 *
 * Speed (INV-3's bench): every transaction is one `eth_sendTransaction` with a fixed gas limit from an unlocked
 * account (no estimate, no nonce or fee look-ups), stamped `now + 1` so that the model knows every block time;
 * state is read through `ViewBatch`, many views in one `eth_call`, on the pending block, so an observation made
 * before a transaction sees exactly the time that transaction will run at.
 */
import { ethers, network } from "hardhat";
import { type BaseContract, type FunctionFragment, Interface, type Result } from "ethers";
import { setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { seriesId } from "../../deploy/options";
import {
  AccessManager__factory,
  BulwarkTimelock__factory,
  MockUSDC__factory,
  ViewBatch__factory,
  type ViewBatch,
} from "../../typechain-types";
import { BTC, ETH } from "../helpers/fixtures";
import { DAY, hourAfter, HOUR } from "../helpers/options";
import { protocolFixture, usd, usdc } from "../helpers/perps";
import { execute, schedule, waitDelay } from "../helpers/timelock";

export interface SeriesSpec {
  id: bigint;
  market: string;
  strike: bigint;
  expiry: bigint;
  isCall: boolean;
  /** The most one unit can pay (the cap of a call, the strike of a put), 18-decimal USD. */
  maxPayoff: bigint;
}

/** The protocol with four option series listed through the timelock, and a second LP. */
export async function systemFixture() {
  const f = await protocolFixture();
  const options = f.options!;
  const lp2 = (await ethers.getSigners())[9];
  await f.usdc.mint(lp2.address, usdc(10_000_000));
  await f.usdc.connect(lp2).approve(f.pool, ethers.MaxUint256);
  await f.pool.connect(lp2).deposit(usdc(250_000), lp2.address);
  // Both LPs' shares are past their holding time when the runs begin.
  await time.increase(DAY);
  await f.setPrices(3_000n);
  const near = await hourAfter(3n * HOUR);
  const far = await hourAfter(12n * HOUR);
  const specs = [
    { market: ETH, strike: usd(3_000), expiry: near, isCall: true, maxPayoff: usd(3_000) },
    { market: ETH, strike: usd(3_000), expiry: near, isCall: false, maxPayoff: usd(3_000) },
    { market: ETH, strike: usd(2_900), expiry: far, isCall: false, maxPayoff: usd(2_900) },
    { market: BTC, strike: usd(60_000), expiry: far, isCall: true, maxPayoff: usd(30_000) },
  ];
  const target = await options.getAddress();
  const op = await schedule(
    f.timelock,
    f.governor,
    specs.map((s) => ({
      target,
      data: options.interface.encodeFunctionData("listSeries", [
        s.market,
        s.strike,
        s.expiry,
        s.isCall,
        s.isCall ? s.maxPayoff : 0n,
      ]),
    })),
  );
  await waitDelay(f.timelock);
  await f.setPrices(3_000n);
  await execute(f.timelock, f.governor, op);
  const series: SeriesSpec[] = specs.map((s) => ({ ...s, id: seriesId(s.market, s.strike, s.expiry, s.isCall) }));

  await setBalance(f.keeper.address, 10n ** 24n);
  await f.setPrices(3_000n);
  await f.aggregator.poke(ETH);
  await f.aggregator.poke(BTC);
  const batch = await new ViewBatch__factory(f.deployer).deploy();
  return { ...f, options, series, lp2, batch };
}

export type System = Awaited<ReturnType<typeof systemFixture>>;

/** A decoded revert: the custom error's name and arguments ("Revert" with the raw data when unknown). */
export interface Failure {
  error: string;
  args: Result | string;
}

export type Outcome = { ok: true; hash: string } | ({ ok: false } & Failure);

const GAS = "0xB71B00"; // 12,000,000

/** Every custom error the protocol's contracts (and the OpenZeppelin bases they use) can revert with. */
function errorBook(contracts: BaseContract[]): Map<string, Interface> {
  const book = new Map<string, Interface>();
  const interfaces = [
    ...contracts.map((c) => c.interface as Interface),
    AccessManager__factory.createInterface(),
    BulwarkTimelock__factory.createInterface(),
    MockUSDC__factory.createInterface(),
  ];
  for (const iface of interfaces) iface.forEachError((e) => book.set(e.selector, iface));
  return book;
}

/** The chain as the model sees it: a clock it owns, transactions and batched reads. */
export class Chain {
  private readonly errors: Map<string, Interface>;
  private readonly batchAddress: string;

  constructor(
    readonly sys: System,
    /** The time of the latest block; the next transaction runs at `now + 1`. */
    public now: bigint,
    private readonly batch: ViewBatch,
    batchAddress: string,
  ) {
    this.batchAddress = batchAddress;
    this.errors = errorBook([
      sys.engine,
      sys.accounts,
      sys.pool,
      sys.options,
      sys.aggregator,
      sys.pauseRegistry,
      sys.limiter,
      sys.markets,
      sys.pythAdapter,
    ]);
  }

  static async start(sys: System): Promise<Chain> {
    const latest = await ethers.provider.getBlock("latest");
    return new Chain(sys, BigInt(latest!.timestamp), sys.batch, await sys.batch.getAddress());
  }

  decode(data: string): Failure {
    const iface = this.errors.get(data.slice(0, 10));
    const parsed = iface?.parseError(data);
    return parsed ? { error: parsed.name, args: parsed.args } : { error: "Revert", args: data };
  }

  /** Sends one transaction in its own block, one second after the last. */
  async tx(from: string, to: string, data: string, value = 0n): Promise<Outcome> {
    this.now += 1n;
    await network.provider.request({ method: "evm_setNextBlockTimestamp", params: [Number(this.now)] });
    const request = { from, to, data, gas: GAS, value: ethers.toQuantity(value) };
    try {
      const hash = (await network.provider.request({ method: "eth_sendTransaction", params: [request] })) as string;
      return { ok: true, hash };
    } catch (e) {
      const raw = (e as { data?: unknown }).data;
      if (typeof raw !== "string") throw e;
      return { ok: false, ...this.decode(raw) };
    }
  }

  /** Lets `seconds` pass; nothing is mined until the next transaction. */
  advance(seconds: bigint): void {
    this.now += seconds;
  }

  /** Mines an empty block at `now`, so that reads of the latest block see the time that has passed. */
  async mine(): Promise<void> {
    await network.provider.request({ method: "evm_mine", params: [Number(this.now)] });
  }

  /** The logs of a mined transaction. */
  async logs(hash: string): Promise<{ address: string; topics: string[]; data: string }[]> {
    const receipt = (await network.provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) as {
      logs: { address: string; topics: string[]; data: string }[];
    };
    return receipt.logs;
  }

  /**
   * Reads many views in one call. `at: "next"` evaluates them at `now + 1`, the time the next transaction will run
   * at; `"latest"` at the latest block.
   */
  async read(calls: View[], at: "next" | "latest"): Promise<ViewResult[]> {
    if (at === "next") {
      await network.provider.request({ method: "evm_setNextBlockTimestamp", params: [Number(this.now + 1n)] });
    }
    const data = this.batch.interface.encodeFunctionData("read", [
      calls.map((c) => ({ target: c.target, data: c.data })),
    ]);
    const out = (await network.provider.request({
      method: "eth_call",
      params: [{ to: this.batchAddress, data, gas: "0xF00000" }, at === "next" ? "pending" : "latest"],
    })) as string;
    const [results] = this.batch.interface.decodeFunctionResult("read", out);
    return (results as { ok: boolean; data: string }[]).map((r, i) => {
      if (!r.ok) return { ok: false, ...this.decode(r.data) };
      const call = calls[i];
      if (call.word) return { ok: true, value: decodeWord(call.word, r.data) };
      const decoded = call.iface.decodeFunctionResult(call.fn, r.data);
      return { ok: true, value: decoded.length === 1 ? decoded[0] : decoded };
    });
  }
}

export interface View {
  target: string;
  data: string;
  iface: Interface;
  fn: FunctionFragment;
  /** How to decode a lone word without the ABI coder (most views return one). */
  word?: "uint" | "int" | "bool" | "address";
}

export type ViewResult = { ok: true; value: unknown } | ({ ok: false } & Failure);

const views = new Map<string, View>();

/**
 * A view call of `fn(...args)` on `contract` at `address`, for `Chain.read`. Encoded once per distinct call: the
 * suite reads the same views after every command, and the ABI coder is most of a batch read's cost.
 */
export function view(contract: BaseContract, address: string, fn: string, args: unknown[] = []): View {
  const key = `${address}.${fn}(${args.map(String).join(",")})`;
  let cached = views.get(key);
  if (!cached) {
    const iface = contract.interface as Interface;
    const fragment = iface.getFunction(fn, args)!;
    const outputs = fragment.outputs;
    const type = outputs.length === 1 ? outputs[0].type : "";
    const word = /^uint\d+$/.test(type)
      ? "uint"
      : /^int\d+$/.test(type)
        ? "int"
        : type === "bool" || type === "address"
          ? type
          : undefined;
    cached = { target: address, data: iface.encodeFunctionData(fragment, args), iface, fn: fragment, word };
    views.set(key, cached);
  }
  return cached;
}

function decodeWord(kind: NonNullable<View["word"]>, data: string): unknown {
  const x = BigInt(data.slice(0, 66));
  if (kind === "uint") return x;
  if (kind === "int") return BigInt.asIntN(256, x);
  if (kind === "bool") return x !== 0n;
  return ethers.getAddress(`0x${data.slice(26, 66)}`);
}

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
import { type BaseContract, type FunctionFragment, Interface, type ParamType, type Result } from "ethers";
import { setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { seriesId } from "../../deploy/options";
import {
  AccessManager__factory,
  BulwarkTimelock__factory,
  MockUSDC__factory,
  ViewBatch__factory,
} from "../../typechain-types";
import { BTC, ETH } from "../helpers/fixtures";
import { DAY, hourAfter, HOUR } from "../helpers/options";
import { freshTrader, protocolFixture, usd, usdc } from "../helpers/perps";
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
  // Both LPs' shares are past their holding time when the runs begin. The clock moves to a midnight (UTC), so every
  // campaign meets the same times whatever the wall clock says: the series' expiries lie on the hour grid, and a
  // replay must reach them at the same moments (and a listing must not miss its earliest expiry by seconds).
  await time.increaseTo(((BigInt(await time.latest()) + DAY) / DAY + 1n) * DAY);
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

  // Four traders with $20,000 of margin each (and USDC to add more): what their margin allows, not the pool's cash,
  // bounds their orders, so they trade at high leverage and price moves of a few percent make them liquidatable.
  const traders = [];
  for (let i = 0; i < 4; i++) {
    const trader = await freshTrader(f, i, usdc(20_000));
    await f.usdc.mint(trader.address, usdc(1_000_000));
    await f.usdc.connect(trader).approve(options, ethers.MaxUint256);
    traders.push(trader);
  }
  await setBalance(f.keeper.address, 10n ** 24n);
  await f.setPrices(3_000n);
  await f.aggregator.poke(ETH);
  await f.aggregator.poke(BTC);
  const batch = await new ViewBatch__factory(f.deployer).deploy();
  return { ...f, options, series, lp2, traders, batch };
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

  constructor(
    readonly sys: System,
    /** The time of the latest block; the next transaction runs at `now + 1`. */
    public now: bigint,
    private readonly batchAddress: string,
  ) {
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
    return new Chain(sys, BigInt(latest!.timestamp), await sys.batch.getAddress());
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
    const out = (await network.provider.request({
      method: "eth_call",
      params: [
        { to: this.batchAddress, data: `0x${calls.map((c) => c.packed).join("")}`, gas: "0xF00000" },
        at === "next" ? "pending" : "latest",
      ],
    })) as string;
    // The batch's packed answer: per call, ok (1 byte), length (4 bytes), data.
    let k = 2;
    return calls.map((call) => {
      const good = out.slice(k, k + 2) === "01";
      const length = parseInt(out.slice(k + 2, k + 10), 16) * 2;
      const data = out.slice(k + 10, k + 10 + length);
      k += 10 + length;
      if (!good) return { ok: false, ...this.decode(`0x${data}`) };
      return { ok: true, value: call.decode(data) };
    });
  }
}

export interface View {
  /** The call as `ViewBatch` takes it: target, length, calldata, in hex without `0x`. */
  packed: string;
  /** Decodes the call's return data (hex without `0x`). */
  decode: (data: string) => unknown;
}

export type ViewResult = { ok: true; value: unknown } | ({ ok: false } & Failure);

const views = new Map<string, View>();

/**
 * A view call of `fn(...args)` on `contract` at `address`, for `Chain.read`, encoded and given its decoder once per
 * distinct call: the suite reads the same views after every command, and the ABI coder was most of an invariant
 * check's cost.
 */
export function view(contract: BaseContract, address: string, fn: string, args: unknown[] = []): View {
  const key = `${address}.${fn}(${args.map(String).join(",")})`;
  let cached = views.get(key);
  if (!cached) {
    const iface = contract.interface as Interface;
    const fragment = iface.getFunction(fn, args)!;
    const data = iface.encodeFunctionData(fragment, args).slice(2);
    if (data.length / 2 > 0xffff) throw new Error(`${key}: calldata longer than ViewBatch's 2-byte length`);
    const length = (data.length / 2).toString(16).padStart(4, "0");
    cached = { packed: `${address.slice(2)}${length}${data}`, decode: decoder(fragment) };
    views.set(key, cached);
  }
  return cached;
}

/**
 * Return data's decoder for `fn`, word by word: its outputs must be fixed-size values, tuples of them, or dynamic
 * arrays of those (every view the suite reads). A lone output is returned as itself, several as an array that also
 * carries their names, as ethers does.
 */
function decoder(fn: FunctionFragment): View["decode"] {
  if (!fn.outputs.every((t) => words(t) !== undefined || isArrayOfFixed(t))) {
    throw new Error(`${fn.format()}: an output the suite cannot decode word by word`);
  }
  const read = (data: string) => readTuple(fn.outputs, data, 0);
  return fn.outputs.length === 1 ? (data) => read(data)[0] : read;
}

/** The size in words of a fixed-size type, `undefined` for a dynamic one. */
function words(t: ParamType): number | undefined {
  if (t.isTuple()) {
    let n = 0;
    for (const c of t.components) {
      const w = words(c);
      if (w === undefined) return undefined;
      n += w;
    }
    return n;
  }
  if (t.isArray()) {
    const w = t.arrayLength >= 0 ? words(t.arrayChildren) : undefined;
    return w === undefined ? undefined : w * t.arrayLength;
  }
  return t.baseType === "string" || t.baseType === "bytes" ? undefined : 1;
}

function isArrayOfFixed(t: ParamType): boolean {
  return t.isArray() && t.arrayLength === -1 && words(t.arrayChildren) !== undefined;
}

/** Reads `types` as a tuple whose head starts at word `at` of `data`. */
function readTuple(types: readonly ParamType[], data: string, at: number): unknown[] {
  const out: unknown[] = [];
  const named = out as unknown as Record<string, unknown>;
  let w = at;
  for (const t of types) {
    let value: unknown;
    if (isArrayOfFixed(t)) {
      const start = at + Number(word(data, w)) / 32;
      const length = Number(word(data, start));
      const child = t.arrayChildren!;
      const size = words(child)!;
      value = Array.from({ length }, (_, i) => readFixed(child, data, start + 1 + i * size));
      w += 1;
    } else {
      value = readFixed(t, data, w);
      w += words(t)!;
    }
    out.push(value);
    if (t.name) named[t.name] = value;
  }
  return out;
}

function readFixed(t: ParamType, data: string, at: number): unknown {
  if (t.isTuple()) return readTuple(t.components, data, at);
  if (t.isArray()) {
    const size = words(t.arrayChildren)!;
    return Array.from({ length: t.arrayLength }, (_, i) => readFixed(t.arrayChildren, data, at + i * size));
  }
  const x = word(data, at);
  const type = t.baseType;
  if (type.startsWith("uint")) return x;
  if (type.startsWith("int")) return BigInt.asIntN(256, x);
  if (type === "bool") return x !== 0n;
  if (type === "address") return address(data.slice(at * 64 + 24, at * 64 + 64));
  return `0x${data.slice(at * 64, at * 64 + 2 * Number(type.slice(5)))}`; // bytesN, left-aligned
}

function word(data: string, at: number): bigint {
  return BigInt(`0x${data.slice(at * 64, at * 64 + 64)}`);
}

const addresses = new Map<string, string>();

/** A checksummed address, each computed once. */
function address(hex: string): string {
  let a = addresses.get(hex);
  if (!a) {
    a = ethers.getAddress(`0x${hex}`);
    addresses.set(hex, a);
  }
  return a;
}

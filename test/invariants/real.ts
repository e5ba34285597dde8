/**
 * The real side of the model-based suite: the system, the chain driver, the actors and the addresses, and the
 * helpers the commands use to send, observe and compare.
 */
import type { BaseContract } from "ethers";
import { Chain, type Outcome, type System, view, type View, type ViewResult } from "./system";
import type { Memory } from "./invariants";
import type { Model, Prediction } from "./model";

export interface Real {
  sys: System;
  chain: Chain;
  /** The contracts by name. */
  contracts: Record<keyof Real["at"], BaseContract>;
  /** Contract addresses by name. */
  at: Record<
    | "engine"
    | "accounts"
    | "pool"
    | "options"
    | "aggregator"
    | "registry"
    | "limiter"
    | "markets"
    | "lens"
    | "usdc"
    | "timelock",
    string
  >;
  traders: string[];
  lps: string[];
  keeper: string;
  guardian: string;
  governor: string;
  deployer: string;
  /** The timelock's delay. */
  delay: bigint;
  /** What the invariants remember between checks. */
  memory: Memory;
  /** An extra invariant a campaign checks after every command. */
  extraInvariant?: (m: Model, r: Real) => Promise<void>;
}

export async function makeReal(sys: System): Promise<Real> {
  const contracts = {
    engine: sys.engine,
    accounts: sys.accounts,
    pool: sys.pool,
    options: sys.options,
    aggregator: sys.aggregator,
    registry: sys.pauseRegistry,
    limiter: sys.limiter,
    markets: sys.markets,
    lens: sys.lens,
    usdc: sys.usdc,
    timelock: sys.timelock,
  };
  const names = Object.keys(contracts) as (keyof typeof contracts)[];
  const addresses = await Promise.all(names.map((n) => contracts[n].getAddress()));
  return {
    sys,
    chain: await Chain.start(sys),
    contracts,
    at: Object.fromEntries(names.map((n, i) => [n, addresses[i]])) as Real["at"],
    traders: sys.traders.map((s) => s.address),
    lps: [sys.lp.address, sys.lp2.address],
    keeper: sys.keeper.address,
    guardian: sys.guardian.address,
    governor: sys.governor.address,
    deployer: sys.deployer.address,
    delay: await sys.timelock.getMinDelay(),
    memory: { lastFundingAt: [0n, 0n], windowStart: [0n, 0n], expiryPrices: new Map(), health: new Map() },
  };
}

/** Sends `fn(...args)` of `contract` (at `to`) from `from`. */
export function send(
  r: Real,
  from: string,
  contract: BaseContract,
  to: string,
  fn: string,
  args: unknown[],
  value = 0n,
) {
  return r.chain.tx(from, to, contract.interface.encodeFunctionData(fn, args), value);
}

/** A view of one of the system's contracts by name. */
export function v(r: Real, name: keyof Real["at"], fn: string, args: unknown[] = []): View {
  return view(r.contracts[name], r.at[name], fn, args);
}

/** The value of a view that must have answered. */
export function ok<T>(result: ViewResult, what: string): T {
  if (!result.ok) throw new Error(`the view ${what} reverted with ${result.error}`);
  return result.value as T;
}

/**
 * INV-PRED-1: compares a transaction's outcome with the model's prediction; throws (failing the run) on any difference, naming
 * the command. Counts outcomes for the campaign's report.
 */
export function expectOutcome(m: Model, outcome: Outcome, predicted: Prediction, label: string): void {
  m.stats.transactions++;
  const got = outcome.ok ? null : outcome.error;
  if (predicted.length > 1) m.stats.edges++;
  if (!predicted.includes(got)) {
    const expected = predicted.map((p) => p ?? "success").join(" or ");
    const detail = outcome.ok ? "success" : `${outcome.error}(${String(outcome.args)})`;
    throw new Error(`${label}: the model predicted ${expected}, the chain gave ${detail}`);
  }
  m.count(`${label.split("(")[0]}: ${got ?? "ok"}`);
}

/**
 * A fuzz campaign of the model-based suite (INV-2, INV-3): `runs` random command sequences, each from the same
 * snapshot of the whole protocol with a fresh model, every global invariant checked after every command. A failure
 * reports the seed and path that replay it exactly and the shrunk command list. `npm test` runs a short profile,
 * `npm run fuzz` the long ones.
 */
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { DEV_LIMITS } from "../../deploy/feeds";
import { BTC, ETH } from "../helpers/fixtures";
import { Action, DERISKING, mask } from "../helpers/actions";
import { SCOPES } from "../helpers/pause-model";
import { CHAINLINK_STALENESS, PYTH_STALENESS } from "../helpers/oracle";
import * as C from "./commands";
import { GOVERNED } from "./invariants";
import { Model } from "./model";
import { makeReal, type Real } from "./real";
import { systemFixture } from "./system";

const trader = fc.nat(3);
const market = fc.nat(1);
const series = fc.nat(3);
const lp = fc.nat(1);
/** A share of what the state allows, in bps: mostly well within it, sometimes well beyond it. */
const share = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 100n, max: 9_000n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 11_000n, max: 30_000n }) },
);
/** A share of a holding or position: up to all of it, rarely more. */
const part = fc.oneof(
  { weight: 9, arbitrary: fc.bigInt({ min: 1n, max: 10_000n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 10_001n, max: 15_000n }) },
);
const rarely = fc.integer({ min: 0, max: 9 }).map((x) => x === 0);
const refresh = fc.integer({ min: 0, max: 4 }).map((x) => x !== 0);
/** Whole dollars up to `max`; now and then zero, which is refused. */
const dollars = (max: bigint) =>
  fc.oneof({ weight: 9, arbitrary: fc.bigInt({ min: 1n, max }) }, { weight: 1, arbitrary: fc.constant(0n) });
/** `arbitrary` listed `n` times: drawn `n` times as often as a command listed once. */
const times = <T>(n: number, arbitrary: fc.Arbitrary<T>) => Array<fc.Arbitrary<T>>(n).fill(arbitrary);
const ACTIONS = [...Array(10).keys()] as Action[];
const actions = fc.subarray(ACTIONS, { minLength: 1, maxLength: 3 }).map((a) => mask(...a));

/** Every command of the suite, with its arguments' arbitraries. */
export const commands: fc.Arbitrary<C.Command>[] = [
  fc.tuple(trader, dollars(20_000n)).map(([t, d]) => new C.MarginDeposit(t, d)),
  fc.tuple(trader, share).map(([t, b]) => new C.MarginWithdraw(t, b)),
  ...times(
    2,
    fc
      .tuple(trader, market, fc.boolean(), share, rarely)
      .map(([t, mk, l, b, low]) => new C.CommitOrder(t, mk, l, b, low)),
  ),
  fc
    .tuple(trader, market, fc.boolean(), share, rarely)
    .map(([t, mk, l, b, low]) => new C.Trade(new C.CommitOrder(t, mk, l, b, low))),
  // Highly leveraged trades, which a few adverse moves make liquidatable.
  fc
    .tuple(trader, market, fc.boolean(), fc.bigInt({ min: 6_000n, max: 9_500n }))
    .map(([t, mk, l, b]) => new C.Trade(new C.CommitOrder(t, mk, l, b, false))),
  fc.tuple(trader, refresh).map(([t, f]) => new C.ExecuteOrder(t, f)),
  ...times(
    2,
    fc.tuple(trader, refresh).map(([t, f]) => new C.ExecuteOrder(t, f, true)),
  ),
  trader.map((t) => new C.CancelOrder(t)),
  fc.tuple(trader, market, part).map(([t, mk, b]) => new C.ReducePosition(t, mk, b)),
  fc.tuple(trader, market).map(([t, mk]) => new C.ClosePosition(t, mk)),
  trader.map((t) => new C.Liquidate(t)),
  ...times(
    2,
    trader.map((t) => new C.Liquidate(t, true)),
  ),
  fc.constant(new C.LiquidateMany()),
  fc.constant(new C.SweepPending()),
  trader.map((t) => new C.ClaimProfit(t)),
  ...times(
    2,
    fc.tuple(trader, series, share).map(([t, s, b]) => new C.BuyOption(t, s, b)),
  ),
  fc.tuple(trader, series, part).map(([t, s, b]) => new C.SellOption(t, s, b)),
  series.map((s) => new C.SettleSeries(s)),
  series.map((s) => new C.SettleSeries(s, true)),
  fc.tuple(trader, share).map(([t, b]) => new C.OptionLifecycle(t, b)),
  fc.tuple(trader, series, part).map(([t, s, b]) => new C.RedeemOption(t, s, b)),
  fc.tuple(lp, dollars(200_000n)).map(([l, d]) => new C.LpDeposit(l, d)),
  fc.tuple(lp, share).map(([l, b]) => new C.LpRedeem(l, b)),
  fc.tuple(lp, part).map(([l, b]) => new C.LpRequestRedeem(l, b)),
  fc.constant(new C.ServeRedeemQueue()),
  fc.nat(7).map((k) => new C.ClaimOutflow(k)),
  fc
    .tuple(
      market,
      fc.oneof(
        { weight: 8, arbitrary: fc.bigInt({ min: -800n, max: 800n }) },
        { weight: 1, arbitrary: fc.bigInt({ min: 1_200n, max: 2_500n }) },
        { weight: 1, arbitrary: fc.bigInt({ min: -2_500n, max: -1_200n }) },
      ),
    )
    .map(([mk, b]) => new C.MovePrice(mk, b)),
  fc.tuple(market, fc.bigInt({ min: -800n, max: 800n })).map(([mk, b]) => new C.MovePrice(mk, b)),
  ...times(
    2,
    fc.tuple(fc.nat(7), fc.bigInt({ min: 200n, max: 800n })).map(([k, b]) => new C.AdverseMove(k, b)),
  ),
  fc
    .tuple(market, fc.nat(2), fc.constantFrom("stuck" as const, "off" as const))
    .map(([mk, s, k]) => new C.BreakSource(mk, s, k)),
  fc.tuple(market, fc.nat(2)).map(([mk, s]) => new C.HealSource(mk, s)),
  fc.bigInt({ min: 1n, max: 120n }).map((s) => new C.Wait(s)),
  fc
    .oneof(
      { weight: 2, arbitrary: fc.bigInt({ min: 121n, max: 3_600n }) },
      { weight: 1, arbitrary: fc.bigInt({ min: 3_601n, max: 6n * 3_600n }) },
    )
    .map((s) => new C.Wait(s)),
  fc
    .tuple(
      fc.constantFrom(...SCOPES),
      actions.map((a) => a & ~DERISKING).filter((a) => a !== 0n),
    )
    .map(([s, a]) => new C.GuardianPause(s, a)),
  fc.tuple(fc.constantFrom(...SCOPES), actions, fc.boolean()).map(([s, a, u]) => new C.GovernPause(s, a, u)),
  fc
    .tuple(
      fc.constantFrom(...GOVERNED),
      fc.oneof(
        { weight: 9, arbitrary: fc.bigInt({ min: 0n, max: 10_000n }) },
        { weight: 1, arbitrary: fc.constant(10_001n) },
      ),
    )
    .map(([p, b]) => new C.GovernParameter(p, b)),
  fc
    .tuple(fc.constantFrom(...GOVERNED), fc.bigInt({ min: 5_000n, max: 15_000n }))
    .map(([p, b]) => new C.GuardianTighten(p, b)),
  fc.nat(4).map((k) => new C.GuardianOverreach(k)),
];

/** A fresh model of the snapshot: every source as the aggregator reads it, nothing traded. */
export async function makeModel(r: Real): Promise<Model> {
  const staleness = {
    [ETH]: [CHAINLINK_STALENESS, CHAINLINK_STALENESS, PYTH_STALENESS],
    [BTC]: [3_600n, 3_600n, 3_600n],
  };
  const oracles = [];
  for (const market of [ETH, BTC]) {
    const readings = await r.sys.aggregator.readings(market);
    const [price, at] = await r.sys.aggregator.lastGoodPrice(market);
    oracles.push({
      market,
      sources: readings.map((x, i) => ({ price: x.price, updatedAt: x.updatedAt, maxStaleness: staleness[market][i] })),
      limits: DEV_LIMITS,
      lastGood: { price, at },
    });
  }
  const model = new Model(r.traders, r.sys.series, oracles);
  // The healthy sources publish the market's price: ETH's three agree; BTC's sit a unit apart around the middle one.
  model.target.set(ETH, oracles[0].sources[0].price);
  model.target.set(BTC, oracles[1].sources[0].price);
  return model;
}

export interface CampaignOptions {
  runs: number;
  seed: number;
  /** A failing run's path, to replay it exactly. */
  path?: string;
  maxCommands: number;
  /** Called after each run. */
  onRun?: (progress: Progress) => void;
  /** An extra invariant, checked after every command with the others (an auditor's ad-hoc property). */
  invariant?: (m: Model, r: Real) => Promise<void>;
}

/** What a run (the model's stats) or a campaign counts. */
export type Counts = Model["stats"];

export interface Progress extends Counts {
  runs: number;
  /** Seconds since the campaign began, after the snapshot was deployed (a one-off of about two seconds). */
  seconds: number;
  /** When the campaign began (epoch ms), so that parallel jobs' rates can be combined over wall time. */
  started: number;
}

/** A campaign's progress before its first run. */
export function noProgress(started: number): Progress {
  return {
    runs: 0,
    commands: 0,
    transactions: 0,
    invariantChecks: 0,
    edges: 0,
    seconds: 0,
    started,
    outcomes: new Map(),
  };
}

/** Adds `part`'s counts to `total`'s. */
export function addCounts(total: Counts, part: Counts): void {
  total.commands += part.commands;
  total.transactions += part.transactions;
  total.invariantChecks += part.invariantChecks;
  total.edges += part.edges;
  for (const [k, n] of part.outcomes) total.outcomes.set(k, (total.outcomes.get(k) ?? 0) + n);
}

export interface CampaignResult extends Progress {
  failure?: { seed: number; path: string; commands: string; error: string };
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  // The snapshot is deployed once, before the clock starts: every run then begins by reverting to it.
  await loadFixture(systemFixture);
  const started = Date.now();
  const totals = noProgress(started);
  // A replay path is fast-check's path and the commands' own replay path, joined by "~" (one token for the CLI).
  const [path, replayPath] = options.path?.split("~") ?? [];
  const property = fc.asyncProperty(
    fc.commands(commands, { maxCommands: options.maxCommands, size: "max", replayPath }),
    async (cmds) => {
      const sys = await loadFixture(systemFixture);
      const real = await makeReal(sys);
      real.extraInvariant = options.invariant;
      const model = await makeModel(real);
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      } finally {
        totals.runs++;
        addCounts(totals, model.stats);
        totals.seconds = (Date.now() - started) / 1000;
        options.onRun?.(totals);
      }
    },
  );
  const details = await fc.check(property, {
    // A replay walks the path from its run index: the generator must reach that run.
    numRuns: path ? Math.max(options.runs, Number(path.split(":")[0]) + 1) : options.runs,
    seed: options.seed,
    path,
    endOnFailure: path !== undefined,
  });
  totals.seconds = (Date.now() - started) / 1000;
  if (!details.failed) return totals;
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const shrunk = details.counterexample ? String(details.counterexample[0]) : "";
  const commandsPath = /replayPath="([^"]*)"/.exec(shrunk)?.[1] ?? "";
  return {
    ...totals,
    failure: {
      seed: details.seed,
      path: `${details.counterexamplePath ?? ""}~${commandsPath}`,
      commands: shrunk.replace(/\s*\/\*replayPath=.*\*\//, ""),
      error,
    },
  };
}

/**
 * The invariant suite's throughput (INV-3): protocol commands per second of the model-based suite with every
 * invariant checked after every command, over a fixed-seed campaign, so every measurement runs the same commands.
 */
import { runCampaign } from "../test/invariants/campaign";

export const FUZZ_SEED = 20261121;
export const FUZZ_RUNS = 20;
export const FUZZ_MAX_COMMANDS = 40;

export async function fuzzMeasurements(): Promise<Record<string, number | string>> {
  const result = await runCampaign({ runs: FUZZ_RUNS, seed: FUZZ_SEED, maxCommands: FUZZ_MAX_COMMANDS });
  if (result.failure) return { error: `the campaign failed: ${result.failure.error}` };
  return {
    commands_per_s: Number((result.commands / result.seconds).toFixed(1)),
    commands: result.commands,
    transactions: result.transactions,
    invariant_checks: result.invariantChecks,
    seconds: Number(result.seconds.toFixed(1)),
    seed: FUZZ_SEED,
    runs: result.runs,
  };
}

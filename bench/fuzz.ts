/**
 * The invariant suite's throughput (INV-3): protocol commands per second of the model-based suite with every
 * invariant checked after every command, over fixed-seed campaigns, so every measurement runs the same commands.
 * `commands_per_s` is `npm run fuzz -- --jobs 2` (one campaign per core of the 2-core reference machine, seeds S and
 * S + 1); `one_job_commands_per_s` is a single campaign from seed S.
 */
import { runCampaign } from "../test/invariants/campaign";
import { combine, runJobs } from "../test/invariants/jobs";

export const FUZZ_SEED = 20261121;
export const FUZZ_RUNS = 20;
export const FUZZ_MAX_COMMANDS = 40;
export const FUZZ_JOBS = 2;

export async function fuzzMeasurements(): Promise<Record<string, number | string>> {
  const options = { runs: FUZZ_RUNS, seed: FUZZ_SEED, maxCommands: FUZZ_MAX_COMMANDS };
  const one = await runCampaign(options);
  if (one.failure) return { error: `the campaign failed: ${one.failure.error}` };
  const jobs = await runJobs({ ...options, runs: FUZZ_JOBS * FUZZ_RUNS, jobs: FUZZ_JOBS }, () => {});
  const failed = jobs.find((j) => j.failure);
  if (failed) return { error: `job ${failed.job} failed: ${failed.failure!.error}` };
  const all = combine(jobs);
  return {
    commands_per_s: Number((all.commands / all.seconds).toFixed(1)),
    commands: all.commands,
    seconds: Number(all.seconds.toFixed(1)),
    jobs: FUZZ_JOBS,
    one_job_commands_per_s: Number((one.commands / one.seconds).toFixed(1)),
    one_job_commands: one.commands,
    one_job_transactions: one.transactions,
    one_job_invariant_checks: one.invariantChecks,
    seed: FUZZ_SEED,
    runs_per_job: FUZZ_RUNS,
  };
}

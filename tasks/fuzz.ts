/**
 * `npm run fuzz -- --runs N --seed S [--path P] [--max-commands K] [--jobs J]` (INV-3): a campaign of the
 * model-based invariant suite on the in-process network. Prints progress (runs, commands per second, invariants
 * checked) and, on failure, the error, the command that replays it exactly and the shrunk command list; exits 1 then.
 * With `--jobs J`, J campaigns run at once (seeds S … S + J − 1), one process each.
 */
import { task, types } from "hardhat/config";
import type { Progress } from "../test/invariants/campaign";

interface Args {
  runs: number;
  seed?: number;
  path?: string;
  maxCommands: number;
  jobs: number;
}

task("fuzz", "Runs a campaign of the model-based invariant suite (INV-3)")
  .addOptionalParam("runs", "Random command sequences to run", 100, types.int)
  .addOptionalParam("seed", "fast-check seed (random when omitted; always printed)", undefined, types.int)
  .addOptionalParam("path", "A failure's path, as a campaign printed it, to replay it exactly", undefined, types.string)
  .addOptionalParam("maxCommands", "The most commands per run", 60, types.int)
  .addOptionalParam("jobs", "Campaigns to run at once, one process each, seeds S, S + 1, …", 1, types.int)
  .setAction(async (args: Args, hre) => {
    await hre.run("compile", { quiet: true });
    // Loaded after compiling: the suite imports the generated contract types.
    const { runCampaign } = await import("../test/invariants/campaign");
    const { combine, JOB_ENV, runJobs, serveJob } = await import("../test/invariants/jobs");
    if (process.env[JOB_ENV]) return serveJob();
    if (args.jobs < 1 || (args.path && args.jobs > 1)) {
      throw new Error("--jobs must be at least 1, and 1 to replay a path");
    }
    const seed = args.seed ?? Math.floor(Math.random() * 2 ** 31);
    const what = args.path ? "replaying one run" : `${args.runs} runs`;
    const jobs = args.jobs > 1 ? ` in ${args.jobs} jobs (seeds ${seed} … ${seed + args.jobs - 1})` : "";
    console.log(`fuzz: ${what} of up to ${args.maxCommands} commands, seed ${seed}${jobs}`);
    let last = 0;
    const onRun = (p: Progress) => {
      if (Date.now() - last < 5_000 && p.runs !== args.runs) return;
      last = Date.now();
      console.log(
        `  runs ${p.runs}/${args.runs} · ${p.commands} commands · ${(p.commands / p.seconds).toFixed(1)} commands/s · ` +
          `${p.transactions} transactions · ${p.invariantChecks} invariant checks · ${p.edges} edge predictions`,
      );
    };
    const options = { runs: args.runs, seed, maxCommands: args.maxCommands };
    const results =
      args.jobs > 1
        ? await runJobs({ ...options, jobs: args.jobs }, onRun)
        : [{ ...(await runCampaign({ ...options, path: args.path, onRun })), seed }];
    const result = combine(results);
    const rate = (result.commands / result.seconds).toFixed(1);
    console.log(
      `\n${result.runs} runs, ${result.commands} commands in ${result.seconds.toFixed(1)} s (${rate} commands/s)`,
    );
    console.log("outcomes (command: result × count):");
    for (const [outcome, n] of [...result.outcomes].sort()) console.log(`  ${outcome} × ${n}`);
    const failed = results.find((r) => r.failure);
    if (!failed?.failure) {
      console.log("\nno invariant broken, every revert predicted");
      return;
    }
    const f = failed.failure;
    console.log(`\nFAILED: ${f.error}`);
    console.log(`replay: npm run fuzz -- --seed ${f.seed} --path '${f.path}' --max-commands ${args.maxCommands}`);
    console.log(`shrunk commands:\n  ${f.commands.split(",").join("\n  ")}`);
    process.exitCode = 1;
  });

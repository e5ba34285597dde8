/**
 * `npm run fuzz -- --runs N --seed S [--path P] [--max-commands K]` (INV-3): a campaign of the model-based invariant
 * suite on the in-process network. Prints progress (runs, commands per second, invariants checked) and, on failure,
 * the error, the command that replays it exactly and the shrunk command list; exits 1 then.
 */
import { task, types } from "hardhat/config";

task("fuzz", "Runs a campaign of the model-based invariant suite (INV-3)")
  .addOptionalParam("runs", "Random command sequences to run", 100, types.int)
  .addOptionalParam("seed", "fast-check seed (random when omitted; always printed)", undefined, types.int)
  .addOptionalParam("path", "A failure's path, as a campaign printed it, to replay it exactly", undefined, types.string)
  .addOptionalParam("maxCommands", "The most commands per run", 60, types.int)
  .setAction(async (args: { runs: number; seed?: number; path?: string; maxCommands: number }, hre) => {
    await hre.run("compile", { quiet: true });
    // Loaded after compiling: the suite imports the generated contract types.
    const { runCampaign } = await import("../test/invariants/campaign");
    const seed = args.seed ?? Math.floor(Math.random() * 2 ** 31);
    console.log(
      `fuzz: ${args.path ? "replaying one run" : `${args.runs} runs`} of up to ${args.maxCommands} commands, seed ${seed}`,
    );
    let last = 0;
    const result = await runCampaign({
      runs: args.runs,
      seed,
      path: args.path,
      maxCommands: args.maxCommands,
      onRun: (p) => {
        if (Date.now() - last < 5_000 && p.runs !== args.runs) return;
        last = Date.now();
        console.log(
          `  runs ${p.runs}/${args.runs} · ${p.commands} commands · ${(p.commands / p.seconds).toFixed(1)} commands/s · ` +
            `${p.transactions} transactions · ${p.invariantChecks} invariant checks · ${p.edges} edge predictions`,
        );
      },
    });
    const rate = (result.commands / result.seconds).toFixed(1);
    console.log(
      `\n${result.runs} runs, ${result.commands} commands in ${result.seconds.toFixed(1)} s (${rate} commands/s)`,
    );
    console.log("outcomes (command: result × count):");
    for (const [outcome, n] of [...result.outcomes].sort()) console.log(`  ${outcome} × ${n}`);
    if (!result.failure) {
      console.log("\nno invariant broken, every revert predicted");
      return;
    }
    const f = result.failure;
    console.log(`\nFAILED: ${f.error}`);
    console.log(`replay: npm run fuzz -- --seed ${f.seed} --path '${f.path}' --max-commands ${args.maxCommands}`);
    console.log(`shrunk commands:\n  ${f.commands.split(",").join("\n  ")}`);
    process.exitCode = 1;
  });

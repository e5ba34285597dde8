/**
 * `npm run devnet [-- --forever] [--profile full|short] [--seed S] [--port P] [--report file.json]` (OPS-1): the main
 * job. Runs the devnet scenario of `devnet/run.ts` on the in-process chain behind a JSON-RPC node, prints progress, a
 * live summary and a final report, and exits 0 when the scenario showed what it must (liquidations by the keeper,
 * every series settled, the holders redeemed). With `--forever` the node and the keeper keep running afterwards, the
 * sources keep publishing, and the addresses are written where the tasks look for them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { task, types } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";

interface Args {
  forever: boolean;
  profile: string;
  seed: number;
  port: number;
  metricsPort: number;
  report?: string;
  addresses: string;
}

task("devnet", "Runs the Bulwark devnet: node, protocol, keeper and a crash scenario (OPS-1)")
  .addFlag("forever", "Keep the node and the keeper running after the scenario, for manual play")
  .addOptionalParam("profile", "Scenario length: full (the default) or short", "full", types.string)
  .addOptionalParam("seed", "Seed of the traders' choices and the price walk", 1, types.int)
  .addOptionalParam("port", "JSON-RPC port to try first (a free one is used when taken)", 8545, types.int)
  .addOptionalParam("metricsPort", "The keeper's metrics port (0: any free port)", 0, types.int)
  .addOptionalParam("report", "Also write the final report to this JSON file", undefined, types.string)
  .addOptionalParam(
    "addresses",
    "With --forever: where to write the addresses (the tasks' default for --network localhost)",
    path.join("deploy", "deployments", "bulwark-localhost", "deployed_addresses.json"),
    types.string,
  )
  .setAction(async (args: Args, hre) => {
    if (hre.network.name !== "hardhat")
      throw new HardhatPluginError("devnet", "the devnet runs on the in-process chain: drop --network");
    await hre.run("compile", { quiet: true });
    // Loaded after compiling: the devnet imports the generated contract types.
    const { PROFILES, runDevnet } = await import("../devnet/run");
    const { formatReport } = await import("../devnet/summary");
    const profile = PROFILES[args.profile];
    if (!profile) {
      throw new HardhatPluginError(
        "devnet",
        `unknown profile "${args.profile}": use ${Object.keys(PROFILES).join(" or ")}`,
      );
    }
    const print = (line: string) => console.log(`[devnet] ${line}`);
    const devnet = await runDevnet(hre, {
      profile,
      seed: args.seed,
      port: args.port,
      metricsPort: args.metricsPort,
      print,
    });
    const { report } = devnet;
    console.log(`\n${formatReport(report)}\n`);
    if (args.report) writeFileSync(args.report, JSON.stringify(report, null, 2));

    const problems = [
      report.tally.byKeeper.liquidations === 0 && "the keeper liquidated nobody",
      report.tally.seriesSettled < report.series && `${report.tally.seriesSettled}/${report.series} series settled`,
      report.tally.optionsBought > 0 && report.tally.redemptions === 0 && "no option was redeemed",
    ].filter(Boolean);
    if (problems.length > 0) {
      await devnet.stop();
      throw new HardhatPluginError("devnet", `the scenario fell short: ${problems.join("; ")}`);
    }
    if (!args.forever) {
      await devnet.stop();
      console.log("Devnet finished: the scenario ran end to end (use --forever to keep the node for manual play).");
      return;
    }

    // Manual play: the addresses where the tasks (and `--network localhost` when the port is 8545) find them.
    const file = path.resolve(hre.config.paths.root, args.addresses);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(report.addresses, null, 2));
    console.log(`Node ${report.url}, keeper metrics ${report.metricsUrl}/metrics. Addresses (also in ${file}):`);
    for (const [name, address] of Object.entries(report.addresses)) console.log(`  ${name.padEnd(22)} ${address}`);
    const signers = await hre.ethers.getSigners();
    for (const signer of signers.slice(16, 20)) {
      await (await devnet.stack.usdc.mint(signer.address, 1_000_000n * 10n ** 6n)).wait();
    }
    console.log("Accounts #16 to #19 hold $1,000,000 of mock USDC each; #1 is the governor and #2 the guardian.");
    console.log("The sources publish every 10 s and the keeper keeps running. Ctrl-C stops.");
    let stopping = false;
    process.once("SIGINT", () => (stopping = true));
    process.once("SIGTERM", () => (stopping = true));
    while (!stopping) {
      await devnet.tickPrices();
      for (let i = 0; i < 100 && !stopping; i++) await new Promise((r) => setTimeout(r, 100));
    }
    await devnet.stop();
  });

/**
 * Operators' deployment commands (OPS-2):
 * - `npx hardhat bulwark:deploy --network <net> [--mocks] [--verify]` deploys the whole protocol through the Ignition
 *   module with `deploy/parameters/<net>.json` (journal and addresses in `deploy/deployments/bulwark-<net>/`, so an
 *   interrupted deployment resumes), runs the post-deploy check, and verifies the contracts on the block explorer.
 * - `npx hardhat bulwark:check --network <net>` runs the post-deploy check again on that deployment.
 * RPC URLs and the deployer's key come only from the environment (`.env.example`).
 */
import { readFileSync } from "node:fs";
import { task } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { defaultDeploymentFile, deploymentId } from "./ops/deployment";

task("bulwark:deploy", "Deploys Bulwark with the network's parameters, checks every role and wire, verifies (OPS-2)")
  .addFlag("mocks", "Replace every vendor contract (feeds, Pyth, USDC) by its mock: a rehearsal on a local chain")
  .addFlag("verify", "Verify the contracts on the block explorer afterwards (ETHERSCAN_API_KEY)")
  .setAction(async (args: { mocks: boolean; verify: boolean }, hre) => {
    await hre.run("compile", { quiet: true });
    const { loadDeployment } = await import("../deploy/config");
    const { deployWithIgnition } = await import("../deploy/ignition");
    const network = hre.network.name;
    const config = loadOrExplain(() => loadDeployment(network, process.env, { mocks: args.mocks }));
    const [deployer] = await hre.ethers.getSigners();
    if (!deployer) throw new HardhatPluginError("bulwark", `no deployer key for ${network}: set DEPLOYER_PRIVATE_KEY`);
    console.log(`Deploying Bulwark to ${network} (chain ${config.chainId}) as ${deployer.address}…`);
    const id = network === "hardhat" ? undefined : deploymentId(network);
    const deployed = await deployWithIgnition(hre, config, { deploymentId: id, displayUi: true });
    await check(hre, deployer.address, deployed.addresses, config);
    for (const [name, address] of Object.entries(deployed.addresses)) console.log(`  ${name.padEnd(24)} ${address}`);
    if (args.verify) {
      if (!id) throw new HardhatPluginError("bulwark", "nothing to verify on the in-process chain");
      await hre.run({ scope: "ignition", task: "verify" }, { deploymentId: id });
    }
  });

task("bulwark:check", "Runs the post-deploy check on the network's Bulwark deployment (OPS-2)").setAction(
  async (_args, hre) => {
    await hre.run("compile", { quiet: true });
    const { loadDeployment } = await import("../deploy/config");
    const network = hre.network.name;
    const config = loadOrExplain(() => loadDeployment(network, process.env));
    const file = defaultDeploymentFile(hre);
    let raw: Record<string, string>;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      throw new HardhatPluginError(
        "bulwark",
        `no deployment at ${file}: run bulwark:deploy --network ${network} first`,
      );
    }
    const addresses = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.split("#").pop()!, v]));
    const deployer = process.env.BULWARK_DEPLOYER ?? (await hre.ethers.getSigners())[0]?.address;
    if (!deployer)
      throw new HardhatPluginError(
        "bulwark",
        "set BULWARK_DEPLOYER (or DEPLOYER_PRIVATE_KEY) to check it holds nothing",
      );
    await check(hre, deployer, addresses, config);
  },
);

function loadOrExplain<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    throw new HardhatPluginError("bulwark", (error as Error).message);
  }
}

async function check(
  hre: HardhatRuntimeEnvironment,
  deployer: string,
  addresses: Record<string, string>,
  config: import("../deploy/config").DeploymentConfig,
): Promise<void> {
  const { checkProtocol } = await import("../deploy/checks");
  const { connectProtocol, expectations } = await import("../deploy/ignition");
  const problems = await checkProtocol(
    connectProtocol(addresses, hre.ethers.provider),
    expectations(config, deployer, addresses),
  );
  if (problems.length > 0) {
    throw new HardhatPluginError("bulwark", `post-deploy check failed:\n  ${problems.join("\n  ")}`);
  }
  console.log("Post-deploy check passed: the deployer holds nothing, the guardian can only pause and tighten,");
  console.log(
    `the timelock administers every module with a delay of ${config.timelock.delay} s, and every wire is in place.`,
  );
}

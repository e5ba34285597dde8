import path from "node:path";
import { subtask } from "hardhat/config";
import { readdirSync } from "node:fs";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, TASK_TEST_GET_TEST_FILES } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";
import "./tasks/deploy";
import "./tasks/devnet";
import "./tasks/fuzz";
import "./tasks/ops";

const SOLC_VERSION = "0.8.28";

function publicNetwork(urlVariable: string, chainId: number) {
  const key = process.env.DEPLOYER_PRIVATE_KEY;
  return {
    url: process.env[urlVariable] || `https://set-${urlVariable}.invalid`,
    chainId,
    accounts: key ? [key.startsWith("0x") ? key : `0x${key}`] : [],
  };
}

// Compile with the wasm build from the npm `solc` package: nothing is ever downloaded (TOOLCHAIN.md).
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async (args: { solcVersion: string }) => {
  if (args.solcVersion !== SOLC_VERSION) {
    throw new Error(`Only solc ${SOLC_VERSION} is available offline; a source asked for ${args.solcVersion}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  return {
    compilerPath: path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  };
});

// `hardhat test` with no files runs the keeper's tests (keeper/test) too, so `npm test` covers the whole repository.
subtask(TASK_TEST_GET_TEST_FILES).setAction(async (args: { testFiles: string[] }, _hre, runSuper) => {
  const files: string[] = await runSuper(args);
  if (args.testFiles.length > 0) return files;
  const keeperTests = path.join(__dirname, "keeper", "test");
  const found = readdirSync(keeperTests, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => path.join(keeperTests, f))
    .sort();
  return [...files, ...found];
});

const config: HardhatUserConfig = {
  solidity: {
    compilers: [{ version: SOLC_VERSION, settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" } }],
    overrides: {
      // The perps engine must fit the 24 KB contract size limit (EIP-170).
      "contracts/perps/PerpsEngine.sol": {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 1 }, evmVersion: "cancun", viaIR: true },
      },
    },
  },
  paths: {
    sources: "contracts",
    tests: "test",
    ignition: "deploy",
  },
  // Public networks (OPS-2): RPC URLs and the deployer's key only from the environment (.env.example). An unset URL
  // points at a host that names the variable to set.
  networks: {
    hardhat: {},
    localhost: { url: "http://127.0.0.1:8545" },
    sepolia: publicNetwork("SEPOLIA_RPC_URL", 11_155_111),
    "arbitrum-sepolia": publicNetwork("ARBITRUM_SEPOLIA_RPC_URL", 421_614),
    "base-sepolia": publicNetwork("BASE_SEPOLIA_RPC_URL", 84_532),
  },
  etherscan: {
    // One Etherscan (API v2) key verifies on every chain it serves.
    apiKey: process.env.ETHERSCAN_API_KEY ?? "",
  },
  sourcify: { enabled: false },
  mocha: {
    timeout: 120_000,
  },
  gasReporter: {
    enabled: false,
  },
  typechain: {
    outDir: "typechain-types",
    target: "ethers-v6",
  },
};

export default config;

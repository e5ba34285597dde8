/** A real `hardhat node` process on 127.0.0.1 and a free port, for the keeper's integration tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { JsonRpcProvider, Network } from "ethers";

const ROOT = path.resolve(__dirname, "../../..");
/** Collects the node's garbage every half second: without it the node grows until OOM-killed (see the file). */
const COLLECT_GARBAGE = path.join(__dirname, "collect-garbage.cjs");

export interface NodeProcess {
  url: string;
  port: number;
  provider: JsonRpcProvider;
  /** Sends a raw JSON-RPC request (evm_snapshot, evm_mine, …). */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startNode(): Promise<NodeProcess> {
  const port = await freePort();
  const cli = require.resolve("hardhat/internal/cli/cli.js", { paths: [ROOT] });
  const child: ChildProcess = spawn(
    process.execPath,
    ["--expose-gc", "--require", COLLECT_GARBAGE, cli, "node", "--hostname", "127.0.0.1", "--port", String(port)],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    if (output.length < 20_000) output += chunk.toString();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const network = Network.from(31337);
  const provider = new JsonRpcProvider(url, network, { staticNetwork: network, pollingInterval: 100 });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited (${child.exitCode}):\n${output}`);
    try {
      await provider.send("eth_chainId", []);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`hardhat node did not start on ${url}:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    url,
    port,
    provider,
    rpc: (method, params = []) => provider.send(method, params),
    stop: async () => {
      provider.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

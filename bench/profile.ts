/**
 * `npx hardhat run bench/profile.ts`: where the gas of each perps measurement goes (`PROFILE=options` for the options
 * measurements). Replays the bench's measurements and breaks each transaction down by callee (inclusive gas per call frame) and by storage opcode,
 * from `debug_traceTransaction`.
 */
import hre, { ethers } from "hardhat";
import { optionsMeasurements } from "./options";
import { perpsMeasurements } from "./perps";

interface Log {
  depth: number;
  op: string;
  gas: number;
  gasCost: number;
  stack?: string[];
}

async function names(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const fq of await hre.artifacts.getAllFullyQualifiedNames()) {
    const a = await hre.artifacts.readArtifact(fq);
    if (a.deployedBytecode.length > 2) out.set(a.deployedBytecode.slice(0, 200), a.contractName);
  }
  return out;
}

async function main(): Promise<void> {
  const byCode = await names();
  const label = async (addr: string) => {
    const code = await ethers.provider.getCode(addr);
    return byCode.get(code.slice(0, 200)) ?? addr.slice(0, 10);
  };
  const measurements = process.env.PROFILE === "options" ? optionsMeasurements : perpsMeasurements;
  for (const m of await measurements()) {
    const tx = await m.send();
    const receipt = await tx.wait();
    const trace = (await hre.network.provider.send("debug_traceTransaction", [tx.hash, { disableMemory: true }])) as {
      structLogs: Log[];
    };
    const logs = trace.structLogs;
    const calls: { to: string; gas: number; depth: number }[] = [];
    const ops = new Map<string, { n: number; gas: number }>();
    for (let i = 0; i < logs.length; i++) {
      const l = logs[i];
      const o = ops.get(l.op) ?? { n: 0, gas: 0 };
      o.n++;
      if (!["CALL", "STATICCALL", "DELEGATECALL"].includes(l.op)) o.gas += l.gasCost;
      ops.set(l.op, o);
      if (["CALL", "STATICCALL", "DELEGATECALL"].includes(l.op) && l.stack) {
        const to = "0x" + l.stack[l.stack.length - 2].slice(-40);
        // Inclusive gas: gas before the call minus gas after return at the same depth.
        let j = i + 1;
        while (j < logs.length && logs[j].depth > l.depth) j++;
        const after = j < logs.length ? logs[j].gas : l.gas;
        calls.push({ to, gas: l.gas - after, depth: l.depth });
      }
    }
    console.log(`\n== ${m.name}: ${receipt!.gasUsed} gas`);
    for (const c of calls) console.log(`${"  ".repeat(c.depth)}${await label(c.to)} ${c.gas}`);
    const top = [...ops.entries()].sort((a, b) => b[1].gas - a[1].gas).slice(0, 8);
    console.log("  ops:", top.map(([k, v]) => `${k} ×${v.n} ${v.gas}`).join(", "));
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

/**
 * `npm run bench`: deploys on the in-process Hardhat network, performs each measured operation, prints a
 * table, then runs the keeper's measurements on their own `hardhat node` processes (`keeper.ts`), and writes
 * bench/results.json as {"gas": {"<operation>": gasUsed}, "keeper": {...}, ...} (SPEC §13). It reports; it never
 * fails on a number.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { HOUR } from "../deploy/foundation";
import { formatTable, measure, type GasResult } from "./harness";
import { governanceMeasurements } from "./governance";
import { fuzzMeasurements } from "./fuzz";
import { keeperMeasurements } from "./keeper";
import { optionsMeasurements } from "./options";
import { oracleMeasurements } from "./oracle";
import { perpsMeasurements } from "./perps";
import { poolMeasurements } from "./pool";

async function main(): Promise<void> {
  if (hre.network.name !== "hardhat") throw new Error("bench: run it on the in-process hardhat network");
  const suites = [governanceMeasurements, oracleMeasurements, poolMeasurements, perpsMeasurements, optionsMeasurements];
  const results: GasResult[] = [];
  for (const suite of suites) {
    // Each suite starts a minute into a fresh hour, so the wall clock cannot carry a measured read into the next
    // hour, where it would be the first trusted read and keep the hour's price checkpoint (measured on its own).
    await time.increaseTo((BigInt(await time.latest()) / HOUR + 1n) * HOUR + 60n);
    for (const m of await suite()) results.push(await measure(m));
  }

  console.log(formatTable(results));
  const file = path.join(__dirname, "results.json");
  // A part skipped with `none` keeps its figures from the last run that measured it.
  const previous = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  console.log("\nfuzz (the model-based invariant suite, every invariant after every command):");
  const fuzz = process.env.BENCH_FUZZ === "none" ? (previous.fuzz ?? {}) : await fuzzMeasurements();
  for (const [name, value] of Object.entries(fuzz)) console.log(`  fuzz.${name}: ${JSON.stringify(value)}`);
  console.log("\nkeeper (a hardhat node with 1-second blocks and a 30 M block gas limit):");
  // BENCH_KEEPER=liquidate,restart runs only those (health, liquidate, restart); BENCH_KEEPER=none skips them.
  const only = process.env.BENCH_KEEPER?.split(",").map((s) => s.trim());
  const keeper = only?.includes("none") ? (previous.keeper ?? {}) : await keeperMeasurements(only);
  for (const [name, value] of Object.entries(keeper)) console.log(`  keeper.${name}: ${JSON.stringify(value)}`);
  const solidity = hre.config.solidity.compilers[0];
  const out = {
    gas: Object.fromEntries(results.map((r) => [r.name, Number(r.gasUsed)])),
    budgets: Object.fromEntries(results.filter((r) => r.budget !== undefined).map((r) => [r.name, Number(r.budget)])),
    keeper,
    fuzz,
    fuzzTargets: { commands_per_s: 200 },
    keeperTargets: {
      health_10k_ms: 2_000,
      health_10k_rpc_calls: 20,
      liquidate_1000_blocks: 10,
      missed_after_restart: 0,
    },
    meta: {
      network: hre.network.name,
      solc: solidity.version,
      optimizer: solidity.settings.optimizer,
      evmVersion: solidity.settings.evmVersion,
      note: "gasUsed of each transaction receipt, 21,000 base included",
    },
  };
  writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

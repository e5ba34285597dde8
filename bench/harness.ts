/** The bench's small framework: each measurement sends one transaction and reports its receipt's gas. */
import type { ContractTransactionResponse } from "ethers";

export interface GasMeasurement {
  /** Key under `gas` in bench/results.json. */
  name: string;
  /** The SPEC §13 budget, if it has one; reported, never enforced. */
  budget?: bigint;
  /** Prepares state as needed and returns the one transaction to measure. */
  send: () => Promise<ContractTransactionResponse>;
}

export interface GasResult {
  name: string;
  gasUsed: bigint;
  budget?: bigint;
}

export async function measure(m: GasMeasurement): Promise<GasResult> {
  const tx = await m.send();
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) throw new Error(`bench: ${m.name} did not succeed`);
  return { name: m.name, gasUsed: receipt.gasUsed, budget: m.budget };
}

export function formatTable(results: GasResult[]): string {
  const rows = results.map((r) => {
    const budget = r.budget === undefined ? "-" : r.budget.toString();
    const verdict = r.budget === undefined ? "" : r.gasUsed <= r.budget ? "within" : "OVER";
    return [r.name, r.gasUsed.toString(), budget, verdict];
  });
  const header = ["operation", "gas", "budget", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

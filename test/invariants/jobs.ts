/**
 * Parallel fuzz campaigns (INV-3): `npm run fuzz -- --jobs J` runs J campaigns at once, each a `hardhat fuzz`
 * process with its own in-process chain, its share of the runs and its own seed (the campaign's seed + its index),
 * so a campaign uses every core. Each job reports progress and its result to the parent over IPC; a failure stops
 * the others and is replayed, like any campaign's, from the failing job's seed and path.
 */
import { fork, type ChildProcess } from "node:child_process";
import {
  addCounts,
  type CampaignOptions,
  type CampaignResult,
  noProgress,
  type Progress,
  runCampaign,
} from "./campaign";

/** Set in a job's environment: the campaign's options, as JSON. */
export const JOB_ENV = "BULWARK_FUZZ_JOB";

type Wire = Omit<CampaignResult, "outcomes"> & { outcomes: [string, number][] };
type Message = { progress: Wire } | { result: Wire };

const toWire = (p: Progress | CampaignResult): Wire => ({ ...p, outcomes: [...p.outcomes] });
const fromWire = (w: Wire): CampaignResult => ({ ...w, outcomes: new Map(w.outcomes) });

/** In a job: runs the campaign its parent gave it and reports to the parent. */
export async function serveJob(): Promise<void> {
  const options = JSON.parse(process.env[JOB_ENV]!) as CampaignOptions;
  const send = (message: Message) =>
    new Promise<void>((resolve, reject) => process.send!(message, (e: Error | null) => (e ? reject(e) : resolve())));
  const result = await runCampaign({ ...options, onRun: (p) => void send({ progress: toWire(p) }) });
  await send({ result: toWire(result) });
}

export interface JobResult extends CampaignResult {
  job: number;
  seed: number;
}

/**
 * Runs `jobs` campaigns at once: job `j` runs its share of `options.runs` from seed `options.seed + j`. `onProgress`
 * gets the jobs' combined progress, its rate over wall time from the first job's start. Resolves with every job's
 * result; when one fails, the others are stopped and only the results so far are returned.
 */
export async function runJobs(
  options: Omit<CampaignOptions, "onRun" | "path"> & { jobs: number },
  onProgress: (total: Progress) => void,
): Promise<JobResult[]> {
  const latest: (Progress | undefined)[] = Array(options.jobs).fill(undefined);
  const children: ChildProcess[] = [];
  const report = () => onProgress(combine(latest.filter((p): p is Progress => p !== undefined)));
  const one = (job: number): Promise<JobResult> =>
    new Promise((resolve, reject) => {
      const runs = Math.floor(options.runs / options.jobs) + (job < options.runs % options.jobs ? 1 : 0);
      const seed = options.seed + job;
      const jobOptions: CampaignOptions = { runs, seed, maxCommands: options.maxCommands };
      const child = fork(require.resolve("hardhat/internal/cli/bootstrap"), ["fuzz"], {
        // A fresh Hardhat process, not this one's flags (under `hardhat run` they would register Hardhat twice).
        execArgv: [],
        env: { ...process.env, [JOB_ENV]: JSON.stringify(jobOptions) },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      children.push(child);
      let result: JobResult | undefined;
      child.on("message", (m: Message) => {
        if ("progress" in m) {
          latest[job] = fromWire(m.progress);
          report();
        } else {
          result = { ...fromWire(m.result), job, seed };
          latest[job] = result;
        }
      });
      child.on("exit", (code) =>
        result ? resolve(result) : reject(new Error(`fuzz job ${job} (seed ${seed}) exited with ${code}`)),
      );
    });
  const pending = Array.from({ length: options.jobs }, (_, j) =>
    one(j).then((r) => {
      if (r.failure) for (const c of children) if (c.exitCode === null) c.kill();
      return r;
    }),
  );
  const settled = await Promise.allSettled(pending);
  const results = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = results.find((r) => r.failure);
  if (!failed && results.length < options.jobs) {
    throw (settled.find((s) => s.status === "rejected") as PromiseRejectedResult).reason;
  }
  return results;
}

/** Several jobs' progress as one: sums, and seconds of wall time from the first job's start to the last report. */
export function combine(parts: Progress[]): Progress {
  const total = noProgress(Math.min(...parts.map((p) => p.started)));
  for (const p of parts) {
    total.runs += p.runs;
    addCounts(total, p);
    total.seconds = Math.max(total.seconds, (p.started + p.seconds * 1000 - total.started) / 1000);
  }
  return total;
}

/** Printing helpers of the operator tasks, pure: amounts, times and the contracts' enums as text. */
import { formatUnits } from "ethers";

/** `value` of `decimals` as a decimal string, with at most `digits` fraction digits (truncated) and no ".0". */
export function units(value: bigint, decimals: number, digits = 6): string {
  const [whole, fraction = ""] = formatUnits(value, decimals).split(".");
  const cut = fraction.slice(0, digits).replace(/0+$/, "");
  return cut === "" ? whole : `${whole}.${cut}`;
}

/** 18-decimal USD as "$1234.56" (negative as "-$…"). */
export function usd(value: bigint, digits = 2): string {
  return value < 0n ? `-$${units(-value, 18, digits)}` : `$${units(value, 18, digits)}`;
}

/** A unix time as ISO text with the distance from `now` ("in 1h 2m" / "3m ago"). */
export function when(at: bigint, now: bigint): string {
  if (at === 0n) return "never";
  const iso = new Date(Number(at) * 1000).toISOString().replace(".000Z", "Z");
  const d = at - now;
  if (d === 0n) return `${iso} (now)`;
  return d > 0n ? `${iso} (in ${duration(d)})` : `${iso} (${duration(-d)} ago)`;
}

/** Seconds as "1d 2h", "3h 4m", "5m 6s" or "7s". */
export function duration(seconds: bigint): string {
  const s = Number(seconds);
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), "d"],
    [Math.floor((s % 86_400) / 3_600), "h"],
    [Math.floor((s % 3_600) / 60), "m"],
    [s % 60, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return "0s";
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(" ");
}

/** A bytes32 market id or parameter key as its text ("GLOBAL" for zero), or the hex when it is not short text. */
export function name32(id: string): string {
  if (/^0x0{64}$/.test(id)) return "GLOBAL";
  const bytes = Buffer.from(id.slice(2), "hex");
  const end = bytes.indexOf(0);
  const text = bytes.subarray(0, end === -1 ? bytes.length : end);
  const tailZero = bytes.subarray(text.length).every((b) => b === 0);
  const ascii = text.toString("latin1");
  return text.length > 0 && tailZero && /^[\x20-\x7e]+$/.test(ascii) ? ascii : id;
}

/** `IPriceAggregator.State`. */
export const ORACLE_STATES = ["Active", "Frozen"] as const;

/** `IPriceAggregator.FreezeReason`, with what each means for the operator. */
export const FREEZE_REASONS: readonly [string, string][] = [
  ["None", ""],
  ["SequencerDown", "the L2 sequencer feed reports the sequencer down"],
  ["SequencerGrace", "the sequencer is back up, within its grace period"],
  ["NoQuorum", "fewer valid sources than minSources"],
  ["Divergence", "the valid sources disagree by more than maxDeviationBps"],
  ["Jump", "the median moved more than maxJumpBps from the last good price; waiting for recoveryReads agreeing reads"],
];

/** `IPriceSource.Status`, with what each means. */
export const SOURCE_STATUSES: readonly [string, string][] = [
  ["Valid", "usable"],
  ["CallFailed", "the feed call failed"],
  ["NonPositive", "the feed answered zero or less"],
  ["NoTimestamp", "the feed gave no update time"],
  ["FutureTimestamp", "the feed's update time is in the future"],
  ["AtFeedBound", "the answer sits at the feed's own min/max answer"],
  ["DecimalsChanged", "the feed's decimals changed since configuration"],
  ["ConfidenceTooWide", "Pyth's confidence interval is wider than maxConfBps"],
  ["Stale", "older than the source's maxStaleness"],
  ["OutOfBand", "outside the market's price band"],
];

/** The name and meaning of entry `index` of an enum table, or "unknown(n)". */
export function enumText(table: readonly [string, string][], index: bigint | number): string {
  const entry = table[Number(index)];
  if (!entry) return `unknown(${index})`;
  return entry[1] === "" ? entry[0] : `${entry[0]} (${entry[1]})`;
}

/** `TimelockController.OperationState` as a queue shows it. */
export type OperationStatus = "pending" | "ready" | "done" | "cancelled" | "expired" | "unknown";

/**
 * The whole protocol with options: the perps stack plus the options engine, and two ETH-USD series listed through the
 * timelock (a call capped at one strike and a put, both struck at $3,000, expiring at a whole hour about a week out).
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { seriesId } from "../../deploy/options";
import type { OptionsEngine } from "../../typechain-types";

export { seriesId };
import { ETH } from "./fixtures";
import { protocolFixture, usd } from "./perps";
import { execute, schedule, waitDelay } from "./timelock";

export const HOUR = 3600n;
export const DAY = 24n * HOUR;

/** The first whole hour at least `seconds` after the latest block. */
export async function hourAfter(seconds: bigint): Promise<bigint> {
  const t = BigInt(await time.latest()) + seconds;
  return ((t + HOUR - 1n) / HOUR) * HOUR;
}

export async function optionsFixture() {
  const f = await protocolFixture();
  const options = f.options as OptionsEngine;
  // Listing is a timelock operation: the expiry must still be a week out once the delay has passed, and the listing
  // reads a fresh price.
  const expiry = await hourAfter(8n * DAY);
  const strike = usd(3_000);
  const target = await options.getAddress();
  const list = (isCall: boolean, cap: bigint) => ({
    target,
    data: options.interface.encodeFunctionData("listSeries", [ETH, strike, expiry, isCall, cap]),
  });
  const op = await schedule(f.timelock, f.governor, [list(true, strike), list(false, 0n)]);
  await waitDelay(f.timelock);
  await f.setPrices(3_000n);
  await execute(f.timelock, f.governor, op);
  const call = seriesId(ETH, strike, expiry, true);
  const put = seriesId(ETH, strike, expiry, false);
  return { ...f, options, expiry, strike, call, put };
}

export type OptionsFixture = Awaited<ReturnType<typeof optionsFixture>>;

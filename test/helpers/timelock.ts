/** Scenario helpers for timelock operations: schedule, wait, execute, as governance would. */
import { impersonateAccount, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import type { BaseContract, BytesLike, Interface, Signer } from "ethers";
import type { BulwarkTimelock } from "../../typechain-types";

export interface Call {
  target: string;
  data: BytesLike;
  value?: bigint;
}

export interface Operation {
  id: string;
  calls: Call[];
  predecessor: string;
  salt: string;
}

let saltCounter = 0n;

function freshSalt(): string {
  saltCounter += 1n;
  return ethers.zeroPadValue(ethers.toBeHex(saltCounter), 32);
}

/** Schedules `calls` as one operation (a batch when there are several). */
export async function schedule(
  timelock: BulwarkTimelock,
  proposer: Signer,
  calls: Call[],
  opts: { predecessor?: string; salt?: string; delay?: bigint } = {},
): Promise<Operation> {
  const predecessor = opts.predecessor ?? ethers.ZeroHash;
  const salt = opts.salt ?? freshSalt();
  const delay = opts.delay ?? (await timelock.getMinDelay());
  const targets = calls.map((c) => c.target);
  const values = calls.map((c) => c.value ?? 0n);
  const payloads = calls.map((c) => c.data);
  const t = timelock.connect(proposer);
  let id: string;
  if (calls.length === 1) {
    id = await timelock.hashOperation(targets[0], values[0], payloads[0], predecessor, salt);
    await (await t.schedule(targets[0], values[0], payloads[0], predecessor, salt, delay)).wait();
  } else {
    id = await timelock.hashOperationBatch(targets, values, payloads, predecessor, salt);
    await (await t.scheduleBatch(targets, values, payloads, predecessor, salt, delay)).wait();
  }
  return { id, calls, predecessor, salt };
}

/** Executes a scheduled operation (without waiting for its delay). */
export function execute(timelock: BulwarkTimelock, executor: Signer, op: Operation) {
  const t = timelock.connect(executor);
  const values = op.calls.map((c) => c.value ?? 0n);
  if (op.calls.length === 1) {
    return t.execute(op.calls[0].target, values[0], op.calls[0].data, op.predecessor, op.salt);
  }
  return t.executeBatch(
    op.calls.map((c) => c.target),
    values,
    op.calls.map((c) => c.data),
    op.predecessor,
    op.salt,
  );
}

/** Waits out the timelock's delay. */
export async function waitDelay(timelock: BulwarkTimelock): Promise<void> {
  await time.increase(await timelock.getMinDelay());
}

/** The whole governance path: schedule, wait the delay, execute. Returns the execution transaction. */
export async function govern(timelock: BulwarkTimelock, governor: Signer, calls: Call[]) {
  const op = await schedule(timelock, governor, calls);
  await waitDelay(timelock);
  return execute(timelock, governor, op);
}

/** The whole governance path for one call of `fn(args)` on `target`. Returns the execution transaction. */
export async function governCall(
  f: { timelock: BulwarkTimelock; governor: Signer },
  target: BaseContract,
  fn: string,
  args: unknown[],
) {
  const data = (target.interface as Interface).encodeFunctionData(fn, args);
  return govern(f.timelock, f.governor, [{ target: await target.getAddress(), data }]);
}

/**
 * The timelock itself as a signer, with gas money, for tests of what only governance may call once the full
 * schedule–wait–execute path is tested elsewhere.
 */
export async function timelockSigner(timelock: BulwarkTimelock): Promise<Signer> {
  const address = await timelock.getAddress();
  await impersonateAccount(address);
  await setBalance(address, 10n ** 20n);
  return ethers.getSigner(address);
}

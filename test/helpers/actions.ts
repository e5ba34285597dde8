/** Pause-registry action bits, mirroring `IPauseRegistry.Action`. */
export enum Action {
  Open,
  Increase,
  Reduce,
  Close,
  Liquidate,
  Deposit,
  Withdraw,
  BuyOption,
  SellOption,
  Settle,
}

export const ACTION_COUNT = 10;

export function mask(...actions: Action[]): bigint {
  return actions.reduce((m, a) => m | (1n << BigInt(a)), 0n);
}

export const ALL_ACTIONS = (1n << BigInt(ACTION_COUNT)) - 1n;
export const DERISKING = mask(Action.Reduce, Action.Close);
export const GUARDIAN_PAUSABLE = ALL_ACTIONS & ~DERISKING;

/**
 * A TypeScript model of the pause registry's specification (CB-1, CB-2, CB-3): guardian pauses that lapse, governance
 * confirmations and unpauses, lapse records, and the liquidation grace period. The registry's own model-based test
 * checks it against the contract; the protocol's invariant suite uses it to predict what every module lets through.
 */
import { Action, ALL_ACTIONS, DERISKING, mask } from "./actions";
import { BTC, ETH, GLOBAL } from "./fixtures";
import { HOUR } from "../../deploy/foundation";

export const SCOPES = [GLOBAL, ETH, BTC];
export const MAX_GUARDIAN_PAUSE = 72n * HOUR;
export const GRACE = HOUR;
const GRACE_ACTIONS = DERISKING | mask(Action.Deposit, Action.Liquidate);
const LIQUIDATE = mask(Action.Liquidate);

export interface ScopeModel {
  guardianMask: bigint;
  confirmedMask: bigint;
  guardianUntil: bigint;
  resumedAt: bigint;
  /** When the guardian pause now in force began (the spec's clock: it may last maxGuardianPause from here). */
  guardianSince: bigint;
}

function invalid(actions: bigint): boolean {
  return actions === 0n || (actions & ~ALL_ACTIONS) !== 0n;
}

export class RegistryModel {
  now = 0n;
  scopes = new Map<string, ScopeModel>(
    SCOPES.map((s) => [
      s,
      { guardianMask: 0n, confirmedMask: 0n, guardianUntil: 0n, resumedAt: 0n, guardianSince: 0n },
    ]),
  );

  scope(id: string): ScopeModel {
    return this.scopes.get(id)!;
  }
  lapsedAt(s: ScopeModel): bigint {
    return s.guardianMask !== 0n && s.guardianUntil <= this.now ? s.guardianUntil : 0n;
  }
  settleLapse(s: ScopeModel): void {
    const lapsed = this.lapsedAt(s);
    if (lapsed !== 0n) {
      if ((s.guardianMask & GRACE_ACTIONS) !== 0n && lapsed > s.resumedAt) s.resumedAt = lapsed;
      s.guardianMask = 0n;
    }
  }
  active(s: ScopeModel): bigint {
    return s.confirmedMask | (this.now < s.guardianUntil ? s.guardianMask : 0n);
  }
  paused(market: string): bigint {
    const global = this.active(this.scopes.get(GLOBAL)!);
    const m = market === GLOBAL ? global : global | this.active(this.scopes.get(market)!);
    // Nobody is liquidated who cannot reduce or close.
    return (m & DERISKING) !== 0n ? m | LIQUIDATE : m;
  }
  isPaused(market: string, action: Action): boolean {
    return (this.paused(market) & mask(action)) !== 0n;
  }
  resumed(s: ScopeModel): bigint {
    const lapsed = (s.guardianMask & GRACE_ACTIONS) !== 0n ? this.lapsedAt(s) : 0n;
    return lapsed > s.resumedAt ? lapsed : s.resumedAt;
  }
  graceEnd(market: string): bigint {
    let r = this.resumed(this.scopes.get(GLOBAL)!);
    if (market !== GLOBAL) {
      const own = this.resumed(this.scopes.get(market)!);
      if (own > r) r = own;
    }
    return r === 0n ? 0n : r + GRACE;
  }
  inGrace(market: string): boolean {
    return this.now < this.graceEnd(market);
  }

  /** The custom error a guardian `pause` would revert with now, or null. */
  predictPause(scope: string, actions: bigint): string | null {
    if (invalid(actions)) return "PauseRegistryInvalidActions";
    if ((actions & DERISKING) !== 0n) return "PauseRegistryGuardianCannotPause";
    const s = this.scope(scope);
    const live = this.lapsedAt(s) !== 0n ? 0n : s.guardianMask;
    if ((actions & ~(s.confirmedMask | live)) === 0n) return "PauseRegistryAlreadyPaused";
    return null;
  }
  applyPause(scope: string, actions: bigint): void {
    const s = this.scope(scope);
    this.settleLapse(s);
    if (s.guardianMask === 0n) {
      s.guardianUntil = this.now + MAX_GUARDIAN_PAUSE;
      s.guardianSince = this.now;
    }
    s.guardianMask |= actions & ~s.confirmedMask;
  }

  predictConfirm(scope: string, actions: bigint): string | null {
    if (invalid(actions)) return "PauseRegistryInvalidActions";
    if ((actions & ~this.scope(scope).confirmedMask) === 0n) return "PauseRegistryAlreadyPaused";
    return null;
  }
  applyConfirm(scope: string, actions: bigint): void {
    const s = this.scope(scope);
    this.settleLapse(s);
    s.confirmedMask |= actions;
    s.guardianMask &= ~actions;
  }

  predictUnpause(scope: string, actions: bigint): string | null {
    if (invalid(actions)) return "PauseRegistryInvalidActions";
    if ((actions & this.active(this.scope(scope))) === 0n) return "PauseRegistryNotPaused";
    return null;
  }
  applyUnpause(scope: string, actions: bigint): void {
    const s = this.scope(scope);
    this.settleLapse(s);
    const cleared = actions & (s.confirmedMask | s.guardianMask);
    s.confirmedMask &= ~cleared;
    s.guardianMask &= ~cleared;
    if ((cleared & GRACE_ACTIONS) !== 0n) s.resumedAt = this.now;
  }

  predictRecordExpiry(scope: string): string | null {
    return this.lapsedAt(this.scope(scope)) === 0n ? "PauseRegistryNothingExpired" : null;
  }
  applyRecordExpiry(scope: string): void {
    this.settleLapse(this.scope(scope));
  }
}

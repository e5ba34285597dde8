/**
 * Model-based property test of the pause registry (CB-1, CB-2, CB-3): random sequences of guardian pauses,
 * governance confirmations and unpauses, lapse records and time jumps, checked after every command against a
 * small TypeScript model of the specification. Every revert must be the one the model predicts.
 *
 * Governance calls are sent from the impersonated timelock: the path through the timelock is tested in the
 * unit tests; here the subject is the registry's state machine, and each timelock round trip would cost an
 * hour of chain time per command.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse, Signer } from "ethers";
import type { PauseRegistry } from "../../typechain-types";
import { foundationFixture, GLOBAL } from "../helpers/fixtures";
import { ACTION_COUNT, DERISKING } from "../helpers/actions";
import { HOUR } from "../../deploy/foundation";
import { timelockSigner } from "../helpers/timelock";
import { MAX_GUARDIAN_PAUSE, RegistryModel, SCOPES } from "../helpers/pause-model";

interface Real {
  registry: PauseRegistry;
  guardian: Signer;
  timelock: Signer;
  anyone: Signer;
}

const ACTIONS = Array.from({ length: ACTION_COUNT }, (_, i) => i);
const toMask = (actions: number[]) => actions.reduce((m, a) => m | (1n << BigInt(a)), 0n);
/** A few actions at a time, so that commands overlap and interact. */
const validMask = fc.subarray(ACTIONS, { minLength: 1, maxLength: 3 }).map(toMask);
const guardianMask = fc.oneof(
  { weight: 8, arbitrary: validMask.map((m) => m & ~DERISKING).filter((m) => m !== 0n) },
  { weight: 1, arbitrary: validMask },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 12n }) },
);
const anyMask = fc.oneof(
  { weight: 8, arbitrary: validMask },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 12n }) },
);
const scope = fc.constantFrom(...SCOPES);

type Cmd = fc.AsyncCommand<RegistryModel, Real>;

/** A registry transaction: predicted by the model, sent in a block stamped one second later, then checked. */
abstract class RegistryCall implements Cmd {
  constructor(
    readonly scope: string,
    readonly actions = 0n,
  ) {}
  /** The registry function this command calls. */
  abstract readonly fn: string;
  toString(): string {
    return this.fn === "recordExpiry"
      ? `${this.fn}(${label(this.scope)})`
      : `${this.fn}(${label(this.scope)}, ${this.actions})`;
  }
  check(): boolean {
    return true;
  }
  /** The custom error the model predicts at `m.now`, or null for success. */
  abstract predict(m: RegistryModel): string | null;
  abstract send(r: Real): Promise<ContractTransactionResponse>;
  abstract apply(m: RegistryModel): void;
  async run(m: RegistryModel, r: Real): Promise<void> {
    m.now += 1n;
    await network.provider.send("evm_setNextBlockTimestamp", [Number(m.now)]);
    const error = this.predict(m);
    if (error) {
      await expect(this.send(r)).to.be.revertedWithCustomError(r.registry, error);
    } else {
      await (await this.send(r)).wait();
      this.apply(m);
    }
    await checkInvariants(m, r);
  }
}

class GuardianPause extends RegistryCall {
  readonly fn = "pause";
  predict(m: RegistryModel) {
    return m.predictPause(this.scope, this.actions);
  }
  send(r: Real) {
    return r.registry.connect(r.guardian).pause(this.scope, this.actions, "model");
  }
  apply(m: RegistryModel) {
    m.applyPause(this.scope, this.actions);
  }
}

class Confirm extends RegistryCall {
  readonly fn = "confirmPause";
  predict(m: RegistryModel) {
    return m.predictConfirm(this.scope, this.actions);
  }
  send(r: Real) {
    return r.registry.connect(r.timelock).confirmPause(this.scope, this.actions, "model");
  }
  apply(m: RegistryModel) {
    m.applyConfirm(this.scope, this.actions);
  }
}

class Unpause extends RegistryCall {
  readonly fn = "unpause";
  predict(m: RegistryModel) {
    return m.predictUnpause(this.scope, this.actions);
  }
  send(r: Real) {
    return r.registry.connect(r.timelock).unpause(this.scope, this.actions, "model");
  }
  apply(m: RegistryModel) {
    m.applyUnpause(this.scope, this.actions);
  }
}

class RecordExpiry extends RegistryCall {
  readonly fn = "recordExpiry";
  predict(m: RegistryModel) {
    return m.predictRecordExpiry(this.scope);
  }
  send(r: Real) {
    return r.registry.connect(r.anyone).recordExpiry(this.scope);
  }
  apply(m: RegistryModel) {
    m.applyRecordExpiry(this.scope);
  }
}

class Advance implements Cmd {
  constructor(readonly seconds: bigint) {}
  check = () => true;
  async run(m: RegistryModel, r: Real) {
    m.now += this.seconds;
    await network.provider.send("evm_mine", [Number(m.now)]);
    await checkInvariants(m, r);
  }
  toString = () => `advance(${this.seconds}s)`;
}

function label(scope: string): string {
  return scope === GLOBAL ? "GLOBAL" : ethers.decodeBytes32String(scope);
}

async function checkInvariants(m: RegistryModel, r: Real) {
  for (const market of SCOPES) {
    expect(await r.registry.pausedActions(market), `pausedActions(${market})`).to.equal(m.paused(market));
    expect(await r.registry.liquidationGraceEndsAt(market), `graceEnd(${market})`).to.equal(m.graceEnd(market));
    // CB-1: the guardian alone can never have blocked reducing or closing.
    // CB-2, from the spec rather than the code: a guardian pause never lasts beyond maxGuardianPause from the
    // moment it began, however many actions are added to it.
    const s = await r.registry.scopeState(market);
    if (s.guardianMask !== 0n) {
      expect(s.guardianUntil, `guardian pause of ${market} extended`).to.be.at.most(
        m.scope(market).guardianSince + MAX_GUARDIAN_PAUSE,
      );
    }
  }
}

describe("Property: pause registry against its model (CB-1, CB-2, CB-3)", function () {
  it("CB-2: every command sequence matches the model; pauses lapse, only governance unpauses, grace follows", async function () {
    const commands = [
      fc.tuple(scope, guardianMask).map(([s, a]) => new GuardianPause(s, a)),
      fc.tuple(scope, guardianMask).map(([s, a]) => new GuardianPause(s, a)),
      fc.tuple(scope, validMask).map(([s, a]) => new Confirm(s, a)),
      fc.tuple(scope, anyMask).map(([s, a]) => new Unpause(s, a)),
      scope.map((s) => new RecordExpiry(s)),
      fc.constantFrom(1n, 59n, HOUR, 24n * HOUR, 72n * HOUR - 2n, 72n * HOUR).map((d) => new Advance(d)),
      fc.constantFrom(HOUR - 1n, 48n * HOUR, 72n * HOUR).map((d) => new Advance(d)),
    ];
    const seed = Number(process.env.FUZZ_SEED ?? 20261120);
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: "large" }), async (cmds) => {
        const f = await loadFixture(foundationFixture);
        const real: Real = {
          registry: f.pauseRegistry,
          guardian: f.guardian,
          timelock: await timelockSigner(f.timelock),
          anyone: f.bob,
        };
        const model = new RegistryModel();
        model.now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      }),
      { numRuns: Number(process.env.PAUSE_MODEL_RUNS ?? 30), seed, verbose: 1 },
    );
  });
});

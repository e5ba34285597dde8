/** The oracle as deployed on an L2: three ETH-USD sources of three kinds of feed, a sequencer feed, governance. */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { deployFoundation, devConfig, type Foundation, handOverToTimelock, HOUR } from "../../deploy/foundation";
import { deployAggregator, deployChainlinkAdapter, deployPythAdapter, listOracleMarket } from "../../deploy/oracle";
import { DEV_LIMITS } from "../../deploy/feeds";
import { MockFeedProxy__factory, MockPyth, MockPyth__factory, MockV3Aggregator__factory } from "../../typechain-types";
import { ETH } from "./fixtures";

export const WAD = 10n ** 18n;

/** `IPriceSource.Status`. */
export enum S {
  Valid,
  CallFailed,
  NonPositive,
  NoTimestamp,
  FutureTimestamp,
  AtFeedBound,
  DecimalsChanged,
  ConfidenceTooWide,
  Stale,
  OutOfBand,
}

/** `IPriceAggregator.State` and `FreezeReason`. */
export enum OracleState {
  Active,
  Frozen,
}
export enum Reason {
  None,
  SequencerDown,
  SequencerGrace,
  NoQuorum,
  Divergence,
  Jump,
}
export enum Bias {
  Low,
  High,
}
export const PYTH_ETH = ethers.id("Crypto.ETH/USD");
export const PYTH_FEE = 1n;
export const PYTH_EXPO = -8;
export const ETH_CONFIG = { market: ETH, ...DEV_LIMITS };
export const CHAINLINK_STALENESS = HOUR;
export const PYTH_STALENESS = 120n;

/** One signed Pyth price message for ETH-USD, as Hermes would serve it (0.1 % confidence unless given). */
export async function pythVaa(pyth: MockPyth, usd: bigint, opts: { conf?: bigint; publishTime?: bigint } = {}) {
  return pythVaa8(pyth, usd * 10n ** 8n, opts);
}

/** The same for a price in Pyth's 8 decimals. */
async function pythVaa8(pyth: MockPyth, price: bigint, opts: { conf?: bigint; publishTime?: bigint } = {}) {
  const publishTime = opts.publishTime ?? BigInt(await time.latest());
  const conf = opts.conf ?? price / 1000n;
  return pyth.createPriceFeedUpdateData(PYTH_ETH, price, conf, PYTH_EXPO, price, conf, publishTime, 0);
}

/** The message wrapped for `IPriceSource.update` (`abi.encode(bytes[])`). */
export async function pythUpdate(pyth: MockPyth, usd: bigint, opts: { conf?: bigint; publishTime?: bigint } = {}) {
  return pythUpdate8(pyth, usd * 10n ** 8n, opts);
}

/** The same for a price in Pyth's 8 decimals. */
export async function pythUpdate8(pyth: MockPyth, price: bigint, opts: { conf?: bigint; publishTime?: bigint } = {}) {
  return ethers.AbiCoder.defaultAbiCoder().encode(["bytes[]"], [[await pythVaa8(pyth, price, opts)]]);
}

/**
 * The oracle of the fixtures, deployed while the deployer still administers the access manager (so that a
 * fixture can add more modules before `handOverToTimelock`).
 */
export async function deployTestOracle(foundation: Foundation, deployer: Signer) {
  // The L2 sequencer has been up for two hours.
  const sequencer = await new MockV3Aggregator__factory(deployer).deploy(0, 0);
  const now = BigInt(await time.latest());
  await sequencer.updateRoundData(1, 0, now, now - 2n * HOUR);
  const aggregator = await deployAggregator(foundation, deployer, await sequencer.getAddress());

  // Source 0: an 8-decimal Chainlink feed behind a proxy (so it can be re-pointed, broken or made expensive).
  const feed8 = await new MockV3Aggregator__factory(deployer).deploy(8, 3_000n * 10n ** 8n);
  const proxy = await new MockFeedProxy__factory(deployer).deploy(await feed8.getAddress());
  const chainlink8 = await deployChainlinkAdapter(deployer, await proxy.getAddress(), {
    minAnswer: 1n * 10n ** 8n,
    maxAnswer: 1_000_000n * 10n ** 8n,
  });
  // Source 1: an 18-decimal push feed (RedStone-style).
  const feed18 = await new MockV3Aggregator__factory(deployer).deploy(18, 3_000n * WAD);
  const chainlink18 = await deployChainlinkAdapter(deployer, await feed18.getAddress());
  // Source 2: Pyth.
  const pyth = await new MockPyth__factory(deployer).deploy(60, PYTH_FEE);
  await pyth.updatePriceFeeds([await pythVaa(pyth, 3_000n)], { value: PYTH_FEE });
  const pythAdapter = await deployPythAdapter(foundation, deployer, await pyth.getAddress(), PYTH_ETH, 100n);

  await listOracleMarket(aggregator, {
    ...ETH_CONFIG,
    sources: [
      { source: await chainlink8.getAddress(), maxStaleness: CHAINLINK_STALENESS },
      { source: await chainlink18.getAddress(), maxStaleness: CHAINLINK_STALENESS },
      { source: await pythAdapter.getAddress(), maxStaleness: PYTH_STALENESS },
    ],
  });

  /** Moves every source to `usd` in this block's time. */
  async function setAll(usd: bigint) {
    await feed8.updateAnswer(usd * 10n ** 8n);
    await feed18.updateAnswer(usd * WAD);
    await pythAdapter.update(await pythUpdate(pyth, usd), { value: PYTH_FEE });
  }

  return { aggregator, sequencer, feed8, proxy, feed18, pyth, chainlink8, chainlink18, pythAdapter, setAll };
}

export async function oracleFixture() {
  const [deployer, governor, guardian, alice, bob] = await ethers.getSigners();
  const foundation = await deployFoundation(deployer, devConfig([governor.address], guardian.address));
  const oracle = await deployTestOracle(foundation, deployer);
  await handOverToTimelock(foundation, deployer);
  await oracle.aggregator.poke(ETH);
  return { ...foundation, ...oracle, deployer, governor, guardian, alice, bob };
}

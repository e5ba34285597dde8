import hre, { ethers } from "hardhat";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { impersonateAccount, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { checkProtocol } from "../../deploy/checks";
import { loadDeployment, NETWORKS } from "../../deploy/config";
import { deployDevStack } from "../../deploy/devstack";
import { GUARDIAN_FUNCTIONS } from "../../deploy/foundation";
import { deployWithIgnition, expectations } from "../../deploy/ignition";
import { selectors } from "../../deploy/selectors";

const ETH = ethers.encodeBytes32String("ETH-USD");
const BTC = ethers.encodeBytes32String("BTC-USD");

async function sepoliaRehearsal() {
  const [deployer, governor, guardian] = await ethers.getSigners();
  const env = { BULWARK_GOVERNORS: governor.address, BULWARK_GUARDIAN: guardian.address };
  const config = loadDeployment("sepolia", env, { mocks: true });
  const deployed = await deployWithIgnition(hre, config);
  return { deployer, governor, guardian, config, deployed };
}

describe("OPS-2: deployments", function () {
  this.timeout(300_000);

  it("OPS-2: an Ignition deployment with the sepolia parameters (vendors replaced by mocks) passes the post-deploy check", async () => {
    const { deployer, config, deployed } = await loadFixture(sepoliaRehearsal);
    const problems = await checkProtocol(
      deployed.contracts,
      expectations(config, deployer.address, deployed.addresses),
    );
    expect(problems).to.deep.equal([]);
    const { contracts } = deployed;
    expect(await contracts.timelock.getMinDelay()).to.equal(48n * 3600n);
    expect(await contracts.markets.markets()).to.deep.equal([ETH, BTC]);
    // One Chainlink feed and Pyth per market, the quorum one source, the sequencer gate off (an L1).
    expect((await contracts.aggregator.readings(ETH)).length).to.equal(2);
    expect(await contracts.aggregator.sequencerFeed()).to.equal(ethers.ZeroAddress);
    // The first read after the hand-over made each market trusted.
    expect((await contracts.aggregator.status(ETH)).state).to.equal(0n);
    expect((await contracts.aggregator.status(BTC)).state).to.equal(0n);
  });

  it("OPS-2: the post-deploy check finds a deployer that kept a role, a guardian given a governance function, and a wrong delay", async () => {
    const { deployer, governor, config, deployed } = await loadFixture(sepoliaRehearsal);
    const { accessManager, pool, timelock } = deployed.contracts;
    const timelockAddress = await timelock.getAddress();
    await impersonateAccount(timelockAddress);
    await setBalance(timelockAddress, 10n ** 18n);
    const asTimelock = await ethers.getSigner(timelockAddress);
    await accessManager
      .connect(asTimelock)
      .setTargetFunctionRole(pool, selectors("LiquidityPool", ["setParameter"]), await accessManager.GUARDIAN_ROLE());
    await accessManager.connect(asTimelock).grantRole(0n, deployer.address, 0);
    const expected = { ...expectations(config, deployer.address, deployed.addresses), timelockDelay: 3600n };
    const problems = await checkProtocol(deployed.contracts, expected);
    expect(problems).to.include("LiquidityPool.setParameter: mapped to the guardian role");
    expect(problems).to.include(`access manager ADMIN_ROLE: ${deployer.address} holds it`);
    expect(problems).to.include("timelock delay is 172800, expected 3600");
    expect(problems.length).to.equal(3);
    expect(governor.address).to.not.equal(deployer.address);
  });

  it("OPS-2: the tests' deployment (deploy/devstack.ts) is wired exactly like the Ignition module", async () => {
    const [deployer, governor, guardian] = await ethers.getSigners();
    const stack = await deployDevStack(
      { deployer, governor, guardian },
      {
        markets: [
          { id: ETH, usd: 3_000n },
          { id: BTC, usd: 60_000n },
        ],
      },
    );
    const problems = await checkProtocol(stack, {
      deployer: deployer.address,
      governors: [governor.address],
      guardian: guardian.address,
      timelockDelay: 3600n,
      collateral: await stack.usdc.getAddress(),
      sequencerFeed: ethers.ZeroAddress,
      perpsMarkets: [ETH, BTC],
      optionMarkets: [ETH, BTC],
      sourceCount: { [ETH]: 3, [BTC]: 3 },
    });
    expect(problems).to.deep.equal([]);
    // And the guardian's functions are the same list on both (GUARDIAN_FUNCTIONS is the single source).
    expect(GUARDIAN_FUNCTIONS.pauseRegistry).to.deep.equal(["pause", "tightenParameter"]);
  });

  it("OPS-2: every network has valid parameters; testnet vendors are checksummed addresses with their source; missing roles are named", () => {
    const roles = {
      BULWARK_GOVERNORS: ethers.Wallet.createRandom().address,
      BULWARK_GUARDIAN: ethers.Wallet.createRandom().address,
    };
    for (const network of NETWORKS) {
      const config = loadDeployment(network, roles);
      if (network === "hardhat" || network === "localhost") {
        expect(config.collateral).to.equal("mock");
        expect(config.timelock.delay).to.equal(3600);
        continue;
      }
      expect(config.timelock.delay, network).to.equal(48 * 3600);
      for (const vendor of [config.collateral, config.pyth]) {
        expect(vendor, network).to.be.an("object");
        const { address, source } = vendor as { address: string; source: string };
        expect(ethers.getAddress(address), network).to.equal(address);
        expect(source, network).to.match(/^https:\/\//);
      }
      for (const market of config.markets) {
        for (const s of market.sources) {
          if (s.kind === "chainlink") expect(s.feed, `${network} ${market.id}`).to.have.property("source");
        }
      }
    }
    expect(() => loadDeployment("sepolia", {})).to.throw(
      /governors: none \(set BULWARK_GOVERNORS\)[\s\S]*guardian: not set/,
    );
    expect(() => loadDeployment("mainnet", roles)).to.throw(/no deployment parameters for network "mainnet"/);
    expect(() => loadDeployment("sepolia", { ...roles, BULWARK_GUARDIAN: "0x1234" })).to.throw(/guardian/);
  });
});
